"""Stores trust no one else's files (issue 16, finding 5): a symlinked SQLite file is never
followed, a cache directory or file of another user, or writable by others, is refused with one
line naming the path; the engine then still serves tokens (without sharing them there).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from amzauth.creators import SQLiteStore as ResultSQLiteStore
from amzauth.engine import SQLiteStore, TokenManager
from amzauth.engine.stores import UnsafeStorePath
from tests.engine._profiles import CREATORS_31, plan

OTHER_UID = 65534  # nobody


def _serve(sb: Any, store: SQLiteStore) -> Any:
    m = TokenManager(plan(CREATORS_31, sb.url), CREATORS_31["client_secret"], store=store)
    return m.get_token()


def test_a_symlinked_store_file_is_not_followed(
    fresh_sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    victim.chmod(0o644)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    (cache / "tokens.sqlite3").symlink_to(victim)
    store = SQLiteStore(cache / "tokens.sqlite3")
    with pytest.raises(UnsafeStorePath, match="symlink") as ei:
        store.load("k")
    assert str(cache / "tokens.sqlite3") in str(ei.value)
    caplog.set_level(logging.WARNING, logger="amzauth")
    assert _serve(fresh_sandbox, store).access_token  # served, the store skipped
    assert victim.read_text() == "someone else's file\n"
    assert victim.stat().st_mode & 0o777 == 0o644
    assert any("refusing to use" in r.getMessage() for r in caplog.records)
    with pytest.raises(UnsafeStorePath):
        ResultSQLiteStore(cache / "tokens.sqlite3").get_many(["x"])


def test_a_cache_dir_writable_by_others_is_refused(tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    with pytest.raises(UnsafeStorePath, match="writable by other users") as ei:
        SQLiteStore(cache / "tokens.sqlite3").load("k")
    assert str(cache) in str(ei.value) and "\n" not in str(ei.value)
    assert not (cache / "tokens.sqlite3").exists()


@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown to another uid"
)
def test_a_cache_dir_or_file_of_another_user_is_refused(fresh_sandbox: Any, tmp_path: Path) -> None:
    theirs = tmp_path / "their-cache"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    store = SQLiteStore(theirs / "tokens.sqlite3")
    with pytest.raises(UnsafeStorePath, match="owned by uid 65534"):
        store.load("k")
    _serve(fresh_sandbox, store)
    assert not (theirs / "tokens.sqlite3").exists()  # no token written where they can read it
    mine = tmp_path / "my-cache"
    mine.mkdir(mode=0o700)
    planted = mine / "tokens.sqlite3"
    planted.touch(mode=0o600)
    os.chown(planted, OTHER_UID, OTHER_UID)
    with pytest.raises(UnsafeStorePath, match="owned by uid 65534"):
        SQLiteStore(planted).load("k")
