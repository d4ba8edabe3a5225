"""Typed results: the fields affiliates actually use, lifted out of Amazon's nested item documents.

An item as Amazon sends it nests the title three levels deep and the price five; :class:`Item`
keeps that document as ``raw`` (Amazon's answer as it came, parsed once and shared, never
re-serialised) and offers the convenient fields beside it. Extraction is pure
(:meth:`Item.from_raw`) and forgiving: a field Amazon left out (a resource not asked for, an item
without offers) becomes None, never an exception. Models are frozen so a cached result handed to
many callers cannot be changed by one of them.

A cached answer is one JSON document (:func:`encode_entry`): the lifted fields, then Amazon's
answer spliced in as it came. A hit reads the lifted fields only and builds the models without a
second validation pass (the fields were typed when the entry was written); Amazon's part is
parsed on the first use of an item's ``raw``.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from typing import Any, Final, NamedTuple, TypeVar
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic_core import from_json

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
    # defer_build: a schema is built on first validation or dump, not at import (most paths need neither).
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Savings(_Frozen):
    """How much the current price is below the reference (list) price."""

    amount: float | None = None
    percent: float | None = None
    currency: str | None = None


class Item(_Frozen):
    """One product: convenient fields plus Amazon's document (``raw``).

    The document is a view into Amazon's answer, which is parsed at most once and shared by every
    item of that answer: a cached search decodes in a fraction of the time, since most callers
    never look at ``raw``.
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
    cached: bool = False
    stale: bool = False
    fetched_at: float | None = None  # epoch seconds when Amazon answered
    _raw: RawRef | None = PrivateAttr(default=None)

    # An item read back from a cache entry keeps its row until a field is first read: a hit builds
    # ten shells, not ten sets of fields (most callers read a few items, or none, of a cached page).
    # Ordinary attribute reads find the filled instance dict; the first read of a shell comes here.
    def __getattr__(self, name: str) -> Any:
        if name in _ITEM_FIELD_SET:
            d = _fill(self)
            if name in d:
                return d[name]
        return _model_getattr(self, name)

    @property
    def __dict__(self) -> dict[str, Any]:
        """The field values (pydantic's equality, dumps, copies and repr all read them here)."""
        return _fill(self)

    @__dict__.setter
    def __dict__(self, values: dict[str, Any]) -> None:
        _DICT.__set__(self, values)

    @property
    def raw(self) -> dict[str, Any]:
        """Amazon's item document, exactly as it came (shared between equal items: treat it as read-only)."""
        return self._raw.get() if self._raw is not None else {}

    @property
    def raw_json(self) -> str:
        """``raw`` as JSON text (made on demand; kept for callers of earlier versions)."""
        return json.dumps(self.raw, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_raw(
        cls,
        raw: dict[str, Any],
        *,
        marketplace: str | None = None,
        partner_tag: str | None = None,
        prime: bool | None = None,
        fetched_at: float | None = None,
        ref: RawRef | None = None,
    ) -> Item:
        """Lift the convenient fields out of an item document. Pure, never raises on missing parts.

        Every value is typed by construction here, so the model is built without a validation pass.
        ``ref`` points at the item inside Amazon's whole answer (kept for the cache), else ``raw``.
        """
        return _trusted(
            cls,
            _lift(raw, Lift(marketplace, partner_tag, prime, fetched_at)),
            ref if ref is not None else RawRef(Answer(None, raw, ()), None),
        )

    @classmethod
    def lifted_later(cls, ref: RawRef, lift: Lift) -> Item:
        """An item of an answer whose fields are lifted from its document on first read.

        The same values as :meth:`from_raw` (the same function lifts them); a search page builds
        ten of these, so a caller pays for the items it reads, as on a cache hit.
        """
        ref.lift = lift
        return _shell(ref)

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


# -- Amazon's answer, kept as it came -----------------------------------------------------------------
class Answer:
    """Amazon's answer: its JSON text as it came and/or the parsed document, each made at most once.

    ``at`` is the path to the item list inside the document (``()`` when the document is the item).
    """

    __slots__ = ("_doc", "_mu", "at", "body", "text")

    def __init__(self, text: str | None, doc: Any, at: tuple[str, ...], body: bytes | None = None) -> None:
        self.text = text
        self.body = body  # the bytes ``doc`` was parsed from, spliced into a cache entry as they are
        self._doc = doc
        self.at = at
        self._mu = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its JSON text (an item travels to another process or a cache whole)."""
        return (Answer, (self.json_text(), None, self.at))

    def doc(self) -> Any:
        if self._doc is None and self.text is not None:
            with self._mu:
                if self._doc is None:
                    self._doc = json.loads(self.text)
        return self._doc

    def json_text(self) -> str:
        """The answer as JSON text: the bytes as they came when they are UTF-8, else serialised once."""
        if self.text is None:
            with contextlib.suppress(UnicodeDecodeError):
                self.text = self.body.decode("utf-8-sig") if self.body is not None else None
            if self.text is None:
                self.text = json.dumps(self.doc(), separators=(",", ":"), ensure_ascii=False)
        return self.text

    def item(self, index: int | None) -> dict[str, Any]:
        node = self.doc()
        for k in self.at:
            node = _dict(node).get(k)
        if index is not None:
            items = _list(node)
            node = items[index] if 0 <= index < len(items) else None
        return node if isinstance(node, dict) else {}  # a fresh one: callers may hold on to it


class RawRef:
    """Where an item's document sits in an :class:`Answer`; equal when the documents are equal."""

    __slots__ = ("answer", "index", "lift", "row")

    def __init__(self, answer: Answer, index: int | None, row: list[Any] | None = None) -> None:
        self.answer = answer
        self.index = index
        self.row = row  # the item's cache row until its fields are filled in (see Item.__getattr__)
        self.lift: Lift | None = None  # or what lifts them from the document (Item.lifted_later)

    def get(self) -> dict[str, Any]:
        return self.answer.item(self.index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawRef):
            return other is self or self.get() == other.get()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> RawRef:
        return self  # read-only by contract, shared like the parsed document


M = TypeVar("M", bound=BaseModel)


def _trusted(cls: type[M], values: dict[str, Any], raw: RawRef | None = None) -> M:
    """A model from values that are already of the field types (every field given): no validation pass.

    Only for values this module typed itself: lifted from Amazon's answer by the pure helpers
    below, or read back from a cache entry that such values were written to.
    """
    obj = cls.__new__(cls)
    _set(obj, "__dict__", values)
    # One set per class is shared: pydantic copies it before any change (model_copy), never mutates it.
    _set(obj, "__pydantic_fields_set__", _ALL_SET[cls])
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", {"_raw": raw} if cls is Item else None)
    return obj


_set: Final = object.__setattr__


# -- cache entries: one JSON document per answer ----------------------------------------------------
# {"entry":"amzauth.creators.entry/2","head_chars":"0000004214","head":{...},"answer":<Amazon's answer>}
# head_chars (fixed width) lets a reader parse the head alone; the answer waits for the first ``raw``.
ENTRY_FORMAT: Final = "amzauth.creators.entry/2"
_PREFIX: Final = '{"entry":"' + ENTRY_FORMAT + '","head_chars":"'
_WIDTH: Final = 10
_HEAD_AT: Final = len(_PREFIX) + _WIDTH + len('","head":')
_ANSWER: Final = ',"answer":'
ITEM_FIELDS: Final = tuple(Item.model_fields)
_ITEM_FIELD_SET: Final = frozenset(ITEM_FIELDS)
_SAVINGS_AT: Final = ITEM_FIELDS.index("savings")


def _item_row(item: Item) -> list[Any]:
    row = [item.__dict__[f] for f in ITEM_FIELDS]
    sv = row[_SAVINGS_AT]
    if sv is not None:
        row[_SAVINGS_AT] = [sv.amount, sv.percent, sv.currency]
    return row


def _items_from_rows(names: list[str], rows: list[list[Any]], index: list[int], answer: Answer) -> list[Item]:
    """Items back from their rows: typed when written, so built without validation (the hit path)."""
    if tuple(names) != ITEM_FIELDS:  # another version's fields: validate (a mismatch raises: a miss)
        out = []
        for row, i in zip(rows, index, strict=True):
            item = Item.model_validate(dict(zip(names, row, strict=True)))
            item._raw = RawRef(answer, i)
            out.append(item)
        return out
    items: list[Item] = []
    width = len(ITEM_FIELDS)
    for row, i in zip(rows, index, strict=True):
        if type(row) is not list or len(row) != width:
            raise ValueError("a cached item row of another width")
        items.append(_shell(RawRef(answer, i, row)))
    return items


def _shell(ref: RawRef) -> Item:
    """An Item whose instance dict stays empty until a field is first read (then :func:`_fill`
    fills it from ``ref``: a cache row, or a lift from the document)."""
    item = Item.__new__(Item)
    _DICT.__set__(item, {})
    _set(item, "__pydantic_fields_set__", _ALL_SET[Item])
    _set(item, "__pydantic_extra__", None)
    _set(item, "__pydantic_private__", {"_raw": ref})
    return item


_DICT: Final[Any] = BaseModel.__dict__["__dict__"]  # the instance dict itself (Item.__dict__ fills it)
_model_getattr: Final[Any] = BaseModel.__getattr__  # type: ignore[attr-defined]


def _fill(item: Item) -> dict[str, Any]:
    """The item's instance dict, filled first if it is still a shell: from its cache row, or lifted
    from its document.

    Values in a row were typed when the entry was written; only ``savings`` is rebuilt. Two threads
    filling one shell build equal values and the last ``update`` wins (each is atomic); the source
    is dropped only after the dict is full.
    """
    d: dict[str, Any] = _DICT.__get__(item)
    if not d:
        ref = _raw_ref(item)
        if ref is None:
            return d
        row, lift = ref.row, ref.lift
        if row is not None:
            values = dict(zip(ITEM_FIELDS, row))  # noqa: B905  (width checked when read)
            sv = values["savings"]
            if sv is not None:
                values["savings"] = _trusted(Savings, {"amount": sv[0], "percent": sv[1], "currency": sv[2]})
            d.update(values)
            ref.row = None
        elif lift is not None:
            d.update(_lift(ref.get(), lift))
            ref.lift = None
    return d


def _raw_ref(item: Item) -> RawRef | None:
    private = object.__getattribute__(item, "__pydantic_private__")
    ref = private.get("_raw") if private else None
    return ref if isinstance(ref, RawRef) else None


def encode_entry(result: BaseModel) -> str:
    """A cached answer as one JSON document: lifted fields in ``head``, Amazon's answer as it came.

    Results without items (browse nodes, per-item errors) are their own plain JSON document.
    """
    if isinstance(result, Item):
        items, fields = [result], None
    elif isinstance(result, SearchResult | VariationsResult):
        items, fields = list(result.items), result.model_dump(exclude={"items"})
    else:
        return result.model_dump_json()
    refs = [r for i in items if (r := i._raw) is not None]
    first = refs[0] if refs else None
    if (
        fields is not None
        and first is not None
        and all(r.answer is first.answer for r in refs)
        and len(refs) == len(items)
    ):
        at, index = list(first.answer.at), [r.index for r in refs]
        text = first.answer.json_text()
    else:  # a getItems entry (one item of a batch) or items of several answers: their documents as a list
        text = json.dumps([i.raw for i in items], separators=(",", ":"), ensure_ascii=False)
        at, index = [], list(range(len(items)))
    head = {
        "model": type(result).__name__,
        "fields": fields,
        "item_fields": ITEM_FIELDS,
        "items": [_item_row(i) for i in items],
        "at": at,
        "index": index,
    }
    head_text = json.dumps(head, separators=(",", ":"), ensure_ascii=False)
    return f'{_PREFIX}{len(head_text):0{_WIDTH}d}","head":{head_text}{_ANSWER}{text}}}'


def decode_entry(model: type[M], data: str) -> M | None:
    """A cached answer back as ``model``, or None when the entry is not one (another version's)."""
    if model is not Item and model is not SearchResult and model is not VariationsResult:
        return model.model_validate_json(data)
    if not data.startswith(_PREFIX):
        return None  # an earlier format: a miss
    end = _HEAD_AT + int(data[len(_PREFIX) : len(_PREFIX) + _WIDTH])
    head = from_json(data[_HEAD_AT:end])
    if not (isinstance(head, dict) and head.get("model") == model.__name__) or not data.startswith(
        _ANSWER, end
    ):
        return None
    answer = Answer(data[end + len(_ANSWER) : -1], None, tuple(head["at"]))
    names = head["item_fields"]
    items = _items_from_rows(names, head["items"], head["index"], answer)
    if model is Item:
        return items[0] if len(items) == 1 else None  # type: ignore[return-value]
    fields = head["fields"]
    if not isinstance(fields, dict) or set(fields) != _RESULT_FIELDS[model]:
        return model.model_validate({**fields, "items": items})
    fields["items"] = items
    return _trusted(model, fields)


_ALL_SET: Final[dict[type[BaseModel], set[str]]] = {
    m: set(m.model_fields) for m in (Item, Savings, SearchResult, VariationsResult)
}
_RESULT_FIELDS: Final[dict[type[BaseModel], set[str]]] = {
    SearchResult: set(SearchResult.model_fields) - {"items"},
    VariationsResult: set(VariationsResult.model_fields) - {"items"},
}


class Lift(NamedTuple):
    """What an item's fields depend on besides its document: the request's store and tag, a Prime
    hint from the request, and when Amazon answered."""

    marketplace: str | None
    partner_tag: str | None
    prime: bool | None
    fetched_at: float | None


def _lift(raw: dict[str, Any], lift: Lift) -> dict[str, Any]:
    """Every Item field from an item document (typed by construction, so no validation pass)."""
    asin = str(raw.get("asin") or "")
    info = _dict(raw.get("itemInfo"))
    byline = _dict(info.get("byLineInfo"))
    listing = _best_listing(raw)
    price_doc = _dict(listing.get("price"))
    money = _dict(price_doc.get("money"))
    currency = _str(money.get("currency"))
    savings = None
    sv = _dict(price_doc.get("savings"))
    if sv:
        sm = _dict(sv.get("money"))
        savings = _trusted(
            Savings,
            {
                "amount": _num(sm.get("amount")),
                "percent": _num(sv.get("percentage")),
                "currency": _str(sm.get("currency")) or currency,
            },
        )
    avail = _dict(listing.get("availability"))
    reviews = _dict(raw.get("customerReviews"))
    count = _num(reviews.get("count"))
    return {
        "asin": asin,
        "title": _display(info.get("title")),
        "brand": _display(byline.get("brand")) or _display(byline.get("manufacturer")),
        "price": _num(money.get("amount")),
        "currency": currency,
        "price_display": _str(money.get("displayAmount")),
        "savings": savings,
        "availability": _str(avail.get("type")),
        "availability_message": _str(avail.get("message")),
        "prime": _prime(listing) if lift.prime is None else lift.prime,
        "rating": _num(_dict(reviews.get("starRating")).get("value")),
        "review_count": int(count) if count is not None else None,
        "image": _image(raw),
        "url": affiliate_url(_str(raw.get("detailPageURL")), asin, lift.marketplace, lift.partner_tag),
        "parent_asin": _str(raw.get("parentASIN")),
        "marketplace": lift.marketplace,
        "variation_attributes": {
            str(v.get("name")): str(v.get("value"))
            for v in _list(raw.get("variationAttributes"))
            if isinstance(v, dict) and v.get("name") is not None
        },
        "cached": False,
        "stale": False,
        "fetched_at": lift.fetched_at,
    }


# -- extraction helpers (pure) -------------------------------------------------------------------
_EMPTY: Final[dict[str, Any]] = {}  # shared by every missing part: only ever read


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else _EMPTY


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _list(v: Any) -> list[Any]:
    """A list from Amazon's document, or empty when the field holds anything else (a number, a string)."""
    return v if isinstance(v, list) else []


def _num(v: Any) -> float | None:
    if v.__class__ is float:  # the common case, first
        return v if v - v == 0.0 else None  # NaN and the infinities are not amounts
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
