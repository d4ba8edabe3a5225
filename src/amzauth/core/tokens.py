"""The token endpoint on the wire, without I/O: build the request, parse the answer.

Pure functions over plain data (see docs/reference/wire.md), so the sync and async engines, the
doctor and the tests all share one reading of what Amazon sends. Nothing here opens a socket,
reads a clock or logs.

``parse_token_response`` rules for ``expires_in`` (Amazon always sends 3600; the rules cover
proxies, sandboxes and future changes):

- missing: 3600 s, Amazon's documented lifetime (RFC 6749 leaves it to the server's docs);
- an integer, a float, or a string holding a number: accepted (``"3600"`` works);
- under one second (zero, negative, or a tiny fraction): the token is expired on arrival, so it is
  refused with a :class:`TokenError` of code ``expired_token`` (retrying unchanged will not help);
- above :data:`MAX_LIFETIME` (24 h): clamped to it, so a bogus huge value cannot pin a token
  in the cache for years;
- anything else (a word, a bool, NaN, infinity, a list): a malformed answer.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from amzauth.config.redact import redact, redact_mapping, scrub_headers
from amzauth.core.plan import Plan
from amzauth.errors import ConfigError, TokenError, token_error

DEFAULT_LIFETIME: Final = 3600.0  # [doc] Amazon tokens live one hour; used when expires_in is absent
MAX_LIFETIME: Final = 86400.0  # [rule] clamp for absurd expires_in values
MIN_LIFETIME: Final = 1.0  # [rule] a token that expires within a second of arrival is no use to any caller
# OAuth errors that mean "try again later" (RFC 6749 5.2 and Amazon's LwA table).
TRANSIENT_ERRORS: Final = frozenset({"server_error", "temporarily_unavailable"})
# OAuth errors that retrying unchanged can never fix [issue 4]; invalid_request is malformed input.
PERMANENT_ERRORS: Final = frozenset(
    {
        "invalid_client",
        "invalid_grant",
        "invalid_scope",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_request",
    }
)
RETRYABLE_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
TOKEN_SOURCES: Final = ("network", "memory", "sqlite", "redis")
USER_AGENT: Final = "amzauth/0.1"


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """One HTTP request to a token endpoint. The body holds the secret, so the repr redacts it."""

    method: str
    url: str
    headers: dict[str, str] = field(hash=False)
    body: bytes

    def __repr__(self) -> str:
        return (
            f"TokenRequest(method={self.method!r}, url={self.url!r}, headers={scrub_headers(self.headers)!r}, "
            f"body={redacted_body(self.body)!r})"
        )

    __str__ = __repr__


def redacted_body(body: bytes) -> str:
    """A token request or response body with every sensitive field redacted (for logs and reprs)."""
    text = body.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        return json.dumps(redact_mapping(doc))
    from urllib.parse import parse_qsl

    pairs = parse_qsl(text, keep_blank_values=True)
    if pairs:
        return urlencode([(k, redact(v) if _sensitive(k) else v) for k, v in pairs])
    return f"<{len(body)} bytes>"


def _sensitive(key: str) -> bool:
    from amzauth.config.redact import SENSITIVE_KEYS

    return key.lower() in SENSITIVE_KEYS


def build_token_request(
    plan: Plan,
    client_secret: str,
    *,
    refresh_token: str | None = None,
    code: str | None = None,
    redirect_uri: str | None = None,
    code_verifier: str | None = None,
    grant_type: str | None = None,
    scope: str | None = None,
) -> TokenRequest:
    """The request the plan's token endpoint expects, for the plan's grant unless one is given.

    Cognito (Creators 2.x) takes a form body, LwA for Creators 3.x a JSON body (as Amazon's SDK
    sends), SP-API a form body; client id and secret go in the body unless the plan says HTTP Basic.
    Raises ``ValueError`` when the grant lacks its input (a programming error, not Amazon's answer).
    """
    grant = grant_type or plan.grant_type
    params: dict[str, str] = {"grant_type": grant}
    if grant_type is None and (err := creators_grant_error(plan)) is not None:
        raise err
    if grant_type is None and grant == "authorization_code" and not code:
        # A profile saved before the seller authorized (grant_type = "authorization_code"): nothing to send.
        raise _no_refresh_token(plan)
    if grant == "refresh_token":
        if not refresh_token:
            raise ValueError("the refresh_token grant needs a refresh token")
        params["refresh_token"] = refresh_token
        if scope:
            params["scope"] = scope
    elif grant == "authorization_code":
        if not code or not redirect_uri:
            raise ValueError("the authorization_code grant needs code and redirect_uri")
        params["code"] = code
        params["redirect_uri"] = redirect_uri
        if code_verifier:
            params["code_verifier"] = code_verifier
    else:
        chosen_scope = scope if scope is not None else plan.scope
        if chosen_scope:
            params["scope"] = chosen_scope
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if plan.client_auth == "basic":
        raw = f"{plan.client_id}:{client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    else:
        params["client_id"] = plan.client_id
        params["client_secret"] = client_secret
    if plan.body_format == "json":
        headers["Content-Type"] = "application/json"
        body = json.dumps(params, separators=(",", ":")).encode()
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode(params).encode()
    return TokenRequest("POST", plan.token_endpoint, headers, body)


def creators_grant_error(plan: Plan) -> ConfigError | None:
    """A Creators profile whose grant needs a code or refresh token it can never have: nothing to send."""
    if plan.api != "creators" or plan.grant_type not in ("authorization_code", "refresh_token"):
        return None
    return ConfigError(
        f"grant_type {plan.grant_type!r} cannot be used with the Creators API, which issues tokens only "
        "for client_credentials",
        key="grant_type",
        profile=plan.profile,
        fix=f"remove grant_type from profile {plan.profile} (amzauth uses client_credentials)",
    )


def _no_refresh_token(plan: Plan) -> ConfigError:
    return ConfigError(
        "this profile has no refresh_token yet: no token can be requested until a seller authorizes the app",
        key="refresh_token",
        profile=plan.profile,
        fix="run `amzauth spapi authorize`",
    )


@dataclass(frozen=True, slots=True)
class Token:
    """An immutable snapshot of an access token, so a caller never mixes two generations.

    ``expires_at`` is epoch seconds counted from a timestamp taken *before* the request was sent,
    so network latency only ever makes the token look older than it is.
    """

    access_token: str
    token_type: str
    expires_at: float
    scope: str | None = None
    refresh_token: str | None = None
    source: str = "network"
    obtained_at: float = 0.0

    def expires_in(self, now: float | None = None) -> float:
        """Seconds left before expiry (negative when expired)."""
        return self.expires_at - (time.time() if now is None else now)

    @property
    def lifetime(self) -> float:
        return self.expires_at - self.obtained_at

    def with_source(self, source: str) -> Token:
        return self if source == self.source else replace(self, source=source)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a store (holds the token itself: stores must be private)."""
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_at": self.expires_at,
            "scope": self.scope,
            "refresh_token": self.refresh_token,
            "obtained_at": self.obtained_at,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str) -> Token:
        return cls(
            access_token=str(data["access_token"]),
            token_type=str(data.get("token_type") or "Bearer"),
            expires_at=float(data["expires_at"]),
            scope=data.get("scope"),
            refresh_token=data.get("refresh_token"),
            source=source,
            obtained_at=float(data.get("obtained_at") or 0.0),
        )

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str) -> Token:
        return cls.from_dict(json.loads(text), source=source)

    def __repr__(self) -> str:
        return (
            f"Token(access_token={redact(self.access_token)!r}, token_type={self.token_type!r}, "
            f"expires_at={self.expires_at!r}, scope={self.scope!r}, "
            f"refresh_token={redact(self.refresh_token)!r}, source={self.source!r}, "
            f"obtained_at={self.obtained_at!r})"
        )

    __str__ = __repr__


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup over any mapping (httpx, dict, list of pairs turned dict)."""
    v = headers.get(name)
    if v is not None:
        return v
    lname = name.lower()
    for k, val in headers.items():
        if k.lower() == lname:
            return val
    return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    try:
        secs = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if now is None:
            return None
        secs = when - now
    if not math.isfinite(secs):
        return None
    return max(0.0, secs)


def _lifetime(raw: Any) -> float | str:
    """expires_in as seconds, or a short reason why it is unusable."""
    if raw is None:
        return DEFAULT_LIFETIME
    if isinstance(raw, bool):
        return "expires_in is a boolean"
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond float range: as huge (clamped) or as negative
            value = MAX_LIFETIME if raw > 0 else -1.0
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return "expires_in is not a number"
    else:
        return f"expires_in is a {type(raw).__name__}"
    if not math.isfinite(value):
        return "expires_in is not a finite number"
    return min(value, MAX_LIFETIME)


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def parse_token_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    sent_at: float,
    endpoint: str | None = None,
) -> Token:
    """Turn a token endpoint answer into a :class:`Token`, or raise a :class:`TokenError`.

    The error carries status, OAuth error and description, the request id (body ``request_id`` or
    header ``x-amzn-RequestId``), whether retrying can help, and Retry-After in seconds.
    """
    header_rid = header(headers, "x-amzn-RequestId") or header(headers, "x-amz-request-id")
    retry_after = parse_retry_after(header(headers, "Retry-After"), sent_at)
    ctype = (header(headers, "Content-Type") or "").lower()
    where = f" from {endpoint}" if endpoint else ""
    status_retryable = status in RETRYABLE_STATUSES

    def fail(
        message: str,
        *,
        error: str | None = None,
        description: str | None = None,
        rid: str | None = None,
        retryable: bool = status_retryable,
        code: str | None = None,
    ) -> TokenError:
        return token_error(
            message,
            status=status,
            error=error,
            error_description=description,
            request_id=rid or header_rid,
            retryable=retryable,
            retry_after=retry_after,
            endpoint=endpoint,
            code=code,
        )

    stripped = body.lstrip()
    if "html" in ctype or stripped[:1] == b"<":
        raise fail(
            f"the token endpoint{where} answered HTTP {status} with an HTML page, not OAuth JSON "
            "(a proxy, a wrong URL, or a Host header with a scheme)"
        )
    try:
        doc = json.loads(body.decode("utf-8")) if stripped else None
    except (UnicodeDecodeError, ValueError):
        raise fail(f"the token endpoint{where} answered HTTP {status} with a body that is not JSON") from None
    if not isinstance(doc, dict):
        kind = "an empty body" if doc is None else f"JSON {type(doc).__name__}"
        raise fail(f"the token endpoint{where} answered HTTP {status} with {kind}, not a JSON object")
    rid = _text(doc.get("request_id")) or _text(doc.get("requestId"))
    error = _text(doc.get("error"))
    if status != 200 or error is not None:
        description = _text(doc.get("error_description"))
        if error is not None:
            retryable = error in TRANSIENT_ERRORS or (error not in PERMANENT_ERRORS and status_retryable)
        else:
            retryable = status_retryable
        text = f"{error or 'HTTP ' + str(status)}"
        if description:
            text += f": {description}"
        text += (
            f" (HTTP {status}{', request id ' + (rid or header_rid or '') if (rid or header_rid) else ''})"
        )
        raise fail(text, error=error, description=description, rid=rid, retryable=retryable)
    access = doc.get("access_token")
    if not isinstance(access, str) or not access:
        raise fail(
            f"the token endpoint{where} answered HTTP 200 without an access_token",
            rid=rid,
            retryable=False,
            code="invalid_token_response",
        )
    lifetime = _lifetime(doc.get("expires_in"))
    if isinstance(lifetime, str):
        raise fail(
            f"the token endpoint{where} answered an unusable expires_in: {lifetime}",
            rid=rid,
            retryable=False,
            code="invalid_token_response",
        )
    if lifetime < MIN_LIFETIME:
        raise fail(
            f"the token endpoint{where} answered a token that "
            f"{'is already expired' if lifetime <= 0 else 'expires within a second'} (expires_in {lifetime:g})",
            rid=rid,
            retryable=False,
            code="expired_token",
        )
    refresh = doc.get("refresh_token")
    return Token(
        access_token=access,
        token_type=_text(doc.get("token_type")) or "Bearer",
        expires_at=sent_at + lifetime,
        scope=_text(doc.get("scope")),
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        source="network",
        obtained_at=sent_at,
    )


def estimate_clock_skew(date_header: str | None, sent_at: float, received_at: float) -> float | None:
    """Server clock minus local clock, in seconds (positive: Amazon is ahead), or None.

    The Date header has one-second resolution and is truncated, so the estimate adds half a second
    and compares it with the midpoint of the round trip; an error under about a second is expected.
    """
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return round(server + 0.5 - (sent_at + received_at) / 2.0, 3)


def endpoint_host(url: str) -> str:
    """The host part of a URL, for messages."""
    return urlsplit(url).netloc or url
