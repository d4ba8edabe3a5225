"""Usage fixtures: the session sandbox reset per test (and again afterwards, so a changed world never leaks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture()
def sb(fresh_sandbox: Any) -> Iterator[Any]:
    yield fresh_sandbox
    fresh_sandbox.reset()
