"""Failures on demand: what a fault answers, shaped like the host it hits.

A fault on a Cognito host answers ``{"error"}``, on LwA ``{"error", "error_description",
"request_id"}``, on the Creators API ``{"type", "message", "reason"}``, on SP-API ``{"errors": [...]}``;
a fault with a raw ``body`` answers exactly that body (malformed JSON, an HTML error page, ...).
"""

from __future__ import annotations

import json
from typing import Any

from amzauth.sandbox.hosts import HostKind
from amzauth.sandbox.messages import JSON_CT, JSON_UTF8_CT, Req, Resp, dumps
from amzauth.sandbox.oauth import DESC
from amzauth.sandbox.state import Fault

_OAUTH_DEFAULT = {400: "invalid_request", 401: "invalid_client", 503: "temporarily_unavailable"}
_SPAPI_DEFAULT = {
    400: "InvalidInput",
    403: "Unauthorized",
    404: "NotFound",
    429: "QuotaExceeded",
    503: "ServiceUnavailable",
}
_SPAPI_MESSAGE = {
    "QuotaExceeded": "You exceeded your quota for the requested resource.",
    "Unauthorized": "Access to requested resource is denied.",
    "InternalFailure": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Service is temporarily unavailable. Please try again.",
}
_CREATORS_TYPE = {
    400: "ValidationException",
    401: "UnauthorizedException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottleException",
}
_CREATORS_MESSAGE = {429: "Request rate limit exceeded.", 500: "An internal error occurred."}

FAULT_KEYS = frozenset(
    {
        "host",
        "path",
        "method",
        "status",
        "error",
        "error_description",
        "retry_after",
        "delay_ms",
        "drop",
        "times",
        "body",
        "content_type",
        "headers",
    }
)


def default_oauth_error(status: int) -> str:
    return _OAUTH_DEFAULT.get(status, "server_error" if status >= 500 else "invalid_request")


def fault_response(fault: Fault, req: Req, kind: HostKind | None) -> Resp:
    status = fault.status or 500
    headers = list(fault.headers.items())
    if fault.retry_after is not None:
        headers.append(("Retry-After", str(fault.retry_after)))
    info: dict[str, Any] = {}
    if fault.body is not None:
        body_ct = fault.content_type or (JSON_CT if _looks_json(fault.body) else "text/plain; charset=utf-8")
        info["error"] = fault.error
        return Resp(status, fault.body.encode("utf-8"), body_ct, headers, info)
    ct: str | None = fault.content_type
    if kind == "cognito":
        error = fault.error or default_oauth_error(status)
        doc: Any = {"error": error}
        ct = ct or JSON_UTF8_CT
    elif kind == "spapi":
        error = fault.error or _SPAPI_DEFAULT.get(status, "InternalFailure")
        doc = {
            "errors": [
                {
                    "code": error,
                    "message": fault.error_description or _SPAPI_MESSAGE.get(error, error),
                    "details": "",
                }
            ]
        }
        headers.append(("x-amzn-ErrorType", f"{error}Exception"))
        ct = ct or JSON_CT
    elif kind == "creators":
        error = fault.error or ""
        typ = _CREATORS_TYPE.get(status, "InternalServerException")
        doc = {
            "type": typ,
            "message": fault.error_description or _CREATORS_MESSAGE.get(status, "Request failed."),
        }
        if error:
            doc["reason"] = error
        headers.append(("x-amzn-ErrorType", typ))
        error = error or typ
        ct = ct or JSON_CT
    else:  # LwA, consent pages, anything else: the LwA OAuth shape
        error = fault.error or default_oauth_error(status)
        doc = {
            "error_description": fault.error_description or DESC.get(error, error),
            "error": error,
            "request_id": req.request_id,
        }
        ct = ct or JSON_UTF8_CT
    info["error"] = error
    return Resp(status, dumps(doc), ct, headers, info)


def _looks_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
