"""python-amazon-sp-api (``sp_api``): tokens from amzauth's engine.

Every ``sp_api`` client reads its token through ``self._auth`` (an ``AccessTokenClient``, whose
``get_auth`` / ``get_grantless_auth`` consult a per-process cache without a lock). ``use_amzauth``
puts amzauth's token source in that slot; the client's request code is unchanged.
"""

from __future__ import annotations

import time
from typing import Any

from amzauth.engine import TokenManager
from amzauth.errors import AmzAuthError, TokenError
from amzauth.integrations._common import Binding, bind, check_version, diagnosed_error, endpoint_keys

DIST = "python-amazon-sp-api"
LWA_DEFAULT = "https://api.amazon.com/auth/o2/token"
_REGIONS = {"NA": "na", "EU": "eu", "FE": "fe"}


def _sdk_error(message: str, error: AmzAuthError, diagnosis: dict[str, Any] | None) -> Exception:
    from sp_api.auth.exceptions import AuthorizationError

    oauth = error.error if isinstance(error, TokenError) else "network"
    status = error.status if isinstance(error, TokenError) else None
    return diagnosed_error(AuthorizationError, (oauth, message, status), error, diagnosis)  # type: ignore[return-value]


class SpApiTokenSource:
    """Stands in for ``sp_api.auth.AccessTokenClient``: same ``get_auth`` / ``get_grantless_auth``."""

    def __init__(
        self, original: Any, settings: dict[str, Any], binding: Binding, extra: dict[str, Any]
    ) -> None:
        self.original = original  # kept for authorize_auth_code and attribute reads
        self.binding = binding
        self._settings = settings
        self._extra = extra
        self._grantless: dict[str, Binding] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)

    def _response(self, binding: Binding) -> Any:
        from sp_api.auth import AccessTokenResponse

        access = binding.token(_sdk_error)
        cached = binding.manager.cached()
        expires_in = int(cached.expires_at - time.time()) if cached else None
        return AccessTokenResponse(access_token=access, expires_in=expires_in, token_type="bearer")

    def get_auth(self) -> Any:
        return self._response(self.binding)

    def get_grantless_auth(self, scope: str = "sellingpartnerapi::notifications") -> Any:
        b = self._grantless.get(scope)
        if b is None:
            settings = {k: v for k, v in self._settings.items() if k != "refresh_token"}
            b = self._grantless[scope] = bind(
                {**settings, "scope": scope}, name=f"{DIST} client", **self._extra
            )
        return self._response(b)

    def authorize_auth_code(self, auth_code: str) -> Any:
        return self.original.authorize_auth_code(auth_code)


def spapi_settings(
    client_id: str, secret: str, refresh_token: str | None, region: str, token_url: str
) -> dict[str, Any]:
    """The amzauth profile keys for an SP-API app credential, region and LwA URL."""
    return {
        "api": "spapi",
        "region": _REGIONS.get(str(region).upper(), "na"),
        "client_id": client_id,
        "client_secret": secret,
        "refresh_token": refresh_token,
        **endpoint_keys(token_url, LWA_DEFAULT),
    }


def use_amzauth(
    client: Any, *, profile: Any = None, manager: TokenManager | None = None, **settings: Any
) -> Any:
    """Make an ``sp_api`` client (``Sellers``, ``Orders``, ...) take its tokens from amzauth; returns it.

    A failed token request raises the library's usual ``AuthorizationError`` carrying amzauth's
    diagnosis (message and ``diagnosis``, ``code``, ``cause``, ``field``, ``fix``). Raises UnsupportedSDK.
    """
    check_version(DIST)
    if type(client).__module__.startswith("sp_api.asyncio"):
        raise TypeError("use_amzauth supports the sync sp_api clients; sp_api.asyncio is not supported yet")
    auth = getattr(client, "_auth", None)
    if auth is None or not hasattr(auth, "cred"):
        raise TypeError(
            f"use_amzauth expects an sp_api client (sp_api.api.Sellers, ...), got {type(client).__name__}"
        )
    if isinstance(auth, SpApiTokenSource):
        auth = auth.original
    base = spapi_settings(
        auth.cred.client_id,
        auth.cred.client_secret,
        auth.cred.refresh_token,
        client.region,
        f"{auth.scheme}{auth.host}{auth.path}",
    )
    binding = bind(base, profile=profile, manager=manager, name=f"{DIST} client", **settings)
    client._auth = SpApiTokenSource(auth, base, binding, {"profile": None, **settings})
    return client
