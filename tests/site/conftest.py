"""Site kit fixtures: the session sandbox reset per test, a client on a private store, a kit over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from amzauth.creators import CreatorsClient, SQLiteStore
from amzauth.site import SiteKit, SiteSettings
from tests.creators import _world


class Clock:
    """An injectable clock: real time plus an offset the test moves."""

    def __init__(self) -> None:
        import time

        self._time = time.time
        self.offset = 0.0

    def __call__(self) -> float:
        return self._time() + self.offset


@pytest.fixture()
def sb(fresh_sandbox: Any) -> Iterator[Any]:
    yield fresh_sandbox
    fresh_sandbox.reset()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "creators.sqlite3")
    yield s
    s.close()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def make_kit(sb: Any, store: SQLiteStore, clock: Clock) -> Iterator[Callable[..., SiteKit]]:
    """Kits over demo-world clients (closed at the end); keyword arguments go to SiteSettings.

    The render budget defaults to 10 s here so results do not depend on the machine's load; the
    budget's own test sets it.
    """
    made: list[SiteKit] = []

    def make(client: CreatorsClient | None = None, **settings: Any) -> SiteKit:
        if client is None:
            client = _world.make_client(sb, store, clock=clock, retry=_fast_retry())
        settings.setdefault("budget_ms", 10_000)  # a loaded CI box must not turn data into fallbacks
        kit = SiteKit(client, SiteSettings(**settings), owns_client=True)
        made.append(kit)
        return kit

    yield make
    for k in made:
        k.close()


@pytest.fixture()
def kit(make_kit: Callable[..., SiteKit]) -> SiteKit:
    return make_kit()


def _fast_retry() -> Any:
    from amzauth.core.retry import RetryPolicy

    return RetryPolicy(attempts=2, base=0.05, cap=0.1, retry_after_cap=0.2, budget=0.5)


def api_calls(sb: Any, operation: str = "getItems") -> list[dict[str, Any]]:
    return _world.api_log(sb, operation)
