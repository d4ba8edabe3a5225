"""Creators client fixtures: the session sandbox reset per test, and a client on a private store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amzauth.creators import CreatorsClient, SQLiteResultStore
from tests.creators import _world


@pytest.fixture()
def sb(fresh_sandbox: Any) -> Iterator[Any]:
    """The session sandbox at the demo world; reset again afterwards so a changed world never leaks."""
    yield fresh_sandbox
    fresh_sandbox.reset()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SQLiteResultStore]:
    s = SQLiteResultStore(tmp_path / "creators.sqlite3")
    yield s
    s.close()


@pytest.fixture()
def client(sb: Any, store: SQLiteResultStore) -> Iterator[CreatorsClient]:
    with _world.make_client(sb, store) as c:
        yield c
