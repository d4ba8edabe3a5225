"""Amazon marketplaces as data: host, country code, SP-API marketplace id and regions.

Source: docs/reference/wire.md (Creators API marketplace list) and Amazon's SP-API
"Marketplace IDs" page. ``creators_region`` picks the 3.x credential version suggested for a
marketplace (3.1 NA, 3.2 EU, 3.3 FE); ``spapi_region`` picks the SP-API endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Region = Literal["na", "eu", "fe"]
REGIONS: Final[tuple[Region, ...]] = ("na", "eu", "fe")


@dataclass(frozen=True, slots=True)
class Marketplace:
    country: str
    host: str
    marketplace_id: str
    region: Region
    currency: str
    seller_central: str
    vendor_central: str

    @property
    def creators_version(self) -> str:
        """The 3.x credential version Amazon issues for this marketplace's region."""
        return CREATORS_VERSION_BY_REGION[self.region]


def _m(country: str, host: str, mid: str, region: Region, currency: str, sc: str, vc: str) -> Marketplace:
    return Marketplace(country, host, mid, region, currency, sc, vc)


MARKETPLACES: Final[tuple[Marketplace, ...]] = (
    _m(
        "US",
        "www.amazon.com",
        "ATVPDKIKX0DER",
        "na",
        "USD",
        "sellercentral.amazon.com",
        "vendorcentral.amazon.com",
    ),
    _m(
        "CA",
        "www.amazon.ca",
        "A2EUQ1WTGCTBG2",
        "na",
        "CAD",
        "sellercentral.amazon.ca",
        "vendorcentral.amazon.ca",
    ),
    _m(
        "MX",
        "www.amazon.com.mx",
        "A1AM78C64UM0Y8",
        "na",
        "MXN",
        "sellercentral.amazon.com.mx",
        "vendorcentral.amazon.com.mx",
    ),
    _m(
        "BR",
        "www.amazon.com.br",
        "A2Q3Y263D00KWC",
        "na",
        "BRL",
        "sellercentral.amazon.com.br",
        "vendorcentral.amazon.com.br",
    ),
    _m(
        "UK",
        "www.amazon.co.uk",
        "A1F83G8C2ARO7P",
        "eu",
        "GBP",
        "sellercentral.amazon.co.uk",
        "vendorcentral.amazon.co.uk",
    ),
    _m(
        "DE",
        "www.amazon.de",
        "A1PA6795UKMFR9",
        "eu",
        "EUR",
        "sellercentral.amazon.de",
        "vendorcentral.amazon.de",
    ),
    _m(
        "FR",
        "www.amazon.fr",
        "A13V1IB3VIYZZH",
        "eu",
        "EUR",
        "sellercentral.amazon.fr",
        "vendorcentral.amazon.fr",
    ),
    _m(
        "IT",
        "www.amazon.it",
        "APJ6JRA9NG5V4",
        "eu",
        "EUR",
        "sellercentral.amazon.it",
        "vendorcentral.amazon.it",
    ),
    _m(
        "ES",
        "www.amazon.es",
        "A1RKKUPIHCS9HS",
        "eu",
        "EUR",
        "sellercentral.amazon.es",
        "vendorcentral.amazon.es",
    ),
    _m(
        "NL",
        "www.amazon.nl",
        "A1805IZSGTT6HS",
        "eu",
        "EUR",
        "sellercentral.amazon.nl",
        "vendorcentral.amazon.nl",
    ),
    _m(
        "BE",
        "www.amazon.com.be",
        "AMEN7PMS3EDWL",
        "eu",
        "EUR",
        "sellercentral.amazon.com.be",
        "vendorcentral.amazon.com.be",
    ),
    _m(
        "PL",
        "www.amazon.pl",
        "A1C3SOZRARQ6R3",
        "eu",
        "PLN",
        "sellercentral.amazon.pl",
        "vendorcentral.amazon.pl",
    ),
    _m(
        "SE",
        "www.amazon.se",
        "A2NODRKZP88ZB9",
        "eu",
        "SEK",
        "sellercentral.amazon.se",
        "vendorcentral.amazon.se",
    ),
    _m(
        "TR",
        "www.amazon.com.tr",
        "A33AVAJ2PDY3EV",
        "eu",
        "TRY",
        "sellercentral.amazon.com.tr",
        "vendorcentral.amazon.com.tr",
    ),
    _m(
        "AE",
        "www.amazon.ae",
        "A2VIGQ35RCS4UG",
        "eu",
        "AED",
        "sellercentral.amazon.ae",
        "vendorcentral.amazon.me",
    ),
    _m(
        "SA",
        "www.amazon.sa",
        "A17E79C6D8DWNP",
        "eu",
        "SAR",
        "sellercentral.amazon.sa",
        "vendorcentral.amazon.me",
    ),
    _m(
        "EG",
        "www.amazon.eg",
        "ARBP9OOSHTCHU",
        "eu",
        "EGP",
        "sellercentral.amazon.eg",
        "vendorcentral.amazon.me",
    ),
    _m(
        "IN", "www.amazon.in", "A21TJRUUN4KGV", "eu", "INR", "sellercentral.amazon.in", "www.vendorcentral.in"
    ),
    _m(
        "JP",
        "www.amazon.co.jp",
        "A1VC38T7YXB528",
        "fe",
        "JPY",
        "sellercentral.amazon.co.jp",
        "vendorcentral.amazon.co.jp",
    ),
    _m(
        "AU",
        "www.amazon.com.au",
        "A39IBJ37TRP1C6",
        "fe",
        "AUD",
        "sellercentral.amazon.com.au",
        "vendorcentral.amazon.com.au",
    ),
    _m(
        "SG",
        "www.amazon.sg",
        "A19VAU5U5O7RUS",
        "fe",
        "SGD",
        "sellercentral.amazon.sg",
        "vendorcentral.amazon.sg",
    ),
)

CREATORS_VERSION_BY_REGION: Final[dict[Region, str]] = {"na": "3.1", "eu": "3.2", "fe": "3.3"}

# Regional Seller Central hosts for the consent step when no marketplace is named.
SELLER_CENTRAL_BY_REGION: Final[dict[Region, str]] = {
    "na": "sellercentral.amazon.com",
    "eu": "sellercentral-europe.amazon.com",
    "fe": "sellercentral.amazon.co.jp",
}
VENDOR_CENTRAL_BY_REGION: Final[dict[Region, str]] = {
    "na": "vendorcentral.amazon.com",
    "eu": "vendorcentral.amazon.co.uk",
    "fe": "vendorcentral.amazon.co.jp",
}
SPAPI_HOST_BY_REGION: Final[dict[Region, str]] = {
    "na": "sellingpartnerapi-na.amazon.com",
    "eu": "sellingpartnerapi-eu.amazon.com",
    "fe": "sellingpartnerapi-fe.amazon.com",
}
AWS_REGION_BY_REGION: Final[dict[Region, str]] = {"na": "us-east-1", "eu": "eu-west-1", "fe": "us-west-2"}
# LwA token hosts per region (SP-API uses api.amazon.com everywhere; these serve Creators 3.x).
LWA_HOST_BY_REGION: Final[dict[Region, str]] = {
    "na": "api.amazon.com",
    "eu": "api.amazon.co.uk",
    "fe": "api.amazon.co.jp",
}

_ALIASES: Final[dict[str, str]] = {"GB": "UK"}
BY_COUNTRY: Final[dict[str, Marketplace]] = {m.country: m for m in MARKETPLACES}
BY_HOST: Final[dict[str, Marketplace]] = {m.host: m for m in MARKETPLACES}
BY_ID: Final[dict[str, Marketplace]] = {m.marketplace_id: m for m in MARKETPLACES}


def find_marketplace(value: str) -> Marketplace | None:
    """Resolve a marketplace host, country code (``UK``/``GB``) or SP-API marketplace id."""
    v = value.strip()
    if not v:
        return None
    up = v.upper()
    found = BY_COUNTRY.get(_ALIASES.get(up, up)) or BY_ID.get(up)
    if found:
        return found
    host = v.lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not host.startswith("www."):
        host = "www." + host
    return BY_HOST.get(host)


__all__ = [
    "AWS_REGION_BY_REGION",
    "BY_COUNTRY",
    "BY_HOST",
    "BY_ID",
    "CREATORS_VERSION_BY_REGION",
    "LWA_HOST_BY_REGION",
    "MARKETPLACES",
    "REGIONS",
    "SELLER_CENTRAL_BY_REGION",
    "SPAPI_HOST_BY_REGION",
    "VENDOR_CENTRAL_BY_REGION",
    "Marketplace",
    "Region",
    "find_marketplace",
]
