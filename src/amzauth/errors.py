"""One exception hierarchy with machine-readable fields, picklable, never carrying a secret.

Every error a user can see derives from :class:`AmzAuthError`; ``code`` links it to its entry in
the error catalogue (``amzauth explain CODE``). The bottom layer: it imports nothing of amzauth.

What to catch:

- :class:`AmazonUnavailable`: Amazon cannot be used right now (unreachable, timed out, 5xx,
  throttled, quota spent). Retry later or serve a cached page; it is never the caller's fault.
  Network failures of the Creators and SP-API clients are both a :class:`NetworkError` and a
  ``CreatorsError`` / ``SPAPIError``, so an ``except CreatorsError`` written before still holds.
- :class:`ConfigError`: a setting is wrong (names the key and the fix).
- :class:`TokenError`, ``CreatorsError``, ``SPAPIError``: Amazon said no; ``code`` explains why.
- :class:`AmzAuthError`: anything amzauth raises.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any, ClassVar


class AmzAuthError(Exception):
    """Base class. ``code`` is the catalogue code; ``retryable`` says whether retrying unchanged can help."""

    code: str = "error"
    retryable: bool = False

    def catalogue_entry(self) -> Any:
        """The catalogue entry for this error's code, or None (imports the catalogue lazily)."""
        from amzauth.catalogue import load_catalogue

        return load_catalogue().get(self.code)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors cannot be replayed from ``args``: restore the state instead.
        return (_rebuild, (type(self), self.args, self.__dict__))


class ApiError(AmzAuthError):
    """An error answered by (or caught before calling) an Amazon API, shaped for ``--json`` and the doctor.

    Carries the human ``message``, the HTTP ``status``, the ``request_id`` Amazon support asks for
    and a ``code`` that may be given per instance to override the class's catalogue code.
    ``to_dict`` lists the attributes named in ``json_fields``, in that order.
    """

    json_fields: ClassVar[tuple[str, ...]] = ("code", "status", "message", "request_id")

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.request_id = request_id
        if code:
            self.code = code
        super().__init__(message)

    @property
    def explain(self) -> str:
        """The command that explains this error."""
        return f"amzauth explain {self.code}"

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable form for ``--json`` output and logs."""
        return {name: self._json_value(name) for name in self.json_fields}

    def _json_value(self, name: str) -> Any:
        value = getattr(self, name)
        if isinstance(value, tuple):
            return [asdict(v) if is_dataclass(v) and not isinstance(v, type) else v for v in value]
        return value


class ConfigError(AmzAuthError):
    """A profile or a keyword argument cannot be used as written. Carries the key, profile and file it is about."""

    code = "config"

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        profile: str | None = None,
        file: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.key = key
        self.profile = profile
        self.file = file
        self.fix = fix
        where = []
        if key:
            where.append(f"key {key!r}")
        if profile:
            where.append(f"profile {profile!r}")
        if file:
            where.append(f"file {file}")
        text = message + (f" ({', '.join(where)})" if where else "")
        if fix:
            text += f"; fix: {fix}"
        self.message = message
        super().__init__(text)


class AmazonUnavailable(AmzAuthError):
    """Amazon cannot be used right now: unreachable, 5xx, throttled or out of quota. The one thing to catch.

    Base of :class:`NetworkError`, the Creators and SP-API server and throttling errors, and of the
    token errors that say "try later". Serve a cached copy or an apology; retrying later can help.
    """

    retryable = True


class NetworkError(AmazonUnavailable):
    """The endpoint could not be reached (DNS, refused, reset, timeout). CLI exit code 3."""

    code = "network"
    retryable = True

    def __init__(
        self, message: str, *, url: str | None = None, kind: str = "unreachable", attempts: int | None = None
    ) -> None:
        self.url = url
        self.kind = kind  # unreachable | timeout | dropped
        self.attempts = attempts  # requests made before giving up (None: a single request)
        super().__init__(message)


class TokenError(ApiError):
    """The token endpoint said no (an OAuth ``error``) or answered something unusable."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        error: str | None,
        error_description: str | None = None,
        request_id: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        endpoint: str | None = None,
        code: str | None = None,
        attempts: int | None = None,
        cached_until: float | None = None,
    ) -> None:
        self.error = error
        self.error_description = error_description
        self.retryable = retryable
        self.retry_after = retry_after
        self.endpoint = endpoint
        self.attempts = attempts  # requests made before giving up (None: a single request)
        # Set when the error is replayed from the negative cache instead of asking Amazon again.
        self.cached_until = cached_until
        code = code or error or (str(status) if status else "token")
        super().__init__(message, status=status, request_id=request_id, code=code)


class TokenUnavailable(TokenError, AmazonUnavailable):
    """The token endpoint is down, throttling or answered a 5xx: a :class:`TokenError` that is also unavailability."""


def token_error(message: str, **fields: Any) -> TokenError:
    """A :class:`TokenError`, as :class:`TokenUnavailable` when retrying later can help."""
    cls = TokenUnavailable if fields.get("retryable") else TokenError
    return cls(message, **fields)


class StorageError(AmzAuthError):
    """The refresh-token store cannot be used (unsafe permissions, unreadable file, no keyring)."""

    code = "storage"


class SandboxError(AmzAuthError, RuntimeError):
    """The sandbox's control API refused a call (bad fault, bad world, ...); ``key`` names the bad key if any."""

    code = "sandbox"

    def __init__(self, message: str, *, status: int, key: str | None = None) -> None:
        self.status = status
        self.key = key
        super().__init__(message)


def _rebuild(cls: type[Exception], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    obj = cls.__new__(cls)
    Exception.__init__(obj, *args)
    obj.__dict__.update(state)
    return obj


__all__ = [
    "AmazonUnavailable",
    "AmzAuthError",
    "ApiError",
    "ConfigError",
    "NetworkError",
    "SandboxError",
    "StorageError",
    "TokenError",
    "TokenUnavailable",
    "token_error",
]
