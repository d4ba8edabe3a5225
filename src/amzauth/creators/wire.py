"""The Creators API on the wire, as pure functions: validate input, build requests, parse answers.

Nothing here does I/O. Input is checked before any request so a malformed ASIN or an item count
of 50 fails with an :class:`InvalidInput` that names the field, instead of a 400 that costs a
request from a quota of 8,640 a day. Cache keys come from the *normalised* request (defaults
filled in, resources sorted, keywords case-folded) plus API base URL, marketplace and partner tag,
so equivalent calls share one entry and a sandbox result never answers a production call.
Request and response shapes: docs/reference/wire.md section 1 and the official SDK's models.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from amzauth.config.marketplaces import find_marketplace
from amzauth.creators.errors import CreatorsError, InvalidInput, error_from_response

if TYPE_CHECKING:  # the models (and pydantic) load with the first answer, not with the client
    from amzauth.creators.models import (
        BrowseNodesResult,
        Item,
        ItemError,
        Lift,
        SearchResult,
        VariationsResult,
    )

Operation = Literal["searchItems", "getItems", "getVariations", "getBrowseNodes"]

ITEM_RESOURCES: Final = frozenset(
    {
        "browseNodeInfo.browseNodes",
        "browseNodeInfo.browseNodes.ancestor",
        "browseNodeInfo.browseNodes.salesRank",
        "browseNodeInfo.websiteSalesRank",
        "customerReviews.count",
        "customerReviews.starRating",
        "images.primary.small",
        "images.primary.medium",
        "images.primary.large",
        "images.primary.highRes",
        "images.variants.small",
        "images.variants.medium",
        "images.variants.large",
        "images.variants.highRes",
        "itemInfo.byLineInfo",
        "itemInfo.contentInfo",
        "itemInfo.contentRating",
        "itemInfo.classifications",
        "itemInfo.externalIds",
        "itemInfo.features",
        "itemInfo.manufactureInfo",
        "itemInfo.productInfo",
        "itemInfo.technicalInfo",
        "itemInfo.title",
        "itemInfo.tradeInInfo",
        "parentASIN",
        "offersV2.listings.availability",
        "offersV2.listings.condition",
        "offersV2.listings.dealDetails",
        "offersV2.listings.isBuyBoxWinner",
        "offersV2.listings.loyaltyPoints",
        "offersV2.listings.merchantInfo",
        "offersV2.listings.price",
        "offersV2.listings.type",
    }
)  # the SDK's GetItemsResource enum
SEARCH_RESOURCES: Final = ITEM_RESOURCES | {"searchRefinements"}
VARIATION_RESOURCES: Final = ITEM_RESOURCES | {
    "variationSummary.price.highestPrice",
    "variationSummary.price.lowestPrice",
    "variationSummary.variationDimension",
}
BROWSE_RESOURCES: Final = frozenset({"browseNodes.ancestor", "browseNodes.children"})
ALLOWED_RESOURCES: Final[Mapping[str, frozenset[str]]] = {
    "searchItems": SEARCH_RESOURCES,
    "getItems": ITEM_RESOURCES,
    "getVariations": VARIATION_RESOURCES,
    "getBrowseNodes": BROWSE_RESOURCES,
}

# What the convenient fields need; offers come back only when an offersV2 resource is asked.
DEFAULT_ITEM_RESOURCES: Final[tuple[str, ...]] = (
    "customerReviews.count",
    "customerReviews.starRating",
    "images.primary.large",
    "itemInfo.byLineInfo",
    "itemInfo.title",
    "offersV2.listings.availability",
    "offersV2.listings.condition",
    "offersV2.listings.dealDetails",
    "offersV2.listings.isBuyBoxWinner",
    "offersV2.listings.merchantInfo",
    "offersV2.listings.price",
    "parentASIN",
)
DEFAULT_VARIATION_RESOURCES: Final[tuple[str, ...]] = (
    *DEFAULT_ITEM_RESOURCES,
    "variationSummary.price.highestPrice",
    "variationSummary.price.lowestPrice",
    "variationSummary.variationDimension",
)
DEFAULT_BROWSE_RESOURCES: Final[tuple[str, ...]] = ("browseNodes.ancestor", "browseNodes.children")

SORT_BY: Final = frozenset(
    {"AvgCustomerReviews", "Featured", "NewestArrivals", "Price:HighToLow", "Price:LowToHigh", "Relevance"}
)
DELIVERY_FLAGS: Final = frozenset({"AmazonGlobal", "FreeShipping", "FulfilledByAmazon", "Prime"})
CONDITIONS: Final = frozenset({"Any", "New"})
AVAILABILITY: Final = frozenset({"Available", "IncludeOutOfStock"})
GET_ITEMS_BATCH: Final = 10  # itemIds per getItems request (Amazon's limit)
MAX_TEXT: Final = 1000  # keywords, brand, title ... (the SDK's max_length)

ASIN_RE: Final = re.compile(r"^[0-9A-Z]{10}$")  # ASINs and ISBN-10s (digits, check digit X)
_NODE_RE: Final = re.compile(r"^[0-9]{1,19}$")
_TAG_RE: Final = re.compile(r"^\S{1,64}$")
_CACHE_SCHEMA: Final = "cr1"  # bump when cached documents change shape


@dataclass(frozen=True, slots=True)
class Target:
    """Where and as whom a call goes: API base URL (sandbox-rewritten), marketplace host, partner tag."""

    api_base_url: str
    marketplace: str
    partner_tag: str


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """A Creators API request ready to send (no Authorization header: AmazonAuth adds it)."""

    operation: Operation
    url: str
    headers: Mapping[str, str]
    body: bytes
    payload: Mapping[str, Any]


# -- input validation ------------------------------------------------------------------------------
def resolve_marketplace(value: str | None, default: str | None = None) -> str:
    """A marketplace host from a host, country code or marketplace id; InvalidInput when unknown."""
    raw = value if value is not None else default
    if raw is None or not str(raw).strip():
        raise InvalidInput("marketplace", "no marketplace given (set marketplace in the profile)")
    m = find_marketplace(str(raw))
    if m is None:
        raise InvalidInput(
            "marketplace",
            f"unknown marketplace {raw!r}: use a host such as www.amazon.de or a country code such as DE",
            value=raw,
        )
    return m.host


def check_partner_tag(tag: str | None) -> str:
    if tag is None or not str(tag).strip():
        raise InvalidInput(
            "partner_tag",
            "no partner tag: set partner_tag in the profile (your Associates store id, e.g. mytag-20)",
        )
    if not isinstance(tag, str) or not _TAG_RE.match(tag):
        raise InvalidInput(
            "partner_tag", f"partner tag {tag!r} must be 1 to 64 characters without spaces", value=tag
        )
    return tag


def check_asin(value: Any, field: str = "asins") -> str:
    """One ASIN (or ISBN-10): exactly 10 upper-case letters and digits."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"ASIN must be a string, got {type(value).__name__}", value=value)
    s = value.strip()
    if ASIN_RE.match(s):
        return s
    hint = ""
    if ASIN_RE.match(s.upper()):
        hint = f" (ASINs are upper case: {s.upper()})"
    elif len(s) != 10:
        hint = f" (it has {len(s)} characters)"
    raise InvalidInput(
        field, f"malformed ASIN {value!r}: an ASIN is 10 upper-case letters and digits{hint}", value=value
    )


def check_asins(values: Iterable[Any] | str) -> list[str]:
    """Validated ASINs in input order, duplicates dropped; at least one."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        a = check_asin(v)
        if a not in seen:
            seen.add(a)
            out.append(a)
    if not out:
        raise InvalidInput("asins", "no ASINs given")
    return out


def _int_in(field: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidInput(
                field, f"{field} must be a whole number from {lo} to {hi}, got {value!r}", value=value
            )
    if not lo <= value <= hi:
        raise InvalidInput(field, f"{field} must be from {lo} to {hi}, got {value}", value=value)
    return int(value)


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, f"{field} must be a string", value=value)
    s = " ".join(value.split())
    if not s:
        raise InvalidInput(field, f"{field} must not be empty", value=value)
    if len(s) > MAX_TEXT:
        raise InvalidInput(field, f"{field} is longer than {MAX_TEXT} characters", value=value)
    return s


def _number(field: str, value: Any, lo: float, hi: float | None = None) -> float | int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < lo
        or (hi is not None and value > hi)
    ):
        bound = f"from {lo:g} to {hi:g}" if hi is not None else f"at least {lo:g}"
        raise InvalidInput(field, f"{field} must be a number {bound}, got {value!r}", value=value)
    return value


def _choice(field: str, value: Any, allowed: frozenset[str]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise InvalidInput(
            field, f"{field} must be one of {', '.join(sorted(allowed))}, got {value!r}", value=value
        )
    return str(value)


def check_resources(operation: str, resources: Iterable[str] | None, default: Sequence[str]) -> list[str]:
    """Requested resources, sorted and de-duplicated (so equal sets share a cache entry)."""
    if resources is None:
        return sorted(set(default))
    if isinstance(resources, str):
        resources = [resources]
    allowed = ALLOWED_RESOURCES[operation]
    out = set()
    for r in resources:
        if r not in allowed:
            raise InvalidInput("resources", f"unknown {operation} resource {r!r}", value=r)
        out.add(r)
    return sorted(out)


def keywords_text(keywords: str | Sequence[str] | None) -> str | None:
    """``"usb c cable"`` or ``["usb", "c", "cable"]`` -> one space-separated string; "" is an error."""
    if keywords is None:
        return None
    if not isinstance(keywords, str):
        if not all(isinstance(k, str) for k in keywords):
            raise InvalidInput("keywords", "keywords must be strings")
        keywords = " ".join(keywords)
    text = " ".join(keywords.split())
    if not text:
        raise InvalidInput("keywords", "keywords must not be empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput("keywords", f"keywords are longer than {MAX_TEXT} characters")
    return text


# -- payloads (lowerCamelCase bodies, validated) ---------------------------------------------------
def search_payload(
    keywords: str | Sequence[str] | None,
    *,
    partner_tag: str,
    search_index: str | None = None,
    item_count: int = 10,
    item_page: int = 1,
    resources: Iterable[str] | None = None,
    brand: str | None = None,
    title: str | None = None,
    actor: str | None = None,
    artist: str | None = None,
    author: str | None = None,
    browse_node_id: str | None = None,
    sort_by: str | None = None,
    min_price: float | None = None,
    max_price: float | None = None,
    min_reviews_rating: float | None = None,
    min_saving_percent: float | None = None,
    availability: str | None = None,
    delivery_flags: Iterable[str] | None = None,
    condition: str | None = None,
    languages_of_preference: Sequence[str] | None = None,
    currency_of_preference: str | None = None,
) -> dict[str, Any]:
    """The searchItems body; raises InvalidInput naming the first bad field."""
    kw = keywords_text(keywords)
    body: dict[str, Any] = {"partnerTag": check_partner_tag(partner_tag)}
    if kw is not None:
        body["keywords"] = kw
    for name, key, value in (
        ("brand", "brand", brand),
        ("title", "title", title),
        ("actor", "actor", actor),
        ("artist", "artist", artist),
        ("author", "author", author),
        ("search_index", "searchIndex", search_index),
    ):
        v = _text(name, value)
        if v is not None:
            body[key] = v
    if browse_node_id is not None:
        node = str(browse_node_id).strip()
        if not _NODE_RE.match(node):
            raise InvalidInput("browse_node_id", f"browse node id must be digits, got {browse_node_id!r}")
        body["browseNodeId"] = node
    if not any(
        k in body for k in ("keywords", "brand", "title", "actor", "artist", "author", "browseNodeId")
    ):
        raise InvalidInput(
            "keywords", "give keywords (or brand, title, actor, artist, author or browse_node_id)"
        )
    body["itemCount"] = _int_in("item_count", item_count, 1, 10)
    body["itemPage"] = _int_in("item_page", item_page, 1, 10)
    body["resources"] = check_resources("searchItems", resources, DEFAULT_ITEM_RESOURCES)
    if body.get("searchIndex") == "All":
        del body["searchIndex"]  # Amazon's default: same results, one cache entry
    for name, key, number, lo, hi in (
        ("min_price", "minPrice", min_price, 1, None),
        ("max_price", "maxPrice", max_price, 1, None),
        ("min_reviews_rating", "minReviewsRating", min_reviews_rating, 1, 4),
        ("min_saving_percent", "minSavingPercent", min_saving_percent, 1, 99),
    ):
        n = _number(name, number, lo, hi)
        if n is not None:
            body[key] = n
    for name, key, value, allowed in (
        ("sort_by", "sortBy", sort_by, SORT_BY),
        ("availability", "availability", availability, AVAILABILITY),
        ("condition", "condition", condition, CONDITIONS),
    ):
        c = _choice(name, value, allowed)
        if c is not None:
            body[key] = c
    if delivery_flags is not None:
        flags = [delivery_flags] if isinstance(delivery_flags, str) else list(delivery_flags)
        for f in flags:
            _choice("delivery_flags", f, DELIVERY_FLAGS)
        if flags:
            body["deliveryFlags"] = sorted(set(flags))
    _languages(body, languages_of_preference, currency_of_preference)
    return body


def _languages(body: dict[str, Any], languages: Sequence[str] | None, currency: str | None) -> None:
    if languages is not None:
        langs = [languages] if isinstance(languages, str) else list(languages)
        if len(langs) > 1 or not all(isinstance(x, str) and x for x in langs):
            raise InvalidInput("languages_of_preference", "give at most one language, e.g. ['en_US']")
        if langs:
            body["languagesOfPreference"] = langs
    if currency is not None:
        if not (isinstance(currency, str) and re.match(r"^[A-Z]{3}$", currency)):
            raise InvalidInput(
                "currency_of_preference", f"use an ISO 4217 code such as USD, got {currency!r}"
            )
        body["currencyOfPreference"] = currency


def items_payload(
    asins: Sequence[str],
    *,
    partner_tag: str,
    resources: Iterable[str] | None = None,
    condition: str | None = None,
    languages_of_preference: Sequence[str] | None = None,
    currency_of_preference: str | None = None,
) -> dict[str, Any]:
    """The getItems body for up to 10 already-checked ASINs."""
    if not 1 <= len(asins) <= GET_ITEMS_BATCH:
        raise InvalidInput("asins", f"one getItems request takes 1 to {GET_ITEMS_BATCH} ASINs")
    body: dict[str, Any] = {
        "partnerTag": check_partner_tag(partner_tag),
        "itemIds": list(asins),
        "itemIdType": "ASIN",
        "resources": check_resources("getItems", resources, DEFAULT_ITEM_RESOURCES),
    }
    c = _choice("condition", condition, CONDITIONS)
    if c is not None:
        body["condition"] = c
    _languages(body, languages_of_preference, currency_of_preference)
    return body


def variations_payload(
    asin: str,
    *,
    partner_tag: str,
    variation_count: int = 10,
    variation_page: int = 1,
    resources: Iterable[str] | None = None,
    condition: str | None = None,
    languages_of_preference: Sequence[str] | None = None,
    currency_of_preference: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "partnerTag": check_partner_tag(partner_tag),
        "asin": check_asin(asin, "asin"),
        "variationCount": _int_in("variation_count", variation_count, 1, 10),
        "variationPage": _int_in("variation_page", variation_page, 1, 10_000),
        "resources": check_resources("getVariations", resources, DEFAULT_VARIATION_RESOURCES),
    }
    c = _choice("condition", condition, CONDITIONS)
    if c is not None:
        body["condition"] = c
    _languages(body, languages_of_preference, currency_of_preference)
    return body


def browse_nodes_payload(
    ids: Iterable[Any] | str,
    *,
    partner_tag: str,
    resources: Iterable[str] | None = None,
    languages_of_preference: Sequence[str] | None = None,
) -> dict[str, Any]:
    if isinstance(ids, str | int):
        ids = [ids]
    nodes: list[str] = []
    for v in ids:
        s = str(v).strip()
        if isinstance(v, bool) or not _NODE_RE.match(s):
            raise InvalidInput("browse_node_ids", f"browse node id must be digits, got {v!r}", value=v)
        if s not in nodes:
            nodes.append(s)
    if not nodes:
        raise InvalidInput("browse_node_ids", "no browse node ids given")
    if len(nodes) > 10:
        raise InvalidInput("browse_node_ids", "getBrowseNodes takes at most 10 ids")
    body: dict[str, Any] = {
        "partnerTag": check_partner_tag(partner_tag),
        "browseNodeIds": nodes,
        "resources": check_resources("getBrowseNodes", resources, DEFAULT_BROWSE_RESOURCES),
    }
    _languages(body, languages_of_preference, None)
    return body


# -- requests and cache keys -----------------------------------------------------------------------
def build_request(target: Target, operation: Operation, payload: Mapping[str, Any]) -> ApiRequest:
    """The HTTP request for an operation (URL under the plan's API base, marketplace header)."""
    return ApiRequest(
        operation=operation,
        url=f"{target.api_base_url}/catalog/v1/{operation}",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "x-marketplace": target.marketplace,
        },
        body=json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
        payload=payload,
    )


def _normalised(payload: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(payload)
    out.pop("partnerTag", None)  # part of the target, added once below
    for k in ("keywords", "brand", "title", "actor", "artist", "author"):
        if isinstance(out.get(k), str):
            out[k] = out[k].casefold()
    return out


def cache_key(target: Target, operation: str, payload: Mapping[str, Any]) -> str:
    """A short stable key for a normalised request; equal requests give equal keys."""
    doc = [
        _CACHE_SCHEMA,
        target.api_base_url,
        target.marketplace,
        target.partner_tag,
        operation,
        _normalised(payload),
    ]
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{operation}:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def item_key_prefix(target: Target, payload: Mapping[str, Any]) -> str:
    """The part of every per-ASIN getItems key that depends on the request (not the ASIN)."""
    rest = {k: v for k, v in payload.items() if k not in ("itemIds", "itemIdType")}
    return cache_key(target, "getItems", rest)


def item_key(prefix: str, asin: str) -> str:
    """getItems results are cached per ASIN, so overlapping ASIN lists reuse each other's work."""
    return f"{prefix}:{asin}"


def chunks(seq: Sequence[str], size: int = GET_ITEMS_BATCH) -> list[list[str]]:
    return [list(seq[i : i + size]) for i in range(0, len(seq), size)]


# -- responses ----------------------------------------------------------------------------------------
def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (UnicodeDecodeError, ValueError):
        return None


def _as_dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _as_list(v: Any) -> list[Any]:
    """A list field of Amazon's answer, or empty when it holds anything else (a number, a string)."""
    return v if isinstance(v, list) else []


def _count(v: Any, default: int) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else default


def _ok(
    status: int, headers: Mapping[str, str], body: bytes, operation: str
) -> dict[str, Any] | CreatorsError:
    if status != 200:
        return error_from_response(status, headers, body, operation=operation)
    doc = _json(body)
    if not isinstance(doc, dict):
        return CreatorsError(
            f"{operation} answered 200 with a body that is not a JSON object",
            status=status,
            code="Other",
            operation=operation,
        )
    return doc


def _top_errors(doc: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"code": str(e.get("code") or "Other"), "message": str(e.get("message") or "")}
        for e in _as_list(doc.get("errors"))
        if isinstance(e, dict)
    ]


def _no_result(doc: Mapping[str, Any], status: int, operation: str) -> CreatorsError | None:
    """An answer without its result: Amazon's first error, or None when it only says NoResults."""
    errs = _top_errors(doc)
    if errs and errs[0]["code"] != "NoResults":
        return CreatorsError(errs[0]["message"], status=status, code=errs[0]["code"], operation=operation)
    return None


def _prime_hint(payload: Mapping[str, Any]) -> bool | None:
    """A search restricted to Prime delivery says every result is Prime; nothing else on the wire does."""
    return True if "Prime" in (payload.get("deliveryFlags") or ()) else None


def _page_items(doc: dict[str, Any], body: bytes, result_key: str, lift: Lift) -> list[Item]:
    """The items of a search or variations page: each lifts its fields from the one parsed answer
    on first read (the answer keeps its bytes for the cache entry)."""
    from amzauth.creators.models import Answer, Item, RawRef

    answer = Answer(None, doc, (result_key, "items"), body)
    return [
        Item.lifted_later(RawRef(answer, n), lift)
        for n, raw in enumerate(_as_list(doc[result_key].get("items")))
        if isinstance(raw, dict)
    ]


def parse_search(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    target: Target,
    payload: Mapping[str, Any],
    now: float,
) -> SearchResult | CreatorsError:
    from amzauth.creators.models import Lift, SearchResult

    doc = _ok(status, headers, body, "searchItems")
    if isinstance(doc, CreatorsError):
        return doc
    result = doc.get("searchResult")
    if not isinstance(result, dict):
        return _no_result(doc, status, "searchItems") or SearchResult(
            total=0, marketplace=target.marketplace, fetched_at=now
        )
    items = _page_items(
        doc, body, "searchResult", Lift(target.marketplace, target.partner_tag, _prime_hint(payload), now)
    )
    total = result.get("totalResultCount")
    return SearchResult(
        items=items,
        total=int(total) if isinstance(total, int) else len(items),
        search_url=result.get("searchURL") if isinstance(result.get("searchURL"), str) else None,
        marketplace=target.marketplace,
        fetched_at=now,
    )


_ID_IN_MESSAGE: Final = re.compile(r"\b([0-9A-Z]{10})\b")


def _error_id(message: str, wanted: Sequence[str], taken: set[str]) -> str | None:
    """Which requested id an error message is about (Amazon names it in the message)."""
    for m in _ID_IN_MESSAGE.finditer(message):
        if m.group(1) in wanted and m.group(1) not in taken:
            return m.group(1)
    return None


def parse_items(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    target: Target,
    asins: Sequence[str],
    now: float,
) -> tuple[list[Item], list[ItemError]] | CreatorsError:
    """getItems: the items Amazon returned and one ItemError per requested ASIN it did not."""
    from amzauth.creators.models import Item, ItemError

    doc = _ok(status, headers, body, "getItems")
    if isinstance(doc, CreatorsError):
        return doc
    raw_items = (
        (doc.get("itemsResult") or {}).get("items") if isinstance(doc.get("itemsResult"), dict) else None
    )
    items = [
        Item.from_raw(raw, marketplace=target.marketplace, partner_tag=target.partner_tag, fetched_at=now)
        for raw in _as_list(raw_items)
        if isinstance(raw, dict)
    ]
    got = {i.asin for i in items}
    missing = [a for a in asins if a not in got]
    errors: list[ItemError] = []
    taken: set[str] = set()
    unnamed: list[dict[str, str]] = []
    for e in _top_errors(doc):
        asin = _error_id(e["message"], missing, taken)
        if asin is None:
            unnamed.append(e)
            continue
        taken.add(asin)
        errors.append(ItemError(asin=asin, code=e["code"], message=e["message"]))
    for asin in missing:
        if asin in taken:
            continue
        e = unnamed.pop(0) if unnamed else {"code": "ItemNotAccessible", "message": "Amazon returned no data"}
        errors.append(ItemError(asin=asin, code=e["code"], message=e["message"] or f"no data for {asin}"))
    return items, errors


def parse_variations(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    target: Target,
    payload: Mapping[str, Any],
    now: float,
) -> VariationsResult | CreatorsError:
    from amzauth.creators.models import Lift, VariationsResult

    doc = _ok(status, headers, body, "getVariations")
    if isinstance(doc, CreatorsError):
        return doc
    asin = str(payload.get("asin"))
    result = doc.get("variationsResult")
    if not isinstance(result, dict):
        return _no_result(doc, status, "getVariations") or VariationsResult(asin=asin, fetched_at=now)
    items = _page_items(
        doc, body, "variationsResult", Lift(target.marketplace, target.partner_tag, None, now)
    )
    summary = _as_dict(result.get("variationSummary"))
    price = _as_dict(summary.get("price"))
    low = _as_dict(price.get("lowestPrice"))
    high = _as_dict(price.get("highestPrice"))
    dims = {
        str(d.get("name")): [str(v) for v in _as_list(d.get("values"))]
        for d in _as_list(summary.get("variationDimensions"))
        if isinstance(d, dict)
    }

    def amount(m: Mapping[str, Any]) -> float | None:
        v = m.get("amount")
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    return VariationsResult(
        asin=asin,
        items=items,
        variation_count=_count(summary.get("variationCount"), len(items)),
        page_count=_count(summary.get("pageCount"), 1 if items else 0),
        dimensions=dims,
        lowest_price=amount(low),
        highest_price=amount(high),
        currency=str(low.get("currency") or high.get("currency") or "") or None,
        fetched_at=now,
    )


def parse_browse_nodes(
    status: int, headers: Mapping[str, str], body: bytes, payload: Mapping[str, Any], now: float
) -> BrowseNodesResult | CreatorsError:
    from amzauth.creators.models import BrowseNode, BrowseNodesResult, NodeError

    doc = _ok(status, headers, body, "getBrowseNodes")
    if isinstance(doc, CreatorsError):
        return doc
    result = _as_dict(doc.get("browseNodesResult"))
    nodes = [BrowseNode.from_raw(n) for n in _as_list(result.get("browseNodes")) if isinstance(n, dict)]
    got = {n.id for n in nodes}
    wanted = [str(x) for x in payload.get("browseNodeIds") or ()]
    errors: list[NodeError] = []
    errs = _top_errors(doc)
    for nid in wanted:
        if nid in got:
            continue
        match = next((e for e in errs if nid in e["message"]), None)
        e = match or (errs[0] if errs else {"code": "InvalidParameterValue", "message": ""})
        errors.append(
            NodeError(node_id=nid, code=e["code"], message=e["message"] or f"no data for node {nid}")
        )
    order = {nid: i for i, nid in enumerate(wanted)}
    nodes.sort(key=lambda n: order.get(n.id, len(order)))
    return BrowseNodesResult(nodes=nodes, errors=errors, fetched_at=now)
