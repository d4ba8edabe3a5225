"""Reliability fixtures: the matrix recorder (writes docs/reliability.md at session end) and a reset sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reliability.matrix import Recorder


@pytest.fixture(scope="session")
def matrix() -> Iterator[Recorder]:
    """Collects every row's outcome; once the whole matrix ran, writes it to docs/reliability.md."""
    recorder = Recorder()
    yield recorder
    recorder.write()


@pytest.fixture()
def sb(fresh_sandbox: Any) -> Iterator[Any]:
    """The session sandbox at the demo world; reset again afterwards so no fault or clock offset leaks."""
    yield fresh_sandbox
    fresh_sandbox.reset()
