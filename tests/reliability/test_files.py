"""Files that hold tokens or secrets: private modes whatever the umask, and writes no reader can catch half-done.

Modes: the SQLite token and result stores (and their -wal/-shm files), the SP-API refresh-token
file, the console's profiles file and its last-report file are 0600 in 0700 directories, even
under ``umask 000``. Atomicity: a concurrent reader (a thread, or another process for SQLite) reads
while a writer rewrites the file hundreds of times; every read must be one complete version, and no
temporary file may be left behind.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from amzauth.core.tokens import Token
from amzauth.creators.store import CacheEntry
from amzauth.creators.store import SQLiteResultStore as ResultStore
from amzauth.engine import SQLiteTokenStore
from tests.support import register_secret


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture()
def open_umask() -> Iterator[None]:
    """The loosest umask a user could have: modes must come from amzauth, not from the umask."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _token(i: int) -> Token:
    now = time.time()
    tok = Token(f"Atza|IwEBfilemodes{i:04d}" + "0" * 40, "bearer", now + 3600, obtained_at=now)
    register_secret(tok.access_token)
    return tok


# ---- modes ---------------------------------------------------------------------------------------------
def test_token_store_is_private_under_any_umask(open_umask: None) -> None:
    store = SQLiteTokenStore()  # the default path under the (isolated) user cache dir
    try:
        store.save("k", _token(1), time.time())
        assert store.load("k") is not None
        files = [store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")]
        for f in files:
            assert f.exists(), f"{f.name} missing (WAL mode expected)"
            assert mode(f) == 0o600, f"{f.name} has mode {mode(f):o}"
        assert mode(store.path.parent) == 0o700
    finally:
        store.close()


def test_token_store_tightens_its_own_cache_dir(open_umask: None) -> None:
    from amzauth.engine.stores import default_cache_dir

    d = default_cache_dir()
    d.mkdir(parents=True, mode=0o755)
    os.chmod(d, 0o755)
    store = SQLiteTokenStore()
    try:
        store.save("k", _token(2), time.time())
    finally:
        store.close()
    assert mode(d) == 0o700


def test_token_store_file_made_readable_is_made_private_again(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "private" / "tokens.sqlite3"
    store = SQLiteTokenStore(path)
    store.save("k", _token(3), time.time())
    store.close()
    os.chmod(path, 0o644)
    again = SQLiteTokenStore(path)
    try:
        assert again.load("k") is not None
        assert mode(path) == 0o600
    finally:
        again.close()


def test_result_store_is_private_under_any_umask(open_umask: None) -> None:
    store = ResultStore()  # default path: beside the token cache
    try:
        now = time.time()
        store.put_many([("k", CacheEntry('{"x": 1}', now, now + 60, now + 120))])
        assert store.get_many(["k"])
        for f in (store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")):
            assert f.exists() and mode(f) == 0o600, f"{f.name}: {mode(f):o}"
        assert mode(store.path.parent) == 0o700
    finally:
        store.close()


def test_refresh_token_file_is_private_under_any_umask(open_umask: None) -> None:
    from amzauth.config.storage import FileTokenStorage

    storage = FileTokenStorage()  # the default path under the (isolated) user config dir
    token = "Atzr|IwEBfilemodesrefresh" + "0" * 40
    register_secret(token)
    storage.save("client|na|A1SELLER", token, {"selling_partner_id": "A1SELLER"})
    assert storage.load("client|na|A1SELLER") == token
    assert mode(storage.path) == 0o600 and mode(storage.path.parent) == 0o700
    leftovers = [p.name for p in storage.path.parent.iterdir() if p.name.startswith(".tokens-")]
    assert leftovers == []


def test_console_profiles_and_reports_files_are_private(tmp_path: Path, open_umask: None) -> None:
    from amzauth.console.profiles_file import ProfilesFile
    from amzauth.console.reports import Reports

    pf = ProfilesFile(tmp_path / "conf" / "amzauth.toml")
    pf.write_all(
        {"default": {"api": "creators", "client_id": "x", "client_secret": "notreal-filemodes-0001"}}
    )
    assert mode(pf.path) == 0o600
    pf.update("default", {"api": "creators", "client_id": "y", "client_secret": "notreal-filemodes-0001"})
    assert mode(pf.path) == 0o600
    reports = Reports(str(pf.path), tmp_path / "state" / "reports.json")
    reports.set("default", {"ok": True})
    assert mode(tmp_path / "state" / "reports.json") == 0o600
    assert mode(tmp_path / "state") == 0o700


# ---- atomic writes ----------------------------------------------------------------------------------
def _race(write: Callable[[int], None], read: Callable[[], Any], valid: Callable[[Any], bool], n: int) -> int:
    """Write ``n`` versions while a thread reads as fast as it can; every read must be valid."""
    stop = threading.Event()
    bad: list[str] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                got = read()
            except FileNotFoundError:
                continue
            except Exception as exc:  # a partial file: not JSON/TOML, or a cut-off document
                bad.append(f"{type(exc).__name__}: {exc}")
                continue
            reads[0] += 1
            if not valid(got):
                bad.append(f"unexpected content: {str(got)[:80]}")

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        for i in range(n):
            write(i)
    finally:
        stop.set()
        t.join(10)
    assert not bad, bad[:3]
    assert reads[0] > 0
    return reads[0]


def test_refresh_token_file_writes_are_atomic(tmp_path: Path) -> None:
    from amzauth.config.storage import FileTokenStorage

    storage = FileTokenStorage(tmp_path / "amzauth" / "credentials" / "tokens.json")
    big = "n" * 200_000  # a large document makes a torn write likely if the write path allowed one
    tokens = {i: f"Atzr|IwEBatomic{i % 2}" + "0" * 40 for i in range(2)}
    register_secret(*tokens.values())

    def write(i: int) -> None:
        storage.save("k", tokens[i % 2], {"note": big if i % 2 else "small"})

    def read() -> Any:
        return json.loads(storage.path.read_text(encoding="utf-8"))

    def valid(doc: Any) -> bool:
        entry = doc["tokens"]["k"]
        return (entry["note"] == big) == (entry["refresh_token"] == tokens[1])

    _race(write, read, valid, 150)
    assert sorted(p.name for p in storage.path.parent.iterdir()) == ["tokens.json", "tokens.json.lock"]


def test_console_profiles_file_writes_are_atomic(tmp_path: Path) -> None:
    import tomllib

    from amzauth.console.profiles_file import ProfilesFile

    pf = ProfilesFile(tmp_path / "amzauth.toml")
    small = {"default": {"api": "creators", "client_id": "small"}}
    large = {f"p{i:03d}": {"api": "creators", "client_id": "c" * 200} for i in range(300)}

    def write(i: int) -> None:
        pf.write_all(large if i % 2 else small)

    def read() -> Any:
        return tomllib.loads(pf.path.read_text(encoding="utf-8"))

    def valid(doc: Any) -> bool:
        return doc["profiles"] in (small, large)

    _race(write, read, valid, 120)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".amzauth.toml.lock",
        "amzauth.toml",
    ]  # no temp file


def test_sqlite_store_readers_in_another_process_never_see_a_partial_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.sqlite3"
    store = SQLiteTokenStore(path)
    tokens = [_token(10 + i) for i in range(5)]
    store.save("k", tokens[0], time.time())
    code = textwrap.dedent(
        f"""
        import json, sys, time
        from amzauth.engine import SQLiteTokenStore
        store = SQLiteTokenStore({str(path)!r})
        valid = set(json.loads(sys.argv[1]))
        reads = bad = 0
        print("ready", flush=True)
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            tok = store.load("k")
            reads += 1
            if tok is None or tok.access_token not in valid:
                bad += 1
        print(json.dumps({{"reads": reads, "bad": bad}}), flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, json.dumps([t.access_token for t in tokens])],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        writes = 0
        end = time.monotonic() + 1.2
        while time.monotonic() < end:
            store.save("k", tokens[writes % len(tokens)], time.time())
            writes += 1
        result = json.loads(proc.stdout.readline())
    finally:
        proc.wait(15)
        if proc.stdout is not None:
            proc.stdout.close()
        store.close()
    assert writes > 50 and result["reads"] > 50
    assert result["bad"] == 0, result
