"""Drop-in for existing code: amzauth's shared tokens and diagnoses inside the SDKs people already use.

One call per client makes the SDK take its tokens from amzauth's engine (the profile's shared store,
single-flight refresh, refresh windows, retries) with the SDK's request code unchanged; a failed
token request raises the SDK's usual exception type carrying the doctor's diagnosis. See
docs/integrations.md.

=================================  ==========================================================
SDK (tested version)               call
=================================  ==========================================================
amazon-creatorsapi-python-sdk 1.2  ``use_amzauth(api_client)`` (ApiClient or DefaultApi)
python-amazon-paapi 7.1            ``use_amzauth(AmazonCreatorsApi(...))``
python-amazon-sp-api 2.1           ``use_amzauth(Sellers(...))`` (any ``sp_api`` client)
amzn-sp-api 1.13                   ``amzauth.integrations.amzn_sp_api.SPAPIClient`` (or ``use_amzauth``)
requests                           ``AmazonRequestsAuth(manager)``
=================================  ==========================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from amzauth.engine import TokenManager
from amzauth.integrations._common import SUPPORTED, Diagnosed, UnsupportedSDK, check_version

if TYPE_CHECKING:
    from amzauth.integrations.requests_auth import AmazonRequestsAuth

# Top-level package of the client's class -> the adapter module for it.
_ADAPTERS = {
    "creatorsapi_python_sdk": "creators_sdk",
    "amazon_creatorsapi": "paapi",
    "sp_api": "python_sp_api",
    "spapi": "amzn_sp_api",
}


def use_amzauth(
    client: Any, *, profile: Any = None, manager: TokenManager | None = None, **settings: Any
) -> Any:
    """Make an SDK client take its tokens from amzauth; returns the same client.

    Picks the adapter from the client's package. By default the credential and token URL are the
    client's own; ``profile=`` (a name or a Profile) or ``manager=`` choose amzauth's instead;
    ``settings`` add profile keys such as ``store="redis"``. A client of python-amazon-paapi built on
    its bundled ``creatorsapi_python_sdk`` is told apart by the ``AmazonCreatorsApi`` wrapper.
    """
    import importlib

    root = type(client).__module__.split(".", 1)[0]
    name = _ADAPTERS.get(root)
    if name is None:
        raise TypeError(
            f"use_amzauth does not know {type(client).__module__}.{type(client).__name__}; supported: "
            + ", ".join(f"{d} ({SUPPORTED[d][2]})" for d in SUPPORTED)
        )
    adapter = importlib.import_module(f"amzauth.integrations.{name}")
    return adapter.use_amzauth(client, profile=profile, manager=manager, **settings)


def __getattr__(name: str) -> Any:
    # requests is an optional extra: import it only when asked for.
    if name == "AmazonRequestsAuth":
        from amzauth.integrations.requests_auth import AmazonRequestsAuth

        return AmazonRequestsAuth
    raise AttributeError(name)


__all__ = ["SUPPORTED", "AmazonRequestsAuth", "Diagnosed", "UnsupportedSDK", "check_version", "use_amzauth"]
