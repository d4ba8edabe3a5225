"""One contract suite run over every store (memory, SQLite, Redis), plus each store's own promises."""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amzauth.core.tokens import Token
from amzauth.engine import MemoryTokenStore, NegativeEntry, SQLiteTokenStore, TokenStore
from amzauth.engine.redis_store import RedisTokenStore
from amzauth.errors import TokenError
from tests.support import free_port


def _token(n: int = 1, now: float | None = None, life: float = 3600.0) -> Token:
    now = time.time() if now is None else now
    return Token(
        f"Atza|access-token-{n:04d}-{secrets.token_hex(4)}",
        "bearer",
        now + life,
        "s::x",
        f"Atzr|refresh-{n}",
        "network",
        now,
    )


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TokenStore]:
    if request.param == "memory":
        yield MemoryTokenStore()
    elif request.param == "sqlite":
        s = SQLiteTokenStore(tmp_path / "cache" / "tokens.sqlite3")
        yield s
        s.close()
    else:
        server = request.getfixturevalue("redis")
        if server.proc is None:
            server.start()
        r = RedisTokenStore(server.url, namespace=f"t{secrets.token_hex(4)}", fallback=MemoryTokenStore())
        yield r
        r.close()


def test_load_save_overwrite(store: TokenStore) -> None:
    assert store.load("k1") is None
    t1, t2 = _token(1), _token(2)
    store.save("k1", t1, time.time())
    got = store.load("k1")
    assert got is not None
    assert got.access_token == t1.access_token
    assert got.refresh_token == t1.refresh_token
    assert got.expires_at == pytest.approx(t1.expires_at)
    assert got.source == store.name
    store.save("k1", t2, time.time())
    again = store.load("k1")
    assert again is not None and again.access_token == t2.access_token
    assert store.load("k2") is None  # keys are independent


def test_delete_compares_the_access_token(store: TokenStore) -> None:
    t = _token()
    store.save("k", t, time.time())
    assert store.delete("k", "Atza|someone-elses-token") == 0
    assert store.load("k") is not None
    assert store.delete("k", t.access_token) == 1
    assert store.load("k") is None
    store.save("k", t, time.time())
    assert store.delete("k") == 1
    assert store.delete("k") == 0


def test_negative_entries_roundtrip(store: TokenStore) -> None:
    now = time.time()
    err = TokenError(
        "invalid_client: Client authentication failed",
        status=401,
        error="invalid_client",
        error_description="Client authentication failed",
        request_id="rid-9",
    )
    store.save_negative("k", NegativeEntry.from_error(err, until=now + 30), now)
    entry = store.load_negative("k")
    assert entry is not None and entry.active(now) and not entry.active(now + 31)
    replay = entry.to_error(now)
    assert (replay.status, replay.error, replay.request_id, replay.code) == (
        401,
        "invalid_client",
        "rid-9",
        "invalid_client",
    )
    assert replay.cached_until == pytest.approx(now + 30)
    assert store.load_negative("other") is None


def test_lock_is_exclusive_reentrant_and_owner_checked(store: TokenStore) -> None:
    assert store.try_lock("k", "a", 30)
    assert not store.try_lock("k", "b", 30)
    assert store.try_lock("k", "a", 30)  # the holder may renew
    store.unlock("k", "b")  # not the owner: no effect
    assert not store.try_lock("k", "b", 30)
    store.unlock("k", "a")
    assert store.try_lock("k", "b", 30)
    assert store.try_lock("other", "a", 30)  # locks are per key


def test_lock_lapses_after_its_ttl(store: TokenStore) -> None:
    assert store.try_lock("k", "crashed-holder", 0.05)
    deadline = time.monotonic() + 5
    while not store.try_lock("k", "next", 30):
        assert time.monotonic() < deadline, "an expired lock was never released"
        time.sleep(0.02)


def test_one_winner_among_racing_threads(store: TokenStore) -> None:
    barrier = threading.Barrier(16)
    wins: list[str] = []

    def contend(i: int) -> None:
        barrier.wait()
        if store.try_lock("race", f"owner-{i}", 30):
            wins.append(f"owner-{i}")

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(wins) == 1


def test_clear_counts_tokens_and_failures(store: TokenStore) -> None:
    now = time.time()
    store.save("k", _token(), now)
    store.save_negative("k", NegativeEntry(until=now + 30, message="m", error="invalid_client"), now)
    store.save("other", _token(3), now)
    assert store.clear("k") == 2
    assert store.load("k") is None and store.load_negative("k") is None
    assert store.load("other") is not None
    assert store.clear("k") == 0


async def test_async_twins(store: TokenStore) -> None:
    now = time.time()
    t = _token(7)
    assert await store.aload("ak") is None
    await store.asave("ak", t, now)
    got = await store.aload("ak")
    assert got is not None and got.access_token == t.access_token and got.source == store.name
    assert await store.atry_lock("ak", "x", 30)
    assert not await store.atry_lock("ak", "y", 30)
    await store.aunlock("ak", "x")
    assert await store.atry_lock("ak", "y", 30)
    await store.asave_negative("ak", NegativeEntry(until=now + 5, message="m"), now)
    assert (await store.aload_negative("ak")) is not None
    assert await store.adelete("ak", "nope") == 0
    assert await store.adelete("ak", t.access_token) == 1
    assert await store.aclear("ak") == 1  # the negative entry


# ---- SQLite ------------------------------------------------------------------------------------
def test_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "dir" / "tokens.sqlite3"
    s = SQLiteTokenStore(path)
    s.save("k", _token(), time.time())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    for extra in ("-wal", "-shm"):
        p = Path(str(path) + extra)
        if p.exists():
            assert stat.S_IMODE(os.stat(p).st_mode) & 0o077 == 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()


def test_sqlite_default_path_is_under_the_user_cache_dir() -> None:
    s = SQLiteTokenStore()
    assert s.path.name == "tokens.sqlite3"
    assert s.path.parent.name == "amzauth"
    assert str(s.path).startswith(os.environ["XDG_CACHE_HOME"])


def test_sqlite_tightens_a_loose_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    s = SQLiteTokenStore(path)
    s.load("k")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    s.close()


def test_two_sqlite_handles_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.sqlite3"
    a, b = SQLiteTokenStore(path), SQLiteTokenStore(path)
    t = _token()
    a.save("k", t, time.time())
    got = b.load("k")
    assert got is not None and got.access_token == t.access_token
    assert a.try_lock("k", "a", 30)
    assert not b.try_lock("k", "b", 30)
    a.close()
    b.close()


# ---- Redis ---------------------------------------------------------------------------------------
@pytest.mark.redis
def test_redis_keys_are_namespaced_and_expire(redis: Any) -> None:
    import redis as redis_py

    if redis.proc is None:
        redis.start()
    ns = f"ns{secrets.token_hex(3)}"
    s = RedisTokenStore(redis.url, namespace=ns, fallback=MemoryTokenStore())
    now = time.time()
    s.save("tok:abc", _token(life=120, now=now), now)
    s.save_negative("tok:abc", NegativeEntry(until=now + 30, message="m"), now)
    s.try_lock("tok:abc", "me", 10)
    raw = redis_py.Redis.from_url(redis.url)
    keys = sorted(k.decode() for k in raw.keys(f"{ns}:*"))
    assert keys == [f"{ns}:lock:tok:abc", f"{ns}:neg:tok:abc", f"{ns}:tok:tok:abc"]
    assert 0 < raw.pttl(f"{ns}:tok:tok:abc") <= 120_000
    assert 0 < raw.pttl(f"{ns}:neg:tok:abc") <= 30_000
    assert 0 < raw.pttl(f"{ns}:lock:tok:abc") <= 10_000
    assert not raw.keys("*client_secret*")
    s.close()
    raw.close()


def test_redis_down_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    fallback = MemoryTokenStore()
    s = RedisTokenStore(f"redis://127.0.0.1:{free_port()}/0", fallback=fallback, socket_timeout=0.2)
    caplog.set_level(logging.WARNING, logger="amzauth")
    t = _token()
    s.save("k", t, time.time())
    got = s.load("k")
    assert got is not None and got.access_token == t.access_token and got.source == "memory"
    assert s.try_lock("k", "a", 30)
    assert not s.available
    s._down_until = 0.0  # the retry interval has passed: Redis is probed again, still down
    assert s.load("k") is not None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "redis" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].name.startswith("amzauth")


def test_the_default_cache_dir_is_made_private() -> None:
    from amzauth.engine.stores import default_cache_dir

    d = default_cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)  # created earlier by something else, world-readable
    s = SQLiteTokenStore()
    s.load("k")
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    s.close()
