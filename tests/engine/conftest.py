"""Fixtures shared by the token engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture()
def roomy_sandbox(fresh_sandbox: Any) -> Iterator[Any]:
    """The demo world with Creators API rate limits lifted, so load tests measure tokens, not throttling."""
    original = fresh_sandbox.world()
    world = fresh_sandbox.world()
    world.setdefault("limits", {}).update(
        creators_rate=100000.0, creators_burst=100000, creators_daily=10_000_000
    )
    fresh_sandbox.set_world(world)
    yield fresh_sandbox
    fresh_sandbox.set_world(original)
