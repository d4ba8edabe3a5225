"""ASINs from whatever a site owner pastes, and tagged Amazon links built without any API call.

Pure: no network. Accepts a bare ASIN (lower case too) or any Amazon product URL form
(``/dp/``, ``/gp/product/``, ``/gp/aw/d/``, ``/exec/obidos/ASIN/``, ``/o/ASIN/``, ``/product/``,
``/d/``) on any marketplace host. Short links (amzn.to) need a request to resolve, so they are
refused with the fix named.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote, quote_plus, unquote, urlsplit

from amzauth.creators.errors import InvalidInput

__all__ = ["is_amazon_host", "parse_asin", "search_url", "tagged_url"]

ASIN_RE: Final = re.compile(r"^[A-Za-z0-9]{10}$")
_PATH_FORMS: Final = re.compile(
    r"/(?:dp|gp/product|gp/aw/d|gp/offer-listing|exec/obidos/ASIN|exec/obidos/tg/detail/-|o/ASIN|o|product|d)"
    r"/([A-Za-z0-9]{10})(?:[/?#]|$)",
    re.IGNORECASE,
)
_HOST_RE: Final = re.compile(r"(^|\.)amazon\.[a-z.]{2,6}$")


def is_amazon_host(host: str) -> bool:
    return bool(_HOST_RE.search(host.lower().rstrip(".")))


def parse_asin(value: object, field: str = "asin") -> str:
    """The ASIN in ``value`` (an ASIN or an Amazon product URL), upper case; InvalidInput otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            field, "give an ASIN (10 letters and digits) or an Amazon product URL", value=value
        )
    text = value.strip()
    if ASIN_RE.match(text):
        return text.upper()
    url = text if "://" in text else "https://" + text
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("amzn.to", "amzn.eu", "a.co", "amzn.asia"):
        raise InvalidInput(
            field,
            f"{host} short links need a request to resolve; open it once and paste the product URL "
            "(or the ASIN) instead",
            value=value,
        )
    if not is_amazon_host(host):
        raise InvalidInput(
            field, f"{text!r} is neither an ASIN nor an Amazon product URL (host {host!r})", value=value
        )
    found = _PATH_FORMS.search(unquote(parts.path) + "/")
    if not found:
        raise InvalidInput(
            field,
            f"no ASIN in the Amazon URL {text!r}: use a product page URL (…/dp/ASIN) or the ASIN",
            value=value,
        )
    return found.group(1).upper()


def tagged_url(marketplace: str, asin: str, partner_tag: str) -> str:
    """The product page on ``marketplace`` with the partner tag: the link shown when data is absent."""
    return f"https://{marketplace}/dp/{quote(asin)}?tag={quote(partner_tag)}"


def search_url(marketplace: str, keywords: str, partner_tag: str, search_index: str | None = None) -> str:
    """A tagged search results page on Amazon (the "see more on Amazon" link)."""
    url = f"https://{marketplace}/s?k={quote_plus(keywords)}&tag={quote(partner_tag)}"
    if search_index:
        url += f"&i={quote_plus(search_index.lower())}"
    return url
