"""The usage record: what each credential spent, shared by every process that uses the credential.

One small record per credential, keyed by a fingerprint of (client id, Amazon API base URL,
sandbox) — never a secret — and kept in the same kind of store as the Creators limiter (a SQLite
file beside the token cache by default, Redis for a fleet), so all processes add to the same
figures. Counters are named ``metric`` strings:

- ``req:<operation>:<status>`` — one per answer from Amazon (``network`` when none came back);
- ``retry:<operation>`` — a retry was scheduled;
- ``hit:<kind>`` / ``miss:<kind>`` / ``stale:<kind>`` — cache outcomes (search, items, variations,
  browse, site);
- ``token:ok`` / ``token:<code>`` — a token request ended; ``err:<code>`` — failures by the code the
  doctor's catalogue explains.

They are kept per minute for 24 hours and per day for 30 days (older rows are pruned, so the record
stays bounded), with the credential's limits (daily quota, rate, burst) and its last 429 beside
them. Writing never touches the store on the request path: events are summed in memory and flushed
by a background thread every second, on ``flush()`` (clients call it on close) and at exit. An event
lands in the minute of its flush, so a figure may sit one second late across a minute boundary.
Set ``AMZAUTH_USAGE=off`` to record nothing.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol, runtime_checkable

from amzauth.config.redact import fingerprint
from amzauth.engine.stores import SQLiteFile, default_cache_dir, shared_instance

if TYPE_CHECKING:
    from amzauth.config.profiles import Profile
    from amzauth.core.plan import Plan

log = logging.getLogger("amzauth.usage")

SQLITE_FILENAME: Final = "usage.sqlite3"
MINUTE: Final = 60
DAY: Final = 86400
KEEP_MINUTES: Final = 24 * 3600  # per-minute rows kept this long
KEEP_DAYS: Final = 30  # per-day rows kept for this many days (today included)
FLUSH_EVERY: Final = 1.0  # seconds between background flushes
PRUNE_EVERY: Final = 60.0  # seconds between prunes of old rows (per process and store)
KINDS: Final[Mapping[str, str]] = {
    "searchItems": "search",
    "getItems": "items",
    "getVariations": "variations",
    "getBrowseNodes": "browse",
}
_CACHE_EVENTS: Final[Mapping[str, str]] = {
    "memory_hits": "hit",
    "store_hits": "hit",
    "misses": "miss",
    "stale_served": "stale",
}


def usage_key(plan: Plan) -> str:
    """The credential's fingerprint: the key of its record (the Creators limiter uses the same one)."""
    return fingerprint("\x1f".join((plan.client_id, plan.amazon_api_base_url, plan.sandbox or "")))


def enabled() -> bool:
    """False when ``AMZAUTH_USAGE`` says off (0, off, false, no)."""
    return os.environ.get("AMZAUTH_USAGE", "").strip().lower() not in ("0", "off", "false", "no")


def minute_of(t: float) -> int:
    return int(t // MINUTE) * MINUTE


def day_of(t: float) -> int:
    return int(t // DAY) * DAY


Row = tuple[str, str, int]  # (credential, metric, count)


@dataclass
class Readout:
    """What a store holds for one credential: ``{bucket start: {metric: n}}`` per minute and per day."""

    minutes: dict[int, dict[str, int]] = field(default_factory=dict)
    days: dict[int, dict[str, int]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def merge_meta(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Later facts win, except the last 429, which only moves forward. Pure."""
    out = dict(old)
    for k, v in new.items():
        if k == "last_429" and out.get("last_429") is not None and v is not None and v < out["last_429"]:
            continue
        if k == "last_429_retry_after" and "last_429" in new and new["last_429"] != out.get("last_429"):
            continue
        out[k] = v
    return out


# -- stores ---------------------------------------------------------------------------------------------
@runtime_checkable
class UsageStore(Protocol):
    """Where the record lives. ``add`` sums counts into the minute and day of ``now``."""

    name: str

    def add(self, rows: Sequence[Row], meta: Mapping[str, Mapping[str, Any]], now: float) -> None: ...
    def read(self, cred: str, now: float) -> Readout: ...
    def close(self) -> None: ...


class MemoryUsageStore:
    """Process-local record (for the memory store kind and tests)."""

    name = "memory"
    _shared: ClassVar[MemoryUsageStore | None] = None

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._data: dict[str, Readout] = {}

    @classmethod
    def shared(cls) -> MemoryUsageStore:
        return shared_instance(_MEMORY, "memory", cls)

    def add(self, rows: Sequence[Row], meta: Mapping[str, Mapping[str, Any]], now: float) -> None:
        m, d = minute_of(now), day_of(now)
        with self._mu:
            for cred, metric, n in rows:
                r = self._data.setdefault(cred, Readout())
                for buckets, b in ((r.minutes, m), (r.days, d)):
                    slot = buckets.setdefault(b, {})
                    slot[metric] = slot.get(metric, 0) + n
            for cred, fields in meta.items():
                r = self._data.setdefault(cred, Readout())
                r.meta = merge_meta(r.meta, fields)
            for r in self._data.values():
                _prune(r.minutes, now - KEEP_MINUTES)
                _prune(r.days, day_of(now) - (KEEP_DAYS - 1) * DAY)

    def read(self, cred: str, now: float) -> Readout:
        with self._mu:
            r = self._data.get(cred, Readout())
            return Readout(
                {b: dict(v) for b, v in r.minutes.items()},
                {b: dict(v) for b, v in r.days.items()},
                dict(r.meta),
            )

    def close(self) -> None:
        pass


_MEMORY: dict[str, MemoryUsageStore] = {}


def _prune(buckets: dict[int, dict[str, int]], before: float) -> None:
    for b in [b for b in buckets if b < before]:
        del buckets[b]


class SQLiteUsageStore(SQLiteFile):
    """The record in a private SQLite file beside the token cache, shared by the user's processes."""

    name = "sqlite"
    SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (cred TEXT NOT NULL, gran INTEGER NOT NULL, bucket INTEGER NOT NULL,
                                  metric TEXT NOT NULL, n INTEGER NOT NULL,
                                  PRIMARY KEY (cred, gran, bucket, metric)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_meta (cred TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until REAL NOT NULL);
"""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        super().__init__(Path(path).expanduser(), busy_timeout=busy_timeout)
        self._pruned = 0.0

    def add(self, rows: Sequence[Row], meta: Mapping[str, Mapping[str, Any]], now: float) -> None:
        m, d = minute_of(now), day_of(now)
        values = [(c, MINUTE, m, k, n) for c, k, n in rows] + [(c, DAY, d, k, n) for c, k, n in rows]
        prune = now - self._pruned > PRUNE_EVERY

        def steps(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO usage (cred, gran, bucket, metric, n) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(cred, gran, bucket, metric) DO UPDATE SET n = n + excluded.n",
                values,
            )
            for cred, fields in meta.items():
                row = db.execute("SELECT data FROM usage_meta WHERE cred = ?", (cred,)).fetchone()
                merged = merge_meta(json.loads(row[0]) if row else {}, fields)
                db.execute(
                    "INSERT OR REPLACE INTO usage_meta (cred, data) VALUES (?, ?)", (cred, json.dumps(merged))
                )
            if prune:
                db.execute("DELETE FROM usage WHERE gran = ? AND bucket < ?", (MINUTE, now - KEEP_MINUTES))
                db.execute(
                    "DELETE FROM usage WHERE gran = ? AND bucket < ?", (DAY, d - (KEEP_DAYS - 1) * DAY)
                )

        self._write(steps)
        if prune:
            self._pruned = now

    def read(self, cred: str, now: float) -> Readout:
        out = Readout()
        with self._mu:
            db = self._db()
            rows = db.execute(
                "SELECT gran, bucket, metric, n FROM usage WHERE cred = ? AND "
                "((gran = ? AND bucket >= ?) OR (gran = ? AND bucket >= ?))",
                (cred, MINUTE, now - KEEP_MINUTES, DAY, day_of(now) - (KEEP_DAYS - 1) * DAY),
            ).fetchall()
            meta = db.execute("SELECT data FROM usage_meta WHERE cred = ?", (cred,)).fetchone()
        for gran, bucket, metric, n in rows:
            target = out.minutes if gran == MINUTE else out.days
            target.setdefault(int(bucket), {})[metric] = int(n)
        out.meta = json.loads(meta[0]) if meta else {}
        return out


_SQLITE: dict[str, SQLiteUsageStore] = {}


def shared_sqlite_usage(path: str | os.PathLike[str] | None = None) -> SQLiteUsageStore:
    """One SQLiteUsageStore per file and process (``<cache dir>/usage.sqlite3`` by default)."""
    p = str(Path(path).expanduser()) if path is not None else str(default_cache_dir() / SQLITE_FILENAME)
    return shared_instance(_SQLITE, p, lambda: SQLiteUsageStore(p))


def _redis_usage(url: str, namespace: str, fallback: UsageStore | None) -> UsageStore:
    from amzauth.engine.redis_store import RedisBase

    class RedisUsageStore(RedisBase[UsageStore]):
        """The record in Redis hashes with TTLs (one per credential and bucket); SQLite while it is down."""

        _log = log
        _key_prefix = "usage:"
        _fallback_use = "recording usage in"

        @property
        def fallback(self) -> UsageStore:
            if self._fallback is None:
                self._fallback = shared_sqlite_usage()
            return self._fallback

        def add(self, rows: Sequence[Row], meta: Mapping[str, Mapping[str, Any]], now: float) -> None:
            m, d = minute_of(now), day_of(now)

            def op() -> None:
                pipe = self._client.pipeline(transaction=False)
                creds = {c for c, _, _ in rows}
                for cred, metric, n in rows:
                    pipe.hincrby(self._k("m", f"{cred}:{m}"), metric, n)
                    pipe.hincrby(self._k("d", f"{cred}:{d}"), metric, n)
                for cred in creds:
                    pipe.expire(self._k("m", f"{cred}:{m}"), KEEP_MINUTES + 2 * MINUTE)
                    pipe.expire(self._k("d", f"{cred}:{d}"), KEEP_DAYS * DAY + DAY)
                pipe.execute()
                for cred, fields in meta.items():  # rare: limits once per client, a 429 now and then
                    key = self._k("meta", cred)
                    raw = self._client.get(key)
                    merged = merge_meta(json.loads(raw) if raw else {}, fields)
                    self._client.set(key, json.dumps(merged), ex=KEEP_DAYS * DAY)

            self._run(op, lambda fb: fb.add(rows, meta, now))

        def read(self, cred: str, now: float) -> Readout:
            def op() -> Readout:
                first_m = minute_of(now - KEEP_MINUTES) + MINUTE
                mins = list(range(first_m, minute_of(now) + MINUTE, MINUTE))
                days = [day_of(now) - i * DAY for i in range(KEEP_DAYS - 1, -1, -1)]
                pipe = self._client.pipeline(transaction=False)
                for b in mins:
                    pipe.hgetall(self._k("m", f"{cred}:{b}"))
                for b in days:
                    pipe.hgetall(self._k("d", f"{cred}:{b}"))
                pipe.get(self._k("meta", cred))
                answers = pipe.execute()
                out = Readout()
                for b, h in zip(mins, answers[: len(mins)], strict=True):
                    if h:
                        out.minutes[b] = {k.decode(): int(v) for k, v in h.items()}
                for b, h in zip(days, answers[len(mins) : -1], strict=True):
                    if h:
                        out.days[b] = {k.decode(): int(v) for k, v in h.items()}
                out.meta = json.loads(answers[-1]) if answers[-1] else {}
                return out

            r: Readout = self._run(op, lambda fb: fb.read(cred, now))
            return r

    return RedisUsageStore(url, namespace, fallback=fallback)


def usage_store_for(
    kind: str | None,
    *,
    cache_dir: str | None = None,
    redis_url: str | None = None,
    namespace: str = "amzauth",
) -> UsageStore:
    """The record's store for a profile's ``store`` (sqlite, redis or memory), like the limiter's."""
    kind = kind or "sqlite"
    sqlite_path = Path(cache_dir).expanduser() / SQLITE_FILENAME if cache_dir else None
    if kind == "memory":
        return MemoryUsageStore.shared()
    if kind == "sqlite":
        return shared_sqlite_usage(sqlite_path)
    if kind == "redis":
        url = redis_url or "redis://127.0.0.1:6379/0"
        return shared_instance(
            _REDIS,
            f"{url}\x1f{namespace}",
            lambda: _redis_usage(url, namespace, shared_sqlite_usage(sqlite_path)),
        )
    raise ValueError(f"unknown store {kind!r} (use sqlite, redis or memory)")


_REDIS: dict[str, UsageStore] = {}


def usage_store_beside(store: object) -> UsageStore:
    """The record's store next to a token or result store: same Redis, same directory, or memory."""
    url, namespace = getattr(store, "url", None), getattr(store, "namespace", None)
    if isinstance(url, str) and isinstance(namespace, str):
        fb = getattr(store, "fallback", None)
        fb_path = getattr(fb, "path", None)
        fallback = shared_sqlite_usage(Path(fb_path).parent / SQLITE_FILENAME) if fb_path else None
        return shared_instance(
            _REDIS, f"{url}\x1f{namespace}", lambda: _redis_usage(url, namespace, fallback)
        )
    path = getattr(store, "path", None)
    if isinstance(path, Path | str):
        return shared_sqlite_usage(Path(path).parent / SQLITE_FILENAME)
    return MemoryUsageStore.shared()


def usage_store_for_profile(profile: Profile) -> UsageStore:
    return usage_store_for(
        profile.get("store"), cache_dir=profile.get("cache_dir"), redis_url=profile.get("redis_url")
    )


# -- the in-memory batch ------------------------------------------------------------------------------
class Recorder:
    """Collects events in memory and flushes their sums to one store: every second, on flush() and at
    exit.

    Each thread counts into its own dict (running totals, written only by that thread), so an event
    is a dict update with no lock and no contention. The flusher copies each dict (one C call, so a
    consistent snapshot under the GIL) and writes the difference from the last snapshot; a thread's
    dict is dropped once the thread has ended and its last totals are written.
    """

    def __init__(self, store: UsageStore) -> None:
        self.store = store
        self._mu = threading.Lock()  # guards the list of dicts, the meta and the flusher's start
        self._flush_mu = threading.Lock()
        self._local = threading.local()
        self._counts: list[tuple[threading.Thread, dict[tuple[str, str], int]]] = []
        self._written: dict[int, dict[tuple[str, str], int]] = {}  # id(dict) -> totals already written
        self._carry: dict[tuple[str, str], int] = {}  # counts a failed write keeps for the next one
        self._meta: dict[str, dict[str, Any]] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._failing = False

    def mine(self) -> dict[tuple[str, str], int]:
        """This thread's running totals (made and registered on its first event)."""
        try:
            d: dict[tuple[str, str], int] = self._local.d
            return d
        except AttributeError:
            d = self._local.d = {}
            with self._mu:
                self._counts.append((threading.current_thread(), d))
            self._start()
            return d

    def add(self, cred: str, metric: str, n: int = 1) -> None:
        self.bump((cred, metric), n)

    def bump(self, key: tuple[str, str], n: int = 1) -> None:
        """Count ``n`` more of the ``(credential, metric)`` key: the request path's only cost."""
        try:
            d = self._local.d
        except AttributeError:
            d = self.mine()
        d[key] = d.get(key, 0) + n

    def note(self, cred: str, fields: Mapping[str, Any]) -> None:
        with self._mu:
            self._meta[cred] = merge_meta(self._meta.get(cred, {}), fields)
        self._start()

    def _start(self) -> None:
        with self._mu:
            if self._thread is not None:
                return
            t = threading.Thread(target=self._loop, name="amzauth-usage", daemon=True)
            self._thread = t
        t.start()

    def _loop(self) -> None:
        while not self._stop.wait(FLUSH_EVERY):
            self.flush()

    def _collect(self) -> dict[tuple[str, str], int]:
        sums, self._carry = self._carry, {}
        with self._mu:
            entries = list(self._counts)
        ended = []
        for thread, d in entries:
            alive = thread.is_alive()  # asked before the copy: an ended thread's copy is final
            snap = d.copy()
            done = self._written.get(id(d), {})
            for k, v in snap.items():
                delta = v - done.get(k, 0)
                if delta:
                    sums[k] = sums.get(k, 0) + delta
            self._written[id(d)] = snap
            if not alive:
                ended.append(d)
        if ended:
            with self._mu:
                self._counts = [(t, d) for t, d in self._counts if not any(d is e for e in ended)]
            for d in ended:
                self._written.pop(id(d), None)
        return sums

    def flush(self, now: float | None = None) -> int:
        """Write what is pending; returns the number of events written (0 when the store failed)."""
        with self._flush_mu:
            pending = self._collect()
            with self._mu:
                meta, self._meta = self._meta, {}
            if not pending and not meta:
                return 0
            rows = [(c, m, n) for (c, m), n in pending.items()]
            try:
                self.store.add(rows, meta, time.time() if now is None else now)
            except Exception as exc:  # a broken store must not break a caller; keep the counts for later
                if not self._failing:  # one warning per outage, not one a second
                    log.warning("usage record: %s store failed (%s); will retry", self.store.name, exc)
                self._failing = True
                self._carry = pending
                with self._mu:
                    for c, f in meta.items():
                        self._meta[c] = merge_meta(f, self._meta.get(c, {}))
                return 0
            self._failing = False
            return sum(pending.values())

    def _forget(self) -> None:
        """In a forked child: the parent's pending events are the parent's to write."""
        self._mu = threading.Lock()
        self._flush_mu = threading.Lock()
        self._local = threading.local()
        self._counts, self._written, self._carry, self._meta, self._thread = [], {}, {}, {}, None
        self._stop = threading.Event()


_RECORDERS: dict[int, Recorder] = {}
_REC_MU = threading.Lock()


def recorder_for(store: UsageStore) -> Recorder:
    """The one Recorder of this process for ``store``."""
    with _REC_MU:
        rec = _RECORDERS.get(id(store))
        if rec is None or rec.store is not store:
            rec = _RECORDERS[id(store)] = Recorder(store)
            _register_exit_flush()
        return rec


def flush_all() -> int:
    """Write every pending event of this process (called at exit; clients call it on close)."""
    with _REC_MU:
        recs = list(_RECORDERS.values())
    return sum(r.flush() for r in recs)


_EXIT_REGISTERED: list[bool] = []


def _register_exit_flush() -> None:
    if _EXIT_REGISTERED:
        return
    _EXIT_REGISTERED.append(True)
    atexit.register(flush_all)
    mp = sys.modules.get("multiprocessing.util")
    if mp is not None:  # multiprocessing children skip atexit but run these finalizers
        mp.Finalize(None, flush_all, exitpriority=100)


def _after_fork() -> None:
    for r in _RECORDERS.values():
        r._forget()


os.register_at_fork(after_in_child=_after_fork)


# -- what the clients and the token engine hold ---------------------------------------------------------
class Tally:
    """One credential's handle on a Recorder: the hook the Creators client and token engine call."""

    __slots__ = ("_hit_keys", "_keys", "cred", "recorder")

    def __init__(self, recorder: Recorder | None, cred: str) -> None:
        self.recorder = recorder
        self.cred = cred
        self._keys: dict[tuple[str, str], tuple[str, str] | None] = {}  # (event, op) -> pending key
        self._hit_keys: dict[str, tuple[str, str] | None] = {}  # op -> the memory-hit key

    @property
    def on(self) -> bool:
        return self.recorder is not None

    def add(self, metric: str, n: int = 1) -> None:
        if self.recorder is not None:
            self.recorder.add(self.cred, metric, n)

    def note(self, **fields: Any) -> None:
        if self.recorder is not None:
            self.recorder.note(self.cred, fields)

    # The Creators flow's sink (Stats.add forwards here): cache outcomes and retries by operation.
    def count(self, name: str, n: float, op: str) -> None:
        rec = self.recorder
        if rec is None:
            return
        try:
            key = self._keys[(name, op)]
        except KeyError:
            key = self._keys[(name, op)] = self._key_for(name, op)
        if key is not None:  # Recorder.bump, inlined: this runs on every cache hit
            try:
                d = rec._local.d
            except AttributeError:
                d = rec.mine()
            d[key] = d.get(key, 0) + (n if type(n) is int else int(n))

    def hit(self, op: str) -> None:
        """``count("memory_hits", 1, op)`` with the key looked up by ``op`` alone (every memory hit)."""
        rec = self.recorder
        if rec is None:
            return
        try:
            key = self._hit_keys[op]
        except KeyError:
            key = self._hit_keys[op] = self._key_for("memory_hits", op)
        if key is not None:
            try:
                d = rec._local.d
            except AttributeError:
                d = rec.mine()
            d[key] = d.get(key, 0) + 1

    def _key_for(self, name: str, op: str) -> tuple[str, str] | None:
        event = _CACHE_EVENTS.get(name)
        if event is not None:
            return (self.cred, f"{event}:{KINDS.get(op, op or 'other')}")
        if name == "retries":
            return (self.cred, f"retry:{op or 'other'}")
        return None  # requests are counted when answered; waits and throttles are not recorded

    def answered(
        self, op: str, status: int | None, code: str | None = None, retry_after: float | None = None
    ) -> None:
        """An answer from Amazon (``status`` None: none came back) and, for a failure, its code."""
        if self.recorder is None:
            return
        self.recorder.add(self.cred, f"req:{op}:{status or 'network'}")
        if code:
            self.recorder.add(self.cred, f"err:{code}")
        if status == 429:
            self.recorder.note(self.cred, {"last_429": time.time(), "last_429_retry_after": retry_after})

    def token(self, code: str | None) -> None:
        """A token request ended: ``code`` None for a token, else the failure's code."""
        if self.recorder is None:
            return
        self.recorder.add(self.cred, f"token:{code or 'ok'}")
        if code:
            self.recorder.add(self.cred, f"err:{code}")

    def flush(self) -> None:
        if self.recorder is not None:
            self.recorder.flush()


OFF: Final = Tally(None, "")


def tally_for(store: UsageStore | None, cred: str) -> Tally:
    """A Tally for ``cred`` on ``store``; the no-op one when the record is off."""
    if store is None or not enabled():
        return OFF
    return Tally(recorder_for(store), cred)


def tally_beside(store: object, plan: Plan, usage: bool | UsageStore | None = None) -> Tally:
    """The hook for a client or token manager: ``usage`` False turns it off, a store picks one,
    anything else keeps the record beside ``store`` (same kind and place as the limiter)."""
    if usage is False:
        return OFF
    target = usage if isinstance(usage, UsageStore) else usage_store_beside(store)
    return tally_for(target, usage_key(plan))


def record_cache(profile: Profile, kind: str, *, hit: bool, n: int = 1) -> None:
    """For callers with their own cache (the site kit's blocks): count ``n`` hits or misses of ``kind``."""
    from amzauth.core.plan import build_plan

    tally_for(usage_store_for_profile(profile), usage_key(build_plan(profile))).add(
        f"{'hit' if hit else 'miss'}:{kind}", n
    )


# -- reading it back ------------------------------------------------------------------------------------
def total(counts: Mapping[str, int], prefix: str, suffix: str = "") -> int:
    """The sum of the counters named ``prefix...suffix``. Pure."""
    return sum(v for k, v in counts.items() if k.startswith(prefix) and k.endswith(suffix))


def by_part(counts: Mapping[str, int], prefix: str) -> dict[str, int]:
    """``{rest of the name: n}`` for the counters under ``prefix`` (``req:`` gives ``op:status``). Pure."""
    return {k[len(prefix) :]: v for k, v in sorted(counts.items()) if k.startswith(prefix)}


@dataclass(frozen=True)
class Point:
    """One bucket of a series: when it starts and the four figures the charts draw."""

    start: int
    requests: int
    throttled: int
    hits: int
    misses: int

    @classmethod
    def of(cls, start: int, counts: Mapping[str, int]) -> Point:
        return cls(
            start,
            total(counts, "req:"),
            total(counts, "req:", ":429"),
            total(counts, "hit:"),
            total(counts, "miss:"),
        )


@dataclass(frozen=True)
class UsageReport:
    """A credential's figures at ``now``: today's counters, its limits and the recent series."""

    profile: str | None
    cred: str
    store: str
    now: float
    today: dict[str, int]
    meta: dict[str, Any]
    minutes: list[Point]  # one per minute, oldest first, zeros included
    days: list[Point]  # one per UTC day for KEEP_DAYS days, oldest first

    @property
    def requests_today(self) -> int:
        return total(self.today, "req:")

    @property
    def throttled_today(self) -> int:
        return total(self.today, "req:", ":429")

    @property
    def daily_quota(self) -> int | None:
        d = self.meta.get("daily")
        return int(d) if d else None

    @property
    def quota_left(self) -> int | None:
        q = self.daily_quota
        return None if q is None else max(0, q - self.requests_today)

    @property
    def hit_ratio_today(self) -> float | None:
        hits, misses = total(self.today, "hit:"), total(self.today, "miss:")
        return hits / (hits + misses) if hits + misses else None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``amzauth usage --json`` (times as epoch seconds, UTC buckets)."""
        last = self.meta.get("last_429")
        return {
            "schema": "amzauth.usage/1",
            "profile": self.profile,
            "credential": self.cred,
            "store": self.store,
            "now": self.now,
            "day": time.strftime("%Y-%m-%d", time.gmtime(self.now)),
            "quota": {
                "daily": self.daily_quota,
                "used_today": self.requests_today,
                "left_today": self.quota_left,
                "rate": self.meta.get("rate"),
                "burst": self.meta.get("burst"),
            },
            "last_429": last,
            "last_429_retry_after": self.meta.get("last_429_retry_after"),
            "today": {
                "requests": self.requests_today,
                "throttled": self.throttled_today,
                "retries": total(self.today, "retry:"),
                "requests_by_operation_status": by_part(self.today, "req:"),
                "cache_hits": by_part(self.today, "hit:"),
                "cache_misses": by_part(self.today, "miss:"),
                "stale_served": by_part(self.today, "stale:"),
                "hit_ratio": self.hit_ratio_today,
                "tokens": by_part(self.today, "token:"),
                "errors": by_part(self.today, "err:"),
            },
            "minutes": [[p.start, p.requests, p.throttled, p.hits, p.misses] for p in self.minutes],
            "days": [[p.start, p.requests, p.throttled, p.hits, p.misses] for p in self.days],
            "columns": ["start", "requests", "throttled", "cache_hits", "cache_misses"],
        }


def build_report(
    readout: Readout, cred: str, now: float, *, hours: int = 24, profile: str | None = None, store: str = ""
) -> UsageReport:
    """Dense series (zero-filled) and today's counters from what the store holds. Pure."""
    hours = max(1, min(24, hours))
    last_m = minute_of(now)
    mins = [last_m - i * MINUTE for i in range(hours * 60 - 1, -1, -1)]
    days = [day_of(now) - i * DAY for i in range(KEEP_DAYS - 1, -1, -1)]
    return UsageReport(
        profile=profile,
        cred=cred,
        store=store,
        now=now,
        today=dict(readout.days.get(day_of(now), {})),
        meta=dict(readout.meta),
        minutes=[Point.of(b, readout.minutes.get(b, {})) for b in mins],
        days=[Point.of(b, readout.days.get(b, {})) for b in days],
    )


def report_for_profile(
    profile: Profile, *, hours: int = 24, now: float | None = None, limits: Mapping[str, Any] | None = None
) -> UsageReport:
    """Read a profile's record (after writing this process's pending events). ``limits`` (daily, rate,
    burst) stand in for what no client has recorded yet."""
    from amzauth.core.plan import build_plan

    flush_all()
    store = usage_store_for_profile(profile)
    cred = usage_key(build_plan(profile))
    now = time.time() if now is None else now
    readout = store.read(cred, now)
    readout.meta = {**{k: v for k, v in (limits or {}).items()}, **readout.meta}
    return build_report(readout, cred, now, hours=hours, profile=profile.name, store=store.name)


def downsample(points: Sequence[Point], size: int) -> list[Point]:
    """Sum consecutive points in groups of ``size`` (each group starts at its first point). Pure."""
    size = max(1, size)
    out = []
    for i in range(0, len(points), size):
        g = points[i : i + size]
        out.append(
            Point(
                g[0].start,
                sum(p.requests for p in g),
                sum(p.throttled for p in g),
                sum(p.hits for p in g),
                sum(p.misses for p in g),
            )
        )
    return out
