"""The site kit's options: one frozen object, from keyword arguments, a mapping or a profile.

Every option has a default that follows Amazon's Associates rules (disclosure on, prices at most
24 hours old, ``rel="sponsored nofollow noopener"``); the rules can be tightened, not loosened:
``max_price_age`` above 24 h and a ``rel`` without ``sponsored`` are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from amzauth.creators.errors import InvalidInput

__all__ = ["BOX_FIELDS", "DAY", "THEMES", "SiteSettings"]

DAY: Final = 86400.0
THEMES: Final = ("light", "dark", "compact")
BOX_FIELDS: Final = (
    "image",
    "title",
    "brand",
    "price",
    "savings",
    "availability",
    "prime",
    "rating",
    "button",
)
DEFAULT_REL: Final = "sponsored nofollow noopener"
_HOST_RE: Final = re.compile(r"^www\.amazon\.[a-z.]{2,6}$")
_TAG_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """How blocks look and behave: keyword arguments, a mapping (Django's ``AMZAUTH_SITE``) or
    ``AMZAUTH_SITE_<FIELD>`` environment variables."""

    theme: str = "light"
    disclosure: bool = True
    disclosure_text: str | None = None  # None: the marketplace language's standard sentence
    button_text: str | None = None  # None: "Buy on Amazon" in the marketplace's language
    fields: tuple[str, ...] = BOX_FIELDS
    budget_ms: float = 300.0
    refresh_ahead: float = 0.8  # refresh an entry in the background once this share of its TTL passed
    max_price_age: float = DAY
    rel: str = DEFAULT_REL
    new_tab: bool = True
    locale: str | None = None  # None: from the marketplace
    list_count: int = 5
    workers: int = 4  # background fetch threads
    cors_origins: tuple[str, ...] = ()  # sites allowed to use the ASGI app cross-origin (the embed)
    category_url: str = "/category/{id}"  # where a category block's breadcrumbs and children link to
    visitor_rate: float = 2.0  # requests per second one visitor may make to the ASGI app (0: no limit)
    visitor_burst: int = 20  # requests one visitor may make at once before the rate applies
    visitor_header: str | None = None  # trusted proxy header with the client IP (CF-Connecting-IP)
    localise: bool = False  # send each visitor to their own country's store (needs partner_tags)
    partner_tags: tuple[str, ...] = ()  # "www.amazon.de=mysite-21": the site's tag in other stores
    country_header: str = "CF-IPCountry"  # header with the visitor's country (set by your CDN/proxy)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.theme not in THEMES:
            raise InvalidInput("theme", f"theme must be one of {', '.join(THEMES)}, not {self.theme!r}")
        bad = [f for f in self.fields if f not in BOX_FIELDS]
        if bad:
            raise InvalidInput("fields", f"unknown field(s) {bad}; choose from {', '.join(BOX_FIELDS)}")
        if not 0 <= self.budget_ms <= 60_000:
            raise InvalidInput("budget_ms", "budget_ms must be between 0 and 60000 milliseconds")
        if not 0.1 <= self.refresh_ahead <= 1.0:
            raise InvalidInput(
                "refresh_ahead", "refresh_ahead must be between 0.1 and 1.0 (share of the TTL)"
            )
        if not 0 < self.max_price_age <= DAY:
            raise InvalidInput(
                "max_price_age",
                "max_price_age must be above 0 and at most 86400 s: Amazon forbids showing older prices",
            )
        if "sponsored" not in self.rel.split():
            raise InvalidInput(
                "rel", "rel must contain 'sponsored' (Google's and Amazon's rule for paid links)"
            )
        if not 1 <= self.list_count <= 10:
            raise InvalidInput("list_count", "list_count must be between 1 and 10")
        for origin in self.cors_origins:
            if origin == "*" or not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise InvalidInput(
                    "cors_origins",
                    f"cors_origins takes site origins such as https://example.com (no '*', no path), not {origin!r}",
                )
        if "{id}" not in self.category_url:
            raise InvalidInput("category_url", "category_url must contain {id}, e.g. /category/{id}")
        if not 0 <= self.visitor_rate <= 10_000:
            raise InvalidInput(
                "visitor_rate", "visitor_rate must be 0 (no limit) to 10000 requests per second"
            )
        if not 1 <= self.visitor_burst <= 100_000:
            raise InvalidInput("visitor_burst", "visitor_burst must be 1 to 100000 requests")
        for entry in self.partner_tags:
            host, _, tag = entry.partition("=")
            if not _HOST_RE.match(host.strip().lower()) or not _TAG_RE.match(tag.strip()):
                raise InvalidInput(
                    "partner_tags",
                    f"partner_tags takes entries such as www.amazon.de=mysite-21, not {entry!r}",
                )
        if not 1 <= self.workers <= 64:
            raise InvalidInput("workers", "workers must be between 1 and 64")

    @property
    def budget(self) -> float:
        return self.budget_ms / 1000.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], prefix: str = "") -> SiteSettings:
        """Settings from a mapping (Django's ``AMZAUTH_SITE``, a profile): keys are field names
        (with ``prefix``); unknown keys are an error naming the key."""
        names = {f.name for f in fields(cls)} - {"extra"}
        kw: dict[str, Any] = {}
        for key, value in values.items():
            if not key.startswith(prefix):
                continue
            name = key[len(prefix) :]
            if name not in names:
                raise InvalidInput(key, f"unknown site option {key!r}; known: {', '.join(sorted(names))}")
            kw[name] = _coerce(name, value)
        return cls(**kw)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SiteSettings:
        """``AMZAUTH_SITE_<FIELD>`` variables (``AMZAUTH_SITE_THEME=dark``, ``AMZAUTH_SITE_BUDGET_MS=200``)."""
        values = {k.lower(): v for k, v in environ.items() if k.startswith("AMZAUTH_SITE_")}
        return cls.from_mapping(values, prefix="amzauth_site_")

    def with_(self, **changes: Any) -> SiteSettings:
        return replace(self, **changes)


def _coerce(name: str, value: Any) -> Any:
    """Profile values may arrive as text (environment variables): turn them into the field's type."""
    if name in ("fields", "cors_origins", "partner_tags"):
        if isinstance(value, str):
            return tuple(x.strip() for x in value.split(",") if x.strip())
        return tuple(value)
    if name in ("disclosure", "new_tab", "localise") and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if name in ("budget_ms", "refresh_ahead", "max_price_age", "visitor_rate"):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InvalidInput(name, f"{name} must be a number, not {value!r}") from None
    if name in ("list_count", "workers", "visitor_burst"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InvalidInput(name, f"{name} must be a whole number, not {value!r}") from None
    return value
