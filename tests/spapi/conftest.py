"""Fixtures for the SP-API tests: the demo world with a callback URI on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.spapi._support import world_with
from tests.support import free_port


@dataclass
class SpWorld:
    """The sandbox plus the loopback redirect URI the demo draft app has registered for this test."""

    sandbox: Any
    redirect_uri: str
    base: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.sandbox.url)


@pytest.fixture()
def sp(fresh_sandbox: Any) -> Iterator[SpWorld]:
    base = fresh_sandbox.world()
    uri = f"http://127.0.0.1:{free_port()}/callback"
    fresh_sandbox.set_world(
        world_with(base, app={"redirect_uris": [uri, "https://example.com/amazon/callback"]})
    )
    fresh_sandbox.clear_requests()
    yield SpWorld(fresh_sandbox, uri, base)
    fresh_sandbox.reset()
