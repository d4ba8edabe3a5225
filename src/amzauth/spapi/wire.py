"""SP-API calls on the wire, without I/O: build the request, read the answer, decide on a retry.

Pure functions over plain data, shared by the sync and async clients: query parameters as SP-API
expects them (lists comma-joined, booleans lower case), the ``errors`` array turned into a typed
:class:`~amzauth.spapi.errors.SPAPIError` with request id and rate limit, and the backoff for
``QuotaExceeded`` (paced by ``x-amzn-RateLimit-Limit``, inside a time budget).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlencode

from amzauth.config.marketplaces import Region
from amzauth.core.plan import Plan
from amzauth.core.tokens import header, parse_retry_after
from amzauth.errors import NetworkError
from amzauth.spapi.errors import SPAPIError, error_class

USER_AGENT: Final = "amzauth/0.1 (Language=Python)"
IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES: Final = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One SP-API request, before the access token header is added (the engine's AmazonAuth adds it)."""

    method: str
    url: str
    path: str
    headers: dict[str, str] = field(hash=False)
    body: bytes | None = None


def query_value(value: Any) -> str:
    """SP-API query form: lists comma-joined, booleans ``true``/``false``, datetimes ISO 8601 UTC."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        v = value if value.tzinfo else value.replace(tzinfo=UTC)
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(query_value(v) for v in value)
    return str(value)


def plan_for_region(plan: Plan, region: Region) -> Plan:
    """The same plan aimed at another region's SP-API host (for the region probe)."""
    from dataclasses import replace

    from amzauth.config.marketplaces import SPAPI_HOST_BY_REGION
    from amzauth.core.plan import sandbox_url

    url = f"https://{SPAPI_HOST_BY_REGION[region]}"
    return replace(plan, region=region, api_base_url=sandbox_url(url, plan.sandbox), amazon_api_base_url=url)


def build_api_request(
    plan: Plan,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    now: float | None = None,
) -> ApiRequest:
    """The request for ``METHOD path`` on the plan's regional API host (or the sandbox)."""
    m = method.upper()
    p = path if path.startswith("/") else "/" + path
    url = plan.api_base_url + p
    if params:
        pairs = [(k, query_value(v)) for k, v in params.items() if v is not None]
        if pairs:
            url += ("&" if "?" in url else "?") + urlencode(pairs)
    hdrs = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if now is not None:
        hdrs["x-amz-date"] = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    body = None
    if json_body is not None:
        hdrs["Content-Type"] = "application/json"
        body = json.dumps(json_body, separators=(",", ":")).encode()
    if headers:
        hdrs.update(headers)
    return ApiRequest(m, url, p, hdrs, body)


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        v = float(value.strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_api_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """The answer's JSON object (``{}`` for an empty 2xx), or raise the typed SPAPIError."""
    rid = header(headers, "x-amzn-RequestId") or header(headers, "x-amz-request-id")
    rate = _float(header(headers, "x-amzn-RateLimit-Limit"))
    retry_after = parse_retry_after(header(headers, "Retry-After"))
    error_type = header(headers, "x-amzn-ErrorType")
    text = body.strip()
    doc: Any = None
    if text:
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            doc = None
    if 200 <= status < 300:
        if not text:
            return {}
        if isinstance(doc, dict):
            return doc
        if isinstance(doc, list):
            return {"payload": doc}
        raise SPAPIError(
            f"SP-API answered HTTP {status} with a body that is not JSON",
            status=status,
            code="InvalidResponse",
            request_id=rid,
            method=method,
            path=path,
        )
    errors: list[dict[str, Any]] = []
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list):
        errors = [e for e in doc["errors"] if isinstance(e, dict)]
    elif isinstance(doc, dict) and ("message" in doc or "Message" in doc):
        errors = [
            {
                "code": doc.get("code") or doc.get("__type"),
                "message": doc.get("message") or doc.get("Message"),
            }
        ]
    first = errors[0] if errors else {}
    code = first.get("code") if isinstance(first.get("code"), str) else None
    if not code and error_type:
        code = error_type.split(":", 1)[0].removesuffix("Exception") or None
    message = first.get("message") if isinstance(first.get("message"), str) else None
    details = first.get("details") if isinstance(first.get("details"), str) else None
    if message is None:
        message = f"HTTP {status}" + (" with a non-JSON body" if text and doc is None else "")
    cls = error_class(code, status)
    return_code = code or cls.code
    raise cls(
        message,
        status=status,
        code=return_code,
        details=details or None,
        request_id=rid,
        rate_limit=rate,
        retry_after=retry_after,
        errors=tuple(errors),
        method=method,
        path=path,
        error_type=error_type,
    )


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How hard the client tries: at most ``attempts`` requests and ``budget`` seconds of waiting."""

    attempts: int = 6
    budget: float = 30.0
    cap: float = 10.0
    default_rate: float = 1.0  # requests per second assumed when no x-amzn-RateLimit-Limit came

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        for name in ("budget", "cap", "default_rate"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0")


def retry_delay(
    error: BaseException,
    *,
    method: str,
    attempt: int,
    spent: float,
    settings: RetrySettings,
    rand: float,
) -> float | None:
    """Seconds to wait before asking again, or None to give up and raise ``error``.

    QuotaExceeded (429) is always safe to retry: the request was refused, not run. The wait is one
    token's worth at the advertised rate, doubled per attempt, jittered, capped and kept inside the
    budget (Retry-After wins when sent). 5xx and network failures are retried only for idempotent
    methods, so a report is never created twice.
    """
    if attempt >= settings.attempts:
        return None
    status = getattr(error, "status", None)
    if isinstance(error, SPAPIError) and not isinstance(error, NetworkError):
        if status == 429 or error.code == "QuotaExceeded":
            rate = error.rate_limit if error.rate_limit and error.rate_limit > 0 else settings.default_rate
            base = 1.0 / rate
        elif status in RETRY_STATUSES and method.upper() in IDEMPOTENT:
            base = 0.5
        else:
            return None
        ra = error.retry_after
    elif isinstance(error, NetworkError) and method.upper() in IDEMPOTENT:
        base, ra = 0.25, None
    else:
        return None
    if ra is not None and math.isfinite(ra):
        delay = float(ra)
    else:
        jitter = 0.5 + 0.5 * max(0.0, min(1.0, rand))
        delay = min(settings.cap, base * (2.0 ** max(0, attempt - 1))) * jitter
    if spent + delay > settings.budget:
        return None
    return delay


def operation_params(
    *,
    keywords: str | Sequence[str] | None = None,
    identifiers: Sequence[str] | str | None = None,
    identifiers_type: str | None = None,
    marketplace_ids: Sequence[str],
    included_data: Sequence[str] | None = None,
    page_size: int | None = None,
    brand_names: Sequence[str] | None = None,
    page_token: str | None = None,
) -> dict[str, Any]:
    """Query parameters of searchCatalogItems (2022-04-01), validated before any request."""
    from amzauth.spapi.errors import InvalidInput

    if (keywords is None or keywords == "" or keywords == []) == (identifiers is None or identifiers == []):
        raise InvalidInput("give either keywords or identifiers (exactly one of them)", code="InvalidInput")
    if not marketplace_ids:
        raise InvalidInput(
            "marketplace_ids is empty: pass one, or set marketplace in the profile", code="InvalidInput"
        )
    if page_size is not None and not 1 <= page_size <= 20:
        raise InvalidInput("page_size must be between 1 and 20", code="InvalidInput")
    params: dict[str, Any] = {"marketplaceIds": list(marketplace_ids)}
    if keywords:
        params["keywords"] = [keywords] if isinstance(keywords, str) else list(keywords)
    if identifiers:
        ids = [identifiers] if isinstance(identifiers, str) else list(identifiers)
        if len(ids) > 20:
            raise InvalidInput("at most 20 identifiers per request", code="InvalidInput")
        params["identifiers"] = ids
        params["identifiersType"] = (identifiers_type or "ASIN").upper()
    if included_data:
        params["includedData"] = list(included_data)
    if page_size is not None:
        params["pageSize"] = page_size
    if brand_names:
        params["brandNames"] = list(brand_names)
    if page_token:
        params["pageToken"] = page_token
    return params


class Pacer:
    """After an operation answered QuotaExceeded, space its calls at the advertised rate for a while.

    SP-API limits each operation with a token bucket; once it is empty, calling as fast as answers
    come back only collects more 429s. The pacer turns the rate from ``x-amzn-RateLimit-Limit`` into
    a reserved slot per call (GCRA's theoretical arrival time), for ``window`` seconds after the
    last 429. It reads no clock: callers pass ``now``. Thread-safe.
    """

    def __init__(self, window: float = 60.0, max_wait: float = 30.0) -> None:
        import threading

        self.window = window
        self.max_wait = max_wait
        self._mu = threading.Lock()
        self._state: dict[str, tuple[float, float, float]] = {}  # key -> (interval, next slot, until)

    def on_quota(self, key: str, rate: float | None, now: float, *, default_rate: float = 1.0) -> None:
        r = rate if rate and rate > 0 else default_rate
        interval = 1.0 / r
        with self._mu:
            _old_interval, slot, _until = self._state.get(key, (interval, now, now))
            self._state[key] = (interval, max(slot, now + interval), now + self.window)

    def reserve(self, key: str, now: float) -> float:
        """Seconds to wait before sending (0 when the operation is not being paced)."""
        with self._mu:
            st = self._state.get(key)
            if st is None:
                return 0.0
            interval, slot, until = st
            if now > until:
                del self._state[key]
                return 0.0
            start = max(now, slot)
            self._state[key] = (interval, start + interval, until)
        return min(self.max_wait, start - now)
