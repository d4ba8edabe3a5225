"""SPAPIClient and AsyncSPAPIClient: SP-API calls with shared tokens, typed errors and quota backoff.

Thin shells: requests and answers are read by :mod:`amzauth.spapi.wire`, tokens come from the
token engine (one refresh per credential across threads and processes, grantless tokens cached
per scope), retries follow :func:`~amzauth.spapi.wire.retry_delay`.

    with SPAPIClient.from_profile("seller") as sp:
        for p in sp.marketplace_participations():
            print(p["marketplace"]["id"], p["storeName"])

    with SPAPIClient.grantless(profile, scope=NOTIFICATIONS_SCOPE) as sp:
        sp.request("GET", "/notifications/v1/destinations")
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
import time
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Concatenate, Final, Generic, ParamSpec, Self, TypeVar, cast

import httpx

from amzauth.config.marketplaces import REGIONS, Region
from amzauth.config.profiles import ConfigError, Profile, profile_from_keywords, resolve_profile
from amzauth.core.diagnose import is_restricted_operation
from amzauth.core.effects import adrive, drive, sleep_maybe_async
from amzauth.core.plan import GRANTLESS_SCOPES, Plan, build_plan, sandbox_url
from amzauth.engine import (
    AmazonAuth,
    TokenManager,
    manager_for_profile,
    shared_sqlite_store,
    store_for_profile,
)
from amzauth.engine.stores import TokenStore
from amzauth.engine.transport import network_error, tls_context
from amzauth.errors import NetworkError
from amzauth.spapi.errors import InvalidInput, SPAPIError, SPAPINetworkError
from amzauth.spapi.sigv4 import SignedAuth, SigV4Signer
from amzauth.spapi.wire import (
    ApiRequest,
    Pacer,
    RetrySettings,
    build_api_request,
    operation_params,
    parse_api_response,
    plan_for_region,
    retry_delay,
)

__all__ = [
    "NOTIFICATIONS_SCOPE",
    "ROTATION_SCOPE",
    "AsyncSPAPIClient",
    "SPAPIClient",
    "diagnose_api_error",
    "grantless_plan",
    "secret_expiry",
]

log = logging.getLogger("amzauth.spapi")
P = ParamSpec("P")
T = TypeVar("T")

NOTIFICATIONS_SCOPE: Final = "sellingpartnerapi::notifications"
ROTATION_SCOPE: Final = "sellingpartnerapi::client_credential:rotation"
ROTATION_PATH: Final = "/applications/2023-11-30/clientSecret"
DEFAULT_TIMEOUT: Final = 15.0
EXPIRY_WARNING_DAYS: Final = 30


def usage_operation(method: str, path: str) -> str:
    """The usage record's operation name: method and the path's first three segments (ids dropped)."""
    return f"{method} " + "/".join(path.split("?", 1)[0].split("/")[:4])


def grantless_plan(source: Profile | Plan, scope: str) -> Plan:
    """The plan for grantless tokens of ``scope`` (client_credentials; cached under its own key)."""
    if scope not in GRANTLESS_SCOPES:
        raise ValueError(f"unknown grantless scope {scope!r}; use one of {', '.join(GRANTLESS_SCOPES)}")
    plan = source if isinstance(source, Plan) else build_plan(source.replace(scope=scope, refresh_token=None))
    return dataclasses.replace(plan, grant_type="client_credentials", scope=scope)


def secret_expiry(profile: Profile, now: datetime | None = None) -> tuple[str, str] | None:
    """``("expired"|"expiring", message)`` when the client secret expires within 30 days, else None."""
    from amzauth.core.inspect import inspect_profile

    for f in inspect_profile(profile, today=now or datetime.now(UTC)):
        if f.cause == "spapi-secret-expired":
            return "expired", f"{f.message}; {f.fix}"
        if f.cause == "secret-expiring":
            return "expiring", f"{f.message}; {f.fix}"
    return None


PARTICIPATIONS_PATH: Final = "/sellers/v1/marketplaceParticipations"
LWA_PROFILE_URL: Final = "https://api.amazon.com/user/profile"  # takes a customer's sign-in token only  # needs no role: the probe call


def _role_probe_useful(exc: SPAPIError | NetworkError, method: str, path: str, plan: Plan) -> bool:
    """Whether a refused call is Amazon's bare 403 that a role-free probe call can explain."""
    return (
        isinstance(exc, SPAPIError)
        and exc.status == 403
        and exc.code == "Unauthorized"
        and not (exc.details or "").strip()
        and "denied" in (exc.message or "").lower()
        and path != PARTICIPATIONS_PATH
        and plan.grant_type == "refresh_token"
        and not is_restricted_operation(f"{method} {path}")  # needs an RDT: the probe cannot tell more
    )


def _region_probe_useful(exc: SPAPIError, baseline_ok: bool | None, plan: Plan) -> bool:
    """A bare 403 that even the role-free call gets (or the role-free call itself): maybe another region."""
    return (
        exc.status == 403
        and exc.code == "Unauthorized"
        and not (exc.details or "").strip()
        and plan.grant_type == "refresh_token"
        and (baseline_ok is False or exc.path == PARTICIPATIONS_PATH)
    )


def diagnose_api_error(
    error: SPAPIError,
    plan: Plan,
    *,
    draft: bool = False,
    baseline_ok: bool | None = None,
    token_region: Region | None = None,
    lwa_profile_token: bool | None = None,
) -> dict[str, Any] | None:
    """A doctor-report diagnosis for an SP-API error (the doctor's own cause rules), or None.

    ``baseline_ok``: whether a role-free call with the same token worked (see ``_role_probe_useful``).
    """
    from amzauth.catalogue import load_catalogue
    from amzauth.core.diagnose import choose, evidence_for

    try:
        ev = evidence_for(
            plan,
            client_id=plan.client_id,
            client_secret="",
            stage="api",
            code=error.code,
            status=error.status,
            message=" ".join(x for x in (error.message, error.details) if x),
            draft=draft,
            retry_after=error.retry_after,
            operation=f"{error.method} {error.path}" if error.path else None,
            baseline_ok=baseline_ok,
            token_region=token_region,
            lwa_profile_token=lwa_profile_token,
        )
        return load_catalogue().diagnosis_for(choose(ev))
    except Exception:  # a diagnosis is a bonus; never let it hide Amazon's answer
        log.debug("no diagnosis for %s", error.code, exc_info=True)
        return None


def _not_spapi(name: str | None, api: str, file: str | None = None) -> ConfigError:
    return ConfigError(
        f"profile {name!r} is a {api} profile, not an SP-API one",
        key="api",
        profile=name,
        file=file,
        fix='use a profile with api = "spapi"',
    )


def _payload_list(doc: dict[str, Any]) -> list[dict[str, Any]]:
    payload = doc.get("payload", [])
    return list(payload) if isinstance(payload, list) else []


def _report_id(doc: dict[str, Any]) -> str:
    return str(doc["reportId"])


def _nothing(doc: dict[str, Any]) -> None:
    return None


def _same(doc: dict[str, Any]) -> dict[str, Any]:
    return doc


@dataclass(frozen=True, slots=True)
class _Call(Generic[T]):
    """One operation as plain data: what to send, and how to read the answer's JSON."""

    method: str
    path: str
    result: Callable[[dict[str, Any]], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None


#: What the retry loop asks its shell to do: wait this many seconds, or send this request.
_Step = float | ApiRequest
#: What the shell hands back: the answer to a request (or why there is none), None after a wait.
_Answer = httpx.Response | httpx.HTTPError | None


class _Base:
    """Construction, request building and the retry loop shared by the sync and async clients."""

    def __init__(
        self,
        source: Profile | Plan | None = None,
        client_secret: str | None = None,
        *,
        client_id: str | None = None,
        region: str | None = None,
        marketplace: str | None = None,
        sandbox: str | None = None,
        refresh_token: str | None = None,
        scope: str | None = None,
        manager: TokenManager | None = None,
        store: TokenStore | str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetrySettings | None = None,
        sigv4: SigV4Signer | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Any] | None = None,
        rand: Callable[[], float] = random.random,
        token_transport: object | None = None,
        transport: Any = None,
    ) -> None:
        """Give a :class:`Profile` (``load_profile``), a :class:`Plan` with ``client_secret``, or no
        source and the keywords ``client_id``, ``client_secret``, ``region`` (na, eu, fe),
        ``refresh_token`` (or ``scope`` for a grantless call), optionally ``marketplace`` and
        ``sandbox`` (a sandbox URL): checked like a profile file, errors name the keyword."""
        self.draft = False
        if source is None:
            source = profile_from_keywords(
                "spapi",
                {
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "region": region,
                    "marketplace": marketplace,
                    "refresh_token": refresh_token,
                    "sandbox": sandbox,
                },
            )
        elif client_id or region or marketplace or sandbox:
            raise ConfigError(
                "client_id, region, marketplace and sandbox are for a client built without a profile",
                key="client_id"
                if client_id
                else "region"
                if region
                else "marketplace"
                if marketplace
                else "sandbox",
                fix="put them in the profile, or pass no profile",
            )
        if manager is None:
            if isinstance(source, Profile):
                manager = self._manager_for_profile(source, scope, store, token_transport)
            else:
                manager = self._manager_for_plan(
                    source, client_secret, refresh_token, scope, store, token_transport
                )
        if manager.plan.api != "spapi":
            raise _not_spapi(manager.plan.profile, manager.plan.api)
        self.manager = manager
        self.plan = manager.plan
        self.timeout = float(timeout)
        self.retry = retry or RetrySettings()
        self._headers = dict(headers or {})
        self._sleep = sleep
        self._rand = rand
        self.pacer = Pacer()
        base_auth: httpx.Auth = AmazonAuth(manager)
        self.auth: httpx.Auth = SignedAuth(base_auth, sigv4) if sigv4 is not None else base_auth
        self._open(
            {
                "auth": self.auth,
                "timeout": self.timeout,
                "transport": transport,
                "follow_redirects": False,
                "verify": tls_context(),
            }
        )

    def _open(self, options: dict[str, Any]) -> None:
        """Create the HTTP client (sync or async) with these httpx options."""
        raise NotImplementedError

    @classmethod
    def from_profile(cls, name: str | None = None, config: str | None = None, **kw: Any) -> Self:
        from amzauth.config import load_profile

        return cls(load_profile(name, config), **kw)

    @classmethod
    def grantless(cls, source: Profile | Plan, scope: str = NOTIFICATIONS_SCOPE, **kw: Any) -> Self:
        return cls(source, scope=scope, **kw)

    def _manager_for_profile(
        self,
        profile: Profile,
        scope: str | None,
        store: TokenStore | str | None,
        token_transport: object | None,
    ) -> TokenManager:
        if profile.api != "spapi":
            raise _not_spapi(profile.name, profile.api, profile.file)
        self.draft = bool(profile.get("draft", False))
        warning = secret_expiry(profile)
        if warning is not None:
            log.warning("profile %r: %s", profile.name, warning[1])
        kw: dict[str, Any] = {}
        if isinstance(store, str):
            kw["store"] = store_for_profile(profile, store)
        elif store is not None:
            kw["store"] = store
        if token_transport is not None:
            kw["transport"] = token_transport
        if scope:
            return manager_for_profile(profile, plan=grantless_plan(profile, scope), **kw)
        return manager_for_profile(resolve_profile(profile), **kw)

    @staticmethod
    def _manager_for_plan(
        plan: Plan,
        client_secret: str | None,
        refresh_token: str | None,
        scope: str | None,
        store: TokenStore | str | None,
        token_transport: object | None,
    ) -> TokenManager:
        if not client_secret:
            raise ConfigError(
                "a client_secret is needed with a plan", key="client_secret", profile=plan.profile
            )
        if scope:
            plan = grantless_plan(plan, scope)
            refresh_token = None
        if isinstance(store, str):
            raise ValueError("pass a TokenStore object with a Plan (store names need a profile)")
        return TokenManager(
            plan,
            client_secret,
            refresh_token=refresh_token,
            store=store if store is not None else shared_sqlite_store(),
            transport=token_transport,
        )

    def __repr__(self) -> str:
        kind = f"grantless {self.plan.scope}" if self.plan.grant_type == "client_credentials" else "seller"
        return f"{type(self).__name__}(profile={self.plan.profile!r}, api={self.plan.api_base_url!r}, {kind})"

    def _steps(self, call: _Call[Any]) -> Generator[_Step, _Answer, dict[str, Any]]:
        """The call with its pacing and retries, without I/O: yields waits and requests, returns the JSON.

        The sync and async shells only sleep and send; every decision is made here, once.
        """
        hdrs = {**self._headers, **(call.headers or {})}

        def build() -> ApiRequest:
            return build_api_request(
                self.plan,
                call.method,
                call.path,
                params=call.params,
                json_body=call.json,
                headers=hdrs,
                now=time.time(),
            )

        attempt, spent = 0, 0.0
        while True:
            attempt += 1
            req = build()
            pause = self.pacer.reserve(f"{req.method} {req.path}", time.monotonic())
            if pause > 0:
                yield pause
                req = build()  # fresh x-amz-date
            answer = yield req
            try:
                if isinstance(answer, httpx.HTTPError):
                    raise network_error(
                        answer, req.url, self.timeout, what="SP-API call", cls=SPAPINetworkError
                    )
                r = cast(httpx.Response, answer)  # the shells answer every request
                doc = parse_api_response(
                    r.status_code, r.headers, r.content, method=req.method, path=req.path
                )
                self.manager.usage.answered(usage_operation(req.method, req.path), r.status_code)
                return doc
            except (SPAPIError, NetworkError) as exc:
                self.manager.usage.answered(
                    usage_operation(req.method, req.path),
                    getattr(exc, "status", None),
                    exc.code,
                    getattr(exc, "retry_after", None),
                )
                self._noted(exc, req)
                delay = retry_delay(
                    exc,
                    method=req.method,
                    attempt=attempt,
                    spent=spent,
                    settings=self.retry,
                    rand=self._rand(),
                )
                if delay is None:
                    baseline_ok: bool | None = None
                    token_region: Region | None = None
                    if _role_probe_useful(exc, req.method, req.path, self.plan):
                        # Amazon's empty-details 403 hides its cause. One role-free call with the same
                        # token tells "this operation needs a role the app lacks" from everything else.
                        probe = yield build_api_request(
                            self.plan, "GET", PARTICIPATIONS_PATH, headers=self._headers, now=time.time()
                        )
                        baseline_ok = isinstance(probe, httpx.Response) and probe.status_code == 200
                    if isinstance(exc, SPAPIError) and _region_probe_useful(exc, baseline_ok, self.plan):
                        # Authorizations are regional: the region whose host takes the token (2 calls).
                        for region in REGIONS:
                            if region == self.plan.region:
                                continue
                            other = plan_for_region(self.plan, region)
                            answer = yield build_api_request(
                                other, "GET", PARTICIPATIONS_PATH, headers=self._headers, now=time.time()
                            )
                            if isinstance(answer, httpx.Response) and answer.status_code == 200:
                                token_region = region
                                break
                    profile_token: bool | None = None
                    cached = self.manager.cached()
                    probed = isinstance(exc, SPAPIError) and _region_probe_useful(exc, baseline_ok, self.plan)
                    if token_region is None and probed and cached is not None:
                        # A customer's Login with Amazon sign-in token is refused everywhere on SP-API.
                        answer = yield ApiRequest(
                            "GET",
                            sandbox_url(LWA_PROFILE_URL, self.plan.sandbox),
                            "/user/profile",
                            {"Authorization": f"Bearer {cached.access_token}"},
                        )
                        profile_token = isinstance(answer, httpx.Response) and answer.status_code == 200
                    raise self._give_up(exc, attempt, baseline_ok, token_region, profile_token) from None
                log.info("%s %s: %s, retrying in %.2f s", req.method, req.path, exc.code, delay)
                yield delay
                spent += delay

    def _noted(self, exc: SPAPIError | NetworkError, req: ApiRequest) -> None:
        if isinstance(exc, SPAPIError) and exc.status == 429:
            self.pacer.on_quota(
                f"{req.method} {req.path}",
                exc.rate_limit,
                time.monotonic(),
                default_rate=self.retry.default_rate,
            )

    def _give_up(
        self,
        exc: SPAPIError | NetworkError,
        attempt: int,
        baseline_ok: bool | None = None,
        token_region: Region | None = None,
        profile_token: bool | None = None,
    ) -> SPAPIError | NetworkError:
        exc.attempts = attempt
        if isinstance(exc, SPAPIError) and exc.diagnosis is None and exc.status is not None:
            exc.diagnosis = diagnose_api_error(
                exc,
                self.plan,
                draft=self.draft,
                baseline_ok=baseline_ok,
                token_region=token_region,
                lwa_profile_token=profile_token,
            )
        return exc

    def _marketplaces(self, marketplace_ids: Sequence[str] | str | None) -> list[str]:
        if isinstance(marketplace_ids, str):
            return [marketplace_ids]
        if marketplace_ids:
            return list(marketplace_ids)
        if self.plan.marketplace is not None:
            return [self.plan.marketplace.marketplace_id]
        raise InvalidInput(
            "no marketplace: pass marketplace_ids, or set marketplace in the profile (e.g. ATVPDKIKX0DER)",
            code="InvalidInput",
        )

    # Operations as data; SPAPIClient and AsyncSPAPIClient turn each into a method (see _sync/_async).

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> _Call[dict[str, Any]]:
        """Call ``METHOD path`` and return the parsed JSON; raises a typed SPAPIError or NetworkError."""
        return _Call(method, path, _same, params=params, json=json, headers=headers)

    def _marketplace_participations(self) -> _Call[list[dict[str, Any]]]:
        """getMarketplaceParticipations: the marketplaces the seller participates in, in this region."""
        return _Call("GET", PARTICIPATIONS_PATH, _payload_list)

    def _search_catalog(
        self,
        keywords: str | Sequence[str] | None = None,
        *,
        identifiers: Sequence[str] | str | None = None,
        identifiers_type: str | None = None,
        marketplace_ids: Sequence[str] | str | None = None,
        included_data: Sequence[str] | None = None,
        page_size: int | None = None,
        brand_names: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> _Call[dict[str, Any]]:
        """searchCatalogItems (2022-04-01) by keywords or identifiers; the answer's JSON."""
        params = operation_params(
            keywords=keywords,
            identifiers=identifiers,
            identifiers_type=identifiers_type,
            marketplace_ids=self._marketplaces(marketplace_ids),
            included_data=included_data,
            page_size=page_size,
            brand_names=brand_names,
            page_token=page_token,
        )
        return _Call("GET", "/catalog/2022-04-01/items", _same, params=params)

    def _get_catalog_item(
        self,
        asin: str,
        *,
        marketplace_ids: Sequence[str] | str | None = None,
        included_data: Sequence[str] | None = None,
    ) -> _Call[dict[str, Any]]:
        """getCatalogItem (2022-04-01): one ASIN; the answer's JSON."""
        params: dict[str, Any] = {"marketplaceIds": self._marketplaces(marketplace_ids)}
        if included_data:
            params["includedData"] = list(included_data)
        return _Call("GET", f"/catalog/2022-04-01/items/{asin}", _same, params=params)

    def _create_report(
        self,
        report_type: str,
        marketplace_ids: Sequence[str] | str | None = None,
        *,
        data_start_time: datetime | str | None = None,
        data_end_time: datetime | str | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> _Call[str]:
        """createReport (2021-06-30); returns the reportId."""
        from amzauth.spapi.wire import query_value

        if not report_type or not report_type.startswith("GET_"):
            raise InvalidInput(
                f"report_type {report_type!r} is not an SP-API report type (they look like GET_MERCHANT_LISTINGS_ALL_DATA)",
                code="InvalidInput",
            )
        body: dict[str, Any] = {
            "reportType": report_type,
            "marketplaceIds": self._marketplaces(marketplace_ids),
        }
        if data_start_time is not None:
            body["dataStartTime"] = query_value(data_start_time)
        if data_end_time is not None:
            body["dataEndTime"] = query_value(data_end_time)
        if report_options:
            body["reportOptions"] = dict(report_options)
        return _Call("POST", "/reports/2021-06-30/reports", _report_id, json=body)

    def _rotate_client_secret(self) -> _Call[None]:
        """rotateApplicationClientSecret: Amazon answers 204 and sends the new secret by notification."""
        if (
            self.plan.grant_type != "client_credentials"
            or ROTATION_SCOPE not in (self.plan.scope or "").split()
        ):
            raise InvalidInput(
                "secret rotation needs a grantless client with the rotation scope: "
                "SPAPIClient.grantless(profile, scope=ROTATION_SCOPE)",
                code="InvalidInput",
            )
        return _Call("POST", ROTATION_PATH, _nothing)


def _public(op: Callable[..., Any], build: Callable[..., Any], owner: str) -> None:
    """Name the method after its operation; its signature is the builder's, less the ``_Call`` return."""
    import inspect

    op.__name__ = build.__name__.lstrip("_")
    op.__qualname__ = f"{owner}.{op.__name__}"
    op.__signature__ = inspect.signature(build).replace(  # type: ignore[attr-defined]
        return_annotation=inspect.Signature.empty
    )


def _sync(build: Callable[Concatenate[_Base, P], _Call[T]]) -> Callable[Concatenate[SPAPIClient, P], T]:
    """The blocking method for an operation of :class:`_Base`."""

    @functools.wraps(build)
    def op(self: SPAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        call = build(self, *args, **kwargs)
        return call.result(self._run(call))

    _public(op, build, "SPAPIClient")
    return op


def _async(
    build: Callable[Concatenate[_Base, P], _Call[T]],
) -> Callable[Concatenate[AsyncSPAPIClient, P], Coroutine[Any, Any, T]]:
    """The coroutine method for an operation of :class:`_Base`."""

    @functools.wraps(build)
    async def op(self: AsyncSPAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        call = build(self, *args, **kwargs)
        return call.result(await self._run(call))

    _public(op, build, "AsyncSPAPIClient")
    return op


class SPAPIClient(_Base):
    """A synchronous SP-API client; thread-safe, one token per credential across processes."""

    _http: httpx.Client

    def _open(self, options: dict[str, Any]) -> None:
        self._http = httpx.Client(**options)

    def __enter__(self) -> SPAPIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self.manager.usage.flush()

    def _run(self, call: _Call[Any]) -> dict[str, Any]:
        sleep = self._sleep or time.sleep

        def perform(step: _Step) -> Any:
            return self._send(step) if isinstance(step, ApiRequest) else sleep(step)

        return drive(self._steps(call), perform)

    def _send(self, req: ApiRequest) -> httpx.Response | httpx.HTTPError:
        try:
            return self._http.request(req.method, req.url, headers=req.headers, content=req.body)
        except httpx.HTTPError as exc:
            return exc

    def token(self) -> Any:
        """The current access token (a :class:`~amzauth.core.tokens.Token`), through the cache."""
        return self.manager.get_token()

    request = _sync(_Base._request)
    marketplace_participations = _sync(_Base._marketplace_participations)
    search_catalog = _sync(_Base._search_catalog)
    get_catalog_item = _sync(_Base._get_catalog_item)
    create_report = _sync(_Base._create_report)
    rotate_client_secret = _sync(_Base._rotate_client_secret)


class AsyncSPAPIClient(_Base):
    """The asyncio twin of :class:`SPAPIClient` (same decisions, same token cache)."""

    _http: httpx.AsyncClient

    def _open(self, options: dict[str, Any]) -> None:
        self._http = httpx.AsyncClient(**options)

    async def __aenter__(self) -> AsyncSPAPIClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        self.manager.usage.flush()

    async def _run(self, call: _Call[Any]) -> dict[str, Any]:
        sleep = self._sleep or asyncio.sleep

        async def perform(step: _Step) -> Any:
            if isinstance(step, ApiRequest):
                return await self._send(step)
            await sleep_maybe_async(sleep, step)
            return None

        return await adrive(self._steps(call), perform)

    async def _send(self, req: ApiRequest) -> httpx.Response | httpx.HTTPError:
        try:
            return await self._http.request(req.method, req.url, headers=req.headers, content=req.body)
        except httpx.HTTPError as exc:
            return exc

    async def token(self) -> Any:
        """The current access token (a :class:`~amzauth.core.tokens.Token`), through the cache."""
        return await self.manager.aget_token()

    request = _async(_Base._request)
    marketplace_participations = _async(_Base._marketplace_participations)
    search_catalog = _async(_Base._search_catalog)
    get_catalog_item = _async(_Base._get_catalog_item)
    create_report = _async(_Base._create_report)
    rotate_client_secret = _async(_Base._rotate_client_secret)
