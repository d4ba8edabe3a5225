"""Where a token request goes, as far as the config layer must know it (no routing table here).

``sandbox_url`` is the sandbox rewrite every surface uses; ``stored_token_endpoint`` is the token
URL a refresh token kept by ``spapi authorize`` is bound to, so the config layer can refuse to hand
that token to a profile that now points elsewhere (core.plan routes with the same two names).
"""

from __future__ import annotations

from typing import Any, Final, Protocol
from urllib.parse import urlsplit

SPAPI_TOKEN_ENDPOINT: Final = "https://api.amazon.com/auth/o2/token"


def sandbox_url(url: str, sandbox: str | None) -> str:
    """Rewrite ``https://HOST/PATH`` as ``<sandbox>/HOST/PATH`` (docs/reference/config.md)."""
    if not sandbox:
        return url
    parts = urlsplit(url)
    if not parts.netloc:
        return url
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{sandbox.rstrip('/')}/{parts.netloc}{rest}"


class _HasKeys(Protocol):
    """What this module reads of a Profile (kept structural: profiles imports this module)."""

    def get(self, key: str, default: Any = None) -> Any: ...


def stored_token_endpoint(profile: _HasKeys) -> dict[str, str | None]:
    """The token endpoint a stored SP-API refresh token of this profile goes to, and what decides it.

    Keys: ``token_endpoint`` (effective URL, after the sandbox rewrite), ``auth_endpoint`` (Amazon's
    URL or the override) and ``sandbox``. SP-API has one token URL for every region.
    """
    amazon = str(profile.get("auth_endpoint") or "") or SPAPI_TOKEN_ENDPOINT
    sandbox = str(profile.get("sandbox") or "") or None
    return {"token_endpoint": sandbox_url(amazon, sandbox), "auth_endpoint": amazon, "sandbox": sandbox}


__all__ = ["SPAPI_TOKEN_ENDPOINT", "sandbox_url", "stored_token_endpoint"]
