"""Small test helpers: an injectable clock and sleep, and token-request counting in the sandbox log."""

from __future__ import annotations

import time
from typing import Any


class FakeClock:
    """A clock the test moves by hand (starts at the real time so the sandbox's dates look sane)."""

    def __init__(self, start: float | None = None) -> None:
        self.t = time.time() if start is None else start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class RecordingSleep:
    """Records every backoff the engine asks for and moves the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.calls: list[float] = []
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


def token_requests(sandbox: Any) -> list[dict[str, Any]]:
    """Requests the sandbox served on any token endpoint (LwA or Cognito) since its last reset.

    The sandbox logs nothing that arrived before a reset, even when it answers it later.
    """
    return [r for r in sandbox.requests() if r["path"] in ("/auth/o2/token", "/oauth2/token")]


def assert_token_requests(sandbox: Any, expected: int) -> None:
    """Assert the number of token requests, showing each one's status and error when it is off."""
    got = token_requests(sandbox)
    assert len(got) == expected, [(r["time"], r["status"], r["error"], r.get("dropped")) for r in got]
