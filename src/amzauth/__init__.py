"""amzauth: OAuth, clients and a doctor for Amazon's Creators API and Selling Partner API.

    import amzauth

    with amzauth.CreatorsClient(client_id=..., client_secret=..., version="3.1",
                                marketplace="US", partner_tag="mytag-20") as client:
        print(client.get_items(["B00EXAMPLE"]).items[0].title)

Every name below loads on first use, so ``import amzauth`` stays cheap. Catch
:class:`AmazonUnavailable` for "Amazon cannot be used right now" (network, 5xx, throttling);
every error amzauth raises derives from :class:`AmzAuthError`.
"""

from __future__ import annotations

from amzauth._lazy import lazy_exports

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing would double the cost of import amzauth
if TYPE_CHECKING:
    from amzauth._version import __version__
    from amzauth.catalogue import explain
    from amzauth.config import load_profile
    from amzauth.creators.client import AsyncCreatorsClient, CreatorsClient
    from amzauth.creators.errors import CreatorsError
    from amzauth.doctor.run import run_doctor
    from amzauth.engine.auth import AmazonAuth
    from amzauth.errors import (
        AmazonUnavailable,
        AmzAuthError,
        ApiError,
        ConfigError,
        NetworkError,
        SandboxError,
        TokenError,
    )
    from amzauth.spapi.client import AsyncSPAPIClient, SPAPIClient
    from amzauth.spapi.errors import SPAPIError

__all__ = [
    "AmazonAuth",
    "AmazonUnavailable",
    "AmzAuthError",
    "ApiError",
    "AsyncCreatorsClient",
    "AsyncSPAPIClient",
    "ConfigError",
    "CreatorsClient",
    "CreatorsError",
    "NetworkError",
    "SPAPIClient",
    "SPAPIError",
    "SandboxError",
    "TokenError",
    "__version__",
    "explain",
    "load_profile",
    "run_doctor",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "__version__": "amzauth._version",
        "explain": "amzauth.catalogue",
        "load_profile": "amzauth.config",
        "CreatorsClient": "amzauth.creators.client",
        "AsyncCreatorsClient": "amzauth.creators.client",
        "CreatorsError": "amzauth.creators.errors",
        "run_doctor": "amzauth.doctor.run",
        "AmazonAuth": "amzauth.engine.auth",
        "AmazonUnavailable": "amzauth.errors",
        "AmzAuthError": "amzauth.errors",
        "ApiError": "amzauth.errors",
        "ConfigError": "amzauth.errors",
        "NetworkError": "amzauth.errors",
        "SandboxError": "amzauth.errors",
        "TokenError": "amzauth.errors",
        "SPAPIClient": "amzauth.spapi.client",
        "AsyncSPAPIClient": "amzauth.spapi.client",
        "SPAPIError": "amzauth.spapi.errors",
    },
)
