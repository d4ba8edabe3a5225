"""One raw token request for the doctor: no cache, no retry, every observable kept.

The doctor wants to see exactly what Amazon answered (status, request id, the OAuth fields,
the Date header's clock skew, latency), so this bypasses the TokenManager entirely.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from amzauth.config.redact import redact_mapping
from amzauth.core.plan import Plan
from amzauth.core.tokens import (
    Token,
    TokenRequest,
    build_token_request,
    estimate_clock_skew,
    header,
    parse_retry_after,
    parse_token_response,
)
from amzauth.engine.transport import DEFAULT_TIMEOUT, HttpxTokenTransport, RawResponse, as_token_transport
from amzauth.errors import NetworkError, TokenError

Outcome = Token | TokenError | NetworkError


@dataclass
class FetchInfo:
    """What one token request showed. Also readable as a mapping (``info["http_status"]``)."""

    endpoint: str
    http_status: int | None = None
    request_id: str | None = None
    clock_skew_seconds: float | None = None
    latency_ms: float | None = None
    error: str | None = None
    error_description: str | None = None
    retry_after: float | None = None
    content_type: str | None = None
    network_error: str | None = None  # unreachable | timeout | dropped
    body: Any = None  # the answer with tokens redacted (a dict for JSON, else at most 500 characters)
    headers: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _safe_body(raw: bytes) -> Any:
    text = raw.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except ValueError:
        return text[:500]
    return redact_mapping(doc) if isinstance(doc, dict) else doc


def _finish(info: FetchInfo, raw: RawResponse, sent_at: float, received_at: float) -> Outcome:
    info.http_status = raw.status
    info.latency_ms = round((received_at - sent_at) * 1000, 1)
    info.clock_skew_seconds = estimate_clock_skew(header(raw.headers, "Date"), sent_at, received_at)
    info.content_type = header(raw.headers, "Content-Type")
    info.retry_after = parse_retry_after(header(raw.headers, "Retry-After"), sent_at)
    info.headers = {
        k.lower(): v
        for k, v in raw.headers.items()
        if k.lower() in ("date", "content-type", "x-amzn-requestid", "retry-after", "x-amzn-errortype")
    }
    info.body = _safe_body(raw.body)
    info.request_id = header(raw.headers, "x-amzn-RequestId")
    try:
        token = parse_token_response(
            raw.status, raw.headers, raw.body, sent_at=sent_at, endpoint=info.endpoint
        )
    except TokenError as exc:
        info.request_id = exc.request_id or info.request_id
        info.error = exc.error
        info.error_description = exc.error_description
        return exc
    if isinstance(info.body, dict) and isinstance(info.body.get("request_id"), str):
        info.request_id = info.body["request_id"]
    return token


def _request(plan: Plan, client_secret: str, refresh_token: str | None) -> TokenRequest:
    refresh = refresh_token if plan.grant_type == "refresh_token" else None
    return build_token_request(plan, client_secret, refresh_token=refresh)


def fetch_token_once(
    plan: Plan,
    client_secret: str,
    *,
    refresh_token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    transport: object | None = None,
    request: TokenRequest | None = None,
) -> tuple[Outcome, FetchInfo]:
    """Ask the plan's token endpoint once. Returns (Token | TokenError | NetworkError, info); never raises
    for Amazon's or the network's answer (a missing refresh token for that grant raises ValueError)."""
    req = request or _request(plan, client_secret, refresh_token)
    info = FetchInfo(endpoint=req.url)
    tr = as_token_transport(transport)
    sent_at = time.time()
    try:
        raw = tr.send(req, timeout)
    except NetworkError as exc:
        info.latency_ms = round((time.time() - sent_at) * 1000, 1)
        info.network_error = exc.kind
        return exc, info
    finally:
        if transport is None and isinstance(tr, HttpxTokenTransport):
            tr.close()
    return _finish(info, raw, sent_at, time.time()), info


async def afetch_token_once(
    plan: Plan,
    client_secret: str,
    *,
    refresh_token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    transport: object | None = None,
    request: TokenRequest | None = None,
) -> tuple[Outcome, FetchInfo]:
    """The asyncio twin of :func:`fetch_token_once`."""
    req = request or _request(plan, client_secret, refresh_token)
    info = FetchInfo(endpoint=req.url)
    sent_at = time.time()
    try:
        raw = await as_token_transport(transport).asend(req, timeout)
    except NetworkError as exc:
        info.latency_ms = round((time.time() - sent_at) * 1000, 1)
        info.network_error = exc.kind
        return exc, info
    return _finish(info, raw, sent_at, time.time()), info
