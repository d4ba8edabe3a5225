"""Typed SP-API and authorization errors, each linked to its error-catalogue entry.

SP-API answers a failed call with ``{"errors": [{"code", "message", "details"}]}`` plus the headers
``x-amzn-RequestId`` and, on some answers, ``x-amzn-RateLimit-Limit`` (docs/reference/wire.md
section 2). :class:`SPAPIError` subclasses say what happened (``except QuotaExceeded``); ``code`` is
the catalogue code (``amzauth explain CODE``). Authorization errors (consent page, callback, code
exchange) carry a doctor-style ``diagnosis`` naming the one setting to change. Everything here is
picklable and holds no secret.
"""

from __future__ import annotations

from typing import Any, ClassVar

from amzauth.errors import AmazonUnavailable, AmzAuthError, ApiError, NetworkError, StorageError

__all__ = [
    "AuthorizationError",
    "AuthorizationTimeout",
    "CallbackError",
    "CodeExchangeError",
    "ConsentError",
    "InvalidInput",
    "InvalidSignature",
    "MissingAuthenticationToken",
    "NotFound",
    "QuotaExceeded",
    "RotationError",
    "SPAPIError",
    "SPAPINetworkError",
    "SPAPIServerError",
    "StateMismatch",
    "StorageError",
    "Unauthorized",
    "error_class",
]


class SPAPIError(ApiError):
    """A failed SP-API call. ``errors`` holds every entry of Amazon's ``errors`` array."""

    code = "SPAPIError"
    json_fields: ClassVar[tuple[str, ...]] = (
        "code",
        "status",
        "message",
        "details",
        "request_id",
        "rate_limit",
        "retryable",
        "errors",
        "method",
        "path",
        "attempts",
        "diagnosis",
        "explain",
    )

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: str | None = None,
        request_id: str | None = None,
        rate_limit: float | None = None,
        retry_after: float | None = None,
        errors: tuple[dict[str, Any], ...] = (),
        method: str | None = None,
        path: str | None = None,
        error_type: str | None = None,
        attempts: int | None = None,
        diagnosis: dict[str, Any] | None = None,
    ) -> None:
        self.details = details
        self.rate_limit = rate_limit  # requests per second, from x-amzn-RateLimit-Limit
        self.retry_after = retry_after
        self.errors = tuple(errors)
        self.method = method
        self.path = path
        self.error_type = error_type  # x-amzn-ErrorType
        self.attempts = attempts
        self.diagnosis = diagnosis  # doctor-report diagnosis object, when one could be made
        super().__init__(message, status=status, request_id=request_id, code=code)

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}" if self.code not in self.message else self.message
        if self.details:
            text += f" ({self.details})"
        if self.method and self.path:
            text += f" [{self.method} {self.path}]"
        if self.status:
            text += f" HTTP {self.status}"
        if self.request_id:
            text += f", request id {self.request_id}"
        return text


class Unauthorized(SPAPIError):
    """403 ``Unauthorized``: role, region, draft app, revoked token, expired secret, account health."""

    code = "Unauthorized"


class MissingAuthenticationToken(SPAPIError):
    """403 ``MissingAuthenticationToken``: usually a token request sent to an API host, or a bad path."""

    code = "MissingAuthenticationToken"


class InvalidSignature(SPAPIError):
    """403 ``InvalidSignature`` (legacy SigV4): wrong region scope or a clock off by over 5 minutes."""

    code = "InvalidSignature"


class QuotaExceeded(SPAPIError, AmazonUnavailable):
    """429 ``QuotaExceeded``: the operation's token bucket is empty; waiting helps."""

    code = "QuotaExceeded"
    retryable = True


class InvalidInput(SPAPIError, ValueError):
    """400 ``InvalidInput`` from Amazon, or bad arguments caught before any request (``status`` None)."""

    code = "InvalidInput"


class NotFound(SPAPIError):
    code = "NotFound"


class SPAPIServerError(SPAPIError, AmazonUnavailable):
    """5xx ``InternalFailure`` and friends: Amazon's side; retrying later can help."""

    code = "InternalFailure"
    retryable = True


class SPAPINetworkError(SPAPIError, NetworkError):
    """An SP-API call that got no answer (unreachable, timed out, dropped): both an SPAPIError and a NetworkError."""

    code = "network"

    def __init__(
        self, message: str, *, url: str | None = None, kind: str = "unreachable", attempts: int | None = None
    ) -> None:
        super().__init__(message, code="network", attempts=attempts)
        self.url = url
        self.kind = kind

    def __str__(self) -> str:
        return self.message


_BY_CODE: dict[str, type[SPAPIError]] = {
    "Unauthorized": Unauthorized,
    "MissingAuthenticationToken": MissingAuthenticationToken,
    "InvalidSignature": InvalidSignature,
    "IncompleteSignature": InvalidSignature,
    "QuotaExceeded": QuotaExceeded,
    "InvalidInput": InvalidInput,
    "NotFound": NotFound,
    "InternalFailure": SPAPIServerError,
    "ServiceUnavailable": SPAPIServerError,
}


def error_class(code: str | None, status: int | None) -> type[SPAPIError]:
    """The exception class for an SP-API error code (falling back on the HTTP status)."""
    if code and code in _BY_CODE:
        return _BY_CODE[code]
    if status == 429:
        return QuotaExceeded
    if status is not None and status >= 500:
        return SPAPIServerError
    if status == 404:
        return NotFound
    if status == 403:
        return Unauthorized
    if status == 400:
        return InvalidInput
    return SPAPIError


class AuthorizationError(ApiError):
    """The website authorization workflow failed; ``diagnosis`` says which setting and how to fix it.

    ``code`` is a catalogue code (``MD5110``, ``invalid_grant``, ...) or one of this module's own
    (``state_mismatch``, ``callback``, ``timeout``); ``field`` the profile key (or ``account``,
    ``none``) to look at.
    """

    code = "authorization"
    json_fields: ClassVar[tuple[str, ...]] = (
        "code",
        "cause",
        "field",
        "message",
        "fix",
        "status",
        "request_id",
        "diagnosis",
    )

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        cause: str | None = None,
        field: str | None = None,
        fix: tuple[str, ...] | list[str] = (),
        diagnosis: dict[str, Any] | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.diagnosis = diagnosis
        self.cause = cause or (diagnosis or {}).get("cause")
        self.field = field or (diagnosis or {}).get("field")
        self.fix = tuple(fix or (diagnosis or {}).get("fix") or ())
        super().__init__(message, status=status, request_id=request_id, code=code)


class ConsentError(AuthorizationError):
    """A consent-page error (MD1000, MD5101, MD5110, MD9010, MD9100), found locally or on the page.

    ``local`` is True when amzauth caught it before the seller ever saw Amazon's error page.
    """

    json_fields: ClassVar[tuple[str, ...]] = (*AuthorizationError.json_fields, "local")

    def __init__(self, message: str, *, local: bool = False, **kw: Any) -> None:
        self.local = local
        super().__init__(message, **kw)


class StateMismatch(AuthorizationError):
    """The callback's ``state`` is not the one this authorization sent: refused (possible CSRF)."""

    code = "state_mismatch"


class CallbackError(AuthorizationError):
    """The callback lacks the code or selling partner id, or reports an OAuth error."""

    code = "callback"


class CodeExchangeError(AuthorizationError):
    """Login with Amazon refused the authorization code (``invalid_grant ... : code`` and friends)."""

    def __init__(self, message: str, *, oauth_error: str | None = None, **kw: Any) -> None:
        self.oauth_error = oauth_error
        super().__init__(message, **kw)


class AuthorizationTimeout(AuthorizationError):
    """No callback arrived in time (Amazon's whole workflow must finish within 10 minutes)."""

    code = "timeout"


class RotationError(AmzAuthError):
    """Client-secret rotation failed or its new secret could not be obtained or saved."""

    code = "rotation"
