"""The refresh algorithm, written once as a generator of effects and run by a sync or async driver.

The generator decides (re-check memory, reload the store, take the shared lock, reload again,
ask Amazon with retries, remember failures); the drivers only perform what it yields: a store
call, an HTTP send, a backoff sleep or a lock-poll wait. So threads and asyncio tasks follow the
exact same decisions, and a test can drive the generator by hand.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Final, Literal

from amzauth.config.redact import fingerprint
from amzauth.core.effects import Send, Sleep, Wait, adrive, drive, sleep_maybe_async
from amzauth.core.plan import Plan
from amzauth.core.retry import RetryPolicy, negative_ttl
from amzauth.core.tokens import (
    Token,
    TokenRequest,
    build_token_request,
    estimate_clock_skew,
    header,
    parse_token_response,
)
from amzauth.engine.stores import LEASES, NegativeEntry, TokenStore, lock_owner
from amzauth.engine.transport import RawResponse, TokenTransport
from amzauth.engine.usage import OFF, Tally
from amzauth.errors import AmzAuthError, NetworkError, TokenError

log = logging.getLogger("amzauth.engine")

Mode = Literal["mandatory", "advisory"]
State = Literal["fresh", "stale", "expired"]
ADVISORY_PAUSE: Final = 10.0  # after a failed advisory refresh, keep the old token this long


@dataclass(frozen=True, slots=True)
class StoreCall:
    """Call ``store.<method>(*args)`` (or its async twin); ``default`` if the store itself fails."""

    method: str
    args: tuple[Any, ...]
    default: Any = None


Effect = StoreCall | Send[TokenRequest] | Sleep | Wait
Flow = Generator[Effect, Any, Token | None]


class Snapshot:
    """The memory layer: a token and the two instants where it turns stale, then unusable."""

    __slots__ = ("fresh_until", "token", "usable_until")

    def __init__(self, token: Token, fresh_until: float, usable_until: float) -> None:
        self.token = token
        self.fresh_until = fresh_until
        self.usable_until = usable_until


class RefreshCore:
    """State and decisions shared by the sync and async paths of one TokenManager."""

    def __init__(
        self,
        plan: Plan,
        client_secret: str,
        *,
        refresh_token: str | None,
        store: TokenStore,
        transport: TokenTransport,
        policy: RetryPolicy,
        advisory: float,
        mandatory: float,
        timeout: float,
        clock: Callable[[], float],
        rand: Callable[[], float],
        lock_ttl: float,
        lock_hold: float,
        lock_wait: float,
        poll_interval: float,
        key: str,
    ) -> None:
        self.plan = plan
        self._secret = client_secret
        self._refresh_token = refresh_token
        self.store = store
        self.transport = transport
        self.policy = policy
        self.advisory = advisory
        self.mandatory = mandatory
        self.timeout = timeout
        self.clock = clock
        self.rand = rand
        self.lock_ttl = lock_ttl  # the lease: how long the lock outlives its holder's last renewal
        self.lock_hold = lock_hold  # the longest a live holder keeps renewing (one whole refresh)
        self.lock_wait = lock_wait
        self.poll_interval = poll_interval
        self.key = key
        self.snap: Snapshot | None = None
        self.negative: NegativeEntry | None = None
        self.advisory_pause_until = 0.0
        self.last_clock_skew: float | None = None
        # The last mandatory refresh failure (monotonic time, error), shared with callers who waited for it.
        self.failure: tuple[float, TokenError | NetworkError] | None = None
        self._rejected: deque[str] = deque(maxlen=16)
        self.usage: Tally = OFF  # the credential's usage record (TokenManager sets it)

    # ---- pure decisions -----------------------------------------------------------------------
    def windows(self, token: Token) -> tuple[float, float]:
        """(fresh_until, usable_until). Windows shrink for short-lived tokens: at most a half and
        a quarter of the token's lifetime, so a 120 s token is not permanently "stale"."""
        life = token.lifetime if token.obtained_at > 0 else self.advisory * 2
        life = max(0.0, life)
        adv = min(self.advisory, life / 2)
        man = min(self.mandatory, life / 4)
        return token.expires_at - adv, token.expires_at - man

    def state(self, now: float) -> State:
        snap = self.snap
        if snap is None or now >= snap.usable_until:
            return "expired"
        return "fresh" if now < snap.fresh_until else "stale"

    def rejected(self, token: Token) -> bool:
        return fingerprint(token.access_token) in self._rejected

    def reject(self, access_token: str) -> None:
        fp = fingerprint(access_token)
        if fp not in self._rejected:
            self._rejected.append(fp)

    def forget_rejected(self, bad_access_token: str | None) -> bool:
        """Drop the memory snapshot after Amazon rejected a token; False when another caller
        already replaced ``bad_access_token`` (so the store entry is the new one and stays)."""
        snap = self.snap
        if bad_access_token is not None:
            self.reject(bad_access_token)
            if snap is not None and snap.token.access_token != bad_access_token:
                return False
        self.snap = None
        return True

    def forget_all(self) -> bool:
        """Drop the snapshot and any remembered failure; True when memory held something."""
        had = self.snap is not None or self.negative is not None
        self.snap = None
        self.negative = None
        self.failure = None
        self.advisory_pause_until = 0.0
        return had

    def acceptable(self, token: Token | None, now: float, mode: Mode) -> bool:
        """Whether a token found in memory or the store ends this refresh."""
        if token is None or self.rejected(token):
            return False
        fresh_until, usable_until = self.windows(token)
        return now < (fresh_until if mode == "advisory" else usable_until)

    def adopt(self, token: Token) -> Token:
        """Make ``token`` the memory snapshot; return it as the caller should see it."""
        fresh_until, usable_until = self.windows(token)
        self.snap = Snapshot(token.with_source("memory"), fresh_until, usable_until)
        if token.refresh_token:
            self._refresh_token = token.refresh_token  # keep what the answer returned (rotation-safe)
        return token

    def build_request(self) -> TokenRequest:
        refresh = self._refresh_token if self.plan.grant_type == "refresh_token" else None
        return build_token_request(self.plan, self._secret, refresh_token=refresh)

    # ---- the algorithm ------------------------------------------------------------------------
    def refresh(self, mode: Mode, since: float | None = None) -> Flow:
        """Return a usable token (mandatory), or a fresh one or None meaning "keep yours" (advisory).

        ``since`` (monotonic) is when the caller started waiting: a refresh that failed after that
        moment is this caller's answer too, so a queue of waiters does not retry one by one.
        """
        now = self.clock()
        snap = self.snap
        if snap is not None and self.acceptable(snap.token, now, mode):
            return snap.token
        allowance = [self.policy.budget]  # seconds this call may still wait out remembered Retry-Afters
        failed = self.failure
        if mode == "mandatory" and since is not None and failed is not None and failed[0] >= since:
            raise copy.copy(failed[1])
        neg = self.negative
        if neg is not None and neg.active(now):
            if mode == "advisory":
                return None
            yield from self._wait_out(neg, now, allowance)
            now = self.clock()
        found = yield from self._reload(now, mode, allowance)
        if found is not None:
            return found
        owner = lock_owner()
        deadline = time.monotonic() + self.lock_wait
        locked = False
        while True:
            locked = bool((yield StoreCall("try_lock", (self.key, owner, self.lock_ttl), True)))
            if locked:
                break
            if mode == "advisory":
                return None  # someone else is refreshing; the current token is still valid
            if time.monotonic() >= deadline:
                log.warning(
                    "token lock for profile %r still held after %.0f s; refreshing without it",
                    self.plan.profile,
                    self.lock_wait,
                )
                break
            yield Wait(self.poll_interval * (0.5 + self.rand()))
            found = yield from self._reload(self.clock(), mode, allowance)
            if found is not None:
                return found
        result: Token | None = None
        failure: BaseException | None = None
        try:
            result = yield from self._locked(mode, reload=locked, allowance=allowance)
        except GeneratorExit:
            raise
        except BaseException as exc:
            failure = exc
        if locked:
            yield StoreCall("unlock", (self.key, owner))
        if failure is not None:
            raise failure
        return result

    def _reload(self, now: float, mode: Mode, allowance: list[float]) -> Generator[Effect, Any, Token | None]:
        """Look in the store for a token someone else got, and for a remembered failure."""
        stored: Token | None = yield StoreCall("load", (self.key,))
        if stored is not None and self.acceptable(stored, now, mode):
            return self.adopt(stored)
        neg: NegativeEntry | None = yield StoreCall("load_negative", (self.key,))
        if neg is not None and neg.active(now):
            self.negative = neg
            if mode == "mandatory":
                yield from self._wait_out(neg, now, allowance)
        return None

    def _wait_out(
        self, neg: NegativeEntry, now: float, allowance: list[float]
    ) -> Generator[Effect, Any, None]:
        """A caller that needs a token meets a remembered failure: a transient one (Amazon's
        Retry-After, within the policy's cap and what is left of this call's budget,
        ``allowance[0]`` seconds) is waited out so the fleet honours it and then asks again; a
        permanent one, or a wait too long to make, is raised at once."""
        left = neg.until - now
        if neg.retryable and left <= min(self.policy.retry_after_cap, allowance[0]):
            allowance[0] -= left
            log.info("token endpoint asked to wait %.2f s (Retry-After); waiting before asking again", left)
            yield Sleep(left)
            return
        raise neg.to_error(now)

    def _locked(self, mode: Mode, *, reload: bool, allowance: list[float]) -> Flow:
        if reload:
            found = yield from self._reload(self.clock(), mode, allowance)
            if found is not None:
                return found
            if mode == "advisory" and self.negative is not None and self.negative.active(self.clock()):
                return None
        try:
            token = yield from self.fetch(self.policy.attempts if mode == "mandatory" else 1)
        except (TokenError, NetworkError) as exc:
            self.usage.token(exc.code)
            if mode == "mandatory":
                self.failure = (time.monotonic(), exc)
            ttl = negative_ttl(exc)
            if ttl and isinstance(exc, TokenError):
                now = self.clock()
                entry = NegativeEntry.from_error(exc, until=now + ttl)
                self.negative = entry
                yield StoreCall("save_negative", (self.key, entry, now))
            raise
        self.usage.token(None)
        self.negative = None
        self.failure = None
        yield StoreCall("save", (self.key, token, self.clock()))
        self.adopt(token)
        return token

    def fetch(self, attempts: int) -> Generator[Effect, Any, Token]:
        """Ask the token endpoint, retrying what the policy says is worth retrying."""
        spent = 0.0
        attempt = 0
        while True:
            attempt += 1
            request = self.build_request()
            sent_at = self.clock()
            try:
                raw: RawResponse = yield Send(request)
                received_at = self.clock()
                self.last_clock_skew = estimate_clock_skew(header(raw.headers, "Date"), sent_at, received_at)
                return parse_token_response(
                    raw.status, raw.headers, raw.body, sent_at=sent_at, endpoint=self.plan.token_endpoint
                )
            except (TokenError, NetworkError) as exc:
                delay = (
                    None
                    if attempt >= attempts
                    else self.policy.decide(attempt, error=exc, rand=self.rand(), spent=spent)
                )
                if delay is None:
                    if attempt > 1:
                        exc.attempts = attempt
                    raise
                spent += delay
                log.info(
                    "token request for profile %r failed (%s), retry %d in %.2f s",
                    self.plan.profile,
                    getattr(exc, "code", "error"),
                    attempt,
                    delay,
                )
                yield Sleep(delay)


# ---- drivers ----------------------------------------------------------------------------------
def _lease_before(core: RefreshCore, effect: StoreCall) -> None:
    """Stop renewing a lock before it is released (a renewal after the unlock would retake it)."""
    if effect.method == "unlock":
        LEASES.release(core.store, *effect.args)


def _lease_after(core: RefreshCore, effect: StoreCall, taken: Any) -> None:
    """A lock just taken is renewed in the background while this process lives, up to lock_hold."""
    if effect.method == "try_lock" and taken:
        key, owner, lease = effect.args
        LEASES.hold(core.store, key, owner, lease, time.monotonic() + core.lock_hold)


_store_warned: set[str] = set()


def _store_failed(store: TokenStore, effect: StoreCall, exc: BaseException) -> Any:
    """A broken persistent store (disk full, permissions) degrades to no sharing, not an outage."""
    name = getattr(store, "name", type(store).__name__)
    where = f"{name}:{getattr(exc, 'path', '')}"  # one warning per store (and refused path)
    if where not in _store_warned:
        _store_warned.add(where)
        log.warning("token store %s failed (%s: %s); continuing without it", name, type(exc).__name__, exc)
    return effect.default


def drive_sync(core: RefreshCore, gen: Flow, sleep: Callable[[float], None]) -> Token | None:
    def perform(effect: Effect) -> Any:
        if isinstance(effect, StoreCall):
            _lease_before(core, effect)
            try:
                out = getattr(core.store, effect.method)(*effect.args)
            except AmzAuthError:
                raise
            except Exception as exc:
                return _store_failed(core.store, effect, exc)
            _lease_after(core, effect, out)
            return out
        if isinstance(effect, Send):
            return core.transport.send(effect.request, core.timeout)
        if isinstance(effect, Sleep):
            sleep(effect.seconds)
        else:
            time.sleep(effect.seconds)
        return None

    return drive(gen, perform)


async def drive_async(core: RefreshCore, gen: Flow, sleep: Callable[[float], Any]) -> Token | None:
    async def perform(effect: Effect) -> Any:
        if isinstance(effect, StoreCall):
            _lease_before(core, effect)
            try:
                out = await getattr(core.store, "a" + effect.method)(*effect.args)
            except AmzAuthError:
                raise
            except Exception as exc:
                return _store_failed(core.store, effect, exc)
            _lease_after(core, effect, out)
            return out
        if isinstance(effect, Send):
            return await core.transport.asend(effect.request, core.timeout)
        if isinstance(effect, Sleep):
            await sleep_maybe_async(sleep, effect.seconds)
        else:
            await asyncio.sleep(effect.seconds)
        return None

    return await adrive(gen, perform)
