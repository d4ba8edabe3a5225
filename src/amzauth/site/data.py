"""The site kit's data path: every ASIN of a page in one lookup, cache first, Amazon within a budget.

:func:`classify` (pure) sorts cached items into fresh, aging (due for a background refresh) and
stale. :class:`ProductData` is the shell around a shared :class:`CreatorsClient`:

- ``peek`` reads the client's memory front and shared store without any request;
- ``lookup`` answers fresh items at once, queues aging ones for the background refresher and
  fetches the rest with ``get_items`` (batches of 10) in a worker thread, waiting at most the
  render budget; past it the page gets stale copies or plain links while the fetch finishes and
  fills the cache for the next view;
- the refresher coalesces aging ASINs from every page into batches of 10 and re-reads them through
  a second client on the same store, limiter and token manager whose TTL is ``refresh_ahead`` of
  the main one, so entries are renewed before they expire and views never wait once warm. A batch
  goes when it holds 10 due ASINs or when the earliest queued deadline (the entry's expiry minus
  :func:`send_margin`) is reached, so Amazon calls per period stay near distinct items / 10
  however slowly items come due;
- each failure is logged once per (code, ASIN) and TTL window, with the catalogue code the doctor
  uses (``amzauth explain CODE``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Final

from amzauth.creators import wire
from amzauth.creators.client import CreatorsClient
from amzauth.creators.flow import NEGATIVE_CODES, NEGATIVE_TTL
from amzauth.creators.models import BrowseNodesResult, Item, ItemError, ItemsResult, SearchResult
from amzauth.errors import AmazonUnavailable, AmzAuthError
from amzauth.site.settings import SiteSettings

__all__ = ["BUSY", "FAILED", "OK", "PENDING", "Found", "ProductData", "classify"]

OK: Final = "ok"
PENDING: Final = "pending"  # still fetching past the render budget
BUSY: Final = "busy"  # throttled, quota spent or Amazon unavailable: "try again shortly"
FAILED: Final = "failed"

log = logging.getLogger("amzauth.site")

# At most this long (s) between deadline checks while ASINs wait (the clock may be injected).
POLL: Final = 1.0
HOLD: Final = 2.0  # a partial batch waits at least this long (s) after its first ASIN was queued
REQUEUE_AFTER: Final = 30.0  # an ASIN whose refresh failed is not queued again for this long (at most)


def send_margin(ttl: float, refresh_ahead: float) -> float:
    """How long before an entry expires its refresh is sent at the latest: 30 s, at most half the window.

    The refresh window is ``ttl * (1 - refresh_ahead)``; sending this far ahead of the expiry leaves
    time for the request (and a retry) so a shown price never outlives its TTL.
    """
    return min(30.0, ttl * (1 - refresh_ahead) / 2)


@dataclass(slots=True)
class Found:
    """A page's product data: items by ASIN, per-ASIN error codes, and whether a fetch is still running."""

    items: dict[str, Item] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    pending: bool = False


def classify(
    items: dict[str, Item], now: float, ttl: float, refresh_ahead: float
) -> tuple[list[str], list[str], list[str]]:
    """(fresh, aging, stale) ASINs by the age of Amazon's answer. Pure.

    Aging items are still fresh but past ``refresh_ahead`` of their TTL: serve them, refresh them.
    """
    fresh: list[str] = []
    aging: list[str] = []
    stale: list[str] = []
    due = ttl * refresh_ahead
    for asin, item in items.items():
        age = now - item.fetched_at if item.fetched_at is not None else None
        if age is None or age >= ttl:
            stale.append(asin)
        else:
            fresh.append(asin)
            if age >= due:
                aging.append(asin)
    return fresh, aging, stale


def failure_code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, AmzAuthError) else type(exc).__name__


class ProductData:
    """Cached product data for pages, fetched in batches within a render budget (thread-safe)."""

    def __init__(
        self,
        client: CreatorsClient,
        settings: SiteSettings,
        *,
        clock: Callable[[], float] | None = None,
        marketplace: str | None = None,
        partner_tag: str | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock or client.core.clock
        target = client.target(marketplace, partner_tag)
        # Another store of the credential's region (localised links): every call names it.
        self._where: dict[str, Any] = (
            {"marketplace": target.marketplace, "partner_tag": target.partner_tag}
            if marketplace is not None
            else {}
        )
        self.marketplace: str = target.marketplace
        self.partner_tag: str = target.partner_tag
        probe = wire.items_payload(["B000000000"], partner_tag=target.partner_tag)
        self._prefix = wire.item_key_prefix(target, probe)
        self.ttl = client.items_ttl
        self._pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="amzauth-site")
        self._mu = threading.Lock()
        self._inflight: dict[frozenset[str], Future[ItemsResult]] = {}
        self._searches: dict[tuple[Any, ...], Future[Any]] = {}
        self._logged: dict[tuple[str, str], float] = {}
        self._queued: dict[str, float] = {}
        self._queue: dict[str, float] = {}  # ASIN -> clock time its refresh must be sent by
        self._wake = threading.Condition(self._mu)
        self._refresher: CreatorsClient | None = None
        self._claims: set[str] = set()  # ASINs this process has claimed to renew for the fleet
        self._owner = secrets.token_hex(8)
        self._refresh_thread: threading.Thread | None = None
        self._closed = False
        self.refreshes = 0  # refresh batches started (for tests and benches)

    # -- reading the cache without a request ----------------------------------------------------------
    def key(self, asin: str) -> str:
        return wire.item_key(self._prefix, asin)

    def peek(self, asins: Sequence[str]) -> Found:
        """Cached items (any age the store still keeps) and cached per-item errors; never a request."""
        core = self.client.core
        now = self.clock()
        found = Found()
        rest: list[str] = []
        for a in asins:
            hit = core.memory.get(self.key(a))
            if hit is not None and now < hit[1] and now - (hit[2].fetched_at or 0) < self.ttl:
                found.items[a] = hit[2]
            else:
                ehit = core.memory.get("err:" + self.key(a))
                if ehit is not None and now < ehit[0] and isinstance(ehit[2], ItemError):
                    found.errors[a] = ehit[2].code
                else:
                    rest.append(a)
        if not rest:
            return found
        keys = [self.key(a) for a in rest]
        try:
            entries = core.store.get_many(keys + ["err:" + k for k in keys])
        except Exception as exc:  # a failing store is a miss, never a broken page
            self._log_once(type(exc).__name__, "store", f"result store failed ({exc}); going on without it")
            return found
        for a, k in zip(rest, keys, strict=True):
            entry = entries.get(k)
            if entry is not None and now < entry.stale_until:
                item = core.decode(Item, entry)
                if item is not None:
                    found.items[a] = item
                    if now < entry.created + self.ttl:
                        core.remember(k, entry, self.ttl, item)
                    continue
            err_entry = entries.get("err:" + k)
            if err_entry is not None and now < min(err_entry.fresh_until, err_entry.created + NEGATIVE_TTL):
                err = core.decode(ItemError, err_entry)
                if err is not None:
                    found.errors[a] = err.code
        return found

    # -- a page's lookup --------------------------------------------------------------------------------
    def lookup(self, asins: Sequence[str], *, wait: bool = True) -> Found | None:
        """Items for ``asins``; fetches what is missing or stale within the budget.

        With ``wait=False`` returns None instead of fetching (the caller's fast path).
        """
        asins = list(dict.fromkeys(asins))
        found = self.peek(asins)
        now = self.clock()
        _fresh, aging, stale = classify(found.items, now, self.ttl, self.settings.refresh_ahead)
        if aging:
            margin = send_margin(self.ttl, self.settings.refresh_ahead)
            self.queue_refresh(
                aging, {a: (found.items[a].fetched_at or now) + self.ttl - margin for a in aging}
            )
        # Just past its TTL (it missed the refresh window): serve the copy and renew it behind, batched
        # with the others (its deadline has passed: it goes at once); long stale: worth the render
        # budget to get a fresh answer.
        grace = self.ttl * (1 - self.settings.refresh_ahead)
        behind = [
            a for a in stale if (f := found.items[a].fetched_at) is not None and now - f < self.ttl + grace
        ]
        if behind:
            self.queue_refresh(behind)
        stale_set = set(stale) - set(behind)
        need = [a for a in asins if a not in found.errors and (a not in found.items or a in stale_set)]
        if not need:
            return found
        if not wait:
            return None
        fut = self._fetch(need)
        try:
            result = fut.result(timeout=self.settings.budget)
        except FutureTimeout:
            found.pending = True
            return found
        except Exception:
            return found  # logged once by the fetch's callback; stale copies (if any) stay
        for item in result.items:
            found.items[item.asin] = item
        for e in result.errors:
            found.errors[e.asin] = e.code
            if e.code in NEGATIVE_CODES:  # Amazon no longer offers it here: a plain link, not an old copy
                found.items.pop(e.asin, None)
        return found

    def _fetch(self, asins: list[str]) -> Future[ItemsResult]:
        key = frozenset(asins)
        with self._mu:
            fut = self._inflight.get(key)
            if fut is not None and not fut.done():
                return fut
            fut = self._pool.submit(functools.partial(self.client.get_items, asins, **self._where))
            self._inflight[key] = fut

        def done(f: Future[ItemsResult]) -> None:
            with self._mu:
                if self._inflight.get(key) is f:
                    del self._inflight[key]
            self._report(f, asins)

        fut.add_done_callback(done)
        return fut

    def search(self, *, keywords: str | None, **options: Any) -> tuple[SearchResult | None, bool]:
        """A cached search within the budget: (result or None, still pending)."""
        result, state = self.search_state(keywords=keywords, **options)
        return result, state == PENDING

    def search_state(self, *, keywords: str | None, **options: Any) -> tuple[SearchResult | None, str]:
        """A cached search within the budget and how it went: ``ok``, ``pending``, ``busy`` or ``failed``.

        ``busy`` means Amazon (or the fleet's limiter, its quota spent) asked us to wait: the page
        says "try again shortly" instead of an error. Cached queries answer without the limiter.
        """
        key = ("search", keywords, tuple(sorted(options.items())))
        got, state = self._budgeted(key, f"search:{keywords}", self.client.search_items, keywords, **options)
        return got, state

    def browse_node(self, node_id: str) -> tuple[BrowseNodesResult | None, str]:
        """getBrowseNodes for one node (name, ancestors, children), cached, within the budget."""
        return self._budgeted(("node", node_id), f"node:{node_id}", self.client.get_browse_nodes, [node_id])

    def _budgeted(
        self, key: tuple[Any, ...], subject: str, fn: Callable[..., Any], *args: Any, **kw: Any
    ) -> tuple[Any, str]:
        """Run one cached call in the pool (shared by concurrent views), wait at most the budget."""
        with self._mu:
            fut = self._searches.get(key)
            if fut is None or (fut.done() and fut.exception() is not None):
                fut = self._pool.submit(fn, *args, **kw)
                self._searches[key] = fut
                if len(self._searches) > 256:
                    for k in [k for k, f in self._searches.items() if f.done()][:128]:
                        del self._searches[k]
                fut.add_done_callback(lambda f: self._report(f, [subject]))
        try:
            result = fut.result(timeout=self.settings.budget)
        except FutureTimeout:
            return None, PENDING
        except Exception as exc:
            with self._mu:
                self._searches.pop(key, None)
            return None, BUSY if isinstance(exc, AmazonUnavailable) else FAILED
        with self._mu:
            self._searches.pop(key, None)  # the client's cache answers the next view
        return result, OK

    # -- background refresh -----------------------------------------------------------------------------
    def queue_refresh(self, asins: Iterable[str], deadlines: Mapping[str, float] | None = None) -> None:
        """Renew these entries in the background (coalesced into batches of 10 across pages).

        ``deadlines`` gives the clock time each refresh must be sent by (default: now). Either way a
        partial batch waits a short hold after queueing for company (ASINs seen late, near or past
        their deadline, come in bunches), while views keep serving the cached copy.
        """
        now = time.monotonic()
        window = self.ttl * (1 - self.settings.refresh_ahead)
        at = self.clock() + min(HOLD, window / 2)
        deadlines = deadlines or {}
        backoff = min(REQUEUE_AFTER, self.ttl * (1 - self.settings.refresh_ahead))
        with self._mu:
            if self._closed:
                return
            added = False
            for a in asins:
                if now - self._queued.get(a, -backoff) >= backoff:
                    self._queued[a] = now
                    self._queue[a] = max(deadlines.get(a, at), at)
                    added = True
            if len(self._queued) > 100_000:
                self._queued.clear()
            if not added:
                return
            if self._refresh_thread is None:
                self._refresh_thread = threading.Thread(
                    target=self._refresh_loop, name="amzauth-site-refresh", daemon=True
                )
                self._refresh_thread.start()
            self._wake.notify()

    def refresher(self) -> CreatorsClient:
        """A client on the same store, limiter and token manager that sees aging entries as stale."""
        if self._refresher is None:
            c = self.client
            spec = c.limits
            self._refresher = CreatorsClient(
                c.plan,
                manager=c.manager,
                store=c.store,
                items_ttl=self.ttl * self.settings.refresh_ahead,
                stale_ttl=c.core.stale_ttl + self.ttl,
                rate=spec.rate,
                burst=spec.burst,
                daily_quota=spec.daily,
                margin=spec.margin,
                max_wait=spec.max_wait,
                retry=c.core.policy,
                timeout=c.timeout,
                marketplace=self.marketplace,
                partner_tag=self.partner_tag,
                memory_size=0,
                clock=c.core.clock,
            )
        return self._refresher

    def _refresh_loop(self) -> None:
        while True:
            with self._mu:
                while not self._closed and not self._ready():
                    # Woken by each queued ASIN; otherwise re-check the earliest deadline.
                    left = min(self._queue.values()) - self.clock() if self._queue else None
                    self._wake.wait(None if left is None else min(POLL, max(0.01, left)))
                if self._closed:
                    return
            batch = self._take_batch()
            if not batch:
                continue
            try:
                self.refreshes += 1
                result = self.refresher().get_items(batch)
            except Exception as exc:
                if self._closed:
                    return
                self._log_once(failure_code(exc), "refresh", f"background refresh failed: {exc}")
                continue
            finally:
                self._release(batch)
            # The main client's memory front still holds the old copies: let the next peek read the store.
            self.client.core.memory.discard([self.key(i.asin) for i in result.items])
            with self._mu:  # renewed: they may be queued again when they next age
                for a in batch:
                    self._queued.pop(a, None)

    def _ready(self) -> bool:
        """A batch is worth sending: 10 ASINs wait, or the earliest deadline has come (lock held)."""
        return len(self._queue) >= 10 or (bool(self._queue) and min(self._queue.values()) <= self.clock())

    def _take_batch(self) -> list[str]:
        """Queued ASINs still aging in the shared store, in whole tens (a partial ten once one is due).

        ASINs another process has renewed meanwhile are dropped (and this process's memory copy
        with them), so a fleet refreshes each item about once per period, in full getItems batches.
        """
        with self._mu:
            queued = list(self._queue)
        renewed = self._renewed(queued)
        with self._mu:
            for a in renewed:
                self._queue.pop(a, None)
                self._queued.pop(a, None)
            # Earliest deadline first; a partial ten only once the earliest is due.
            rest = sorted(self._queue, key=self._queue.__getitem__)[:100]
            overdue = bool(rest) and self._queue[rest[0]] <= self.clock()
            tens = len(rest) // 10 * 10
            target = min(len(rest), max(10, tens)) if overdue else tens
            mine = [a for a in rest if a in self._claims]
        # Claim ASINs in the shared store only as whole tens are needed, so one process of the fleet
        # renews each of them and every process sends full batches.
        for a in rest:
            if len(mine) >= target:
                break
            if a in mine:
                continue
            if self._claim([a]):
                mine.append(a)
            else:  # another process renews it
                with self._mu:
                    self._queue.pop(a, None)
                    self._queued.pop(a, None)
        with self._mu:
            self._claims.update(mine)
            batch = mine[: max(10, len(mine) // 10 * 10)] if overdue else mine[: len(mine) // 10 * 10]
            for a in batch:
                self._queue.pop(a, None)
        if renewed:
            self.client.core.memory.discard([self.key(a) for a in renewed])
        return batch

    def _claim(self, asins: Sequence[str]) -> set[str]:
        lease = max(1.0, min(REQUEUE_AFTER, self.ttl * (1 - self.settings.refresh_ahead)))
        store = self.client.core.store
        taken: set[str] = set()
        for a in asins:
            try:
                if store.try_lock("refresh:" + self.key(a), self._owner, lease):
                    taken.add(a)
            except Exception:
                taken.add(a)  # no shared store: renew it ourselves
        return taken

    def _release(self, asins: Sequence[str]) -> None:
        store = self.client.core.store
        with self._mu:
            for a in asins:
                self._claims.discard(a)
        for a in asins:
            with contextlib.suppress(Exception):
                store.unlock("refresh:" + self.key(a), self._owner)

    def _renewed(self, asins: Sequence[str]) -> list[str]:
        """Those of ``asins`` whose shared entry is no longer due for a refresh (another process renewed it)."""
        if not asins:
            return []
        try:
            entries = self.client.core.store.get_many([self.key(a) for a in asins])
        except Exception:
            return []
        due = self.ttl * self.settings.refresh_ahead
        now = self.clock()
        return [a for a in asins if (e := entries.get(self.key(a))) is not None and now - e.created < due]

    # -- failures, once ------------------------------------------------------------------------------
    def _report(self, fut: Future[Any], subjects: Sequence[str]) -> None:
        exc = fut.exception()
        if exc is not None:
            code = failure_code(exc)
            self._log_once(
                code,
                ",".join(subjects[:10]),
                f"Amazon product data unavailable for {', '.join(subjects[:10])}: {exc} "
                f"(amzauth explain {code}); showing cached copies or plain links",
            )
            return
        result = fut.result()
        for e in getattr(result, "errors", ()):
            self._log_once(
                e.code, e.asin, f"Amazon has no data for {e.asin}: {e.code} (amzauth explain {e.code})"
            )

    def _log_once(self, code: str, subject: str, message: str) -> None:
        now = time.monotonic()
        with self._mu:
            last = self._logged.get((code, subject))
            if last is not None and now - last < self.ttl:
                return
            if len(self._logged) > 10_000:
                self._logged.clear()
            self._logged[(code, subject)] = now
        log.warning("%s [code=%s]", message, code)

    # -- lifecycle ---------------------------------------------------------------------------------------
    def warm(self, asins: Sequence[str], progress: Callable[[int, int], None] | None = None) -> ItemsResult:
        """Fill the cache for ``asins`` (batches of 10; cached ones cost nothing)."""
        return self.client.get_items(asins, progress=progress, **self._where)

    def close(self) -> None:
        with self._mu:
            self._closed = True
            self._wake.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._refresher is not None:
            with contextlib.suppress(Exception):
                self._refresher.close()
