"""Redis store: one token per credential across hosts, with a fallback so Redis is never an outage.

Keys are namespaced (``<ns>:tok:<key>``, ``<ns>:neg:<key>``, ``<ns>:lock:<key>``) and carry TTLs,
so nothing outlives its use. The lock is ``SET NX PX`` and is released by a compare-and-delete
script, so a holder whose lock expired never deletes its successor's. When Redis cannot be
reached the store logs one warning per outage and serves from its fallback (the SQLite store,
or memory) until Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Final, Generic, Protocol, TypeVar

from amzauth.core.tokens import Token
from amzauth.engine.stores import (
    MemoryTokenStore,
    NegativeEntry,
    TokenStore,
    holder_dead,
    shared_sqlite_store,
)

log = logging.getLogger("amzauth.engine")

T = TypeVar("T")

# Compare-and-delete: release the lock only while we still hold it (shared with the Creators store).
UNLOCK_SCRIPT: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_DELETE_IF: Final = """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if ARGV[1] == '' then return redis.call('DEL', KEYS[1]) end
local ok, t = pcall(cjson.decode, v)
if ok and t['access_token'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_LOCK_RENEW_OR_SET: Final = """
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Take over a lock whose holder is known dead, only if that dead holder still has it.
_LOCK_TAKE_OVER: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0
"""


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions as rex

    return (rex.ConnectionError, rex.TimeoutError, rex.BusyLoadingError, OSError)


class _Named(Protocol):
    name: str


F = TypeVar("F", bound=_Named)


class RedisBase(Generic[F]):
    """Connection, key names and the outage fallback shared by the token and Creators Redis stores.

    A Redis error marks an outage: one warning, then every call goes to ``fallback`` for
    ``retry_interval`` seconds before Redis is tried again; the first success logs the recovery.
    """

    name = "redis"
    _log: ClassVar[logging.Logger] = log
    _key_prefix: ClassVar[str] = ""  # after the namespace, so two stores can share one Redis
    _fallback_use: ClassVar[str] = "serving tokens from"  # how the outage warning names the fallback

    def __init__(
        self,
        url: str,
        namespace: str = "amzauth",
        *,
        fallback: F | None = None,
        socket_timeout: float = 0.5,
        retry_interval: float = 5.0,
    ) -> None:
        try:
            import redis
        except ImportError:
            from amzauth.errors import ConfigError

            raise ConfigError(
                "store = redis needs the redis package, which is not installed",
                key="store",
                fix='pip install "amzauth[redis]" (or use store = "sqlite")',
            ) from None

        self.url = url
        self.namespace = namespace
        self.socket_timeout = socket_timeout
        self.retry_interval = retry_interval
        self._client: Any = redis.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
        )
        self._aclients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )  # redis.asyncio clients, one per event loop (a client is bound to its loop)
        self._fallback = fallback
        self._down_until = 0.0
        self._outage = False
        self._errors = _redis_errors()

    def __repr__(self) -> str:
        # A redis URL may hold a password: show the part after it only.
        return f"{type(self).__name__}(url={self.url.rsplit('@', 1)[-1]!r}, namespace={self.namespace!r})"

    @property
    def fallback(self) -> F:
        raise NotImplementedError

    @property
    def available(self) -> bool:
        """False while the store is serving from its fallback."""
        return not self._outage or time.monotonic() >= self._down_until

    def _k(self, kind: str, key: str) -> str:
        return f"{self.namespace}:{self._key_prefix}{kind}:{key}"

    def _went_down(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self.retry_interval
        if not self._outage:
            self._outage = True
            self._log.warning(
                "redis store %s unreachable (%s); %s %s until it is back",
                self.url.rsplit("@", 1)[-1],
                type(exc).__name__,
                self._fallback_use,
                self.fallback.name,
            )

    def _came_back(self) -> None:
        if self._outage:
            self._outage = False
            self._log.info("redis store %s reachable again", self.url.rsplit("@", 1)[-1])

    def _run(self, op: Callable[[], T], fallback: Callable[[F], T]) -> T:
        if self._outage and time.monotonic() < self._down_until:
            return fallback(self.fallback)
        try:
            result = op()
        except self._errors as exc:
            self._went_down(exc)
            return fallback(self.fallback)
        self._came_back()
        return result

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()


class RedisTokenStore(RedisBase[TokenStore]):
    """Tokens in Redis (redis-py sync and asyncio), falling back to ``fallback`` when Redis is down."""

    @property
    def fallback(self) -> TokenStore:
        if self._fallback is None:
            try:
                store: TokenStore = shared_sqlite_store()
                store.load("probe")
            except Exception:  # an unwritable cache dir: memory still serves
                store = MemoryTokenStore.shared()
            self._fallback = store
        return self._fallback

    def _aclient(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._aclients.get(loop)
        if client is None:
            import redis.asyncio as aredis

            client = aredis.Redis.from_url(
                self.url, socket_timeout=self.socket_timeout, socket_connect_timeout=self.socket_timeout
            )
            self._aclients[loop] = client
        return client

    async def _arun(
        self, op: Callable[[Any], Awaitable[T]], fallback: Callable[[TokenStore], Awaitable[T]]
    ) -> T:
        if self._outage and time.monotonic() < self._down_until:
            return await fallback(self.fallback)
        try:
            result = await op(self._aclient())
        except self._errors as exc:
            self._went_down(exc)
            return await fallback(self.fallback)
        self._came_back()
        return result

    @staticmethod
    def _ttl_ms(seconds: float) -> int:
        return max(1, int(seconds * 1000))

    # ---- sync ---------------------------------------------------------------------------------
    def load(self, key: str) -> Token | None:
        def op() -> Token | None:
            raw = self._client.get(self._k("tok", key))
            return Token.from_json(raw, source=self.name) if raw else None

        return self._run(op, lambda fb: fb.load(key))

    def save(self, key: str, token: Token, now: float) -> None:
        ttl = token.expires_at - now
        if ttl <= 0:
            return

        def op() -> None:
            self._client.set(self._k("tok", key), token.to_json(), px=self._ttl_ms(ttl))

        self._run(op, lambda fb: fb.save(key, token, now))

    def delete(self, key: str, access_token: str | None = None) -> int:
        def op() -> int:
            return int(self._client.eval(_DELETE_IF, 1, self._k("tok", key), access_token or ""))

        return self._run(op, lambda fb: fb.delete(key, access_token))

    def load_negative(self, key: str) -> NegativeEntry | None:
        def op() -> NegativeEntry | None:
            raw = self._client.get(self._k("neg", key))
            return NegativeEntry.from_json(raw) if raw else None

        return self._run(op, lambda fb: fb.load_negative(key))

    def save_negative(self, key: str, entry: NegativeEntry, now: float) -> None:
        ttl = entry.until - now
        if ttl <= 0:
            return

        def op() -> None:
            self._client.set(self._k("neg", key), entry.to_json(), px=self._ttl_ms(ttl))

        self._run(op, lambda fb: fb.save_negative(key, entry, now))

    def try_lock(self, key: str, owner: str, ttl: float) -> bool:
        def op() -> bool:
            k, ms = self._k("lock", key), self._ttl_ms(ttl)
            if self._client.eval(_LOCK_RENEW_OR_SET, 1, k, owner, ms):
                return True
            holder = self._client.get(k)  # a holder of this host killed inside the lock: take over now
            return bool(
                holder and holder_dead(holder) and self._client.eval(_LOCK_TAKE_OVER, 1, k, holder, owner, ms)
            )

        return self._run(op, lambda fb: fb.try_lock(key, owner, ttl))

    def unlock(self, key: str, owner: str) -> None:
        def op() -> None:
            self._client.eval(UNLOCK_SCRIPT, 1, self._k("lock", key), owner)

        self._run(op, lambda fb: fb.unlock(key, owner))
        # A lock taken in the fallback during an outage must not outlive it either.
        if self._fallback is not None:
            with contextlib.suppress(Exception):
                self._fallback.unlock(key, owner)

    def clear(self, key: str) -> int:
        def op() -> int:
            n = int(self._client.delete(self._k("tok", key), self._k("neg", key)))
            self._client.delete(self._k("lock", key))
            return n

        n = self._run(op, lambda fb: 0)
        with contextlib.suppress(Exception):
            n += self.fallback.clear(key)
        return n

    # ---- async --------------------------------------------------------------------------------
    async def aload(self, key: str) -> Token | None:
        async def op(c: Any) -> Token | None:
            raw = await c.get(self._k("tok", key))
            return Token.from_json(raw, source=self.name) if raw else None

        return await self._arun(op, lambda fb: fb.aload(key))

    async def asave(self, key: str, token: Token, now: float) -> None:
        ttl = token.expires_at - now
        if ttl <= 0:
            return

        async def op(c: Any) -> None:
            await c.set(self._k("tok", key), token.to_json(), px=self._ttl_ms(ttl))

        await self._arun(op, lambda fb: fb.asave(key, token, now))

    async def adelete(self, key: str, access_token: str | None = None) -> int:
        async def op(c: Any) -> int:
            return int(await c.eval(_DELETE_IF, 1, self._k("tok", key), access_token or ""))

        return await self._arun(op, lambda fb: fb.adelete(key, access_token))

    async def aload_negative(self, key: str) -> NegativeEntry | None:
        async def op(c: Any) -> NegativeEntry | None:
            raw = await c.get(self._k("neg", key))
            return NegativeEntry.from_json(raw) if raw else None

        return await self._arun(op, lambda fb: fb.aload_negative(key))

    async def asave_negative(self, key: str, entry: NegativeEntry, now: float) -> None:
        ttl = entry.until - now
        if ttl <= 0:
            return

        async def op(c: Any) -> None:
            await c.set(self._k("neg", key), entry.to_json(), px=self._ttl_ms(ttl))

        await self._arun(op, lambda fb: fb.asave_negative(key, entry, now))

    async def atry_lock(self, key: str, owner: str, ttl: float) -> bool:
        async def op(c: Any) -> bool:
            k, ms = self._k("lock", key), self._ttl_ms(ttl)
            if await c.eval(_LOCK_RENEW_OR_SET, 1, k, owner, ms):
                return True
            holder = await c.get(k)
            return bool(
                holder and holder_dead(holder) and await c.eval(_LOCK_TAKE_OVER, 1, k, holder, owner, ms)
            )

        return await self._arun(op, lambda fb: fb.atry_lock(key, owner, ttl))

    async def aunlock(self, key: str, owner: str) -> None:
        async def op(c: Any) -> None:
            await c.eval(UNLOCK_SCRIPT, 1, self._k("lock", key), owner)

        await self._arun(op, lambda fb: fb.aunlock(key, owner))
        if self._fallback is not None:
            with contextlib.suppress(Exception):
                await self._fallback.aunlock(key, owner)

    async def aclear(self, key: str) -> int:
        async def op(c: Any) -> int:
            n = int(await c.delete(self._k("tok", key), self._k("neg", key)))
            await c.delete(self._k("lock", key))
            return n

        async def none(fb: TokenStore) -> int:
            return 0

        n = await self._arun(op, none)
        with contextlib.suppress(Exception):
            n += await self.fallback.aclear(key)
        return n


# Old name, kept importable: amzauth.creators had a result store of the same name.
RedisStore = RedisTokenStore
