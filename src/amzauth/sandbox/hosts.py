"""Which Amazon host the sandbox plays under each URL prefix, and what that host is.

Built from ``amzauth.config.marketplaces`` so the consent hosts stay in step with the marketplace table.
"""

from __future__ import annotations

from typing import Final, Literal

from amzauth.config.marketplaces import (
    AWS_REGION_BY_REGION,
    MARKETPLACES,
    SELLER_CENTRAL_BY_REGION,
    SPAPI_HOST_BY_REGION,
    VENDOR_CENTRAL_BY_REGION,
    Region,
)

HostKind = Literal["cognito", "lwa", "creators", "consent", "spapi", "lwa_web"]

COGNITO_HOST_BY_VERSION: Final[dict[str, str]] = {
    "2.1": "creatorsapi.auth.us-east-1.amazoncognito.com",
    "2.2": "creatorsapi.auth.eu-south-2.amazoncognito.com",
    "2.3": "creatorsapi.auth.us-west-2.amazoncognito.com",
}
LWA_HOST_BY_VERSION: Final[dict[str, str]] = {
    "3.1": "api.amazon.com",
    "3.2": "api.amazon.co.uk",
    "3.3": "api.amazon.co.jp",
}
LWA_REGION_BY_HOST: Final[dict[str, Region]] = {
    "api.amazon.com": "na",
    "api.amazon.co.uk": "eu",
    "api.amazon.co.jp": "fe",
}
CREATORS_HOST: Final = "creatorsapi.amazon"
# Login with Amazon's browser sign-in (/ap/oa), the flow of the LwA JS SDK: it signs in a customer.
LWA_WEB_HOSTS: Final[dict[str, Region]] = {
    "www.amazon.com": "na",
    "www.amazon.co.uk": "eu",
    "www.amazon.co.jp": "fe",
}
COGNITO_TOKEN_PATH: Final = "/oauth2/token"
LWA_TOKEN_PATH: Final = "/auth/o2/token"


def token_host_for_version(version: str) -> str:
    """The one token host where a credential of this version is valid (3.4+ falls back to NA)."""
    if version in COGNITO_HOST_BY_VERSION:
        return COGNITO_HOST_BY_VERSION[version]
    if version in LWA_HOST_BY_VERSION:
        return LWA_HOST_BY_VERSION[version]
    return "api.amazon.com"


def _consent_hosts() -> dict[str, Region]:
    out: dict[str, Region] = {}
    for m in MARKETPLACES:
        out.setdefault(m.seller_central, m.region)
        out.setdefault(m.vendor_central, m.region)
    for region, host in SELLER_CENTRAL_BY_REGION.items():
        out[host] = region
    for region, host in VENDOR_CENTRAL_BY_REGION.items():
        out[host] = region
    return out


CONSENT_HOSTS: Final[dict[str, Region]] = _consent_hosts()


def _spapi_hosts() -> dict[str, Region]:
    out: dict[str, Region] = {}
    for region, host in SPAPI_HOST_BY_REGION.items():
        out[host] = region
        out["sandbox." + host] = region
    return out


SPAPI_HOSTS: Final[dict[str, Region]] = _spapi_hosts()


def host_kind(host: str) -> HostKind | None:
    """Classify a host segment of a sandbox URL; None for hosts Amazon does not have."""
    if host in LWA_REGION_BY_HOST:
        return "lwa"
    if host in _COGNITO_HOSTS:
        return "cognito"
    if host == CREATORS_HOST:
        return "creators"
    if host in SPAPI_HOSTS:
        return "spapi"
    if host in CONSENT_HOSTS:
        return "consent"
    if host in LWA_WEB_HOSTS:
        return "lwa_web"
    return None


_COGNITO_HOSTS: Final[frozenset[str]] = frozenset(COGNITO_HOST_BY_VERSION.values())

__all__ = [
    "AWS_REGION_BY_REGION",
    "COGNITO_HOST_BY_VERSION",
    "CONSENT_HOSTS",
    "CREATORS_HOST",
    "LWA_HOST_BY_VERSION",
    "LWA_REGION_BY_HOST",
    "SPAPI_HOSTS",
    "HostKind",
    "host_kind",
    "token_host_for_version",
]
