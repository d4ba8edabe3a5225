"""The cached, rate-limited, single-flight call, written once as a generator of effects.

The generators decide everything: look in memory, then the shared store; on a miss take the
per-key lock (threads/tasks first, then processes through the store) and look again; wait for a
slot from the shared limiter; send; classify the answer; back off and retry a throttle or a
5xx within a budget; store the result; and when Amazon throttles or fails while a stale copy
exists, answer with that copy marked ``stale``. The drivers (:func:`run_sync`, :func:`run_async`)
only perform what the generators yield, so threads and asyncio tasks make the same decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar

import httpx

from amzauth.core.effects import Send, Sleep, TryLock, Unlock, Wait, adrive, drive, sleep_maybe_async
from amzauth.core.retry import RetryPolicy
from amzauth.creators.errors import (
    CreatorsError,
    CreatorsNetworkError,
    CreatorsServerError,
    DailyQuotaExceeded,
    LocalThrottle,
    Throttled,
)
from amzauth.creators.limiter import Decision, LimitSpec
from amzauth.creators.store import CacheEntry, MemoryFront, MemoryResultStore, ResultStore, entry_state
from amzauth.creators.wire import ApiRequest, chunks, item_key
from amzauth.engine.transport import RawResponse as RawResponse
from amzauth.engine.transport import network_error
from amzauth.engine.usage import OFF, Tally
from amzauth.errors import AmzAuthError, NetworkError, TokenError

log = logging.getLogger("amzauth.creators")

if TYPE_CHECKING:  # the models (and pydantic) load on the first call, not with the client
    from pydantic import BaseModel

    from amzauth.creators.models import Item, ItemError, ItemsResult

M = TypeVar("M", bound="BaseModel")
T = TypeVar("T")

DEFAULT_RETRY: Final = RetryPolicy(attempts=3, base=0.5, cap=8.0, retry_after_cap=30.0, budget=15.0)
LOCK_TTL: Final = 120.0  # a crashed holder's lock lapses after this
POLL: Final = 0.025  # seconds between looks at another process's lock
JITTER_CAP: Final = 0.02  # at most this much random delay added to a limiter wait
# Per-item answers that will not change on the next call are cached too (shorter), so a page that lists
# a retired ASIN does not spend a request of Amazon's small quota on it at every view.
NEGATIVE_CODES: Final = frozenset({"ItemNotAccessible", "InvalidParameterValue"})
NEGATIVE_TTL: Final = 900.0  # 15 min at most (never longer than the items TTL)
ITEMS: Final = "getItems"  # the operation fetch_items counts its cache outcomes under


# -- effects (Send, Sleep, Wait, TryLock, Unlock come from amzauth.core.effects) --------------------
@dataclass(frozen=True, slots=True)
class Load:
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Save:
    entries: tuple[tuple[str, CacheEntry], ...]


@dataclass(frozen=True, slots=True)
class Acquire:
    """Ask the shared limiter for a slot now (``own``: this caller's own slower pace)."""

    own: bool = False


@dataclass(frozen=True, slots=True)
class Penalize:
    delay: float


@dataclass(frozen=True, slots=True)
class LocalLock:
    key: str


@dataclass(frozen=True, slots=True)
class LocalUnlock:
    key: str


Backoff = Sleep  # the name this module used for the injectable-sleep effect

StoreEffect = Load | Save | TryLock | Unlock | Acquire | Penalize
Effect = StoreEffect | Send[ApiRequest] | Sleep | Wait | LocalLock | LocalUnlock
Flow = Generator[Effect, Any, T]


@dataclass
class Stats:
    """Counters since the client was made (approximate under heavy threading; for humans and benches)."""

    requests: int = 0
    memory_hits: int = 0
    store_hits: int = 0
    misses: int = 0
    stale_served: int = 0
    retries: int = 0
    throttled: int = 0
    waited: float = 0.0
    _mu: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    sink: Tally = field(default=OFF, repr=False, compare=False)  # the credential's usage record

    def add(self, name: str, n: float = 1, op: str = "") -> None:
        with self._mu:
            setattr(self, name, getattr(self, name) + n)
        self.sink.count(name, n, op)

    def hit(self, op: str = "") -> None:
        """``add("memory_hits", op=op)`` for the hottest path, without the name lookups."""
        mu = self._mu
        mu.acquire()  # not ``with``: a third of this method's time
        self.memory_hits += 1
        mu.release()
        self.sink.hit(op)

    def as_dict(self) -> dict[str, float]:
        return {
            k: getattr(self, k) for k in self.__dataclass_fields__ if not k.startswith("_") and k != "sink"
        }


# Failures for which a stale copy is better than an error: Amazon throttled or is unavailable.
def serve_stale_on(exc: BaseException) -> bool:
    if isinstance(exc, Throttled | CreatorsServerError | NetworkError):
        return True
    return isinstance(exc, TokenError) and bool(exc.retryable)


class Core:
    """Everything a flow needs that is not a parameter: store, memory, limiter spec, policy, clocks."""

    def __init__(
        self,
        *,
        store: ResultStore,
        limiter_key: str,
        spec: LimitSpec,
        policy: RetryPolicy,
        cache: bool,
        stale_ttl: float,
        memory_size: int,
        clock: Callable[[], float],
        rand: Callable[[], float],
    ) -> None:
        self.store = store
        self.limiter_key = limiter_key
        self.spec = spec
        self.shared_spec = spec.shared()  # what goes into the credential's shared state
        self.own_key = spec.own_key(limiter_key)  # a slower caller's own pace, apart from the others
        self.policy = policy
        self.cache = cache
        self.stale_ttl = stale_ttl
        self.memory = MemoryFront(memory_size if cache else 0)
        self.clock = clock
        self.rand = rand
        self.stats = Stats()
        self.local_store = MemoryResultStore()  # limiter of last resort when the shared store fails
        self._tlocks: dict[str, list[Any]] = {}
        self._tlocks_mu = threading.Lock()
        self._alocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, list[Any]]] = (
            weakref.WeakKeyDictionary()
        )

    # -- entries -----------------------------------------------------------------------------------
    def decode(self, model: type[M], entry: CacheEntry) -> M | None:
        from amzauth.creators.models import decode_entry

        try:
            return decode_entry(model, entry.data)
        except (ValueError, LookupError, TypeError):  # pydantic's ValidationError is a ValueError
            return None  # written by another version: a miss

    def state(self, entry: CacheEntry | None, now: float, ttl: float) -> str:
        return entry_state(entry, now, ttl, self.stale_ttl)

    def remember(self, key: str, entry: CacheEntry, ttl: float, value: Any) -> None:
        """Put a parsed result in the memory front with this client's freshness."""
        fresh = min(entry.created + ttl, entry.stale_until)
        self.memory.put(key, fresh, min(entry.stale_until, fresh + self.stale_ttl), value)

    def entry(self, result: BaseModel, ttl: float, now: float) -> CacheEntry:
        from amzauth.creators.models import encode_entry

        return CacheEntry(
            data=encode_entry(result),
            created=now,
            fresh_until=now + ttl,
            stale_until=now + ttl + self.stale_ttl,
        )

    # -- in-process per-key locks (reference counted so the maps do not grow) ------------------------
    def thread_lock(self, key: str) -> threading.Lock:
        with self._tlocks_mu:
            slot = self._tlocks.get(key)
            if slot is None:
                slot = self._tlocks[key] = [threading.Lock(), 0]
            slot[1] += 1
            lock: threading.Lock = slot[0]
            return lock

    def thread_unlock(self, key: str) -> None:
        with self._tlocks_mu:
            slot = self._tlocks[key]
            slot[0].release()
            slot[1] -= 1
            if slot[1] == 0:
                del self._tlocks[key]

    def task_lock(self, key: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        locks = self._alocks.setdefault(loop, {})
        slot = locks.get(key)
        if slot is None:
            slot = locks[key] = [asyncio.Lock(), 0]
        slot[1] += 1
        lock: asyncio.Lock = slot[0]
        return lock

    def task_unlock(self, key: str) -> None:
        locks = self._alocks[asyncio.get_running_loop()]
        slot = locks[key]
        slot[0].release()
        slot[1] -= 1
        if slot[1] == 0:
            del locks[key]


def mark(result: M, *, cached: bool, stale: bool = False) -> M:
    """A copy flagged cached/stale, items included (so each item says where it came from)."""
    from amzauth.creators.models import Item

    update: dict[str, Any] = {"cached": cached, "stale": stale}
    items = getattr(result, "items", None)
    if isinstance(items, list) and items and isinstance(items[0], Item):
        update["items"] = [i.model_copy(update={"cached": cached, "stale": stale}) for i in items]
    return result.model_copy(update=update)


# -- one request, paced and retried ----------------------------------------------------------------
def _pace(core: Core, operation: str) -> Flow[None]:
    """Ask the shared limiter until it grants a slot (it counts the request), or refuse.

    A caller whose own rate is slower than the credential's shared pace first waits for its own
    slot (kept under its own key), so its setting slows only itself. Waiters wake with a little
    jitter so a crowd does not ask at the same instant; the total wait is bounded by ``max_wait``
    (then LocalThrottle: nothing was sent).
    """
    waited = 0.0
    for own in (True, False) if core.own_key is not None else (False,):
        while True:
            decision: Decision = yield Acquire(own)
            if decision.refused == "daily":
                raise DailyQuotaExceeded(
                    f"daily quota of {core.spec.daily} requests used up for this credential "
                    "(counted across every process sharing the store); nothing was sent",
                    code="ThrottleException",
                    operation=operation,
                )
            if decision.granted:
                break
            pause = decision.wait + core.rand() * min(JITTER_CAP, 0.1 * core.shared_spec.interval)
            if waited + pause > core.spec.max_wait:
                whose = (
                    f"this caller's own rate setting ({core.spec.rate:g} requests/s)"
                    if own
                    else "the shared rate limiter"
                )
                raise LocalThrottle(
                    f"{whose} would delay this call more than max_wait "
                    f"({core.spec.max_wait:g} s); nothing was sent",
                    operation=operation,
                )
            yield Wait(pause)
            waited += pause


def call(
    core: Core,
    request: ApiRequest,
    parse: Callable[[RawResponse], T | CreatorsError],
    *,
    has_stale: bool,
    tally: list[int] | None = None,
) -> Flow[T]:
    """Wait for the shared limiter, send, parse; retry throttles, 5xx and network errors within the budget.

    With a stale copy at hand a failure is returned at once (the caller serves the copy): retrying
    a throttled API only deepens the throttle. ``tally[0]`` counts the requests sent.
    """
    sent = 0
    spent = 0.0
    while True:
        yield from _pace(core, request.operation)
        sent += 1
        if tally is not None:
            tally[0] += 1
        err: AmzAuthError
        try:
            resp: RawResponse = yield Send(request)
        except NetworkError as exc:
            err = exc
        else:
            out = parse(resp)
            if not isinstance(out, CreatorsError):
                core.stats.sink.answered(request.operation, resp.status)
                return out
            err = out
        core.stats.sink.answered(
            request.operation, getattr(err, "status", None), err.code, getattr(err, "retry_after", None)
        )
        if isinstance(err, Throttled):
            core.stats.add("throttled", op=request.operation)
            yield Penalize(max(err.retry_after or 0.0, core.shared_spec.interval))
        if has_stale and serve_stale_on(err):
            raise err
        if isinstance(err, NetworkError):
            delay = core.policy.decide(sent, error=err, rand=core.rand(), spent=spent)
        else:
            assert isinstance(err, CreatorsError)
            delay = core.policy.decide(
                sent, status=err.status, retry_after=err.retry_after, rand=core.rand(), spent=spent
            )
        if delay is None:
            raise err
        core.stats.add("retries", op=request.operation)
        log.info("creators %s: %s, retrying in %.2f s", request.operation, err.code, delay)
        yield Sleep(delay)
        spent += delay


def _shared_lock(
    core: Core, lock_key: str, watch: Sequence[str], ttl: float
) -> Flow[tuple[str | None, dict[str, CacheEntry]]]:
    """Take the cross-process lock for ``lock_key``; while another process holds it, watch its keys.

    Returns ``(owner, {})`` when we hold the lock, ``(None, entries)`` when the holder finished
    (every watched key fresh), or ``(None, {})`` after waiting ``LOCK_TTL`` (then go without it).
    """
    owner = secrets.token_hex(8)
    deadline = time.monotonic() + LOCK_TTL
    while True:
        got = yield TryLock(lock_key, owner, LOCK_TTL)
        if got:
            return owner, {}
        entries: dict[str, CacheEntry] = yield Load(tuple(watch))
        now = core.clock()
        if all(core.state(entries.get(k), now, ttl) == "fresh" for k in watch):
            return None, entries
        if time.monotonic() > deadline:
            return None, {}
        yield Wait(POLL)


# -- a single cached answer (searchItems, getVariations, getBrowseNodes) ---------------------------
def fetch_one(
    core: Core,
    key: str,
    model: type[M],
    request: ApiRequest,
    parse: Callable[[RawResponse], M | CreatorsError],
    ttl: float,
    *,
    use_cache: bool = True,
) -> Flow[M]:
    use_cache = use_cache and core.cache
    op = request.operation
    if not use_cache:
        core.stats.add("misses", op=op)
        result: M = yield from call(core, request, parse, has_stale=False)
        return result
    now = core.clock()
    hit = core.memory.get(key)
    if hit is not None and now < hit[0]:
        core.stats.add("memory_hits", op=op)
        value: M = hit[2]
        return value
    stale: M | None = hit[2] if hit is not None and now < hit[1] else None
    entries: dict[str, CacheEntry] = yield Load((key,))
    found = yield from _take_entry(core, key, model, entries.get(key), now, ttl, op)
    if found is not None:
        return found
    if stale is None:
        stale = _stale_copy(core, model, entries.get(key), now, ttl)
    yield LocalLock(key)
    try:
        now = core.clock()
        hit = core.memory.get(key)
        if hit is not None and now < hit[0]:  # another thread or task fetched it meanwhile
            core.stats.add("memory_hits", op=op)
            value = hit[2]
            return value
        owner, entries = yield from _shared_lock(core, "one:" + key, (key,), ttl)
        if owner is None and entries:  # another process fetched it meanwhile
            found = yield from _take_entry(core, key, model, entries.get(key), core.clock(), ttl, op)
            if found is not None:
                return found
        try:
            if owner is not None:
                entries = yield Load((key,))  # re-check under the lock
                found = yield from _take_entry(core, key, model, entries.get(key), core.clock(), ttl, op)
                if found is not None:
                    return found
            core.stats.add("misses", op=op)
            try:
                result = yield from call(core, request, parse, has_stale=stale is not None)
            except AmzAuthError as exc:
                if stale is not None and serve_stale_on(exc):
                    core.stats.add("stale_served", op=op)
                    log.warning("creators %s: %s; serving a stale cached copy", request.operation, exc.code)
                    return mark(stale, cached=True, stale=True)
                raise
            done = core.clock()
            cached_copy = mark(result, cached=True)
            entry = core.entry(cached_copy, ttl, done)
            yield Save(((key, entry),))
            core.remember(key, entry, ttl, cached_copy)
            return result
        finally:
            if owner is not None:
                yield Unlock("one:" + key, owner)
    finally:
        yield LocalUnlock(key)


def _take_entry(
    core: Core, key: str, model: type[M], entry: CacheEntry | None, now: float, ttl: float, op: str = ""
) -> Flow[M | None]:
    """A fresh stored entry as a model (and into memory), else None."""
    if core.state(entry, now, ttl) != "fresh":
        return None
    assert entry is not None
    value = core.decode(model, entry)
    if value is None:
        return None
    core.stats.add("store_hits", op=op)
    core.remember(key, entry, ttl, value)
    return value
    yield  # a generator, so callers can ``yield from`` it like every other step


def _stale_copy(core: Core, model: type[M], entry: CacheEntry | None, now: float, ttl: float) -> M | None:
    if core.state(entry, now, ttl) != "stale":
        return None
    assert entry is not None
    return core.decode(model, entry)


# -- getItems for any number of ASINs ------------------------------------------------------------
def fetch_items(
    core: Core,
    asins: Sequence[str],
    prefix: str,
    make_request: Callable[[list[str]], ApiRequest],
    parse: Callable[[list[str]], Callable[[RawResponse], tuple[list[Item], list[ItemError]] | CreatorsError]],
    ttl: float,
    *,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Flow[ItemsResult]:
    """Items in input order: cached ones at once, the rest in batches of 10, one lock per batch.

    Per-item errors (ItemNotAccessible, ...) are collected beside the items. A batch that fails
    with a throttle or an outage after the retries serves stale copies where it has them and
    records the failure for the other ASINs; only when nothing at all could be answered is the
    failure raised. Any other failure (bad partner tag, auth) is raised at once.
    """
    from amzauth.creators.models import ItemError, ItemsResult

    use_cache = use_cache and core.cache
    total = len(asins)
    keys = {a: item_key(prefix, a) for a in asins}
    ekeys = {a: "err:" + k for a, k in keys.items()}
    nttl = min(ttl, NEGATIVE_TTL)
    found: dict[str, Item] = {}
    stale: dict[str, Item] = {}
    errors: dict[str, ItemError] = {}
    failures: list[AmzAuthError] = []
    tally = [0]
    from_cache = 0
    now = core.clock()
    if use_cache:
        for a in asins:
            hit = core.memory.get(keys[a])
            if hit is not None and now < hit[0]:
                found[a] = hit[2]
                core.stats.add("memory_hits", op=ITEMS)
            elif hit is not None and now < hit[1]:
                stale[a] = hit[2]
        rest = [a for a in asins if a not in found]
        if rest:
            entries: dict[str, CacheEntry] = yield Load(tuple(keys[a] for a in rest))
            _sort_entries(core, rest, keys, entries, now, ttl, found, stale)
        unknown = [a for a in asins if a not in found]
        if unknown:
            yield from _known_errors(core, unknown, ekeys, now, nttl, errors)
        from_cache = len(found) + len(errors)
    if progress is not None:
        progress(len(found) + len(errors), total)
    missing = [a for a in asins if a not in found and a not in errors]
    for batch in chunks(missing):
        bkey = "items:" + hashlib.sha256((prefix + "," + ",".join(sorted(batch))).encode()).hexdigest()[:32]
        if use_cache:
            yield LocalLock(bkey)
        try:
            owner: str | None = None
            todo = batch
            if use_cache:
                owner, entries = yield from _shared_lock(core, bkey, tuple(keys[a] for a in batch), ttl)
                if owner is not None:
                    entries = yield Load(tuple(keys[a] for a in batch))
                before = len(found)
                _sort_entries(core, batch, keys, entries, core.clock(), ttl, found, stale)
                from_cache += len(found) - before
                todo = [a for a in batch if a not in found]
            try:
                if todo:
                    core.stats.add("misses", len(todo), op=ITEMS)
                    has_stale = any(a in stale for a in todo)
                    try:
                        items, errs = yield from call(
                            core, make_request(todo), parse(todo), has_stale=has_stale, tally=tally
                        )
                    except AmzAuthError as exc:
                        if not serve_stale_on(exc):
                            raise
                        failures.append(exc)
                        for a in todo:
                            if a in stale:
                                found[a] = mark(stale[a], cached=True, stale=True)
                                core.stats.add("stale_served", op=ITEMS)
                            else:
                                errors[a] = ItemError(asin=a, code=exc.code, message=str(exc))
                    else:
                        done = core.clock()
                        saved: list[tuple[str, CacheEntry]] = []
                        for it in items:
                            found[it.asin] = it
                            if use_cache and it.asin in keys:
                                cached_copy = it.model_copy(update={"cached": True})
                                entry = core.entry(cached_copy, ttl, done)
                                saved.append((keys[it.asin], entry))
                                core.remember(keys[it.asin], entry, ttl, cached_copy)
                        for e in errs:
                            errors[e.asin] = e
                            if use_cache and e.code in NEGATIVE_CODES and e.asin in ekeys:
                                entry = core.entry(e, nttl, done)
                                saved.append((ekeys[e.asin], entry))
                                core.remember(ekeys[e.asin], entry, nttl, e)
                        if saved:
                            yield Save(tuple(saved))
            finally:
                if owner is not None:
                    yield Unlock(bkey, owner)
        finally:
            if use_cache:
                yield LocalUnlock(bkey)
        if progress is not None:
            progress(min(total, len(found) + len(errors)), total)
    if failures and not found and all(a in errors for a in asins):
        raise failures[0]
    ordered = [found[a] for a in asins if a in found]
    return ItemsResult(
        items=ordered,
        errors=[errors[a] for a in asins if a in errors],
        cached=bool(asins) and from_cache == len(asins),
        stale=any(i.stale for i in ordered),
        requests=tally[0],
    )


def _known_errors(
    core: Core,
    asins: Sequence[str],
    ekeys: Mapping[str, str],
    now: float,
    nttl: float,
    errors: dict[str, ItemError],
) -> Flow[None]:
    """Fresh cached per-item errors (NEGATIVE_CODES) into ``errors``: memory first, then the store."""
    from amzauth.creators.models import ItemError

    rest = []
    for a in asins:
        hit = core.memory.get(ekeys[a])
        if hit is not None and now < hit[0]:
            errors[a] = hit[2]
            core.stats.add("memory_hits", op=ITEMS)
        else:
            rest.append(a)
    if not rest:
        return
    entries: dict[str, CacheEntry] = yield Load(tuple(ekeys[a] for a in rest))
    for a in rest:
        e = entries.get(ekeys[a])
        if core.state(e, now, nttl) != "fresh" or e is None:
            continue
        err = core.decode(ItemError, e)
        if err is not None:
            errors[a] = err
            core.stats.add("store_hits", op=ITEMS)
            core.remember(ekeys[a], e, nttl, err)


def _sort_entries(
    core: Core,
    asins: Sequence[str],
    keys: Mapping[str, str],
    entries: Mapping[str, CacheEntry],
    now: float,
    ttl: float,
    found: dict[str, Item],
    stale: dict[str, Item],
) -> None:
    from amzauth.creators.models import Item

    for a in asins:
        if a in found:
            continue
        e = entries.get(keys[a])
        state = core.state(e, now, ttl)
        if state == "dead" or e is None:
            continue
        item = core.decode(Item, e)
        if item is None:
            continue
        if state == "fresh":
            found[a] = item
            core.stats.add("store_hits", op=ITEMS)
            core.remember(keys[a], e, ttl, item)
        else:
            stale.setdefault(a, item)


# -- drivers ------------------------------------------------------------------------------------------
def _store_failed(store: ResultStore, what: str, exc: BaseException) -> None:
    log.warning("creators result store %s failed on %s (%s); going on without it", store.name, what, exc)


def _limiter(core: Core, effect: Acquire) -> tuple[str, LimitSpec]:
    """The limiter state an Acquire asks: the caller's own (slower) pace, or the credential's."""
    if effect.own and core.own_key is not None:
        return core.own_key, core.spec
    return core.limiter_key, core.shared_spec


def _perform_store(core: Core, effect: StoreEffect) -> Any:
    """Store effects; a failing store degrades (miss, no save, no lock, local limiter), never fails a call."""
    store = core.store
    try:
        if isinstance(effect, Load):
            return store.get_many(effect.keys)
        if isinstance(effect, Save):
            store.put_many(effect.entries)
            return None
        if isinstance(effect, TryLock):
            return store.try_lock(effect.key, effect.owner, effect.ttl)
        if isinstance(effect, Unlock):
            store.unlock(effect.key, effect.owner)
            return None
        if isinstance(effect, Acquire):
            return store.acquire(*_limiter(core, effect), time.time())
        if isinstance(effect, Penalize):
            store.penalize(core.limiter_key, effect.delay, time.time())
            return None
    except AmzAuthError:
        raise
    except Exception as exc:
        _store_failed(store, type(effect).__name__, exc)
        if isinstance(effect, Load):
            return {}
        if isinstance(effect, TryLock):
            return True
        if isinstance(effect, Acquire):
            return core.local_store.acquire(*_limiter(core, effect), time.time())
        if isinstance(effect, Penalize):
            core.local_store.penalize(core.limiter_key, effect.delay, time.time())
        return None
    raise TypeError(f"not a store effect: {effect!r}")


@contextlib.contextmanager
def _classified(req: ApiRequest, timeout: float) -> Iterator[None]:
    """Turn an httpx failure of the block into our NetworkError (exit 3, retried by the policy)."""
    try:
        yield
    except httpx.HTTPError as exc:
        raise network_error(
            exc, req.url, timeout, what="Creators API call", cls=CreatorsNetworkError
        ) from None


_SENDABLE: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[httpx.URL, httpx.Headers]] = {}


def _post_args(req: ApiRequest) -> dict[str, Any]:
    """httpx's arguments for a request, its URL and headers parsed once per distinct pair (httpx
    parses a URL string and normalises a header dict on every send; both objects are immutable
    to it: it copies them into each request). The timeout is the client's own (built with it)."""
    key = (req.url, tuple(req.headers.items()))
    sendable = _SENDABLE.get(key)
    if sendable is None:
        if len(_SENDABLE) >= 256:
            _SENDABLE.clear()
        sendable = _SENDABLE[key] = (httpx.URL(req.url), httpx.Headers(req.headers))
    return {"url": sendable[0], "content": req.body, "headers": sendable[1]}


def run_sync(
    core: Core, gen: Flow[T], client: httpx.Client, timeout: float, sleep: Callable[[float], None]
) -> T:
    def perform(effect: Effect) -> Any:
        if isinstance(effect, Send):
            core.stats.add("requests")
            with _classified(effect.request, timeout):
                r = client.post(**_post_args(effect.request))
            return RawResponse(r.status_code, r.headers, r.content)
        if isinstance(effect, LocalLock):
            core.thread_lock(effect.key).acquire()
        elif isinstance(effect, LocalUnlock):
            core.thread_unlock(effect.key)
        elif isinstance(effect, Wait):
            core.stats.add("waited", effect.seconds)
            time.sleep(effect.seconds)
        elif isinstance(effect, Sleep):
            sleep(effect.seconds)
        else:
            return _perform_store(core, effect)
        return None

    return drive(gen, perform)


async def run_async(
    core: Core, gen: Flow[T], client: httpx.AsyncClient, timeout: float, sleep: Callable[[float], Any]
) -> T:
    inline = isinstance(core.store, MemoryResultStore)

    async def perform(effect: Effect) -> Any:
        if isinstance(effect, Send):
            core.stats.add("requests")
            with _classified(effect.request, timeout):
                r = await client.post(**_post_args(effect.request))
            return RawResponse(r.status_code, r.headers, r.content)
        if isinstance(effect, LocalLock):
            await core.task_lock(effect.key).acquire()
        elif isinstance(effect, LocalUnlock):
            core.task_unlock(effect.key)
        elif isinstance(effect, Wait):
            core.stats.add("waited", effect.seconds)
            await asyncio.sleep(effect.seconds)
        elif isinstance(effect, Sleep):
            await sleep_maybe_async(sleep, effect.seconds)
        elif inline:
            return _perform_store(core, effect)
        else:
            return await asyncio.to_thread(_perform_store, core, effect)
        return None

    return await adrive(gen, perform)
