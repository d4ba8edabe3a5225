"""python-amazon-paapi's Creators API client (``amazon_creatorsapi.AmazonCreatorsApi``): tokens from amzauth.

The client keeps a bundled ``creatorsapi_python_sdk`` ``ApiClient`` whose ``_token_manager`` it
already replaces with its own; ``use_amzauth`` replaces that one with amzauth's token source. The
client's own 401 handling (clear the token, retry once) then goes through the engine.
"""

from __future__ import annotations

from typing import Any

from amzauth.engine import TokenManager
from amzauth.errors import AmzAuthError
from amzauth.integrations._common import bind, check_version, diagnosed_error
from amzauth.integrations.creators_sdk import CreatorsTokenSource, creators_settings

DIST = "python-amazon-paapi"


def _sdk_error(message: str, error: AmzAuthError, diagnosis: dict[str, Any] | None) -> Exception:
    from amazon_creatorsapi.errors import AuthenticationError

    return diagnosed_error(AuthenticationError, (message,), error, diagnosis)  # type: ignore[return-value]


def use_amzauth(
    api: Any, *, profile: Any = None, manager: TokenManager | None = None, **settings: Any
) -> Any:
    """Make an ``AmazonCreatorsApi`` take its tokens from amzauth; returns the client.

    A failed token request raises the library's usual ``AuthenticationError`` carrying amzauth's
    diagnosis (message and ``diagnosis``, ``code``, ``cause``, ``field``, ``fix``). Only the sync
    client is supported. Raises UnsupportedSDK.
    """
    check_version(DIST)
    inner = getattr(api, "_api_client", None)
    if inner is None or not hasattr(inner, "_token_manager"):
        raise TypeError(
            f"use_amzauth expects amazon_creatorsapi.AmazonCreatorsApi, got {type(api).__name__} "
            "(the asyncio client is not supported)"
        )
    binding = bind(
        creators_settings(api._credential_id, api._credential_secret, api._version, inner.auth_endpoint),
        profile=profile,
        manager=manager,
        name=f"{DIST} client",
        **settings,
    )
    inner._token_manager = CreatorsTokenSource(binding, _sdk_error)
    return api
