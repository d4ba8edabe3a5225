"""Typed Creators API errors: one class per ``reason``, each linked to its error-catalogue entry.

Amazon answers a failed call with ``{"type": "...Exception", "message": "...", "reason": "..."}``
(docs/reference/wire.md section 1) and an ``x-amzn-RequestId`` header. :func:`error_from_response`
turns that into an exception whose class says what happened (``except InvalidPartnerTag``), whose
``code`` is the catalogue code (``amzauth explain CODE``) and which carries the request id that
Amazon support asks for. Bad input caught before any request is an :class:`InvalidInput` naming
the field. Everything here is picklable and never holds a secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from amzauth.errors import AmazonUnavailable, ApiError, NetworkError

__all__ = [
    "AccessDenied",
    "AssociateNotEligible",
    "AuthorizationFailed",
    "CannotParse",
    "CreatorsError",
    "CreatorsNetworkError",
    "CreatorsNotFound",
    "CreatorsServerError",
    "CreatorsValidationError",
    "DailyQuotaExceeded",
    "FieldError",
    "FieldValidationFailed",
    "InvalidAssociate",
    "InvalidInput",
    "InvalidPartnerTag",
    "InvalidToken",
    "LocalThrottle",
    "Throttled",
    "TokenExpired",
    "Unauthorized",
    "UnknownOperation",
    "error_from_response",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One entry of a ValidationException's ``fieldList``."""

    name: str
    message: str


class CreatorsError(ApiError):
    """Base of every Creators API failure; ``code`` is the catalogue code, ``reason`` Amazon's own."""

    code = "Other"
    exception_type: str = ""
    json_fields: ClassVar[tuple[str, ...]] = (
        "code",
        "status",
        "type",
        "reason",
        "message",
        "request_id",
        "retryable",
        "fields",
        "explain",
        "diagnosis",
    )

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        exception_type: str | None = None,
        reason: str | None = None,
        request_id: str | None = None,
        fields: tuple[FieldError, ...] = (),
        retry_after: float | None = None,
        code: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.exception_type = exception_type or type(self).exception_type
        self.reason = reason
        self.fields = tuple(fields)
        self.retry_after = retry_after
        self.operation = operation
        self.diagnosis: dict[str, Any] | None = None  # the doctor's diagnosis, set by the client
        super().__init__(message, status=status, request_id=request_id, code=code)

    def __str__(self) -> str:
        head = self.reason or self.exception_type or self.code
        text = f"{head}: {self.message}" if head and head not in self.message else self.message
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def _json_value(self, name: str) -> Any:
        if name == "type":  # Amazon's exception type, None when it gave none
            return self.exception_type or None
        return super()._json_value(name)


# -- 400 ValidationException ------------------------------------------------------------------
class CreatorsValidationError(CreatorsError):
    exception_type = "ValidationException"
    code = "FieldValidationFailed"


class UnknownOperation(CreatorsValidationError):
    code = "UnknownOperation"


class CannotParse(CreatorsValidationError):
    code = "CannotParse"


class FieldValidationFailed(CreatorsValidationError):
    code = "FieldValidationFailed"


class InvalidAssociate(CreatorsValidationError):
    """The partner tag exists but not in the requested marketplace."""

    code = "InvalidAssociate"


class InvalidPartnerTag(CreatorsValidationError):
    """The partner tag is not registered at all."""

    code = "InvalidPartnerTag"


class InvalidInput(FieldValidationFailed, ValueError):
    """Bad input caught before any request: ``field`` names the argument (asins, keywords, ...)."""

    json_fields: ClassVar[tuple[str, ...]] = (*FieldValidationFailed.json_fields, "field")

    def __init__(self, field: str, message: str, *, value: Any = None) -> None:
        self.field = field
        self.value = value
        text = message if message.startswith(field) else f"{field}: {message}"
        super().__init__(text, fields=(FieldError(field, message),))

    def __str__(self) -> str:
        return self.message


# -- 401 UnauthorizedException ----------------------------------------------------------------
class Unauthorized(CreatorsError):
    exception_type = "UnauthorizedException"
    code = "InvalidToken"


class TokenExpired(Unauthorized):
    code = "TokenExpired"


class InvalidToken(Unauthorized):
    code = "InvalidToken"


# -- 403 AccessDeniedException ----------------------------------------------------------------
class AccessDenied(CreatorsError):
    exception_type = "AccessDeniedException"
    code = "AuthorizationFailed"


class AssociateNotEligible(AccessDenied):
    """The Associates account does not (yet) qualify: about 10 qualified sales in 30 days."""

    code = "AssociateNotEligible"


class AuthorizationFailed(AccessDenied):
    """The credential is not approved for the requested marketplace."""

    code = "AuthorizationFailed"


# -- 404, 429, 5xx ----------------------------------------------------------------------------
class CreatorsNotFound(CreatorsError):
    exception_type = "ResourceNotFoundException"
    code = "ResourceNotFoundException"


class Throttled(CreatorsError, AmazonUnavailable):
    """Amazon answered 429 ThrottleException (after our retries, when a budget was set)."""

    exception_type = "ThrottleException"
    code = "ThrottleException"
    retryable = True


class LocalThrottle(Throttled):
    """Our shared limiter would make this call wait longer than ``max_wait``: nothing was sent."""


class DailyQuotaExceeded(Throttled):
    """The credential's daily quota is used up (counted by our shared limiter): nothing was sent."""

    retryable = False


class CreatorsServerError(CreatorsError, AmazonUnavailable):
    exception_type = "InternalServerException"
    code = "InternalServerException"
    retryable = True


class CreatorsNetworkError(CreatorsError, NetworkError):
    """A Creators API call that got no answer (unreachable, timed out, dropped).

    Both a :class:`CreatorsError` and a :class:`~amzauth.errors.NetworkError`, so ``except
    CreatorsError`` and ``except AmazonUnavailable`` both see an outage.
    """

    code = "network"

    def __init__(
        self, message: str, *, url: str | None = None, kind: str = "unreachable", attempts: int | None = None
    ) -> None:
        super().__init__(message, code="network")
        self.url = url
        self.kind = kind
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message


REASON_CLASSES: Final[Mapping[str, type[CreatorsError]]] = {
    cls.code: cls
    for cls in (
        UnknownOperation,
        CannotParse,
        FieldValidationFailed,
        InvalidAssociate,
        InvalidPartnerTag,
        TokenExpired,
        InvalidToken,
        AssociateNotEligible,
        AuthorizationFailed,
    )
}
TYPE_CLASSES: Final[Mapping[str, type[CreatorsError]]] = {
    cls.exception_type: cls
    for cls in (
        CreatorsValidationError,
        Unauthorized,
        AccessDenied,
        CreatorsNotFound,
        Throttled,
        CreatorsServerError,
    )
}
STATUS_CLASSES: Final[Mapping[int, type[CreatorsError]]] = {
    400: CreatorsValidationError,
    401: Unauthorized,
    403: AccessDenied,
    404: CreatorsNotFound,
    429: Throttled,
}
# Reasons Amazon documents for 401 that have no class of their own still have a catalogue entry.
KNOWN_REASONS: Final = frozenset(
    {
        *REASON_CLASSES,
        "InvalidIssuer",
        "MissingClaim",
        "MissingKeyId",
        "UnsupportedClient",
        "InvalidClient",
        "MissingCredential",
        "Other",
    }
)
_DEFAULT_MESSAGE: Final = {
    429: "Request rate limit exceeded.",
    500: "An internal error occurred.",
    503: "The service is unavailable.",
}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    low = name.lower()
    for k, v in headers.items():
        if k.lower() == low:
            return v
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    from amzauth.core.tokens import parse_retry_after

    return parse_retry_after(_header(headers, "retry-after"))


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, *, operation: str | None = None
) -> CreatorsError:
    """Map a non-2xx Creators API answer to its typed exception. Pure."""
    doc: Any = None
    if body:
        try:
            doc = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            doc = None
    if not isinstance(doc, dict):
        doc = {}
    raw_type = str(doc.get("type") or _header(headers, "x-amzn-ErrorType") or "")
    # Amazon sometimes qualifies the type ("com.amazon...#ThrottleException" or "X:http://...").
    typ = raw_type.rsplit("#", 1)[-1].split(":", 1)[0]
    reason = doc.get("reason")
    reason = str(reason) if isinstance(reason, str) and reason else None
    message = doc.get("message") or doc.get("Message")
    message = (
        str(message) if message else _DEFAULT_MESSAGE.get(status, f"HTTP {status} from the Creators API")
    )
    fields = tuple(
        FieldError(str(f.get("name", "")), str(f.get("message", "")))
        for f in (doc.get("fieldList") if isinstance(doc.get("fieldList"), list) else ())
        if isinstance(f, dict)
    )
    cls: type[CreatorsError]
    if reason is not None and reason in REASON_CLASSES:
        cls = REASON_CLASSES[reason]
    elif typ in TYPE_CLASSES:
        cls = TYPE_CLASSES[typ]
    elif status >= 500:
        cls = CreatorsServerError
    else:
        cls = STATUS_CLASSES.get(status, CreatorsError)
    code: str | None = None
    if reason in KNOWN_REASONS and reason not in REASON_CLASSES:
        code = reason  # e.g. MissingCredential: generic class, specific catalogue entry
    elif cls in (CreatorsError, CreatorsValidationError) and reason is None:
        code = "Other"  # the catalogue's entry for "Amazon gave no specific reason"
    return cls(
        message,
        status=status,
        exception_type=typ or None,
        reason=reason,
        request_id=_header(headers, "x-amzn-RequestId"),
        fields=fields,
        retry_after=_retry_after(headers),
        code=code,
        operation=operation,
    )
