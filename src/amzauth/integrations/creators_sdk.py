"""amazon-creatorsapi-python-sdk (Amazon's Creators API SDK): tokens from amzauth's engine.

``use_amzauth(api_client)`` puts a token source in the client's ``_token_manager`` slot, the one
object its ``call_api`` asks for a token; the SDK's request code is unchanged. python-amazon-paapi
fills the same slot of its own bundled copy of the SDK (see :mod:`amzauth.integrations.paapi`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from amzauth.core.plan import creators_token_endpoint
from amzauth.engine import TokenManager
from amzauth.errors import AmzAuthError
from amzauth.integrations._common import Binding, bind, check_version, diagnosed_error, endpoint_keys

DIST = "amazon-creatorsapi-python-sdk"

MakeError = Callable[[str, AmzAuthError, "dict[str, Any] | None"], Exception]


class CreatorsTokenSource:
    """Stands in for the SDK's ``OAuth2TokenManager`` (same methods); every token comes from the engine.

    ``clear_token`` (what python-amazon-paapi calls after a 401) forgets the token this source
    handed out, so the next call refreshes once for every client of the credential.
    """

    def __init__(self, binding: Binding, make_error: MakeError) -> None:
        self.binding = binding
        self._make_error = make_error
        self._last: str | None = None

    def __repr__(self) -> str:
        return f"CreatorsTokenSource(profile={self.binding.plan.profile!r}, engine={self.binding.manager!r})"

    def get_token(self) -> str:
        self._last = self.binding.token(self._make_error)
        return self._last

    def refresh_token(self) -> str:
        self.clear_token()
        return self.get_token()

    def is_token_valid(self) -> bool:
        return self.binding.manager.state() == "fresh"

    def clear_token(self) -> None:
        self.binding.forget(self._last)

    @property
    def access_token(self) -> str | None:
        cached = self.binding.manager.cached()
        return cached.access_token if cached else None

    @property
    def expires_at(self) -> float | None:
        cached = self.binding.manager.cached()
        return cached.expires_at if cached else None


def creators_settings(client_id: str, secret: str, version: str, auth_endpoint: str | None) -> dict[str, Any]:
    """The amzauth profile keys for a Creators SDK credential and token URL."""
    return {
        "api": "creators",
        "credential_version": str(version),
        "client_id": client_id,
        "client_secret": secret,
        **endpoint_keys(auth_endpoint, creators_token_endpoint(str(version))),
    }


def _sdk_error(message: str, error: AmzAuthError, diagnosis: dict[str, Any] | None) -> Exception:
    # The SDK reports a failed token request as a bare Exception("OAuth2 token request failed ...").
    return diagnosed_error(Exception, (message,), error, diagnosis)  # type: ignore[return-value]


def use_amzauth(
    client: Any, *, profile: Any = None, manager: TokenManager | None = None, **settings: Any
) -> Any:
    """Make an ``ApiClient`` (or a ``DefaultApi``) take its tokens from amzauth; returns the client.

    Without ``profile``/``manager`` the credential, version and ``auth_endpoint`` are the client's own;
    ``settings`` add profile keys (``store="redis"``, ``redis_url``, ``cache_dir``, ``timeout``). A
    failed token request raises the SDK's usual ``Exception`` with amzauth's diagnosis (message and
    ``diagnosis``, ``code``, ``cause``, ``field``, ``fix`` attributes). Raises UnsupportedSDK.
    """
    check_version(DIST)
    api_client = getattr(client, "api_client", client)
    binding = bind(
        creators_settings(
            api_client.credential_id,
            api_client.credential_secret,
            api_client.version,
            api_client.auth_endpoint,
        ),
        profile=profile,
        manager=manager,
        name=f"{DIST} client",
        **settings,
    )
    api_client._token_manager = CreatorsTokenSource(binding, _sdk_error)
    return client
