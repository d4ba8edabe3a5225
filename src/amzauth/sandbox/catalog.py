"""World catalogue items rendered as Creators API items, with resources selection.

Each item is rendered once in full (every field the SDK's ``Item`` model knows), then projected on
the requested resources, as Amazon does: nothing but ``asin`` and ``detailPageURL`` unless asked,
offers only when an ``offersV2.listings.*`` resource is asked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from amzauth.config.marketplaces import BY_HOST
from amzauth.sandbox.state import Indexes, SandboxState
from amzauth.sandbox.world import CatalogItem

LOCALE_BY_COUNTRY = {
    "US": "en_US", "CA": "en_CA", "MX": "es_MX", "BR": "pt_BR", "UK": "en_GB", "DE": "de_DE", "FR": "fr_FR",
    "IT": "it_IT", "ES": "es_ES", "NL": "nl_NL", "BE": "fr_BE", "PL": "pl_PL", "SE": "sv_SE", "TR": "tr_TR",
    "AE": "en_AE", "SA": "ar_AE", "EG": "ar_EG", "IN": "en_IN", "JP": "ja_JP", "AU": "en_AU", "SG": "en_SG",
}  # fmt: skip
MERCHANT_BY_COUNTRY = {"US": "Amazon.com", "UK": "Amazon.co.uk", "DE": "Amazon.de", "JP": "Amazon.co.jp",
                       "CA": "Amazon.ca", "FR": "Amazon.fr"}  # fmt: skip
AVAILABILITY_MESSAGE = {
    "IN_STOCK": "In Stock",
    "OUT_OF_STOCK": "Currently unavailable.",
    "PREORDER": "This item will be released soon.",
    "BACKORDER": "Temporarily out of stock. Order now and we'll deliver when available.",
}
NO_MINOR_UNIT = frozenset({"JPY"})
_PREFIX_SYMBOL = {
    "USD": "$",
    "CAD": "$",
    "GBP": "£",
    "AUD": "$",
    "SGD": "S$",
    "MXN": "$",
    "INR": "₹",
    "BRL": "R$",
}
_SUFFIX_SYMBOL = {"EUR": " €", "SEK": " kr", "PLN": " zł", "TRY": " TL"}

# Resources that name a whole object stand for these leaves (so ".ancestor"/".salesRank" stay opt-in).
_EXPAND = {
    "browseNodeInfo.browseNodes": [
        "browseNodeInfo.browseNodes.id",
        "browseNodeInfo.browseNodes.displayName",
        "browseNodeInfo.browseNodes.contextFreeName",
        "browseNodeInfo.browseNodes.isRoot",
    ],
    "images.primary.highRes": ["images.primary.hiRes"],
    "images.variants.highRes": ["images.variants.hiRes"],
}


def display_amount(amount: float, currency: str) -> str:
    if currency in NO_MINOR_UNIT:
        return f"￥{round(amount):,}"
    if currency in _SUFFIX_SYMBOL:
        whole, frac = f"{amount:,.2f}".split(".")
        return f"{whole.replace(',', '.')},{frac}{_SUFFIX_SYMBOL[currency]}"
    return f"{_PREFIX_SYMBOL.get(currency, currency + ' ')}{amount:,.2f}"


def money(amount: float, currency: str) -> dict[str, Any]:
    amount = round(amount) if currency in NO_MINOR_UNIT else round(amount, 2)
    return {"amount": amount, "currency": currency, "displayAmount": display_amount(amount, currency)}


def minor_units(amount: float, currency: str) -> int:
    """Prices in the lowest denomination (cents), as minPrice/maxPrice are expressed."""
    return round(amount) if currency in NO_MINOR_UNIT else round(amount * 100)


def locale_of(marketplace: str) -> str:
    return LOCALE_BY_COUNTRY.get(BY_HOST[marketplace].country, "en_US")


def detail_url(item: CatalogItem, tag: str) -> str:
    return f"https://{item.marketplace}/dp/{item.asin}?tag={quote(tag)}&linkCode=ogi&th=1&psc=1"


def _attr(value: str, label: str, locale: str) -> dict[str, Any]:
    return {"displayValue": value, "label": label, "locale": locale}


def _image_set(url: str) -> dict[str, Any]:
    base = url.rsplit(".", 1)[0] if "." in url.rsplit("/", 1)[-1] else url
    ext = url.rsplit(".", 1)[-1] if "." in url.rsplit("/", 1)[-1] else "jpg"
    return {
        "small": {"url": f"{base}._SL75_.{ext}", "height": 75, "width": 75},
        "medium": {"url": f"{base}._SL160_.{ext}", "height": 160, "width": 160},
        "large": {"url": f"{base}._SL500_.{ext}", "height": 500, "width": 500},
        "hiRes": {"url": url, "height": 1500, "width": 1500},
    }


def node_doc(ix: Indexes, marketplace: str, node_id: str, *, depth: int = 0) -> dict[str, Any]:
    """A browse node with its ancestor chain (names from the world's browse_nodes table)."""
    n = ix.nodes.get((marketplace, node_id))
    name = n.name if n else f"Node {node_id}"
    doc: dict[str, Any] = {"id": node_id, "displayName": name, "contextFreeName": name}
    if n and n.parent and depth < 10:
        doc["ancestor"] = node_doc(ix, marketplace, n.parent, depth=depth + 1)
        doc["ancestor"].pop("isRoot", None)
    return doc


def full_item(ix: Indexes, item: CatalogItem) -> dict[str, Any]:
    """Every field the sandbox can say about an item (before resources selection, without the tag)."""
    loc = locale_of(item.marketplace)
    country = BY_HOST[item.marketplace].country
    out: dict[str, Any] = {"asin": item.asin}
    if item.parent_asin:
        out["parentASIN"] = item.parent_asin
    nodes = []
    for rank, nid in enumerate(item.browse_nodes):
        d = node_doc(ix, item.marketplace, nid)
        n = ix.nodes.get((item.marketplace, nid))
        d["isRoot"] = bool(n.is_root) if n else False
        if item.sales_rank is not None:
            d["salesRank"] = item.sales_rank * (rank + 1)
        nodes.append(d)
    bni: dict[str, Any] = {"browseNodes": nodes}
    if item.sales_rank is not None and item.browse_nodes:
        first = ix.nodes.get((item.marketplace, item.browse_nodes[0]))
        group = item.product_group or (first.name if first else "Store")
        bni["websiteSalesRank"] = {
            "contextFreeName": group, "displayName": group, "id": item.product_group.lower().replace(" ", "-")
            or "store", "salesRank": item.sales_rank,
        }  # fmt: skip
    out["browseNodeInfo"] = bni
    reviews: dict[str, Any] = {"count": item.review_count}
    if item.rating is not None:
        reviews["starRating"] = {"value": item.rating}
    out["customerReviews"] = reviews
    if item.image:
        out["images"] = {
            "primary": _image_set(item.image),
            "variants": [_image_set(u) for u in item.variant_images],
        }
    info: dict[str, Any] = {"title": _attr(item.title, "Title", loc)}
    byline: dict[str, Any] = {}
    if item.brand:
        byline["brand"] = _attr(item.brand, "Brand", loc)
    if item.manufacturer or item.brand:
        byline["manufacturer"] = _attr(item.manufacturer or item.brand, "Manufacturer", loc)
    if byline:
        info["byLineInfo"] = byline
    classifications: dict[str, Any] = {}
    if item.binding:
        classifications["binding"] = _attr(item.binding, "Binding", loc)
    if item.product_group:
        classifications["productGroup"] = _attr(item.product_group, "ProductGroup", loc)
    if classifications:
        info["classifications"] = classifications
    ext: dict[str, Any] = {}
    if item.eans:
        ext["eans"] = {"displayValues": list(item.eans), "label": "EAN", "locale": "en_US"}
    if item.upcs:
        ext["upcs"] = {"displayValues": list(item.upcs), "label": "UPC", "locale": "en_US"}
    if ext:
        info["externalIds"] = ext
    if item.features:
        info["features"] = {"displayValues": list(item.features), "label": "Features", "locale": loc}
    if item.model:
        info["manufactureInfo"] = {
            "model": _attr(item.model, "Model", loc), "itemPartNumber": _attr(item.model, "PartNumber", loc),
        }  # fmt: skip
    product: dict[str, Any] = {
        "isAdultProduct": {"displayValue": False, "label": "IsAdultProduct", "locale": "en_US"}
    }
    if item.color:
        product["color"] = _attr(item.color, "Color", loc)
    if item.size:
        product["size"] = _attr(item.size, "Size", loc)
    if item.release_date:
        product["releaseDate"] = _attr(item.release_date, "ReleaseDate", "en_US")
    info["productInfo"] = product
    out["itemInfo"] = info
    if item.offers:
        out["offersV2"] = {"listings": [_listing(item, country)]}
    if item.variation_attributes:
        out["variationAttributes"] = [{"name": k, "value": v} for k, v in item.variation_attributes.items()]
    return out


def _listing(item: CatalogItem, country: str) -> dict[str, Any]:
    mp = BY_HOST[item.marketplace]
    price: dict[str, Any] = {"money": money(item.price, item.currency)}
    if item.savings_percent:
        basis = item.price / (1 - item.savings_percent / 100)
        if item.currency in NO_MINOR_UNIT:
            basis = round(basis, -1)
        else:
            basis = round(basis) - 0.01 if basis > 5 else round(basis, 2)
        price["savings"] = {
            "money": money(basis - item.price, item.currency),
            "percentage": item.savings_percent,
        }
        price["savingBasis"] = {
            "money": money(basis, item.currency), "savingBasisType": "LIST_PRICE",
            "savingBasisTypeLabel": "List Price",
        }  # fmt: skip
    avail: dict[str, Any] = {"type": item.availability, "message": AVAILABILITY_MESSAGE[item.availability]}
    if item.availability == "IN_STOCK":
        avail["minOrderQuantity"] = 1
        avail["maxOrderQuantity"] = 10
    listing: dict[str, Any] = {
        "availability": avail,
        "condition": {"value": "New", "subCondition": "New"},
        "isBuyBoxWinner": True,
        "merchantInfo": {"name": item.merchant or MERCHANT_BY_COUNTRY.get(country, "Amazon"),
                         "id": mp.marketplace_id if not item.merchant else "A" + item.asin[2:] + "SELLER"},
        "price": price,
        "violatesMAP": False,
    }  # fmt: skip
    if item.deal_badge:
        listing["dealDetails"] = {"accessType": "ALL", "badge": item.deal_badge, "percentClaimed": 37}
    if item.currency == "JPY":
        listing["loyaltyPoints"] = {"points": max(1, round(item.price / 100))}
    return listing


def _project(dst: dict[str, Any], src: dict[str, Any], segs: list[str]) -> None:
    key = segs[0]
    if key not in src:
        return
    val = src[key]
    if len(segs) == 1:
        dst[key] = val
    elif isinstance(val, list):
        if not val:
            dst.setdefault(key, [])
            return
        lst = dst.setdefault(key, [{} for _ in val])
        for d, s in zip(lst, val, strict=False):
            if isinstance(s, dict):
                _project(d, s, segs[1:])
    elif isinstance(val, dict):
        _project(dst.setdefault(key, {}), val, segs[1:])


def render_item(
    state: SandboxState, item: CatalogItem, tag: str, resources: tuple[str, ...]
) -> dict[str, Any]:
    """The item as the API answers it for ``resources`` (cached per world)."""
    key = ("item", item.marketplace, item.asin, tag, resources)
    cached = state.render_cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    full_key = ("full", item.marketplace, item.asin)
    full = state.render_cache.get(full_key)
    if full is None:
        full = state.render_cache[full_key] = full_item(state.ix, item)
    out: dict[str, Any] = {"asin": item.asin, "detailPageURL": detail_url(item, tag)}
    for r in resources:
        for leaf in _EXPAND.get(r, [r]):
            _project(out, full, leaf.split("."))
    if len(state.render_cache) < 50_000:
        state.render_cache[key] = out
    return out
