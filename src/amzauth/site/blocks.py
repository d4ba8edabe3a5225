"""Block specifications and the view each template renders: pure, no I/O, no Jinja.

A block spec (:class:`Box`, :class:`ProductList`, :class:`Table`, :class:`TextLink`,
:class:`ImageLink`) says what to show; :func:`product_view` turns an item (or its absence) into
what the templates print, applying Amazon's rules: the price only while at most ``max_price_age``
old, its "as of" time taken from when Amazon answered, every URL tagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from amzauth.creators.errors import InvalidInput
from amzauth.creators.models import Item
from amzauth.creators.wire import SORT_BY
from amzauth.site.fmt import Formatter
from amzauth.site.settings import BOX_FIELDS, THEMES, SiteSettings
from amzauth.site.urls import parse_asin, tagged_url

__all__ = [
    "PRESETS",
    "TABLE_ROWS",
    "Block",
    "Box",
    "Category",
    "ImageLink",
    "ProductList",
    "ProductView",
    "Table",
    "TextLink",
    "freshness",
    "product_view",
    "table_winners",
]

PRESETS: Final[dict[str, str]] = {"bestsellers": "Featured", "new_releases": "NewestArrivals"}
TABLE_ROWS: Final = ("price", "rating", "review_count", "savings", "availability", "brand", "prime")
# Which way a numeric row's winner lies.
_BEST: Final[dict[str, Literal["min", "max"]]] = {
    "price": "min",
    "rating": "max",
    "review_count": "max",
    "savings": "max",
}
DEFAULT_IMAGE_SIZE: Final = 500
DEFAULT_TABLE_ROWS: Final = ("price", "rating", "review_count", "savings", "availability")


def _fields(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(x.strip() for x in value.split(",")) if isinstance(value, str) else tuple(value)
    bad = [f for f in names if f not in BOX_FIELDS]
    if bad:
        raise InvalidInput("fields", f"unknown field(s) {bad}; choose from {', '.join(BOX_FIELDS)}")
    return names


def _theme(value: str | None) -> str | None:
    if value is not None and value not in THEMES:
        raise InvalidInput("theme", f"theme must be one of {', '.join(THEMES)}, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Box:
    """One product: image, title, brand, price and savings, availability, stars, button."""

    asin: str
    fields: tuple[str, ...] | None = None
    button: str | None = None
    theme: str | None = None
    kind: str = "box"

    @classmethod
    def of(cls, asin: str, *, fields: Iterable[str] | str | None = None, **kw: Any) -> Box:
        return cls(
            parse_asin(asin), fields=_fields(fields), button=kw.get("button"), theme=_theme(kw.get("theme"))
        )

    def needs(self) -> tuple[str, ...]:
        return (self.asin,)


@dataclass(frozen=True, slots=True)
class ProductList:
    """Given ASINs, or a search (keywords and/or browse node, a sortBy, the first ``count``)."""

    asins: tuple[str, ...] = ()
    keywords: str | None = None
    browse_node: str | None = None
    search_index: str | None = None
    sort: str | None = None
    count: int | None = None
    fields: tuple[str, ...] | None = None
    button: str | None = None
    theme: str | None = None
    kind: str = "list"

    @classmethod
    def of(
        cls,
        asins: Iterable[str] | str | None = None,
        *,
        keywords: str | None = None,
        browse_node: str | int | None = None,
        search_index: str | None = None,
        sort: str | None = None,
        preset: str | None = None,
        count: int | None = None,
        fields: Iterable[str] | str | None = None,
        **kw: Any,
    ) -> ProductList:
        if isinstance(asins, str):
            asins = [a for a in asins.replace(",", " ").split() if a]
        checked = tuple(dict.fromkeys(parse_asin(a, "asins") for a in (asins or ())))
        if preset is not None:
            if preset not in PRESETS:
                raise InvalidInput("preset", f"preset must be one of {', '.join(PRESETS)}, not {preset!r}")
            sort = sort or PRESETS[preset]
        if sort is not None and sort not in SORT_BY:
            raise InvalidInput("sort", f"sort must be one of {', '.join(sorted(SORT_BY))}, not {sort!r}")
        if checked and (keywords or browse_node):
            raise InvalidInput("asins", "give either ASINs or a search (keywords / browse_node), not both")
        if not checked and not (keywords or browse_node or search_index):
            raise InvalidInput("keywords", "a list needs ASINs, keywords, a browse_node or a search_index")
        if count is not None and not (isinstance(count, int) and 1 <= count <= 10):
            raise InvalidInput("count", "count must be a whole number from 1 to 10")
        if keywords is not None and (not keywords.strip() or len(keywords) > 200):
            raise InvalidInput("keywords", "keywords must be 1 to 200 characters")
        node = str(browse_node) if browse_node is not None else None
        if node is not None and not node.isdigit():
            raise InvalidInput("browse_node", f"browse_node must be a numeric node id, not {browse_node!r}")
        return cls(
            checked,
            keywords.strip() if keywords else None,
            node,
            search_index,
            sort,
            count,
            _fields(fields),
            kw.get("button"),
            _theme(kw.get("theme")),
        )

    def needs(self) -> tuple[str, ...]:
        return self.asins

    @property
    def is_search(self) -> bool:
        return not self.asins


@dataclass(frozen=True, slots=True)
class Table:
    """A comparison table of 2 to 6 products, one row per field, the best of each numeric row marked."""

    asins: tuple[str, ...]
    rows: tuple[str, ...] = ()
    button: str | None = None
    theme: str | None = None
    kind: str = "table"

    @classmethod
    def of(cls, asins: Iterable[str] | str, *, rows: Iterable[str] | str | None = None, **kw: Any) -> Table:
        if isinstance(asins, str):
            asins = [a for a in asins.replace(",", " ").split() if a]
        checked = tuple(dict.fromkeys(parse_asin(a, "asins") for a in asins))
        if not 2 <= len(checked) <= 6:
            raise InvalidInput("asins", f"a comparison table takes 2 to 6 distinct ASINs, not {len(checked)}")
        names = (
            tuple(x.strip() for x in rows.split(","))
            if isinstance(rows, str)
            else tuple(rows or DEFAULT_TABLE_ROWS)
        )
        bad = [r for r in names if r not in TABLE_ROWS]
        if bad:
            raise InvalidInput("rows", f"unknown row(s) {bad}; choose from {', '.join(TABLE_ROWS)}")
        return cls(checked, names, kw.get("button"), _theme(kw.get("theme")))

    def needs(self) -> tuple[str, ...]:
        return self.asins


@dataclass(frozen=True, slots=True)
class TextLink:
    """A tagged text link; never waits for product data (the title is used only when cached)."""

    asin: str
    text: str | None = None
    kind: str = "text_link"

    @classmethod
    def of(cls, asin: str, text: str | None = None) -> TextLink:
        return cls(parse_asin(asin), text)

    def needs(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class ImageLink:
    """A tagged product image (from the cache; a text link while no image is cached)."""

    asin: str
    text: str | None = None
    kind: str = "image_link"

    @classmethod
    def of(cls, asin: str, text: str | None = None) -> ImageLink:
        return cls(parse_asin(asin), text)

    def needs(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Category:
    """A browse node's page: its name, breadcrumbs (ancestors), child categories and products."""

    node: str
    count: int | None = None
    fields: tuple[str, ...] | None = None
    button: str | None = None
    theme: str | None = None
    kind: str = "category"

    @classmethod
    def of(
        cls,
        node: str | int,
        *,
        count: int | None = None,
        fields: Iterable[str] | str | None = None,
        **kw: Any,
    ) -> Category:
        text = str(node).strip()
        if not text.isdigit() or len(text) > 20:
            raise InvalidInput("node", f"a category is a numeric browse node id such as 172282, not {node!r}")
        if count is not None and not (isinstance(count, int) and 1 <= count <= 10):
            raise InvalidInput("count", "count must be a whole number from 1 to 10")
        return cls(text, count, _fields(fields), kw.get("button"), _theme(kw.get("theme")))

    def needs(self) -> tuple[str, ...]:
        return ()


Block = Box | ProductList | Table | TextLink | ImageLink | Category


@dataclass(frozen=True, slots=True)
class ProductView:
    """What a template prints for one product (already formatted for the locale)."""

    asin: str
    url: str
    title: str | None
    brand: str | None
    image: str | None
    image_width: int
    image_height: int
    price: float | None
    currency: str | None
    price_text: str | None
    price_as_of: float | None
    as_of_text: str | None
    savings_percent: float | None
    savings_text: str | None
    availability: str | None
    availability_text: str | None
    prime: bool | None
    rating: float | None
    stars_text: str | None
    review_count: int | None
    count_text: str | None
    stale: bool
    fallback: bool

    def as_json(self) -> dict[str, Any]:
        """The contract's JSON for a product (``GET /box/{asin}?format=json``)."""
        return {
            "asin": self.asin,
            "title": self.title,
            "price": self.price,
            "currency": self.currency,
            "price_as_of": _iso(self.price_as_of),
            "url": self.url,
            "stale": self.stale,
            "fallback": self.fallback,
        }


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image_size(item: Item) -> tuple[int, int]:
    """Amazon's own width/height of the primary image (so the page reserves its space)."""
    primary = item.raw.get("images", {}).get("primary", {}) if item.image else {}
    for size in ("large", "medium", "hiRes", "small"):
        doc = primary.get(size) if isinstance(primary, dict) else None
        if isinstance(doc, dict) and doc.get("url") == item.image:
            w, h = doc.get("width"), doc.get("height")
            if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
                return w, h
    return DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE


def freshness(item: Item, now: float, items_ttl: float, max_price_age: float) -> tuple[bool, bool]:
    """(stale, price may be shown): the only two things about an item's view that time changes. Pure."""
    age = now - item.fetched_at if item.fetched_at is not None else None
    stale = age is None or age > items_ttl
    show_price = item.price is not None and item.currency is not None and age is not None
    return stale, show_price and age is not None and age <= max_price_age


def product_view(
    asin: str,
    item: Item | None,
    *,
    now: float,
    items_ttl: float,
    settings: SiteSettings,
    fmt: Formatter,
    marketplace: str,
    partner_tag: str,
) -> ProductView:
    """The view of one product; ``item`` None gives the plain tagged link (``fallback``). Pure."""
    plain = tagged_url(marketplace, asin, partner_tag)
    if item is None:
        return ProductView(
            asin, plain, None, None, None, 0, 0, None, None, None, None, None, None, None, None, None,
            None, None, None, None, None, False, True,
        )  # fmt: skip
    stale, show_price = freshness(item, now, items_ttl, settings.max_price_age)
    w, h = _image_size(item) if item.image else (0, 0)
    price = item.price if show_price else None
    currency = item.currency if show_price else None
    sv = item.savings if show_price else None
    return ProductView(
        asin=asin,
        url=item.url or plain,
        title=item.title,
        brand=item.brand,
        image=item.image,
        image_width=w,
        image_height=h,
        price=price,
        currency=currency,
        price_text=fmt.price(price, currency) if price is not None and currency else None,
        price_as_of=item.fetched_at if price is not None else None,
        as_of_text=fmt.as_of(item.fetched_at) if price is not None and item.fetched_at else None,
        savings_percent=sv.percent if sv else None,
        savings_text=fmt.savings(sv.amount, sv.currency, sv.percent) if sv and sv.amount else None,
        availability=item.availability,
        availability_text=fmt.text(item.availability) if item.availability else None,
        prime=item.prime,
        rating=item.rating,
        stars_text=fmt.stars(item.rating) if item.rating is not None else None,
        review_count=item.review_count,
        count_text=fmt.count(item.review_count) if item.review_count is not None else None,
        stale=stale,
        fallback=False,
    )


def table_winners(views: Sequence[ProductView], rows: Sequence[str]) -> Mapping[str, frozenset[int]]:
    """Per numeric row, the columns holding its best value (ties all win; fewer than 2 values: none)."""
    out: dict[str, frozenset[int]] = {}
    for row in rows:
        way = _BEST.get(row)
        if way is None:
            continue
        attr = "savings_percent" if row == "savings" else row
        values = [(i, getattr(v, attr)) for i, v in enumerate(views) if getattr(v, attr) is not None]
        if len(values) < 2:
            continue
        best = min(x for _, x in values) if way == "min" else max(x for _, x in values)
        if all(x == best for _, x in values):
            continue
        out[row] = frozenset(i for i, x in values if x == best)
    return out
