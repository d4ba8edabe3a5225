"""CreatorsClient and AsyncCreatorsClient: thin shells over the wire functions and the flows.

Each method validates its input (:mod:`amzauth.creators.wire`), builds the request and its cache
key, and hands a flow (:mod:`amzauth.creators.flow`) to the sync or async driver. Tokens come from
the token engine (``AmazonAuth`` over a ``TokenManager``), so one token serves every client,
thread and process of a credential.

    with CreatorsClient.from_profile() as client:
        for item in client.search_items("usb c cable").items:
            print(item.title, item.price, item.url)
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import httpx

from amzauth.config.profiles import (
    KEYWORDS_PROFILE,
    ConfigError,
    Profile,
    keyword_errors,
    profile_from_keywords,
)
from amzauth.config.redact import fingerprint
from amzauth.core.plan import Plan, build_plan
from amzauth.core.retry import RetryPolicy
from amzauth.creators import wire
from amzauth.creators.errors import CreatorsError
from amzauth.creators.flow import (
    DEFAULT_RETRY,
    Core,
    Flow,
    RawResponse,
    Stats,
    fetch_items,
    fetch_one,
    run_async,
    run_sync,
)
from amzauth.creators.limiter import (
    DEFAULT_BURST,
    DEFAULT_DAILY,
    DEFAULT_MAX_WAIT,
    DEFAULT_RATE,
    LimitSpec,
)
from amzauth.creators.store import ResultStore, store_for
from amzauth.engine import AmazonAuth, TokenManager, manager_for_profile
from amzauth.engine.transport import tls_context
from amzauth.engine.usage import UsageStore, tally_beside

if TYPE_CHECKING:  # the result models (and pydantic) load on the first call, not with the client
    from amzauth.creators.models import BrowseNodesResult, ItemsResult, SearchResult, VariationsResult

log = logging.getLogger("amzauth.creators")

__all__ = ["AsyncCreatorsClient", "CreatorsClient"]

DEFAULT_SEARCH_TTL: Final = 1800.0  # 30 min
DEFAULT_ITEMS_TTL: Final = 3600.0  # 1 h
DEFAULT_STALE_TTL: Final = 86400.0  # keep answers a day for stale-if-error (Amazon's 24 h caching rule)
DEFAULT_TIMEOUT: Final = 10.0


class _Unset:
    """Marks "not given" where None has a meaning (daily_quota=None: no daily cap)."""


_UNSET: Final = _Unset()


@dataclass(frozen=True, slots=True)
class _Tuning:
    """The limiter and cache settings a client runs with: arguments, else profile keys, else defaults."""

    search_ttl: float
    items_ttl: float
    stale_ttl: float
    rate: float
    burst: int
    daily_quota: int | None

    @classmethod
    def resolve(
        cls,
        profile: Profile | None,
        *,
        search_ttl: float | None,
        items_ttl: float | None,
        stale_ttl: float | None,
        rate: float | None,
        burst: int | None,
        daily_quota: int | _Unset | None,
    ) -> _Tuning:
        def pick(given: Any, key: str, default: Any) -> Any:
            if given is not None and not isinstance(given, _Unset):
                return given
            value = profile.get(key) if profile is not None else None
            return default if value is None else value

        daily: int | None
        if isinstance(daily_quota, _Unset):
            from_profile = profile.get("creators_daily") if profile is not None else None
            daily = DEFAULT_DAILY if from_profile is None else (int(from_profile) or None)
        else:
            daily = daily_quota
        return cls(
            search_ttl=float(pick(search_ttl, "search_ttl", DEFAULT_SEARCH_TTL)),
            items_ttl=float(pick(items_ttl, "items_ttl", DEFAULT_ITEMS_TTL)),
            stale_ttl=float(pick(stale_ttl, "stale_ttl", DEFAULT_STALE_TTL)),
            rate=float(pick(rate, "creators_rate", DEFAULT_RATE)),
            burst=int(pick(burst, "creators_burst", DEFAULT_BURST)),
            daily_quota=daily,
        )


@dataclass(frozen=True, slots=True)
class _Call:
    """A validated single-answer call: its cache key and what is needed to make and read the request."""

    key: str
    model: type[Any]
    ttl: float
    target: wire.Target
    operation: wire.Operation
    payload: dict[str, Any]
    parse: Callable[[RawResponse], Any]
    request: wire.ApiRequest


def _diagnosed(exc: CreatorsError, plan: Plan, manager: Any) -> CreatorsError:
    """Attach the doctor's diagnosis (the one cause-selection engine) to a Creators API error."""
    if exc.diagnosis is not None or exc.status is None:
        return exc
    try:
        from amzauth.catalogue import load_catalogue
        from amzauth.core.diagnose import choose, evidence_for

        cached = manager.cached() if manager is not None else None
        choice = choose(
            evidence_for(
                plan,
                client_id=plan.client_id,
                client_secret="",
                stage="api",
                code=exc.reason if exc.reason and exc.reason != "Other" else exc.code,
                status=exc.status,
                message=exc.message,
                retry_after=exc.retry_after,
                clock_skew=manager.last_clock_skew if manager is not None else None,
                token_age=(time.time() - cached.obtained_at)
                if cached is not None and cached.obtained_at
                else None,
            )
        )
        exc.diagnosis = load_catalogue().diagnosis_for(choice)
    except Exception:  # a diagnosis is a bonus; never let it hide Amazon's answer
        log.debug("no diagnosis for %s", exc.code, exc_info=True)
    return exc


_PLAIN: Final = frozenset({str, int, type(None)})  # hashable, and no equal value of another type means more
_STR: Final = frozenset({str})


def _freeze(v: Any) -> Any:
    """A hashable image of one argument: lists become tuples, and a value keeps its type where equal
    values of different types mean different calls (``1``, ``1.0`` and ``True`` hash alike).
    TypeError for anything else (a generator: such a call is simply not memoised).
    """
    cls = v.__class__
    if cls in _PLAIN:
        return v
    if cls is list or cls is tuple:
        if set(map(type, v)) <= _STR:  # the common case (resources, keywords), at C speed
            return tuple(v)
        return tuple([_freeze(x) for x in v])
    if isinstance(v, bool | int | float | str):  # bool, float, subclasses
        return (cls, v)
    if isinstance(v, list | tuple):
        return tuple([_freeze(x) for x in v])
    if isinstance(v, dict):
        return (dict, tuple([(k, _freeze(x)) for k, x in v.items()]))
    if isinstance(v, set | frozenset):
        return (frozenset, frozenset([_freeze(x) for x in v]))
    raise TypeError(type(v).__name__)


def memo_key(operation: str, subject: Any, kw: dict[str, Any]) -> tuple[Any, ...] | None:
    """The memo key of a call, built in one pass from normalised arguments; None when one cannot be."""
    try:
        values = tuple(kw.values())
        if not set(map(type, values)) <= _PLAIN:  # only then look at each value (C speed otherwise)
            values = tuple([v if v.__class__ in _PLAIN else _freeze(v) for v in values])
        return (operation, subject if subject.__class__ in _PLAIN else _freeze(subject), tuple(kw), values)
    except TypeError:
        return None


# The keyword that sets a profile's credential_version.
VERSION_KEYWORD: Final = {"credential_version": "version"}


class _Base:
    """Construction and request building shared by the sync and async clients."""

    def __init__(
        self,
        source: Profile | Plan | None = None,
        client_secret: str | None = None,
        *,
        client_id: str | None = None,
        version: str | None = None,
        sandbox: str | None = None,
        manager: TokenManager | None = None,
        store: str | ResultStore | None = None,
        redis_url: str | None = None,
        cache_dir: str | None = None,
        cache: bool = True,
        search_ttl: float | None = None,
        items_ttl: float | None = None,
        stale_ttl: float | None = None,
        rate: float | None = None,
        burst: int | None = None,
        daily_quota: int | _Unset | None = _UNSET,
        margin: float | None = None,
        max_wait: float = DEFAULT_MAX_WAIT,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        marketplace: str | None = None,
        partner_tag: str | None = None,
        memory_size: int = 4096,
        transport: Any = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] | None = None,
        rand: Callable[[], float] = random.random,
        usage: bool | UsageStore | None = None,
    ) -> None:
        """Give a :class:`Profile` (``load_profile``), a :class:`Plan`, or no source and the keywords
        ``client_id``, ``client_secret``, ``version`` (the credential version, e.g. "3.1"),
        ``marketplace``, ``partner_tag`` and optionally ``sandbox`` (a sandbox URL): checked like a
        profile file, so a bad value raises ConfigError naming the keyword."""
        if source is None:
            source = profile_from_keywords(
                "creators",
                {
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "credential_version": version,
                    "marketplace": marketplace,
                    "partner_tag": partner_tag,
                    "sandbox": sandbox,
                },
                VERSION_KEYWORD,
            )
        elif client_id or version or sandbox:
            raise ConfigError(
                "client_id, version and sandbox are for a client built without a profile",
                key="client_id" if client_id else "version" if version else "sandbox",
                fix="put them in the profile, or pass no profile",
            )
        if isinstance(source, Profile):
            profile: Profile | None = source
            with keyword_errors(VERSION_KEYWORD if source.name == KEYWORDS_PROFILE else {}):
                plan = build_plan(source)
            store = store if store is not None else (source.get("store") or None)
            redis_url = redis_url or source.get("redis_url")
            cache_dir = cache_dir or source.get("cache_dir")
            if timeout is None and source.get("timeout") is not None:
                timeout = float(source.get("timeout"))
        else:
            profile, plan = None, source
        # Arguments win, then the profile's keys (which include AMZAUTH_<KEY>), then the defaults.
        tuned = _Tuning.resolve(
            profile,
            search_ttl=search_ttl,
            items_ttl=items_ttl,
            stale_ttl=stale_ttl,
            rate=rate,
            burst=burst,
            daily_quota=daily_quota,
        )
        search_ttl, items_ttl, stale_ttl = tuned.search_ttl, tuned.items_ttl, tuned.stale_ttl
        if plan.api != "creators":
            raise ConfigError(
                f'profile {plan.profile!r} is an {plan.api!r} profile; the Creators API needs api = "creators"',
                key="api",
                profile=plan.profile,
            )
        for name, ttl in (("search_ttl", search_ttl), ("items_ttl", items_ttl), ("stale_ttl", stale_ttl)):
            if not (isinstance(ttl, int | float) and ttl >= 0):
                raise ValueError(f"{name} must be >= 0 seconds")
        if manager is None:
            if profile is not None:
                manager = manager_for_profile(profile, plan=plan)
            elif client_secret:
                manager = TokenManager(plan, client_secret)
            else:
                raise ValueError("give a Profile, or a Plan with client_secret (or manager=)")
        self.plan = plan
        self.manager = manager
        self.timeout = float(timeout if timeout is not None else DEFAULT_TIMEOUT)
        self.search_ttl = float(search_ttl)
        self.items_ttl = float(items_ttl)
        try:
            result_store = (
                store
                if isinstance(store, ResultStore)
                else store_for(store, cache_dir=cache_dir, redis_url=redis_url)
            )
        except ValueError as exc:
            raise ConfigError(
                str(exc), key="store", profile=plan.profile, fix="use sqlite, redis or memory"
            ) from None
        default_mp = plan.marketplace.host if plan.marketplace else None
        self._marketplace = (
            wire.resolve_marketplace(marketplace, default_mp) if (marketplace or default_mp) else None
        )
        self._partner_tag = partner_tag if partner_tag is not None else plan.partner_tag
        self._targets: dict[tuple[str | None, str | None], wire.Target] = {}
        self._memo: dict[tuple[Any, ...], _Call] = {}
        spec = LimitSpec(
            rate=tuned.rate, burst=tuned.burst, daily=tuned.daily_quota, margin=margin, max_wait=max_wait
        )
        cred = "\x1f".join((plan.client_id, plan.amazon_api_base_url, plan.sandbox or ""))
        self.core = Core(
            store=result_store,
            limiter_key="rl:" + fingerprint(cred),
            spec=spec,
            policy=retry or DEFAULT_RETRY,
            cache=cache,
            stale_ttl=float(stale_ttl),
            memory_size=memory_size,
            clock=clock,
            rand=rand,
        )
        # The usage record, beside the limiter's store (usage=False: off; AMZAUTH_USAGE=off too).
        self.core.stats.sink = tally_beside(result_store, plan, usage)
        self.core.stats.sink.note(
            profile=plan.profile, api="creators", daily=spec.daily, rate=spec.rate, burst=spec.burst
        )
        self._auth = AmazonAuth(manager)
        self._transport = transport
        self._verify = tls_context()  # shared; its CA bundle loads on the first HTTPS handshake only
        self._open(sleep)

    def _open(self, sleep: Callable[[float], Any] | None) -> None:
        """Set up the sync or async HTTP side (the subclasses' only construction step)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(profile={self.plan.profile!r}, marketplace={self._marketplace!r}, "
            f"store={self.core.store.name!r})"
        )

    @property
    def stats(self) -> Stats:
        return self.core.stats

    @property
    def store(self) -> ResultStore:
        return self.core.store

    @property
    def limits(self) -> LimitSpec:
        return self.core.spec

    # -- targets and requests (pure apart from the small memo) ------------------------------------
    def target(self, marketplace: str | None = None, partner_tag: str | None = None) -> wire.Target:
        """Where a call goes; checks marketplace and partner tag before anything is sent."""
        memo = (marketplace, partner_tag)
        t = self._targets.get(memo)
        if t is None:
            host = wire.resolve_marketplace(marketplace, self._marketplace)
            tag = wire.check_partner_tag(partner_tag if partner_tag is not None else self._partner_tag)
            t = self._targets[memo] = wire.Target(self.plan.api_base_url, host, tag)
        return t

    def _prepare(self, operation: wire.Operation, subject: Any, kw: dict[str, Any]) -> _Call:
        """Validate, build the payload and its cache key once per distinct call (memoised)."""
        memo = memo_key(operation, subject, kw)
        found = self._memo.get(memo) if memo is not None else None
        if found is not None:
            return found
        from amzauth.creators.models import BrowseNodesResult, SearchResult, VariationsResult

        kw = dict(kw)
        target = self.target(kw.pop("marketplace", None), kw.pop("partner_tag", None))
        clock = self.core.clock
        model: type[Any]
        parse: Callable[[RawResponse], Any]
        if operation == "searchItems":
            payload = wire.search_payload(subject, partner_tag=target.partner_tag, **kw)
            model, ttl = SearchResult, self.search_ttl

            def parse(r: RawResponse) -> Any:
                return wire.parse_search(r.status, r.headers, r.body, target, payload, clock())

        elif operation == "getVariations":
            payload = wire.variations_payload(subject, partner_tag=target.partner_tag, **kw)
            model, ttl = VariationsResult, self.items_ttl

            def parse(r: RawResponse) -> Any:
                return wire.parse_variations(r.status, r.headers, r.body, target, payload, clock())

        else:
            payload = wire.browse_nodes_payload(subject, partner_tag=target.partner_tag, **kw)
            model, ttl = BrowseNodesResult, self.items_ttl

            def parse(r: RawResponse) -> Any:
                return wire.parse_browse_nodes(r.status, r.headers, r.body, payload, clock())

        call = _Call(
            wire.cache_key(target, operation, payload),
            model,
            ttl,
            target,
            operation,
            payload,
            parse,
            wire.build_request(target, operation, payload),
        )
        if memo is not None:
            if len(self._memo) >= 1024:
                self._memo.clear()
            self._memo[memo] = call
        return call

    def _memory_hit(self, call: _Call, use_cache: bool) -> Any:
        """The fast path: a fresh result in this process's memory, without building a flow."""
        core = self.core
        if not (use_cache and core.cache):
            return None
        hit = core.memory.get(call.key)
        if hit is not None and core.clock() < hit[0]:
            core.stats.hit(call.operation)
            return hit[2]
        return None

    def _one_flow(self, call: _Call, use_cache: bool) -> Flow[Any]:
        return fetch_one(
            self.core, call.key, call.model, call.request, call.parse, call.ttl, use_cache=use_cache
        )

    def _items_flow(
        self, asins: Iterable[str] | str, kw: dict[str, Any], progress: Callable[[int, int], None] | None
    ) -> Flow[ItemsResult]:
        use_cache = kw.pop("use_cache", True)
        target = self.target(kw.pop("marketplace", None), kw.pop("partner_tag", None))
        checked = wire.check_asins(asins)
        probe = wire.items_payload(checked[:1], partner_tag=target.partner_tag, **kw)  # validates options
        prefix = wire.item_key_prefix(target, probe)
        clock = self.core.clock

        def make_request(batch: list[str]) -> wire.ApiRequest:
            payload = dict(probe, itemIds=list(batch))
            return wire.build_request(target, "getItems", payload)

        def parse(batch: list[str]) -> Callable[[RawResponse], Any]:
            return lambda r: wire.parse_items(r.status, r.headers, r.body, target, batch, clock())

        return fetch_items(
            self.core,
            checked,
            prefix,
            make_request,
            parse,
            self.items_ttl,
            use_cache=use_cache,
            progress=progress,
        )

    def clear_cache(self) -> int:
        """Forget every cached result in this client's memory and its store. Returns the store's count."""
        self.core.memory.clear()
        return self.core.store.clear()


def _from_profile(cls: Any, name: str | None, config: str | None, kw: dict[str, Any]) -> Any:
    from amzauth.config import load_profile

    # The loader already folds AMZAUTH_CREATORS_RATE etc. into the profile as ordinary keys.
    return cls(load_profile(name, config), **kw)


class CreatorsClient(_Base):
    """Creators API product data, cached, rate-limited and typed (thread-safe; share one per process)."""

    def _open(self, sleep: Callable[[float], Any] | None) -> None:
        self._sleep: Callable[[float], Any] = sleep or time.sleep
        self._http = httpx.Client(
            auth=self._auth, timeout=self.timeout, verify=self._verify, transport=self._transport
        )

    @classmethod
    def from_profile(cls, name: str | None = None, config: str | None = None, **kw: Any) -> CreatorsClient:
        """A client for a profile of the profiles file (``$AMZAUTH_*`` settings apply)."""
        client: CreatorsClient = _from_profile(cls, name, config, kw)
        return client

    def __enter__(self) -> CreatorsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self.core.stats.sink.flush()

    def _run(self, flow: Flow[Any]) -> Any:
        try:
            return run_sync(self.core, flow, self._http, self.timeout, self._sleep)
        except CreatorsError as exc:
            raise _diagnosed(exc, self.plan, self.manager) from None

    def search_items(
        self,
        keywords: str | Sequence[str] | None = None,
        *,
        search_index: str | None = None,
        item_count: int = 10,
        item_page: int = 1,
        resources: Iterable[str] | None = None,
        **options: Any,
    ) -> SearchResult:
        """searchItems (cached 30 min). Options: brand, title, browse_node_id, sort_by, min_price, max_price,
        min_reviews_rating, min_saving_percent, availability, delivery_flags, condition, actor, artist,
        author, languages_of_preference, currency_of_preference, marketplace, partner_tag, use_cache."""
        use_cache = options.pop("use_cache", True)
        options.update(
            search_index=search_index, item_count=item_count, item_page=item_page, resources=resources
        )
        call = self._prepare("searchItems", keywords, options)
        hit = self._memory_hit(call, use_cache)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        result: SearchResult = self._run(self._one_flow(call, use_cache))
        return result

    def get_items(
        self,
        asins: Iterable[str] | str,
        *,
        resources: Iterable[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
        **options: Any,
    ) -> ItemsResult:
        """getItems for any number of ASINs (10 per request, input order kept, per-item errors listed).

        Options: condition, languages_of_preference, currency_of_preference, marketplace, partner_tag,
        use_cache. ``progress(done, total)`` is called as batches complete.
        """
        options["resources"] = resources
        result: ItemsResult = self._run(self._items_flow(asins, options, progress))
        return result

    def get_variations(
        self,
        asin: str,
        *,
        variation_count: int = 10,
        variation_page: int = 1,
        resources: Iterable[str] | None = None,
        **options: Any,
    ) -> VariationsResult:
        """getVariations of a parent or child ASIN (cached like items)."""
        use_cache = options.pop("use_cache", True)
        options.update(variation_count=variation_count, variation_page=variation_page, resources=resources)
        call = self._prepare("getVariations", asin, options)
        result: VariationsResult = self._memory_hit(call, use_cache) or self._run(
            self._one_flow(call, use_cache)
        )
        return result

    def get_browse_nodes(
        self, ids: Iterable[str | int] | str | int, *, resources: Iterable[str] | None = None, **options: Any
    ) -> BrowseNodesResult:
        """getBrowseNodes for up to 10 node ids (names, ancestors, children)."""
        use_cache = options.pop("use_cache", True)
        options["resources"] = resources
        call = self._prepare("getBrowseNodes", ids, options)
        result: BrowseNodesResult = self._memory_hit(call, use_cache) or self._run(
            self._one_flow(call, use_cache)
        )
        return result


class AsyncCreatorsClient(_Base):
    """The asyncio twin of :class:`CreatorsClient` (same decisions, same cache and limiter)."""

    def _open(self, sleep: Callable[[float], Any] | None) -> None:
        self._asleep: Callable[[float], Any] = sleep or _asyncio_sleep
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def from_profile(
        cls, name: str | None = None, config: str | None = None, **kw: Any
    ) -> AsyncCreatorsClient:
        client: AsyncCreatorsClient = _from_profile(cls, name, config, kw)
        return client

    async def __aenter__(self) -> AsyncCreatorsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self.core.stats.sink.flush()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _run(self, flow: Flow[Any]) -> Any:
        if self._http is None:
            self._http = httpx.AsyncClient(
                auth=self._auth, timeout=self.timeout, verify=self._verify, transport=self._transport
            )
        try:
            return await run_async(self.core, flow, self._http, self.timeout, self._asleep)
        except CreatorsError as exc:
            raise _diagnosed(exc, self.plan, self.manager) from None

    async def search_items(
        self,
        keywords: str | Sequence[str] | None = None,
        *,
        search_index: str | None = None,
        item_count: int = 10,
        item_page: int = 1,
        resources: Iterable[str] | None = None,
        **options: Any,
    ) -> SearchResult:
        use_cache = options.pop("use_cache", True)
        options.update(
            search_index=search_index, item_count=item_count, item_page=item_page, resources=resources
        )
        call = self._prepare("searchItems", keywords, options)
        hit = self._memory_hit(call, use_cache)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        result: SearchResult = await self._run(self._one_flow(call, use_cache))
        return result

    async def get_items(
        self,
        asins: Iterable[str] | str,
        *,
        resources: Iterable[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
        **options: Any,
    ) -> ItemsResult:
        options["resources"] = resources
        result: ItemsResult = await self._run(self._items_flow(asins, options, progress))
        return result

    async def get_variations(
        self,
        asin: str,
        *,
        variation_count: int = 10,
        variation_page: int = 1,
        resources: Iterable[str] | None = None,
        **options: Any,
    ) -> VariationsResult:
        use_cache = options.pop("use_cache", True)
        options.update(variation_count=variation_count, variation_page=variation_page, resources=resources)
        call = self._prepare("getVariations", asin, options)
        result: VariationsResult = self._memory_hit(call, use_cache) or await self._run(
            self._one_flow(call, use_cache)
        )
        return result

    async def get_browse_nodes(
        self, ids: Iterable[str | int] | str | int, *, resources: Iterable[str] | None = None, **options: Any
    ) -> BrowseNodesResult:
        use_cache = options.pop("use_cache", True)
        options["resources"] = resources
        call = self._prepare("getBrowseNodes", ids, options)
        result: BrowseNodesResult = self._memory_hit(call, use_cache) or await self._run(
            self._one_flow(call, use_cache)
        )
        return result


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
