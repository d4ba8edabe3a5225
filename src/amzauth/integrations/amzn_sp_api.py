"""amzn-sp-api (Amazon's Selling Partner API SDK, package ``spapi``): tokens from amzauth's engine.

The SDK asks ``configuration.access_token_cache.get_lwa_access_token()`` for the token of every
call, and already once while building its ``ApiClient``. ``SPAPIClient`` here is the SDK's class
with amzauth's token source put in that slot before the ``ApiClient`` is built (so a new client
costs no token request); ``use_amzauth(client)`` does the same to a client built already.
"""

from __future__ import annotations

from typing import Any

from amzauth.engine import TokenManager
from amzauth.errors import AmzAuthError, TokenError
from amzauth.integrations._common import Binding, bind, check_version, diagnosed_error
from amzauth.integrations.python_sp_api import spapi_settings

DIST = "amzn-sp-api"


def _sdk_error(message: str, error: AmzAuthError, diagnosis: dict[str, Any] | None) -> Exception:
    from spapi.auth.lwa_exception import LwaException

    code = (error.error or "other") if isinstance(error, TokenError) else "server_error"
    return diagnosed_error(LwaException, (code, message), error, diagnosis)  # type: ignore[return-value]


class LwaTokenSource:
    """Stands in for ``spapi.auth.lwa_request.AccessTokenCache`` (same ``get_lwa_access_token``)."""

    def __init__(self, original: Any, binding: Binding) -> None:
        self.original = original
        self.binding = binding

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)

    def get_lwa_access_token(self) -> str:
        return self.binding.token(_sdk_error)


def _source(
    client: Any, profile: Any, manager: TokenManager | None, settings: dict[str, Any]
) -> LwaTokenSource:
    cache = client.access_token_cache
    if isinstance(cache, LwaTokenSource):
        cache = cache.original
    keys = spapi_settings(
        cache.client_id, cache.client_secret, cache.refresh_token, client.config.region, cache.oauth_endpoint
    )
    if cache.grant_type == "client_credentials":
        keys = {**keys, "refresh_token": None, "scope": cache.scope}
    return LwaTokenSource(
        cache, bind(keys, profile=profile, manager=manager, name=f"{DIST} client", **settings)
    )


def use_amzauth(
    client: Any, *, profile: Any = None, manager: TokenManager | None = None, **settings: Any
) -> Any:
    """Make a built ``spapi.SPAPIClient`` take its tokens from amzauth; returns it.

    Building it already cost the SDK one token request; :func:`client_class` avoids that one too.
    A failed token request raises the SDK's usual ``LwaException`` carrying amzauth's diagnosis.
    """
    check_version(DIST)
    if not hasattr(client, "access_token_cache") or not hasattr(client, "api_client"):
        raise TypeError(f"use_amzauth expects spapi.SPAPIClient, got {type(client).__name__}")
    source = _source(client, profile, manager, settings)
    client.access_token_cache = source
    client.api_client.configuration.access_token_cache = source
    return client


_CLASS: list[type] = []


def client_class() -> type:
    """``spapi.SPAPIClient`` taking its tokens from amzauth from the start (also importable as ``SPAPIClient``).

    Same constructor, plus keyword-only ``amzauth_profile`` / ``amzauth_manager`` / ``amzauth_settings``.
    """
    if _CLASS:
        return _CLASS[0]
    check_version(DIST)
    from spapi.client import SPAPIClient as Base

    class SPAPIClient(Base):  # type: ignore[misc]
        __doc__ = (
            f"{Base.__doc__ or ''}\n\nTokens come from amzauth's engine (amzauth.integrations.amzn_sp_api)."
        )

        def __init__(
            self,
            config: Any,
            oauth_endpoint: str | None = None,
            endpoint: str | None = None,
            *,
            amzauth_profile: Any = None,
            amzauth_manager: TokenManager | None = None,
            amzauth_settings: dict[str, Any] | None = None,
        ) -> None:
            self._amzauth = (amzauth_profile, amzauth_manager, dict(amzauth_settings or {}))
            super().__init__(config, oauth_endpoint=oauth_endpoint, endpoint=endpoint)

        def _initialize_client(self) -> None:
            profile, manager, settings = self._amzauth
            self.access_token_cache = _source(self, profile, manager, settings)
            super()._initialize_client()

    SPAPIClient.__module__ = __name__
    _CLASS.append(SPAPIClient)
    return SPAPIClient


def __getattr__(name: str) -> Any:
    if name == "SPAPIClient":
        return client_class()
    raise AttributeError(name)
