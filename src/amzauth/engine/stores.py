"""Token stores behind one small protocol: memory, SQLite (the default) and Redis.

A store keeps, per cache key: the current token, a remembered failure (negative cache) and a
lock that makes one caller, in any thread or process sharing the store, the one that asks Amazon.
Keys come from ``Plan.cache_key`` (a hash that includes a fingerprint of the secret), never from
a secret itself. The TokenManager layers its own memory snapshot on top of a store.

Every method has an ``a``-prefixed async twin so the async engine never blocks its event loop;
memory answers inline, SQLite runs in a worker thread, Redis uses ``redis.asyncio``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final, Protocol, TypeVar, runtime_checkable

from amzauth.core.tokens import Token
from amzauth.errors import TokenError, token_error

SQLITE_FILENAME: Final = "tokens.sqlite3"
LEASE: Final = 3.0  # seconds a cross-process lock outlives its holder's last renewal

S = TypeVar("S")
W = TypeVar("W")


@dataclass(frozen=True, slots=True)
class NegativeEntry:
    """A remembered token failure: replayed as a TokenError until ``until`` (epoch s)."""

    until: float
    message: str
    status: int | None = None
    error: str | None = None
    error_description: str | None = None
    request_id: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    endpoint: str | None = None
    code: str | None = None

    @classmethod
    def from_error(cls, exc: TokenError, *, until: float) -> NegativeEntry:
        return cls(
            until=until,
            message=str(exc.args[0]) if exc.args else str(exc),
            status=exc.status,
            error=exc.error,
            error_description=exc.error_description,
            request_id=exc.request_id,
            retryable=bool(exc.retryable),
            retry_after=exc.retry_after,
            endpoint=exc.endpoint,
            code=exc.code,
        )

    def active(self, now: float) -> bool:
        return now < self.until

    def to_error(self, now: float) -> TokenError:
        left = max(0.0, self.until - now)
        return token_error(
            f"{self.message} (remembered: not asking Amazon again for {left:.0f} s)",
            status=self.status,
            error=self.error,
            error_description=self.error_description,
            request_id=self.request_id,
            retryable=self.retryable,
            retry_after=self.retry_after,
            endpoint=self.endpoint,
            code=self.code,
            cached_until=self.until,
        )

    def to_json(self) -> str:
        return json.dumps({k: getattr(self, k) for k in self.__slots__}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> NegativeEntry:
        d = json.loads(text)
        return cls(**{k: d.get(k) for k in cls.__slots__ if k in d})


@runtime_checkable
class TokenStore(Protocol):
    """What the engine needs from a place that keeps tokens. ``name`` becomes ``Token.source``."""

    name: str

    def load(self, key: str) -> Token | None: ...
    def save(self, key: str, token: Token, now: float) -> None: ...
    def delete(self, key: str, access_token: str | None = None) -> int: ...
    def load_negative(self, key: str) -> NegativeEntry | None: ...
    def save_negative(self, key: str, entry: NegativeEntry, now: float) -> None: ...
    def try_lock(self, key: str, owner: str, ttl: float) -> bool: ...
    def unlock(self, key: str, owner: str) -> None: ...
    def clear(self, key: str) -> int: ...

    async def aload(self, key: str) -> Token | None: ...
    async def asave(self, key: str, token: Token, now: float) -> None: ...
    async def adelete(self, key: str, access_token: str | None = None) -> int: ...
    async def aload_negative(self, key: str) -> NegativeEntry | None: ...
    async def asave_negative(self, key: str, entry: NegativeEntry, now: float) -> None: ...
    async def atry_lock(self, key: str, owner: str, ttl: float) -> bool: ...
    async def aunlock(self, key: str, owner: str) -> None: ...
    async def aclear(self, key: str) -> int: ...


class _InlineAsync:
    """Async twins that call the sync method inline (for stores that never block)."""

    def load(self, key: str) -> Token | None:
        raise NotImplementedError

    def save(self, key: str, token: Token, now: float) -> None:
        raise NotImplementedError

    def delete(self, key: str, access_token: str | None = None) -> int:
        raise NotImplementedError

    def load_negative(self, key: str) -> NegativeEntry | None:
        raise NotImplementedError

    def save_negative(self, key: str, entry: NegativeEntry, now: float) -> None:
        raise NotImplementedError

    def try_lock(self, key: str, owner: str, ttl: float) -> bool:
        raise NotImplementedError

    def unlock(self, key: str, owner: str) -> None:
        raise NotImplementedError

    def clear(self, key: str) -> int:
        raise NotImplementedError

    async def _call(self, fn: Any, *args: Any) -> Any:
        return fn(*args)

    async def aload(self, key: str) -> Token | None:
        r: Token | None = await self._call(self.load, key)
        return r

    async def asave(self, key: str, token: Token, now: float) -> None:
        await self._call(self.save, key, token, now)

    async def adelete(self, key: str, access_token: str | None = None) -> int:
        r: int = await self._call(self.delete, key, access_token)
        return r

    async def aload_negative(self, key: str) -> NegativeEntry | None:
        r: NegativeEntry | None = await self._call(self.load_negative, key)
        return r

    async def asave_negative(self, key: str, entry: NegativeEntry, now: float) -> None:
        await self._call(self.save_negative, key, entry, now)

    async def atry_lock(self, key: str, owner: str, ttl: float) -> bool:
        r: bool = await self._call(self.try_lock, key, owner, ttl)
        return r

    async def aunlock(self, key: str, owner: str) -> None:
        await self._call(self.unlock, key, owner)

    async def aclear(self, key: str) -> int:
        r: int = await self._call(self.clear, key)
        return r


# ---- lock liveness -----------------------------------------------------------------------------
# A lock owner names where it lives ("<host>/<pid>/<process start>/<random>"), so a waiter on the
# same host can see at once that the holder died (kill -9 leaves no chance to unlock); a holder on
# another host is noticed when its lease lapses, LEASE seconds after its last renewal.


def _host_id() -> str:
    """This host and PID namespace (two containers sharing a volume do not share PIDs)."""
    try:
        ns = os.readlink("/proc/self/ns/pid")
    except OSError:
        ns = ""
    return f"{socket.gethostname()}{ns}".replace("/", "_")


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (tells a reused PID apart), "" where /proc is absent,
    None when the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except OSError:
            pass
        return ""
    return None if fields[0] == b"Z" else fields[19].decode()


def lock_owner() -> str:
    """A unique owner for one lock acquisition that says which process holds it."""
    pid = os.getpid()
    return f"{_host_id()}/{pid}/{_process_start(pid) or ''}/{secrets.token_hex(6)}"


def holder_dead(owner: str | bytes) -> bool:
    """True only when ``owner`` is a process of this host that no longer runs (never guesses
    about other hosts or foreign owner strings: their lease decides)."""
    if isinstance(owner, bytes):
        owner = owner.decode("utf-8", "replace")
    parts = owner.split("/")
    if len(parts) != 4 or parts[0] != _host_id() or not parts[1].isdigit():
        return False
    start = _process_start(int(parts[1]))
    return start is None or (bool(start) and bool(parts[2]) and start != parts[2])


class LeaseKeeper:
    """Renews the locks this process holds every third of their lease, in one daemon thread, so a
    lock lasts only LEASE seconds past its holder's death yet as long as a live holder needs it
    (up to ``until``, the longest a refresh may take)."""

    def __init__(self) -> None:
        self._mu = threading.Condition()
        self._held: dict[tuple[int, str, str], tuple[Any, float, float]] = {}
        self._pid = 0

    def hold(self, store: Any, key: str, owner: str, lease: float, until: float) -> None:
        with self._mu:
            self._held[(id(store), key, owner)] = (store, lease, until)
            if self._pid != os.getpid():  # first use in this process (or after a fork)
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="amzauth-lease", daemon=True).start()
            self._mu.notify()

    def release(self, store: Any, key: str, owner: str) -> None:
        with self._mu:
            self._held.pop((id(store), key, owner), None)

    def holding(self) -> int:
        return len(self._held)

    def _run(self) -> None:
        while True:
            with self._mu:
                while not self._held:
                    self._mu.wait()
                self._mu.wait(min(lease for _, lease, _ in self._held.values()) / 3)
                due = list(self._held.items())
            for ident, _ in due:
                with self._mu:  # so release() returning means no renewal of that lock follows
                    entry = self._held.get(ident)
                    if entry is None:
                        continue
                    store, lease, until = entry
                    renewed = False
                    if time.monotonic() < until:
                        with contextlib.suppress(Exception):
                            renewed = bool(store.try_lock(ident[1], ident[2], lease))
                    if not renewed:
                        del self._held[ident]


LEASES: Final = LeaseKeeper()


class MemoryLocks:
    """Expiring owner locks in a dict, for process-local stores (which hold ``_mu`` and ``_locks``)."""

    _mu: threading.Lock
    _locks: dict[str, tuple[str, float]]

    def try_lock(self, key: str, owner: str, ttl: float) -> bool:
        now = time.monotonic()
        with self._mu:
            held = self._locks.get(key)
            if held is not None and held[1] > now and held[0] != owner:
                return False
            self._locks[key] = (owner, now + ttl)
            return True

    def unlock(self, key: str, owner: str) -> None:
        with self._mu:
            held = self._locks.get(key)
            if held is not None and held[0] == owner:
                del self._locks[key]


class MemoryTokenStore(MemoryLocks, _InlineAsync):
    """Process-local store; ``MemoryTokenStore.shared()`` is the one all managers of a process share."""

    name = "memory"
    _shared: ClassVar[MemoryTokenStore | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._tokens: dict[str, Token] = {}
        self._negative: dict[str, NegativeEntry] = {}
        self._locks: dict[str, tuple[str, float]] = {}

    @classmethod
    def shared(cls) -> MemoryTokenStore:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def load(self, key: str) -> Token | None:
        tok = self._tokens.get(key)
        return tok.with_source(self.name) if tok is not None else None

    def save(self, key: str, token: Token, now: float) -> None:
        with self._mu:
            self._tokens[key] = token.with_source(self.name)

    def delete(self, key: str, access_token: str | None = None) -> int:
        with self._mu:
            tok = self._tokens.get(key)
            if tok is None or (access_token is not None and tok.access_token != access_token):
                return 0
            del self._tokens[key]
            return 1

    def load_negative(self, key: str) -> NegativeEntry | None:
        return self._negative.get(key)

    def save_negative(self, key: str, entry: NegativeEntry, now: float) -> None:
        with self._mu:
            self._negative[key] = entry

    def clear(self, key: str) -> int:
        with self._mu:
            n = int(self._tokens.pop(key, None) is not None) + int(self._negative.pop(key, None) is not None)
            self._locks.pop(key, None)
            return n


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("amzauth"))


def default_sqlite_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<user cache dir>/amzauth/tokens.sqlite3`` (or under the profile's ``cache_dir``)."""
    return (
        Path(cache_dir).expanduser() / SQLITE_FILENAME if cache_dir else default_cache_dir() / SQLITE_FILENAME
    )


class UnsafeStorePath(PermissionError):
    """A cache directory or file we will not use: someone else's, open to others, or a symlink."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"refusing to use {path}: {why}; choose another cache_dir or fix its owner/mode")
        self.path = path


def check_private(path: Path, *, directory: bool) -> None:
    """Raise UnsafeStorePath unless ``path`` is ours and no other user may write to it."""
    if not hasattr(os, "getuid"):
        return
    st = os.stat(path)
    if st.st_uid != os.getuid():
        raise UnsafeStorePath(path, f"owned by uid {st.st_uid}, not by you (uid {os.getuid()})")
    if st.st_mode & 0o022:
        kind = "directory" if directory else "file"
        raise UnsafeStorePath(path, f"the {kind} is writable by other users (mode {st.st_mode & 0o777:o})")


class SQLiteFile:
    """A private SQLite file shared by every process of the user, with a lock table: the plumbing
    under the token store and the Creators result store.

    Directory 0700, file 0600 (created so before SQLite opens it; the WAL and shm files inherit
    the mode), WAL journal so readers never wait for the writer, writes under ``BEGIN IMMEDIATE``
    (one writer at a time across processes), and lock rows whose expiry lets a crashed holder's
    lock lapse. Subclasses give ``SCHEMA`` (which must create the ``locks`` table).
    """

    SCHEMA: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1

    def __init__(self, path: Path, *, busy_timeout: float, default_dir: bool = False) -> None:
        self.path = path
        self._default_dir = default_dir  # only our own default dir is tightened, never a chosen one
        self.busy_timeout = busy_timeout
        self._mu = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r})"

    def _prepare_file(self) -> None:
        """Make or check the directory and the file before SQLite opens them: ours, private, and
        never a symlink (another user's link could make us overwrite, chmod or leak into their
        file). Raises UnsafeStorePath naming the path."""
        parent = self.path.parent
        if not parent.exists():
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(parent, 0o700)
        elif self._default_dir:
            st = os.stat(parent)
            if st.st_mode & 0o077 and st.st_uid == os.getuid():
                os.chmod(parent, 0o700)  # our own cache dir: private, whoever created it first
        check_private(parent, directory=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:
            if os.path.islink(self.path):
                raise UnsafeStorePath(self.path, "it is a symlink") from None
            raise exc
        try:
            st = os.fstat(fd)
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                raise UnsafeStorePath(self.path, f"owned by uid {st.st_uid}, not by you (uid {os.getuid()})")
            if st.st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)

    def _db(self) -> sqlite3.Connection:
        """The connection (one per store and process; callers hold ``_mu``)."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._prepare_file()
        old_umask = os.umask(0o077)  # the -wal and -shm files SQLite creates stay private too
        try:
            conn = sqlite3.connect(
                str(self.path), timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
        finally:
            os.umask(old_umask)
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] < self.SCHEMA_VERSION:
                    conn.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
                    conn.executescript(self.SCHEMA)
                    conn.execute(f"PRAGMA user_version = {self.SCHEMA_VERSION}")
                conn.execute("PRAGMA synchronous=NORMAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    conn.close()
                    raise
                time.sleep(0.01)
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _write(self, sql_steps: Callable[[sqlite3.Connection], W]) -> W:
        """Run ``sql_steps(db)`` inside BEGIN IMMEDIATE (one writer at a time across processes)."""
        with self._mu:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                out = sql_steps(db)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            return out

    def try_lock(self, key: str, owner: str, ttl: float) -> bool:
        now = time.time()

        def steps(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT owner, until FROM locks WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] != owner and row[1] > now and not holder_dead(row[0]):
                return False
            db.execute(
                "INSERT OR REPLACE INTO locks (key, owner, until) VALUES (?, ?, ?)", (key, owner, now + ttl)
            )
            return True

        return self._write(steps)

    def unlock(self, key: str, owner: str) -> None:
        with self._mu:
            self._db().execute("DELETE FROM locks WHERE key = ? AND owner = ?", (key, owner))

    def close(self) -> None:
        with self._mu:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


_SHARED_MU = threading.Lock()


def shared_instance(registry: dict[str, S], key: str, make: Callable[[], S]) -> S:
    """The one ``registry[key]`` of this process, made on first use (one connection per file)."""
    with _SHARED_MU:
        store = registry.get(key)
        if store is None:
            store = registry[key] = make()
        return store


class SQLiteTokenStore(SQLiteFile, _InlineAsync):
    """A private SQLite file shared by every process of the user: the default store (see
    :class:`SQLiteFile`), with single-statement upserts."""

    name = "sqlite"
    SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at REAL NOT NULL,
                                   updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS negative (key TEXT PRIMARY KEY, data TEXT NOT NULL, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, until REAL NOT NULL);
"""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, busy_timeout: float = 10.0) -> None:
        super().__init__(
            Path(path).expanduser() if path is not None else default_sqlite_path(),
            busy_timeout=busy_timeout,
            default_dir=path is None,
        )

    async def _call(self, fn: Any, *args: Any) -> Any:
        import asyncio  # here: a sync caller (the doctor, the CLI) never loads asyncio for the store

        return await asyncio.to_thread(fn, *args)

    def load(self, key: str) -> Token | None:
        with self._mu:
            row = self._db().execute("SELECT data FROM tokens WHERE key = ?", (key,)).fetchone()
        return Token.from_json(row[0], source=self.name) if row else None

    def save(self, key: str, token: Token, now: float) -> None:
        with self._mu:
            db = self._db()
            db.execute(
                "INSERT INTO tokens (key, data, expires_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, "
                "updated_at = excluded.updated_at",
                (key, token.to_json(), token.expires_at, now),
            )
            # Housekeeping: rows that expired a day ago help nobody.
            db.execute("DELETE FROM tokens WHERE expires_at < ?", (now - 86400,))

    def delete(self, key: str, access_token: str | None = None) -> int:
        def steps(db: sqlite3.Connection) -> int:
            row = db.execute("SELECT data FROM tokens WHERE key = ?", (key,)).fetchone()
            if row is None or (
                access_token is not None and json.loads(row[0]).get("access_token") != access_token
            ):
                return 0
            n: int = db.execute("DELETE FROM tokens WHERE key = ?", (key,)).rowcount
            return n

        return self._write(steps)

    def load_negative(self, key: str) -> NegativeEntry | None:
        with self._mu:
            row = self._db().execute("SELECT data FROM negative WHERE key = ?", (key,)).fetchone()
        return NegativeEntry.from_json(row[0]) if row else None

    def save_negative(self, key: str, entry: NegativeEntry, now: float) -> None:
        with self._mu:
            db = self._db()
            db.execute(
                "INSERT INTO negative (key, data, until) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET data = excluded.data, until = excluded.until",
                (key, entry.to_json(), entry.until),
            )
            db.execute("DELETE FROM negative WHERE until < ?", (now - 3600,))

    def clear(self, key: str) -> int:
        def steps(db: sqlite3.Connection) -> int:
            n = db.execute("DELETE FROM tokens WHERE key = ?", (key,)).rowcount
            n += db.execute("DELETE FROM negative WHERE key = ?", (key,)).rowcount
            db.execute("DELETE FROM locks WHERE key = ?", (key,))
            return int(n)

        return self._write(steps)


_SQLITE_STORES: dict[str, SQLiteTokenStore] = {}


def shared_sqlite_store(path: str | os.PathLike[str] | None = None) -> SQLiteTokenStore:
    """One SQLiteTokenStore (one connection) per file and process, shared by every manager."""
    p = str(Path(path).expanduser()) if path is not None else str(default_sqlite_path())
    return shared_instance(_SQLITE_STORES, p, lambda: SQLiteTokenStore(p if path is not None else None))


# Old names, kept importable: amzauth.creators had result stores of the same names.
MemoryStore = MemoryTokenStore
SQLiteStore = SQLiteTokenStore
