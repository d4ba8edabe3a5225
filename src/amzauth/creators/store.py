"""Where results, single-flight locks and limiter state live: memory, SQLite (default) or Redis.

One small protocol, three backends. SQLite is a private file beside the token cache
(``<user cache dir>/creators.sqlite3``: directory 0700, file 0600, WAL so readers never wait), which
every process of the user shares; Redis does the same for a fleet of hosts and falls back to the
SQLite file while it is unreachable, so Redis is never an outage. Entries keep their data past
their freshness (``stale_until``) so a throttled or failing Amazon can be answered from a stale
copy. The limiter's read-modify-write runs inside one SQLite ``BEGIN IMMEDIATE`` transaction or one
Redis script; the decision itself is :func:`amzauth.creators.limiter.acquire`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol, runtime_checkable

from amzauth.creators.limiter import Decision, LimitSpec, acquire, penalize, utc_day
from amzauth.engine.redis_store import UNLOCK_SCRIPT, RedisBase
from amzauth.engine.stores import MemoryLocks, SQLiteFile, shared_instance

log = logging.getLogger("amzauth.creators")

SQLITE_FILENAME: Final = "creators.sqlite3"
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"
# Limiter keys under this prefix (a site's visitors) are forgotten once their bucket is full again:
# a full bucket is the state of a key never seen, and there may be millions of them.
EPHEMERAL_PREFIX: Final = "ephemeral:"
_EPHEMERAL_MAX: Final = 10_000  # memory store: sweep full ephemeral buckets past this many keys
EntryState = Literal["fresh", "stale", "dead"]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A cached answer (JSON text of our typed result) and the two instants that age it."""

    data: str
    created: float
    fresh_until: float
    stale_until: float


def entry_state(
    entry: CacheEntry | None, now: float, ttl: float | None = None, stale_ttl: float | None = None
) -> EntryState:
    """fresh: serve it; stale: serve it only if Amazon fails; dead: forget it. Pure.

    With ``ttl``/``stale_ttl`` the *reader's* freshness applies (counted from ``created``), so a
    caller that tolerates older data shares entries with one that does not; the entry's own
    ``stale_until`` still bounds how long it lives at all.
    """
    if entry is None:
        return "dead"
    fresh_until = entry.fresh_until if ttl is None else entry.created + ttl
    stale_until = entry.stale_until
    if stale_ttl is not None:
        stale_until = min(stale_until, fresh_until + stale_ttl)
    if now < fresh_until and now < entry.stale_until:
        return "fresh"
    return "stale" if now < stale_until else "dead"


@runtime_checkable
class ResultStore(Protocol):
    """What the client needs from a shared store (sync; async clients call it from a worker thread)."""

    name: str

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]: ...
    def put_many(self, entries: Sequence[tuple[str, CacheEntry]]) -> None: ...
    def delete(self, keys: Sequence[str]) -> int: ...
    def clear(self) -> int: ...
    def try_lock(self, key: str, owner: str, ttl: float) -> bool: ...
    def unlock(self, key: str, owner: str) -> None: ...
    def acquire(self, key: str, spec: LimitSpec, now: float) -> Decision: ...
    def penalize(self, key: str, delay: float, now: float) -> None: ...
    def close(self) -> None: ...


class MemoryFront:
    """A bounded LRU of parsed results in front of the shared store: a hit is a dict lookup."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[str, tuple[float, float, Any]] = OrderedDict()
        self._mu = threading.Lock()

    def get(self, key: str) -> tuple[float, float, Any] | None:
        hit = self._data.get(key)
        if hit is not None:
            # No lock: OrderedDict's C methods are atomic under the GIL; a key dropped meanwhile is harmless.
            try:  # noqa: SIM105  (suppress() costs a third of a hit)
                self._data.move_to_end(key)
            except KeyError:
                pass
        return hit

    def put(self, key: str, fresh_until: float, stale_until: float, value: Any) -> None:
        if self.maxsize <= 0:
            return
        with self._mu:
            self._data[key] = (fresh_until, stale_until, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def discard(self, keys: Iterable[str]) -> None:
        with self._mu:
            for k in keys:
                self._data.pop(k, None)

    def clear(self) -> None:
        with self._mu:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


# -- memory ---------------------------------------------------------------------------------------
class MemoryResultStore(MemoryLocks):
    """Process-local store (``store = "memory"``): no sharing between processes."""

    name = "memory"

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._results: dict[str, CacheEntry] = {}
        self._locks: dict[str, tuple[str, float]] = {}
        self._limits: dict[str, tuple[float, str, int]] = {}

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        return {k: e for k in keys if (e := self._results.get(k)) is not None}

    def put_many(self, entries: Sequence[tuple[str, CacheEntry]]) -> None:
        with self._mu:
            self._results.update(entries)

    def delete(self, keys: Sequence[str]) -> int:
        with self._mu:
            return sum(self._results.pop(k, None) is not None for k in keys)

    def clear(self) -> int:
        with self._mu:
            n = len(self._results)
            self._results.clear()
            return n

    def acquire(self, key: str, spec: LimitSpec, now: float) -> Decision:
        with self._mu:
            tat, day, count = self._limits.get(key, (0.0, utc_day(now), 0))
            answer, tat, day, count = acquire(tat, day, count, now, spec)
            self._limits[key] = (tat, day, count)
            if len(self._limits) > _EPHEMERAL_MAX and key.startswith(EPHEMERAL_PREFIX):
                for k in [
                    k for k, v in self._limits.items() if k.startswith(EPHEMERAL_PREFIX) and v[0] < now
                ]:
                    del self._limits[k]
            return answer

    def penalize(self, key: str, delay: float, now: float) -> None:
        with self._mu:
            tat, day, count = self._limits.get(key, (0.0, utc_day(now), 0))
            self._limits[key] = (penalize(tat, now, delay), day, count)

    def close(self) -> None:
        pass


# -- SQLite ---------------------------------------------------------------------------------------
_HOUSEKEEP_EVERY: Final = 300.0  # seconds between sweeps of dead entries


def default_sqlite_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<user cache dir>/creators.sqlite3`` (or under the profile's ``cache_dir``)."""
    if cache_dir:
        return Path(cache_dir).expanduser() / SQLITE_FILENAME
    from amzauth.engine.stores import default_cache_dir

    return default_cache_dir() / SQLITE_FILENAME


# limiter.acquire's granted branch as one UPDATE: taken only when the request conforms
# ((tat - tolerance) - now <= 0, the same float test) and the day's quota has room; RETURNING gives
# the new count. SET expressions read the row as it was (old day, old count).
_TAKE_SLOT: Final = (
    "UPDATE limiter SET tat = max(tat, :now) + :interval, "
    "count = CASE WHEN day = :today THEN count + 1 ELSE 1 END, day = :today "
    "WHERE key = :key AND (tat - :tolerance) - :now <= 0 "
    "AND (:daily IS NULL OR CASE WHEN day = :today THEN count ELSE 0 END < :daily) RETURNING count"
)


class SQLiteResultStore(SQLiteFile):
    """The default store: a private SQLite file shared by every process of the user."""

    name = "sqlite"
    SCHEMA = """
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, data TEXT NOT NULL, created REAL NOT NULL,
                                    fresh_until REAL NOT NULL, stale_until REAL NOT NULL);
CREATE INDEX IF NOT EXISTS results_stale ON results (stale_until);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS limiter (key TEXT PRIMARY KEY, tat REAL NOT NULL, day TEXT NOT NULL,
                                    count INTEGER NOT NULL);
"""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, busy_timeout: float = 30.0) -> None:
        super().__init__(
            Path(path).expanduser() if path is not None else default_sqlite_path(), busy_timeout=busy_timeout
        )
        self._swept = 0.0
        self._swept_limiter = 0.0

    def _sweep_ephemeral(self, db: sqlite3.Connection, now: float) -> None:
        """Forget ephemeral limiter rows whose bucket is full again (they hold no state)."""
        self._swept_limiter = now
        db.execute(
            "DELETE FROM limiter WHERE key >= ? AND key < ? AND tat < ?",
            (EPHEMERAL_PREFIX, "ephemeral;", now),
        )

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        if not keys:
            return {}
        out: dict[str, CacheEntry] = {}
        with self._mu:
            db = self._db()
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                if len(part) == 1:
                    rows = db.execute(
                        "SELECT key, data, created, fresh_until, stale_until FROM results WHERE key = ?", part
                    ).fetchall()
                else:
                    marks = ",".join("?" * len(part))
                    rows = db.execute(
                        "SELECT key, data, created, fresh_until, stale_until FROM results "
                        f"WHERE key IN ({marks})",
                        part,
                    ).fetchall()
                for k, data, created, fresh, stale in rows:
                    out[k] = CacheEntry(data, created, fresh, stale)
        return out

    def put_many(self, entries: Sequence[tuple[str, CacheEntry]]) -> None:
        if not entries:
            return
        now = time.time()

        def steps(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT OR REPLACE INTO results (key, data, created, fresh_until, stale_until) "
                "VALUES (?, ?, ?, ?, ?)",
                [(k, e.data, e.created, e.fresh_until, e.stale_until) for k, e in entries],
            )
            if now - self._swept > _HOUSEKEEP_EVERY:
                self._swept = now
                db.execute("DELETE FROM results WHERE stale_until < ?", (now,))
                db.execute("DELETE FROM locks WHERE until < ?", (now - 60,))
                self._sweep_ephemeral(db, now)

        self._write(steps)

    def delete(self, keys: Sequence[str]) -> int:
        def steps(db: sqlite3.Connection) -> int:
            return sum(db.execute("DELETE FROM results WHERE key = ?", (k,)).rowcount for k in keys)

        return self._write(steps)

    def clear(self) -> int:
        return self._write(lambda db: db.execute("DELETE FROM results").rowcount)

    def acquire(self, key: str, spec: LimitSpec, now: float) -> Decision:
        # The common case, a conforming request, in one statement (its own transaction): the same
        # decision as limiter.acquire, written as its WHERE clause. Anything else (a wait, the daily
        # quota, a first request) takes the transaction below, which re-reads and decides.
        today = utc_day(now)
        with self._mu:
            rows = (
                self._db()
                .execute(
                    _TAKE_SLOT,
                    {
                        "key": key,
                        "now": now,
                        "today": today,
                        "interval": spec.interval,
                        "tolerance": spec.tolerance,
                        "daily": spec.daily,
                    },
                )
                .fetchall()  # stepped to the end: the statement (and its write lock) is over
            )
        if rows:
            return Decision(used_today=rows[0][0])

        def steps(db: sqlite3.Connection) -> Decision:
            row = db.execute("SELECT tat, day, count FROM limiter WHERE key = ?", (key,)).fetchone()
            tat, day, count = row if row is not None else (0.0, utc_day(now), 0)
            answer, tat2, day2, count2 = acquire(tat, day, count, now, spec)
            if answer.granted:
                db.execute(
                    "INSERT OR REPLACE INTO limiter (key, tat, day, count) VALUES (?, ?, ?, ?)",
                    (key, tat2, day2, count2),
                )
                if key.startswith(EPHEMERAL_PREFIX) and now - self._swept_limiter > _HOUSEKEEP_EVERY:
                    self._sweep_ephemeral(db, now)
            return answer

        return self._write(steps)

    def penalize(self, key: str, delay: float, now: float) -> None:
        def steps(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT tat, day, count FROM limiter WHERE key = ?", (key,)).fetchone()
            tat, day, count = row if row is not None else (0.0, utc_day(now), 0)
            db.execute(
                "INSERT OR REPLACE INTO limiter (key, tat, day, count) VALUES (?, ?, ?, ?)",
                (key, penalize(tat, now, delay), day, count),
            )

        self._write(steps)


_SQLITE: dict[str, SQLiteResultStore] = {}


def shared_sqlite_store(path: str | os.PathLike[str] | None = None) -> SQLiteResultStore:
    """One SQLiteResultStore (one connection) per file and process."""
    p = str(Path(path).expanduser()) if path is not None else str(default_sqlite_path())
    return shared_instance(_SQLITE, p, lambda: SQLiteResultStore(p))


# -- Redis ------------------------------------------------------------------------------------------
# The limiter in one script, with Redis's clock so every host of a fleet agrees on "now".
# Same decision as limiter.acquire (tests check the two agree); the day is the UTC day number.
_ACQUIRE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local day = tostring(math.floor(tonumber(t[1]) / 86400))
local st = redis.call('HMGET', KEYS[1], 'tat', 'day', 'count')
local tat = tonumber(st[1]) or 0
local count = tonumber(st[3]) or 0
if st[2] ~= day then count = 0 end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local daily = tonumber(ARGV[3])
if daily >= 0 and count >= daily then return {'daily', '0', tostring(count)} end
local wait = (tat - tolerance) - now
if wait > 0 then return {'', string.format('%.6f', wait), tostring(count)} end
local new_tat = math.max(tat, now) + interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.6f', new_tat), 'day', day, 'count', count + 1)
redis.call('PEXPIRE', KEYS[1], 172800000)
return {'', '0', tostring(count + 1)}
"""
_PENALIZE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat')) or 0
local until_ = now + tonumber(ARGV[1])
if until_ > tat then redis.call('HSET', KEYS[1], 'tat', string.format('%.6f', until_)) end
redis.call('PEXPIRE', KEYS[1], 172800000)
return 1
"""


class RedisResultStore(RedisBase[ResultStore]):
    """Results, locks and limiter state in Redis for a fleet; the SQLite file while Redis is down."""

    _log = log
    _key_prefix = "cr:"
    _fallback_use = "using"

    def __init__(
        self,
        url: str = DEFAULT_REDIS_URL,
        namespace: str = "amzauth",
        *,
        fallback: ResultStore | None = None,
        socket_timeout: float = 0.5,
        retry_interval: float = 5.0,
    ) -> None:
        super().__init__(
            url, namespace, fallback=fallback, socket_timeout=socket_timeout, retry_interval=retry_interval
        )
        self._acquire = self._client.register_script(_ACQUIRE)
        self._penalize = self._client.register_script(_PENALIZE)
        self._unlock = self._client.register_script(UNLOCK_SCRIPT)

    @property
    def fallback(self) -> ResultStore:
        if self._fallback is None:
            self._fallback = shared_sqlite_store()
        return self._fallback

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        if not keys:
            return {}

        def op() -> dict[str, CacheEntry]:
            raws = self._client.mget([self._k("res", k) for k in keys])
            out: dict[str, CacheEntry] = {}
            for k, raw in zip(keys, raws, strict=True):
                if raw:
                    head, _, data = raw.decode("utf-8").partition("\n")
                    created, fresh, stale = (float(x) for x in head.split(" "))
                    out[k] = CacheEntry(data, created, fresh, stale)
            return out

        result: dict[str, CacheEntry] = self._run(op, lambda fb: fb.get_many(keys))
        return result

    def put_many(self, entries: Sequence[tuple[str, CacheEntry]]) -> None:
        now = time.time()

        def op() -> None:
            pipe = self._client.pipeline(transaction=False)
            for k, e in entries:
                ttl_ms = int((e.stale_until - now) * 1000)
                if ttl_ms > 0:
                    head = f"{e.created:.6f} {e.fresh_until:.6f} {e.stale_until:.6f}"
                    pipe.set(self._k("res", k), f"{head}\n{e.data}", px=ttl_ms)
            pipe.execute()

        self._run(op, lambda fb: fb.put_many(entries))

    def delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        n: int = self._run(
            lambda: int(self._client.delete(*[self._k("res", k) for k in keys])), lambda fb: fb.delete(keys)
        )
        return n

    def clear(self) -> int:
        def op() -> int:
            n = 0
            for batch in _batched(self._client.scan_iter(match=self._k("res", "*"), count=500), 500):
                n += int(self._client.delete(*batch))
            return n

        n: int = self._run(op, lambda fb: fb.clear())
        return n

    def try_lock(self, key: str, owner: str, ttl: float) -> bool:
        got: bool = self._run(
            lambda: (
                bool(self._client.set(self._k("lock", key), owner, nx=True, px=max(1, int(ttl * 1000))))
                or self._client.get(self._k("lock", key)) == owner.encode()
            ),
            lambda fb: fb.try_lock(key, owner, ttl),
        )
        return got

    def unlock(self, key: str, owner: str) -> None:
        self._run(
            lambda: self._unlock(keys=[self._k("lock", key)], args=[owner]), lambda fb: fb.unlock(key, owner)
        )

    def acquire(self, key: str, spec: LimitSpec, now: float) -> Decision:
        def op() -> Decision:
            refused, wait, count = self._acquire(
                keys=[self._k("rl", key)],
                args=[
                    repr(spec.interval),
                    repr(spec.tolerance),
                    spec.daily if spec.daily is not None else -1,
                ],
            )
            flag = refused.decode() if isinstance(refused, bytes) else str(refused)
            return Decision(
                wait=float(wait), refused="daily" if flag == "daily" else None, used_today=int(count)
            )

        r: Decision = self._run(op, lambda fb: fb.acquire(key, spec, now))
        return r

    def penalize(self, key: str, delay: float, now: float) -> None:
        self._run(
            lambda: self._penalize(keys=[self._k("rl", key)], args=[repr(max(0.0, delay))]),
            lambda fb: fb.penalize(key, delay, now),
        )


def _batched(it: Iterable[Any], n: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for x in it:
        batch.append(x)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def store_for(kind: str | None, *, cache_dir: str | None = None, redis_url: str | None = None) -> ResultStore:
    """The store a profile asks for: ``store`` = sqlite (default) | redis | memory."""
    kind = kind or "sqlite"
    sqlite_path = default_sqlite_path(cache_dir) if cache_dir else None
    if kind == "memory":
        return MemoryResultStore()
    if kind == "sqlite":
        return shared_sqlite_store(sqlite_path)
    if kind == "redis":
        return RedisResultStore(redis_url or DEFAULT_REDIS_URL, fallback=shared_sqlite_store(sqlite_path))
    raise ValueError(f"unknown store {kind!r} (use sqlite, redis or memory)")


# Old names, kept importable: amzauth.engine had token stores of the same names.
MemoryStore = MemoryResultStore
SQLiteStore = SQLiteResultStore
RedisStore = RedisResultStore
