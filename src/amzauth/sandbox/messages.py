"""Plain request/response values the handlers work on, so every handler is a function of data.

The ASGI shell in ``app.py`` turns bytes into a ``Req`` and a ``Resp`` back into bytes; nothing in
the handlers touches a socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

JSON_CT = "application/json"
JSON_UTF8_CT = "application/json;charset=UTF-8"
HTML_CT = "text/html; charset=utf-8"


class BadBody(ValueError):
    """The body could not be decoded (not UTF-8, not JSON, not a JSON object, bad form encoding)."""


@dataclass(slots=True)
class Req:
    method: str
    host: str  # the Amazon host this request is addressed to (first path segment)
    path: str  # the Amazon path, starting with "/"
    query: str  # raw query string, without "?"
    headers: dict[str, str]  # lower-case names
    body: bytes
    request_id: str
    now: float  # sandbox clock, epoch seconds
    generation: int = 0  # the sandbox's reset count when the request arrived (see SandboxState.reset)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ('' when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def query_params(self) -> dict[str, str]:
        """First value of each query parameter (UTF-8, invalid escapes replaced)."""
        out: dict[str, str] = {}
        for k, v in parse_qsl(self.query, keep_blank_values=True):
            out.setdefault(k, v)
        return out

    def query_list(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    def text(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadBody("the body is not valid UTF-8") from None

    def form(self) -> dict[str, str]:
        """Decode an urlencoded form strictly: non-UTF-8 bytes or escapes raise ``BadBody``."""
        text = self.text()
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise BadBody("the form contains invalid percent-escapes") from None
        out: dict[str, str] = {}
        for k, v in pairs:
            out.setdefault(k, v)
        return out

    def json(self) -> Any:
        text = self.text()
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raise BadBody("the body is not valid JSON") from None


@dataclass(slots=True)
class Resp:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_CT
    headers: list[tuple[str, str]] = field(default_factory=list)
    # What the request log records: error code, grant type, client id, scope, ... (never secrets).
    info: dict[str, Any] = field(default_factory=dict)


def dumps(doc: Any) -> bytes:
    try:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate someone sent (and we logged): JSON escapes it
        return json.dumps(doc, separators=(",", ":")).encode("ascii")


def json_resp(
    status: int,
    doc: Any,
    *,
    content_type: str = JSON_CT,
    headers: list[tuple[str, str]] | None = None,
    **info: Any,
) -> Resp:
    return Resp(status, dumps(doc), content_type, headers or [], info)


def html_resp(status: int, html: str, *, headers: list[tuple[str, str]] | None = None, **info: Any) -> Resp:
    return Resp(status, html.encode("utf-8"), HTML_CT, headers or [], info)


# ---- Amazon's sentences, word for word -------------------------------------------------------------
# The sandbox answers with exactly these (the wire reference quotes them), and `amzauth explain` must
# find each by its full text or any distinctive part: tests read WIRE_MESSAGES for that.

LWA_DESCRIPTIONS: Final[dict[str, str]] = {
    "invalid_client": "Client authentication failed",
    "invalid_scope": "An unknown scope was requested",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server",
    "unauthorized_client": "Not authorized for requested operation",
    "server_error": "Internal Server Error",
    "temporarily_unavailable": "The service is temporarily unavailable",
    "invalid_request": "The request is missing a required parameter",
    "invalid_grant": "The request has an invalid grant parameter",
    "expired_token": "The token has expired",
    "access_denied": "The resource owner or authorization server denied the request",
}
REVOKED_SUFFIX: Final = " User may have revoked or didn't grant the permission."

CREATORS_INVALID_TOKEN: Final = "The authentication token is invalid or malformed"
CREATORS_EXPIRED: Final = "The authentication token has expired"
CREATORS_NOT_ELIGIBLE: Final = "Your account does not currently meet the eligibility requirements."
CREATORS_THROTTLED: Final = "Request rate limit exceeded."

SPAPI_DENIED: Final = "Access to requested resource is denied."
SPAPI_TOKEN_MISSING: Final = "Access token is missing in the request header."
SPAPI_TOKEN_INVALID: Final = "The access token you provided is revoked, malformed or invalid."
SPAPI_SECRET_EXPIRED: Final = "The LWA secret token you provided has expired."
SPAPI_QUOTA: Final = "You exceeded your quota for the requested resource."
SPAPI_MISSING_AUTH: Final = "Missing Authentication Token"
SIGV4_MISMATCH: Final = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)

WIRE_MESSAGES: Final[dict[str, tuple[str, ...]]] = {
    "invalid_client": (LWA_DESCRIPTIONS["invalid_client"],),
    "invalid_scope": (LWA_DESCRIPTIONS["invalid_scope"],),
    "unsupported_grant_type": (LWA_DESCRIPTIONS["unsupported_grant_type"],),
    "unauthorized_client": (LWA_DESCRIPTIONS["unauthorized_client"],),
    "invalid_grant": (
        "The request has an invalid grant parameter : refresh_token",
        "The request has an invalid grant parameter : code",
        "The request has an invalid grant parameter : refresh_token" + REVOKED_SUFFIX,
    ),
    "invalid_request": (
        "The request is missing a required parameter : client_secret",
        "The request is missing a required parameter : code",
    ),
    "temporarily_unavailable": (LWA_DESCRIPTIONS["temporarily_unavailable"],),
    "access_denied": (LWA_DESCRIPTIONS["access_denied"],),
    "405": ("405 Not Allowed",),
    "InvalidToken": (CREATORS_INVALID_TOKEN,),
    "TokenExpired": (CREATORS_EXPIRED,),
    "AssociateNotEligible": (CREATORS_NOT_ELIGIBLE,),
    "ThrottleException": (CREATORS_THROTTLED,),
    "Unauthorized": (SPAPI_DENIED, SPAPI_TOKEN_MISSING, SPAPI_TOKEN_INVALID, SPAPI_SECRET_EXPIRED),
    "MissingAuthenticationToken": (SPAPI_MISSING_AUTH,),
    "QuotaExceeded": (SPAPI_QUOTA,),
    "InvalidSignature": (
        "Credential should be scoped to a valid region, not 'us-east-1'.",
        "Signature expired: 20261123T120000Z is now earlier than 20261123T121500Z (20261123T122000Z - 5 min.)",
        SIGV4_MISMATCH,
    ),
}
