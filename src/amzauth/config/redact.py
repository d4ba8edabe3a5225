"""One redaction function, used by every repr, log line, report and page.

Only a known public prefix and the last 4 characters survive: enough to tell two credentials
apart in a support ticket, never enough to use one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

# Public prefixes that Amazon prints in its own consoles; longest first so the most specific wins.
PUBLIC_PREFIXES: Final[tuple[str, ...]] = (
    "amzn1.application-oa2-client.",
    "amzn1.oa2-cs.v1.",
    "amzn1.sp.solution.",
    "Atzr|",
    "Atza|",
    "Atc|",
)
ELLIPSIS: Final = "…"
SENSITIVE_KEYS: Final[frozenset[str]] = frozenset(
    {
        "client_secret",
        "secret",
        "refresh_token",
        "access_token",
        "token",
        "code",
        "spapi_oauth_code",
        "code_verifier",
        "password",
        "authorization",
        "x-amz-access-token",
        "new_secret",
        "clientsecret",
    }
)


def redact(value: str | None) -> str | None:
    """Return the public prefix (if any) plus an ellipsis and the last 4 characters.

    Short values (8 characters or fewer after the prefix) keep only the ellipsis, since their
    last 4 characters would be half the secret.
    """
    if value is None:
        return None
    if value == "":
        return ""
    prefix = next((p for p in PUBLIC_PREFIXES if value.startswith(p)), "")
    rest = value[len(prefix) :]
    if len(rest) <= 8:
        return f"{prefix}{ELLIPSIS}"
    return f"{prefix}{ELLIPSIS}{rest[-4:]}"


_URL_PASSWORD: Final = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:]*:)(?P<pw>[^/@]*)@")


def redact_url(value: str) -> str:
    """A URL with the password of its userinfo (``redis://user:PASSWORD@host``) replaced by the
    ellipsis; anything else unchanged."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{ELLIPSIS}@", value, count=1)


def redact_id(value: str | None) -> str | None:
    """Client ids are not secret but are long; show the first 12 and last 4 characters."""
    if value is None:
        return None
    if len(value) <= 20:
        return value
    return f"{value[:12]}{ELLIPSIS}{value[-4:]}"


def fingerprint(value: str) -> str:
    """A short, stable, one-way fingerprint for cache keys and log correlation."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """Copy a mapping with every sensitive key's value redacted (recursively)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k.lower() in SENSITIVE_KEYS and isinstance(v, str):
            out[k] = redact(v)
        elif isinstance(v, Mapping):
            out[k] = redact_mapping(v)
        else:
            out[k] = v
    return out


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of the given secrets in free text by their redacted form."""
    for s in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        text = text.replace(s, redact(s) or "")
    return text


_BEARER = re.compile(r"(Bearer\s+)([^\s,]+)")


def scrub_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to log: Authorization and x-amz-access-token values redacted."""
    out: dict[str, str] = {}
    for k, v in headers.items():
        lk = k.lower()
        if lk == "authorization":
            out[k] = _BEARER.sub(lambda m: m.group(1) + (redact(m.group(2)) or ""), v)
        elif lk in SENSITIVE_KEYS:
            out[k] = redact(v) or ""
        else:
            out[k] = v
    return out


class Secret:
    """A string wrapper whose repr and str are redacted; ``reveal()`` is the only way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({redact(self._value)!r})"

    def __str__(self) -> str:
        return redact(self._value) or ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))


__all__ = [
    "ELLIPSIS",
    "PUBLIC_PREFIXES",
    "SENSITIVE_KEYS",
    "Secret",
    "fingerprint",
    "redact",
    "redact_id",
    "redact_mapping",
    "redact_url",
    "scrub",
    "scrub_headers",
]
