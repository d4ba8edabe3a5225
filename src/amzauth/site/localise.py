"""Localised links: which Amazon store (and partner tag) a visitor should be sent to. Pure.

Off by default (``localise=False``). With it on, the visitor's country comes from a configurable
header set by the CDN or proxy (``country_header``, default Cloudflare's ``CF-IPCountry``), then
from ``Accept-Language``; only stores with a partner tag in ``partner_tags`` are chosen, else the
profile's own marketplace. A visitor never picks the tag: it comes from the site's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["COUNTRY_MARKETPLACE", "Local", "pick_marketplace", "tags_by_marketplace"]

COUNTRY_MARKETPLACE: Final[dict[str, str]] = {
    "US": "www.amazon.com", "CA": "www.amazon.ca", "MX": "www.amazon.com.mx", "BR": "www.amazon.com.br",
    "GB": "www.amazon.co.uk", "UK": "www.amazon.co.uk", "IE": "www.amazon.co.uk",
    "DE": "www.amazon.de", "AT": "www.amazon.de", "CH": "www.amazon.de", "LU": "www.amazon.de",
    "FR": "www.amazon.fr", "IT": "www.amazon.it", "ES": "www.amazon.es", "NL": "www.amazon.nl",
    "SE": "www.amazon.se", "PL": "www.amazon.pl", "BE": "www.amazon.com.be", "TR": "www.amazon.com.tr",
    "AE": "www.amazon.ae", "SA": "www.amazon.sa", "EG": "www.amazon.eg", "IN": "www.amazon.in",
    "JP": "www.amazon.co.jp", "SG": "www.amazon.sg", "AU": "www.amazon.com.au",
}  # fmt: skip
# A bare language (Accept-Language "de") stands for its main store.
LANGUAGE_COUNTRY: Final[dict[str, str]] = {
    "de": "DE", "fr": "FR", "it": "IT", "es": "ES", "nl": "NL", "sv": "SE", "pl": "PL", "tr": "TR",
    "ja": "JP", "pt": "BR",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Local:
    """The store a visitor is sent to and the site's partner tag there."""

    marketplace: str
    partner_tag: str


def tags_by_marketplace(entries: tuple[str, ...]) -> dict[str, str]:
    """``("www.amazon.de=mysite-21", ...)`` as a mapping (entries checked by SiteSettings)."""
    out: dict[str, str] = {}
    for e in entries:
        host, _, tag = e.partition("=")
        out[host.strip().lower()] = tag.strip()
    return out


def _languages(header: str) -> list[str]:
    """Accept-Language tags, best first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang and q > 0:
            ranked.append((-q, i, lang.strip()))
    return [lang for _, _, lang in sorted(ranked)]


def pick_marketplace(
    country: str | None, accept_language: str | None, tags: Mapping[str, str], home: str
) -> str:
    """The visitor's store: the country header's, else the first Accept-Language one with a tag."""
    candidates: list[str] = []
    if country:
        candidates.append(country.strip().upper()[:2])
    for lang in _languages(accept_language or ""):
        parts = lang.replace("_", "-").split("-")
        if len(parts) > 1 and len(parts[-1]) == 2:
            candidates.append(parts[-1].upper())
        if parts[0].lower() in LANGUAGE_COUNTRY:
            candidates.append(LANGUAGE_COUNTRY[parts[0].lower()])
    for c in candidates:
        mp = COUNTRY_MARKETPLACE.get(c)
        if mp is not None and (mp == home or mp in tags):
            return mp
    return home
