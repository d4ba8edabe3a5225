"""TokenManager: one token per credential across threads, tasks, processes and hosts.

Three states and two windows (google-auth's FRESH/STALE/INVALID, botocore's advisory and
mandatory refresh): a *fresh* token is returned at once, without a lock; a *stale* one (inside
the advisory window) is still returned while one caller refreshes in the background of its own
call; an *expired* one (inside the mandatory window, or absent) makes callers wait for the one
refresh. Locks are double-checked at every layer: the thread/task lock, then the store's
cross-process lock, each followed by a reload, so a burst of callers costs one request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Final

from amzauth.config.profiles import ConfigError, Profile
from amzauth.config.redact import redact
from amzauth.core.plan import Plan, build_plan
from amzauth.core.retry import RetryPolicy
from amzauth.core.tokens import Token
from amzauth.engine.flow import ADVISORY_PAUSE, RefreshCore, State, drive_async, drive_sync
from amzauth.engine.stores import LEASE, MemoryTokenStore, TokenStore, shared_sqlite_store
from amzauth.engine.transport import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT  # still importable from here
from amzauth.engine.transport import as_token_transport
from amzauth.engine.usage import Tally, UsageStore, tally_beside
from amzauth.errors import NetworkError, StorageError, TokenError

log = logging.getLogger("amzauth.engine")

DEFAULT_ADVISORY: Final = 300.0  # refresh opportunistically in the last 5 minutes of a 1 h token
DEFAULT_MANDATORY: Final = 60.0  # never hand out a token with less than a minute left
DEFAULT_LIFETIME: Final = 3600.0  # Amazon's token lifetime, for validating the windows
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"


class TokenManager:
    """Hands out access tokens for one plan and credential; safe to share across threads and tasks.

    ``store`` is the persistent layer under the manager's own memory snapshot (default: the shared
    SQLite file). ``clock``, ``sleep`` and ``rand`` are injectable so tests never wait; lock polling
    between processes always uses real time.
    """

    def __init__(
        self,
        plan: Plan,
        client_secret: str,
        *,
        refresh_token: str | None = None,
        store: TokenStore | None = None,
        advisory: float = DEFAULT_ADVISORY,
        mandatory: float = DEFAULT_MANDATORY,
        timeout: float = DEFAULT_TIMEOUT,
        lifetime: float = DEFAULT_LIFETIME,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Any] | None = None,
        rand: Callable[[], float] = random.random,
        transport: object | None = None,
        lock_ttl: float | None = None,
        poll_interval: float = 0.02,
        usage: bool | UsageStore | None = None,
    ) -> None:
        for name, value in (
            ("advisory", advisory),
            ("mandatory", mandatory),
            ("lifetime", lifetime),
            ("timeout", timeout),
        ):
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number of seconds")
        if not 0 <= mandatory <= advisory < lifetime:
            raise ValueError(
                f"windows must satisfy 0 <= mandatory ({mandatory:g}) <= advisory ({advisory:g}) "
                f"< token lifetime ({lifetime:g})"
            )
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if plan.grant_type == "refresh_token" and not refresh_token:
            raise ValueError(
                f"profile {plan.profile!r} uses the refresh_token grant but no refresh token was given"
            )
        self.plan = plan
        self.advisory = float(advisory)
        self.mandatory = float(mandatory)
        self.timeout = float(timeout)
        self.policy = policy or RetryPolicy()
        store = store if store is not None else shared_sqlite_store()
        # The lock is a lease renewed while its holder lives (so a killed holder blocks nobody for
        # more than the lease), for at most one whole refresh: every attempt, the backoff budget.
        hold = self.timeout * self.policy.attempts + self.policy.budget + 5.0
        lease = lock_ttl if lock_ttl is not None else LEASE
        self.key = plan.cache_key(client_secret, refresh_token)
        self._core = RefreshCore(
            plan,
            client_secret,
            refresh_token=refresh_token,
            store=store,
            transport=as_token_transport(transport),
            policy=self.policy,
            advisory=self.advisory,
            mandatory=self.mandatory,
            timeout=self.timeout,
            clock=clock,
            rand=rand,
            lock_ttl=lease,
            lock_hold=hold,
            lock_wait=hold + 5.0,
            poll_interval=poll_interval,
            key=self.key,
        )
        self._core.usage = tally_beside(store, plan, usage)  # token requests in the usage record
        self._clock = clock
        self._sleep = sleep
        self._asleep: Callable[[float], Any] = asleep or (asyncio.sleep if sleep is time.sleep else sleep)
        self._tlock = threading.Lock()
        self._alocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._alocks_mu = threading.Lock()
        self._wait_timeout = hold * 2 + 10.0

    def __repr__(self) -> str:
        snap = self._core.snap
        tok = redact(snap.token.access_token) if snap else None
        return (
            f"TokenManager(profile={self.plan.profile!r}, store={self.store.name!r}, "
            f"token={tok!r}, state={self.state()!r})"
        )

    # ---- introspection ------------------------------------------------------------------------
    @property
    def store(self) -> TokenStore:
        return self._core.store

    @property
    def usage(self) -> Tally:
        """This credential's usage record (token requests; the SP-API client adds its calls)."""
        return self._core.usage

    @property
    def last_clock_skew(self) -> float | None:
        """Amazon's clock minus ours, from the last token answer's Date header (seconds)."""
        return self._core.last_clock_skew

    def state(self, now: float | None = None) -> State:
        return self._core.state(self._clock() if now is None else now)

    def cached(self) -> Token | None:
        """The memory snapshot, whatever its state (no I/O)."""
        snap = self._core.snap
        return snap.token if snap is not None else None

    # ---- sync ---------------------------------------------------------------------------------
    def get_token(self) -> Token:
        """A token with at least the mandatory window left; raises TokenError or NetworkError."""
        snap = self._core.snap
        if snap is not None and self._clock() < snap.fresh_until:
            return snap.token
        return self._get_slow()

    def _get_slow(self) -> Token:
        core = self._core
        since = time.monotonic()
        now = self._clock()
        snap = core.snap
        if snap is not None and now < snap.usable_until and not core.rejected(snap.token):
            # Stale: one caller refreshes, everyone else keeps the still-valid token.
            if now < core.advisory_pause_until or not self._tlock.acquire(blocking=False):
                return snap.token
            try:
                fresh = drive_sync(core, core.refresh("advisory"), self._sleep)
            except (TokenError, NetworkError) as exc:
                self._advisory_failed(exc)
                return snap.token
            finally:
                self._tlock.release()
            return fresh if fresh is not None else snap.token
        if not self._tlock.acquire(timeout=self._wait_timeout):
            raise NetworkError(
                "timed out waiting for another thread's token refresh",
                url=self.plan.token_endpoint,
                kind="timeout",
            )
        try:
            token = drive_sync(core, core.refresh("mandatory", since), self._sleep)
        finally:
            self._tlock.release()
        assert token is not None
        return token

    def _advisory_failed(self, exc: BaseException) -> None:
        self._core.advisory_pause_until = self._clock() + ADVISORY_PAUSE
        log.warning(
            "early token refresh for profile %r failed (%s); still using the current token",
            self.plan.profile,
            getattr(exc, "code", type(exc).__name__),
        )

    def invalidate(self, bad_access_token: str | None = None) -> None:
        """Forget a token Amazon rejected, so the next get_token refreshes.

        With ``bad_access_token``, nothing happens if another caller already replaced that token
        (the next get_token then simply returns the new one).
        """
        if not self._core.forget_rejected(bad_access_token):
            return
        try:
            self.store.delete(self.key, bad_access_token)
        except Exception as exc:
            log.warning(
                "could not remove a rejected token from the %s store (%s)",
                self.store.name,
                type(exc).__name__,
            )

    def clear(self) -> int:
        """Forget this credential's token and remembered failure in memory and the store.

        Returns the number of entries removed from the store (1 when only memory held one).
        """
        had = self._core.forget_all()
        n = self.store.clear(self.key)
        return n if n or not had else 1

    # ---- async --------------------------------------------------------------------------------
    def _alock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._alocks.get(loop)
        if lock is None:
            with self._alocks_mu:
                lock = self._alocks.get(loop)
                if lock is None:
                    lock = self._alocks[loop] = asyncio.Lock()
        return lock

    async def aget_token(self) -> Token:
        """The asyncio twin of :meth:`get_token` (same decisions; never blocks the event loop)."""
        snap = self._core.snap
        if snap is not None and self._clock() < snap.fresh_until:
            return snap.token
        core = self._core
        since = time.monotonic()
        now = self._clock()
        lock = self._alock()
        if snap is not None and now < snap.usable_until and not core.rejected(snap.token):
            if now < core.advisory_pause_until or lock.locked():
                return snap.token
            async with lock:
                try:
                    fresh = await drive_async(core, core.refresh("advisory"), self._asleep)
                except (TokenError, NetworkError) as exc:
                    self._advisory_failed(exc)
                    return snap.token
            return fresh if fresh is not None else snap.token
        try:
            await asyncio.wait_for(lock.acquire(), self._wait_timeout)
        except TimeoutError:
            raise NetworkError(
                "timed out waiting for another task's token refresh",
                url=self.plan.token_endpoint,
                kind="timeout",
            ) from None
        try:
            token = await drive_async(core, core.refresh("mandatory", since), self._asleep)
        finally:
            lock.release()
        assert token is not None
        return token

    async def ainvalidate(self, bad_access_token: str | None = None) -> None:
        if not self._core.forget_rejected(bad_access_token):
            return
        try:
            await self.store.adelete(self.key, bad_access_token)
        except Exception as exc:
            log.warning(
                "could not remove a rejected token from the %s store (%s)",
                self.store.name,
                type(exc).__name__,
            )

    async def aclear(self) -> int:
        had = self._core.forget_all()
        n = await self.store.aclear(self.key)
        return n if n or not had else 1


def clear_profile(profile: Profile) -> int:
    """Forget a profile's cached token and remembered failure in every store it may be in.

    The configured store (Redis also clears its SQLite fallback), the default SQLite file and
    this process's shared memory store. Returns the number of entries removed.
    """
    plan = build_plan(profile)
    secret = profile.secret("client_secret") or ""
    refresh = profile.secret("refresh_token") if plan.grant_type == "refresh_token" else None
    key = plan.cache_key(secret, refresh)
    configured = store_for_profile(profile)
    stores: list[TokenStore] = [configured]
    default = store_for_profile(profile, "sqlite")
    if default is not configured and not (
        configured.name == "redis" and getattr(configured, "fallback", None) is default
    ):
        stores.append(default)
    if configured is not MemoryTokenStore.shared():
        stores.append(MemoryTokenStore.shared())
    cleared = 0
    for s in stores:
        try:
            cleared += s.clear(key)
        except (OSError, sqlite3.Error) as exc:  # read-only or unusable: say which store, not a traceback
            raise StorageError(
                f"cannot clear cached tokens of profile {profile.name!r} in {s!r}: {exc}; "
                "fix: make that location writable, or set cache_dir to a writable directory"
            ) from None
    return cleared


def store_for_profile(profile: Profile, kind: str | None = None) -> TokenStore:
    """The store a profile asks for: ``store`` = sqlite (default) | redis | memory."""
    kind = kind or str(profile.get("store") or "sqlite")
    cache_dir = profile.get("cache_dir")
    if kind == "memory":
        return MemoryTokenStore.shared()
    if kind == "redis":
        from amzauth.engine.redis_store import RedisTokenStore

        url = str(profile.get("redis_url") or DEFAULT_REDIS_URL)
        fallback: TokenStore = shared_sqlite_store(_sqlite_path(cache_dir))
        try:
            return RedisTokenStore(url, fallback=fallback)
        except ValueError as exc:  # redis-py's URL parser: a typed error naming the key, no password
            from amzauth.config.redact import redact_url

            raise ConfigError(
                f"redis_url {redact_url(url)!r} is not a valid Redis URL ({exc})",
                key="redis_url",
                profile=profile.name,
                file=profile.file,
                fix="use redis://[[user]:password@]host[:port][/db] or rediss://…",
            ) from None
    if kind == "sqlite":
        return shared_sqlite_store(_sqlite_path(cache_dir))
    raise ConfigError(
        f"unknown store {kind!r}",
        key="store",
        profile=profile.name,
        file=profile.file,
        fix="use sqlite (default), redis or memory",
    )


def _sqlite_path(cache_dir: Any) -> str | None:
    if not cache_dir:
        return None
    from amzauth.engine.stores import default_sqlite_path

    return str(default_sqlite_path(str(cache_dir)))


def manager_for_profile(profile: Profile, **kw: Any) -> TokenManager:
    """A TokenManager for a profile: plan, secret, refresh token, store and timeout from its keys.

    Keyword arguments override (``store=``, ``transport=``, windows, ...). Raises ConfigError.
    """
    plan = kw.pop("plan", None) or build_plan(profile)
    secret = profile.secret("client_secret")
    if not secret:
        raise ConfigError(
            "missing required key 'client_secret'",
            key="client_secret",
            profile=profile.name,
            file=profile.file,
        )
    refresh = kw.pop("refresh_token", None)
    from amzauth.core.tokens import creators_grant_error

    if (grant_err := creators_grant_error(plan)) is not None:
        raise grant_err
    if refresh is None and plan.grant_type == "refresh_token":
        refresh = profile.secret("refresh_token")
        if not refresh:
            raise ConfigError(
                "missing required key 'refresh_token'",
                key="refresh_token",
                profile=profile.name,
                file=profile.file,
                fix="run `amzauth spapi authorize`",
            )
    if "store" not in kw:
        kw["store"] = store_for_profile(profile)
    if "timeout" not in kw and profile.get("timeout") is not None:
        kw["timeout"] = float(profile.get("timeout"))
    return TokenManager(plan, secret, refresh_token=refresh, **kw)
