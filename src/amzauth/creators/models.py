"""Typed results: the fields affiliates actually use, lifted out of Amazon's nested item documents.

An item as Amazon sends it nests the title three levels deep and the price five; :class:`Item`
keeps that document as ``raw`` and offers the convenient fields beside it. Extraction is pure
(:meth:`Item.from_raw`) and forgiving: a field Amazon left out (a resource not asked for, an item
without offers) becomes None, never an exception. Models are frozen so a cached result handed to
many callers cannot be changed by one of them.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BrowseNode",
    "BrowseNodeRef",
    "BrowseNodesResult",
    "Item",
    "ItemError",
    "ItemsResult",
    "NodeError",
    "Savings",
    "SearchResult",
    "VariationsResult",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Savings(_Frozen):
    """How much the current price is below the reference (list) price."""

    amount: float | None = None
    percent: float | None = None
    currency: str | None = None


class Item(_Frozen):
    """One product: convenient fields plus Amazon's document (``raw``).

    The document is kept as JSON text (``raw_json``) and parsed on first use of ``raw``: a cached
    search answer then decodes in a fraction of the time, since most callers never look at it.
    """

    asin: str
    title: str | None = None
    brand: str | None = None
    price: float | None = None
    currency: str | None = None
    price_display: str | None = None
    savings: Savings | None = None
    availability: str | None = None  # IN_STOCK, OUT_OF_STOCK, PREORDER, BACKORDER
    availability_message: str | None = None
    prime: bool | None = None  # None: Amazon's answer does not say (offersV2 has no Prime flag)
    rating: float | None = None
    review_count: int | None = None
    image: str | None = None
    url: str | None = None  # the affiliate detail page URL, carrying the partner tag
    parent_asin: str | None = None
    marketplace: str | None = None
    variation_attributes: dict[str, str] = Field(default_factory=dict)
    raw_json: str = Field(default="{}", repr=False)
    cached: bool = False
    stale: bool = False
    fetched_at: float | None = None  # epoch seconds when Amazon answered

    @property
    def raw(self) -> dict[str, Any]:
        """Amazon's item document, exactly as it came (shared between equal items: treat it as read-only)."""
        return _parsed(self.raw_json)

    @classmethod
    def from_raw(
        cls,
        raw: dict[str, Any],
        *,
        marketplace: str | None = None,
        partner_tag: str | None = None,
        prime: bool | None = None,
        fetched_at: float | None = None,
    ) -> Item:
        """Lift the convenient fields out of an item document. Pure, never raises on missing parts."""
        asin = str(raw.get("asin") or "")
        info = _dict(raw.get("itemInfo"))
        title = _display(info.get("title"))
        byline = _dict(info.get("byLineInfo"))
        brand = _display(byline.get("brand")) or _display(byline.get("manufacturer"))
        listing = _best_listing(raw)
        price_doc = _dict(listing.get("price"))
        money = _dict(price_doc.get("money"))
        price = _num(money.get("amount"))
        currency = _str(money.get("currency"))
        savings = None
        sv = _dict(price_doc.get("savings"))
        if sv:
            sm = _dict(sv.get("money"))
            savings = Savings(
                amount=_num(sm.get("amount")),
                percent=_num(sv.get("percentage")),
                currency=_str(sm.get("currency")) or currency,
            )
        avail = _dict(listing.get("availability"))
        reviews = _dict(raw.get("customerReviews"))
        rating = _num(_dict(reviews.get("starRating")).get("value"))
        count = reviews.get("count")
        variations = {
            str(v.get("name")): str(v.get("value"))
            for v in _list(raw.get("variationAttributes"))
            if isinstance(v, dict) and v.get("name") is not None
        }
        raw_json = json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
        _remember_parsed(raw_json, raw)
        return cls(
            asin=asin,
            title=title,
            brand=brand,
            price=price,
            currency=currency,
            price_display=_str(money.get("displayAmount")),
            savings=savings,
            availability=_str(avail.get("type")),
            availability_message=_str(avail.get("message")),
            prime=_prime(listing) if prime is None else prime,
            rating=rating,
            review_count=int(n) if (n := _num(count)) is not None else None,
            image=_image(raw),
            url=affiliate_url(_str(raw.get("detailPageURL")), asin, marketplace, partner_tag),
            parent_asin=_str(raw.get("parentASIN")),
            marketplace=marketplace,
            variation_attributes=variations,
            raw_json=raw_json,
            fetched_at=fetched_at,
        )

    def summary(self) -> dict[str, Any]:
        """The convenient fields as plain JSON (what ``amzauth search/items --json`` print)."""
        return {
            "asin": self.asin,
            "title": self.title,
            "url": self.url,
            "price": self.price,
            "currency": self.currency,
            "price_display": self.price_display,
            "brand": self.brand,
            "savings": self.savings.model_dump() if self.savings else None,
            "availability": self.availability,
            "prime": self.prime,
            "rating": self.rating,
            "review_count": self.review_count,
            "image": self.image,
            "parent_asin": self.parent_asin,
            "cached": self.cached,
            "stale": self.stale,
        }


class _Explained:
    """Per-id failures inside an otherwise successful answer (HTTP 200 with an ``errors`` list).

    A plain mixin, so pydantic keeps each model's own field order (the CLI's JSON follows it).
    """

    @property
    def explain(self) -> str | None:
        """``amzauth explain CODE`` when the error catalogue knows the code, else None."""
        from amzauth.catalogue import load_catalogue

        code = str(getattr(self, "code", ""))
        return f"amzauth explain {code}" if load_catalogue().get(code) is not None else None


class ItemError(_Explained, _Frozen):
    """A per-item failure inside an otherwise successful getItems call."""

    asin: str
    code: str
    message: str


class SearchResult(_Frozen):
    items: list[Item] = Field(default_factory=list)
    total: int = 0
    search_url: str | None = None
    marketplace: str | None = None
    cached: bool = False
    stale: bool = False
    fetched_at: float | None = None


class ItemsResult(_Frozen):
    """getItems for any number of ASINs: items in input order, per-item errors beside them."""

    items: list[Item] = Field(default_factory=list)
    errors: list[ItemError] = Field(default_factory=list)
    cached: bool = False  # every item came from the cache
    stale: bool = False  # at least one item is a stale copy served because Amazon failed
    requests: int = 0  # getItems requests sent to Amazon for this call

    def by_asin(self) -> dict[str, Item]:
        return {i.asin: i for i in self.items}


class VariationsResult(_Frozen):
    asin: str
    items: list[Item] = Field(default_factory=list)
    variation_count: int = 0
    page_count: int = 0
    dimensions: dict[str, list[str]] = Field(default_factory=dict)
    lowest_price: float | None = None
    highest_price: float | None = None
    currency: str | None = None
    cached: bool = False
    stale: bool = False
    fetched_at: float | None = None


class BrowseNodeRef(_Frozen):
    id: str
    name: str | None = None


class BrowseNode(_Frozen):
    id: str
    name: str | None = None
    context_free_name: str | None = None
    is_root: bool | None = None
    ancestors: list[BrowseNodeRef] = Field(default_factory=list)  # nearest first
    children: list[BrowseNodeRef] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> BrowseNode:
        ancestors: list[BrowseNodeRef] = []
        cur = _dict(raw.get("ancestor"))
        while cur and len(ancestors) < 20:
            ancestors.append(BrowseNodeRef(id=str(cur.get("id", "")), name=_str(cur.get("displayName"))))
            cur = _dict(cur.get("ancestor"))
        children = [
            BrowseNodeRef(id=str(c.get("id", "")), name=_str(c.get("displayName")))
            for c in _list(raw.get("children"))
            if isinstance(c, dict)
        ]
        root = raw.get("isRoot")
        return cls(
            id=str(raw.get("id", "")),
            name=_str(raw.get("displayName")),
            context_free_name=_str(raw.get("contextFreeName")),
            is_root=root if isinstance(root, bool) else None,
            ancestors=ancestors,
            children=children,
            raw=raw,
        )


class NodeError(_Explained, _Frozen):
    """A per-node failure inside an otherwise successful getBrowseNodes call."""

    node_id: str
    code: str
    message: str


class BrowseNodesResult(_Frozen):
    nodes: list[BrowseNode] = Field(default_factory=list)
    errors: list[NodeError] = Field(default_factory=list)
    cached: bool = False
    stale: bool = False
    fetched_at: float | None = None


# -- raw documents, parsed once per process ---------------------------------------------------------
_PARSED: dict[str, dict[str, Any]] = {}
_PARSED_MAX = 4096


def _remember_parsed(text: str, doc: dict[str, Any]) -> None:
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[text] = doc


def _parsed(text: str) -> dict[str, Any]:
    doc = _PARSED.get(text)
    if doc is None:
        loaded = json.loads(text) if text else {}
        doc = loaded if isinstance(loaded, dict) else {}
        _remember_parsed(text, doc)
    return doc


# -- extraction helpers (pure) -------------------------------------------------------------------
def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _list(v: Any) -> list[Any]:
    """A list from Amazon's document, or empty when the field holds anything else (a number, a string)."""
    return v if isinstance(v, list) else []


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    try:
        f = float(v)
    except OverflowError:  # an integer beyond float range
        return None
    return f if math.isfinite(f) else None


def _display(attr: Any) -> str | None:
    v = _dict(attr).get("displayValue")
    return str(v) if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v) else None


def _best_listing(raw: dict[str, Any]) -> dict[str, Any]:
    """The buy-box winner if Amazon marks one, else the first listing."""
    listings = [x for x in _list(_dict(raw.get("offersV2")).get("listings")) if isinstance(x, dict)]
    for x in listings:
        if x.get("isBuyBoxWinner") is True:
            return x
    return listings[0] if listings else {}


def _prime(listing: dict[str, Any]) -> bool | None:
    """offersV2 carries no Prime flag; PA-API 5's ``deliveryInfo.isPrimeEligible`` is read if present."""
    v = _dict(listing.get("deliveryInfo")).get("isPrimeEligible")
    return v if isinstance(v, bool) else None


def _image(raw: dict[str, Any]) -> str | None:
    primary = _dict(_dict(raw.get("images")).get("primary"))
    for size in ("large", "medium", "hiRes", "small"):
        url = _str(_dict(primary.get(size)).get("url"))
        if url:
            return url
    return None


def affiliate_url(url: str | None, asin: str, marketplace: str | None, partner_tag: str | None) -> str | None:
    """The detail page URL, guaranteed to carry the partner tag (Amazon's already does)."""
    if not url:
        if not (asin and marketplace):
            return None
        url = f"https://{marketplace}/dp/{asin}"
    if partner_tag and "tag=" not in (urlsplit(url).query or ""):
        url += ("&" if "?" in url else "?") + f"tag={quote(partner_tag)}"
    return url
