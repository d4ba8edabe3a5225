"""The Creators API (``https://creatorsapi.amazon``): catalogue operations answered from the world.

Checks run in Amazon's order as we model it: operation, Authorization header (form per family,
token known, not expired), throttling (token bucket and daily quota per credential),
``x-marketplace``, eligibility and marketplace approval, body parsing and field validation,
partner tag, then the operation itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from amzauth.config.marketplaces import BY_HOST
from amzauth.sandbox import messages
from amzauth.sandbox.catalog import minor_units, money, node_doc, render_item
from amzauth.sandbox.messages import BadBody, Req, Resp, json_resp
from amzauth.sandbox.state import SandboxState, TokenInfo
from amzauth.sandbox.world import CatalogItem, CreatorsCredential

CATALOG_OPS = ("searchItems", "getItems", "getVariations", "getBrowseNodes", "getFeed", "listFeeds")
REPORT_OPS = ("getReport", "listReports")

ITEM_RESOURCES = frozenset({
    "browseNodeInfo.browseNodes", "browseNodeInfo.browseNodes.ancestor", "browseNodeInfo.browseNodes.salesRank",
    "browseNodeInfo.websiteSalesRank", "customerReviews.count", "customerReviews.starRating",
    "images.primary.small", "images.primary.medium", "images.primary.large", "images.primary.highRes",
    "images.variants.small", "images.variants.medium", "images.variants.large", "images.variants.highRes",
    "itemInfo.byLineInfo", "itemInfo.contentInfo", "itemInfo.contentRating", "itemInfo.classifications",
    "itemInfo.externalIds", "itemInfo.features", "itemInfo.manufactureInfo", "itemInfo.productInfo",
    "itemInfo.technicalInfo", "itemInfo.title", "itemInfo.tradeInInfo", "parentASIN",
    "offersV2.listings.availability", "offersV2.listings.condition", "offersV2.listings.dealDetails",
    "offersV2.listings.isBuyBoxWinner", "offersV2.listings.loyaltyPoints", "offersV2.listings.merchantInfo",
    "offersV2.listings.price", "offersV2.listings.type",
})  # fmt: skip
SEARCH_RESOURCES = ITEM_RESOURCES | {"searchRefinements"}
VARIATION_RESOURCES = ITEM_RESOURCES | {
    "variationSummary.price.highestPrice", "variationSummary.price.lowestPrice",
    "variationSummary.variationDimension",
}  # fmt: skip
BROWSE_RESOURCES = frozenset({"browseNodes.ancestor", "browseNodes.children"})
SORT_BY = frozenset({"AvgCustomerReviews", "Featured", "NewestArrivals", "Price:HighToLow", "Price:LowToHigh",
                     "Relevance"})  # fmt: skip
SEARCH_TEXT_FIELDS = ("keywords", "actor", "artist", "author", "brand", "title", "browseNodeId")
ASIN_RE = re.compile(r"^[A-Z0-9]{10}$")
_AUTH_RE = re.compile(r"^Bearer\s+([^\s,]+)\s*(?:,\s*Version\s+(\S+))?\s*$", re.IGNORECASE)

MSG_INVALID_TOKEN = messages.CREATORS_INVALID_TOKEN
MSG_EXPIRED = messages.CREATORS_EXPIRED
MSG_NOT_ELIGIBLE = messages.CREATORS_NOT_ELIGIBLE
MSG_THROTTLED = messages.CREATORS_THROTTLED


# -- error answers -----------------------------------------------------------------------------
def _error(status: int, typ: str, message: str, reason: str | None = None, **extra: Any) -> Resp:
    doc: dict[str, Any] = {"type": typ, "message": message}
    if reason is not None:
        doc["reason"] = reason
    doc.update(extra)
    return json_resp(status, doc, headers=[("x-amzn-ErrorType", typ)], error=reason or typ)


def validation(reason: str, message: str, fields: list[tuple[str, str]] | None = None) -> Resp:
    extra: dict[str, Any] = {}
    if fields:
        extra["fieldList"] = [{"name": n, "message": m} for n, m in fields]
    return _error(400, "ValidationException", message, reason, **extra)


def field_errors(fields: list[tuple[str, str]]) -> Resp:
    n = len(fields)
    head = f"{n} validation error{'s' if n > 1 else ''} detected: "
    msg = head + "; ".join(f"Value at '{name}' failed to satisfy constraint: {m}" for name, m in fields)
    return validation("FieldValidationFailed", msg, fields)


def unauthorized(reason: str, message: str) -> Resp:
    return _error(401, "UnauthorizedException", message, reason)


def access_denied(reason: str, message: str) -> Resp:
    return _error(403, "AccessDeniedException", message, reason)


# -- entry ---------------------------------------------------------------------------------------
def handle(state: SandboxState, req: Req) -> Resp:
    parts = req.path.strip("/").split("/")
    if len(parts) != 3 or (parts[0], parts[1]) not in (("catalog", "v1"), ("reports", "v1")):
        return json_resp(404, {"message": f"No resource at {req.path}"}, error="NotFound")
    op = parts[2]
    known = CATALOG_OPS if parts[0] == "catalog" else REPORT_OPS
    if op not in known or req.method != "POST":
        return validation("UnknownOperation", f"Unknown operation: {req.method} {req.path}")
    info: dict[str, Any] = {"operation": op}
    checked = _authorize(state, req)
    if isinstance(checked, Resp):
        checked.info.update(info)
        return checked
    token, cred = checked
    info["client_id"] = cred.client_id
    resp = _call(state, req, op, token, cred)
    resp.info.update(info)
    return resp


def _authorize(state: SandboxState, req: Req) -> tuple[TokenInfo, CreatorsCredential] | Resp:
    header = req.headers.get("authorization")
    if not header:
        return unauthorized("MissingCredential", "Authorization header is missing")
    m = _AUTH_RE.match(header.strip())
    if not m:
        return unauthorized("InvalidToken", f"{MSG_INVALID_TOKEN}: expected 'Bearer <token>' "
                                            "(2.x credentials: 'Bearer <token>, Version <version>')")  # fmt: skip
    token, version = m.group(1), m.group(2)
    info = state.tokens.get(token)
    if info is None or info.kind != "creators":
        return unauthorized("InvalidToken", MSG_INVALID_TOKEN)
    if info.family == "cognito" and version != info.version:
        got = f"'Version {version}'" if version else "no Version"
        return unauthorized(
            "InvalidToken",
            f"{MSG_INVALID_TOKEN}: a {info.version} (Cognito) token must be sent "
            f"as 'Authorization: Bearer <token>, Version {info.version}', got {got}",
        )
    if info.family == "lwa" and version is not None:
        return unauthorized(
            "InvalidToken",
            f"{MSG_INVALID_TOKEN}: a {info.version} (Login with Amazon) token must "
            "be sent as 'Authorization: Bearer <token>' without a Version",
        )
    if req.now >= info.expires_at:
        return unauthorized("TokenExpired", MSG_EXPIRED)
    cred = state.ix.creators.get(info.client_id)
    if cred is None:  # the world changed under the token
        return unauthorized("InvalidClient", "The client that obtained this token no longer exists")
    return info, cred


def _call(state: SandboxState, req: Req, op: str, token: TokenInfo, cred: CreatorsCredential) -> Resp:
    limits = state.world.limits
    if not state.take(("creators", cred.client_id), limits.creators_rate, limits.creators_burst, req.now):
        return _throttled("rate")
    day = datetime.fromtimestamp(req.now, UTC).strftime("%Y-%m-%d")
    if not state.take_daily(cred.client_id, day, limits.creators_daily):
        return _throttled("daily")
    marketplace = req.headers.get("x-marketplace", "").strip()
    if not marketplace:
        return field_errors([("x-marketplace", "Member must not be null")])
    if marketplace not in BY_HOST:
        return field_errors([("x-marketplace", f"'{marketplace}' is not a valid marketplace")])
    if not cred.eligible:
        return access_denied("AssociateNotEligible", MSG_NOT_ELIGIBLE)
    if marketplace not in cred.marketplaces:
        return access_denied(
            "AuthorizationFailed", f"You are not authorized to access marketplace {marketplace}."
        )
    if "json" not in req.content_type:
        return validation("CannotParse", "Content-Type must be application/json")
    try:
        body = req.json() if req.body.strip() else {}
    except BadBody as exc:
        return validation("CannotParse", f"Unable to parse the request body: {exc}")
    if not isinstance(body, dict):
        return validation("CannotParse", "Unable to parse the request body: a JSON object is expected")
    if op in REPORT_OPS or op in ("getFeed", "listFeeds"):
        return _feeds_and_reports(op, body, marketplace, req.now)
    errs = _validate(op, body)
    if errs:
        return field_errors(errs)
    tag = body["partnerTag"]
    tag_err = _check_tag(cred, tag, marketplace)
    if tag_err is not None:
        return tag_err
    if op == "searchItems":
        return search_items(state, body, marketplace, tag)
    if op == "getItems":
        return get_items(state, body, marketplace, tag)
    if op == "getVariations":
        return get_variations(state, body, marketplace, tag)
    return get_browse_nodes(state, body, marketplace)


def _throttled(which: str) -> Resp:
    resp = _error(429, "ThrottleException", MSG_THROTTLED)
    resp.info["error"] = "ThrottleException"
    resp.info["throttle"] = which
    return resp


def _check_tag(cred: CreatorsCredential, tag: str, marketplace: str) -> Resp | None:
    if tag in cred.partner_tags.get(marketplace, []):
        return None
    if any(tag in tags for tags in cred.partner_tags.values()):
        return validation(
            "InvalidAssociate", f"The partner tag {tag} is not valid for marketplace {marketplace}."
        )
    return validation("InvalidPartnerTag", f"The partner tag {tag} is invalid or not registered.")


# -- validation ----------------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _validate(op: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    errs: list[tuple[str, str]] = []
    tag = body.get("partnerTag")
    if tag is None:
        errs.append(("partnerTag", "Member must not be null"))
    elif not isinstance(tag, str) or not tag or len(tag) > 64:
        errs.append(("partnerTag", "Member must be a string of length 1 to 64"))
    allowed = {"searchItems": SEARCH_RESOURCES, "getItems": ITEM_RESOURCES, "getVariations": VARIATION_RESOURCES,
               "getBrowseNodes": BROWSE_RESOURCES}[op]  # fmt: skip
    res = body.get("resources")
    if res is not None:
        if not _str_list(res):
            errs.append(("resources", "Member must be a list of strings"))
        else:
            bad = [r for r in res if r not in allowed]
            if bad:
                errs.append(
                    ("resources", f"Member must satisfy enum value set; unknown value(s): {', '.join(bad)}")
                )
    for name in ("languagesOfPreference",):
        v = body.get(name)
        if v is not None and (not _str_list(v) or len(v) > 1):
            errs.append((name, "Member must be a list of at most 1 string"))
    cond = body.get("condition")
    if cond is not None and cond not in ("Any", "New"):
        errs.append(("condition", "Member must satisfy enum value set: [Any, New]"))
    if op == "getItems":
        ids = body.get("itemIds")
        if ids is None:
            errs.append(("itemIds", "Member must not be null"))
        elif not _str_list(ids) or not ids:
            errs.append(("itemIds", "Member must be a non-empty list of strings"))
        elif len(ids) > 10:
            errs.append(("itemIds", "Member must have length less than or equal to 10"))
        idt = body.get("itemIdType")
        if idt is not None and idt != "ASIN":
            errs.append(("itemIdType", "Member must satisfy enum value set: [ASIN]"))
    elif op == "getVariations":
        asin = body.get("asin")
        if asin is None:
            errs.append(("asin", "Member must not be null"))
        elif not isinstance(asin, str):
            errs.append(("asin", "Member must be a string"))
        _int_range(body, "variationCount", 1, 10, errs)
        _int_range(body, "variationPage", 1, 10_000, errs)
    elif op == "getBrowseNodes":
        ids = body.get("browseNodeIds")
        if ids is None:
            errs.append(("browseNodeIds", "Member must not be null"))
        elif not _str_list(ids) or not ids:
            errs.append(("browseNodeIds", "Member must be a non-empty list of strings"))
        elif len(ids) > 10:
            errs.append(("browseNodeIds", "Member must have length less than or equal to 10"))
    elif op == "searchItems":
        _int_range(body, "itemCount", 1, 10, errs)
        _int_range(body, "itemPage", 1, 10, errs)
        for name in ("keywords", "actor", "artist", "author", "brand", "title", "searchIndex"):
            v = body.get(name)
            if v is not None and (not isinstance(v, str) or len(v) > 1000):
                errs.append((name, "Member must be a string of length at most 1000"))
        bn = body.get("browseNodeId")
        if bn is not None and (not isinstance(bn, str) or not bn.isdigit() or len(bn) > 19):
            errs.append(("browseNodeId", "Member must be a numeric string of length at most 19"))
        if not any(isinstance(body.get(f), str) and body.get(f) for f in SEARCH_TEXT_FIELDS):
            errs.append(("keywords", "At least one of keywords, actor, artist, author, brand, title or "
                                     "browseNodeId must be provided"))  # fmt: skip
        for name, lo, hi in (("minPrice", 1, None), ("maxPrice", 1, None), ("minReviewsRating", 1, 4),
                             ("minSavingPercent", 1, 99)):  # fmt: skip
            v = body.get(name)
            if v is not None and (not _is_num(v) or v < lo or (hi is not None and v > hi)):
                bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
                errs.append((name, f"Member must be a number {bound}"))
        sort = body.get("sortBy")
        if sort is not None and sort not in SORT_BY:
            errs.append(("sortBy", f"Member must satisfy enum value set: [{', '.join(sorted(SORT_BY))}]"))
        av = body.get("availability")
        if av is not None and av not in ("Available", "IncludeOutOfStock"):
            errs.append(
                ("availability", "Member must satisfy enum value set: [Available, IncludeOutOfStock]")
            )
        flags = body.get("deliveryFlags")
        if flags is not None and (
            not _str_list(flags)
            or any(f not in ("AmazonGlobal", "FreeShipping", "FulfilledByAmazon", "Prime") for f in flags)
        ):
            errs.append(("deliveryFlags", "Member must satisfy enum value set: "
                                          "[AmazonGlobal, FreeShipping, FulfilledByAmazon, Prime]"))  # fmt: skip
    return errs


def _int_range(body: dict[str, Any], name: str, lo: int, hi: int, errs: list[tuple[str, str]]) -> None:
    v = body.get(name)
    if v is None:
        return
    if not _is_int(v):
        errs.append((name, "Member must be an integer"))
    elif v < lo:
        errs.append((name, f"Member must have value greater than or equal to {lo}"))
    elif v > hi:
        errs.append((name, f"Member must have value less than or equal to {hi}"))


def _resources(body: dict[str, Any], allowed: frozenset[str]) -> tuple[str, ...]:
    return tuple(r for r in body.get("resources") or () if r in allowed)


# -- operations ------------------------------------------------------------------------------------
def _no_results() -> Resp:
    return json_resp(200, {"errors": [{"code": "NoResults", "message": "No results found for your request."}]},
                     error="NoResults")  # fmt: skip


def _in_node(state: SandboxState, item: CatalogItem, node: str) -> bool:
    for nid in item.browse_nodes:
        cur: str | None = nid
        for _ in range(12):
            if cur is None:
                break
            if cur == node:
                return True
            n = state.ix.nodes.get((item.marketplace, cur))
            cur = n.parent if n and n.parent else None
    return False


def search_items(state: SandboxState, body: dict[str, Any], marketplace: str, tag: str) -> Resp:
    ix = state.ix
    words = (body.get("keywords") or "").lower().split()
    brand = (body.get("brand") or "").lower()
    title = (body.get("title") or "").lower()
    node = body.get("browseNodeId")
    index = body.get("searchIndex") or "All"
    include_oos = body.get("availability") == "IncludeOutOfStock"
    prime_only = "Prime" in (body.get("deliveryFlags") or [])
    min_price, max_price = body.get("minPrice"), body.get("maxPrice")
    min_rating, min_saving = body.get("minReviewsRating"), body.get("minSavingPercent")
    by_price = (
        min_price is not None or max_price is not None or str(body.get("sortBy") or "").startswith("Price:")
    )
    people = " ".join(str(body.get(f) or "") for f in ("actor", "artist", "author")).lower().split()
    matches: list[tuple[int, int, CatalogItem]] = []
    for pos, it in enumerate(ix.by_marketplace.get(marketplace, [])):
        text = ix.search_text[(marketplace, it.asin)]
        if any(w not in text for w in words) or any(w not in text for w in people):
            continue
        if brand and brand not in it.brand.lower():
            continue
        if title and title not in it.title.lower():
            continue
        if node and not _in_node(state, it, node):
            continue
        if index != "All" and it.search_index and it.search_index != index:
            continue
        if not include_oos and it.availability == "OUT_OF_STOCK":
            continue
        if prime_only and not it.prime:
            continue
        if by_price and not it.offers:  # no price to filter or sort by
            continue
        cents = minor_units(it.price, it.currency)
        if (min_price is not None and cents < min_price) or (max_price is not None and cents > max_price):
            continue
        if min_rating is not None and (it.rating or 0) < min_rating:
            continue
        if min_saving is not None and it.savings_percent < min_saving:
            continue
        score = sum(3 if w in it.title.lower() else 1 for w in words)
        matches.append((score, pos, it))
    sort = body.get("sortBy") or "Relevance"
    if sort == "Price:LowToHigh":
        matches.sort(key=lambda m: (m[2].price, m[1]))
    elif sort == "Price:HighToLow":
        matches.sort(key=lambda m: (-m[2].price, m[1]))
    elif sort == "AvgCustomerReviews":
        matches.sort(key=lambda m: (-(m[2].rating or 0), -m[2].review_count, m[1]))
    elif sort == "NewestArrivals":
        matches.sort(key=lambda m: (m[2].release_date or "", -m[1]), reverse=True)
    else:
        matches.sort(key=lambda m: (-m[0], m[1]))
    count = int(body.get("itemCount") or 10)
    page = int(body.get("itemPage") or 1)
    chunk = matches[(page - 1) * count : page * count]
    if not chunk:
        return _no_results()
    resources = _resources(body, SEARCH_RESOURCES)
    items = [render_item(state, m[2], tag, resources) for m in chunk]
    query = quote_plus(body.get("keywords") or body.get("title") or body.get("brand") or "")
    result: dict[str, Any] = {
        "totalResultCount": len(matches),
        "searchURL": f"https://{marketplace}/s?k={query}&tag={quote_plus(tag)}&linkCode=osi",
        "items": items,
    }
    if "searchRefinements" in resources:
        result["searchRefinements"] = _refinements(state, [m[2] for m in matches], marketplace)
    return json_resp(200, {"searchResult": result}, results=len(items))


def _refinements(state: SandboxState, items: list[CatalogItem], marketplace: str) -> dict[str, Any]:
    nodes: dict[str, str] = {}
    indexes: dict[str, str] = {}
    for it in items:
        for nid in it.browse_nodes[:1]:
            n = state.ix.nodes.get((marketplace, nid))
            nodes.setdefault(nid, n.name if n else nid)
        if it.search_index:
            indexes.setdefault(it.search_index, it.product_group or it.search_index)
    return {
        "browseNode": {"id": "BrowseNode", "displayName": "Department",
                       "bins": [{"id": k, "displayName": v} for k, v in nodes.items()]},
        "searchIndex": {"id": "SearchIndex", "displayName": "Category",
                        "bins": [{"id": k, "displayName": v} for k, v in indexes.items()]},
        "otherRefinements": [],
    }  # fmt: skip


def get_items(state: SandboxState, body: dict[str, Any], marketplace: str, tag: str) -> Resp:
    resources = _resources(body, ITEM_RESOURCES)
    items: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for asin in body["itemIds"]:
        if not ASIN_RE.match(asin):
            errors.append({"code": "InvalidParameterValue",
                           "message": f"The ItemId {asin} provided in the request is invalid."})  # fmt: skip
            continue
        it = state.ix.items.get((marketplace, asin))
        if it is None:
            errors.append({"code": "ItemNotAccessible",
                           "message": f"The ItemId {asin} is not accessible through the Creators API."})  # fmt: skip
            continue
        items.append(render_item(state, it, tag, resources))
    doc: dict[str, Any] = {}
    if items:
        doc["itemsResult"] = {"items": items}
    if errors:
        doc["errors"] = errors
    return json_resp(200, doc, results=len(items), item_errors=len(errors))


def get_variations(state: SandboxState, body: dict[str, Any], marketplace: str, tag: str) -> Resp:
    asin = body["asin"]
    if not ASIN_RE.match(asin):
        return json_resp(200, {"errors": [{"code": "InvalidParameterValue",
                                           "message": f"The ASIN {asin} provided in the request is invalid."}]},
                         error="InvalidParameterValue")  # fmt: skip
    it = state.ix.items.get((marketplace, asin))
    parent = it.parent_asin if it is not None else asin
    family = state.ix.families.get((marketplace, parent or ""), [])
    if not family:
        return _no_results()
    count = int(body.get("variationCount") or 10)
    page = int(body.get("variationPage") or 1)
    chunk = family[(page - 1) * count : page * count]
    if not chunk:
        return _no_results()
    resources = _resources(body, VARIATION_RESOURCES)
    items = []
    for member in chunk:
        doc = dict(render_item(state, member, tag, resources))
        doc["variationAttributes"] = [{"name": k, "value": v} for k, v in member.variation_attributes.items()]
        items.append(doc)
    dims: dict[str, list[str]] = {}
    for member in family:
        for k, v in member.variation_attributes.items():
            if v not in dims.setdefault(k, []):
                dims[k].append(v)
    summary: dict[str, Any] = {"pageCount": (len(family) + count - 1) // count, "variationCount": len(family)}
    cur = family[0].currency
    if (
        "variationSummary.price.highestPrice" in resources
        or "variationSummary.price.lowestPrice" in resources
    ):
        price: dict[str, Any] = {}
        if "variationSummary.price.highestPrice" in resources:
            price["highestPrice"] = money(max(m.price for m in family), cur)
        if "variationSummary.price.lowestPrice" in resources:
            price["lowestPrice"] = money(min(m.price for m in family), cur)
        summary["price"] = price
    if "variationSummary.variationDimension" in resources:
        from amzauth.sandbox.catalog import locale_of

        loc = locale_of(marketplace)
        summary["variationDimensions"] = [
            {"displayName": k.replace("_", " ").title(), "locale": loc, "name": k, "values": v}
            for k, v in dims.items()
        ]
    return json_resp(
        200, {"variationsResult": {"items": items, "variationSummary": summary}}, results=len(items)
    )


def get_browse_nodes(state: SandboxState, body: dict[str, Any], marketplace: str) -> Resp:
    resources = _resources(body, BROWSE_RESOURCES)
    nodes: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for nid in body["browseNodeIds"]:
        n = state.ix.nodes.get((marketplace, nid))
        if n is None:
            errors.append({"code": "InvalidParameterValue",
                           "message": f"The BrowseNodeId {nid} provided in the request is invalid."})  # fmt: skip
            continue
        doc = node_doc(state.ix, marketplace, nid)
        if "browseNodes.ancestor" not in resources:
            doc.pop("ancestor", None)
        doc["isRoot"] = n.is_root
        if "browseNodes.children" in resources:
            doc["children"] = [{"id": c.id, "displayName": c.name, "contextFreeName": c.name}
                               for c in state.ix.children.get((marketplace, nid), [])]  # fmt: skip
        nodes.append(doc)
    out: dict[str, Any] = {}
    if nodes:
        out["browseNodesResult"] = {"browseNodes": nodes}
    if errors:
        out["errors"] = errors
    return json_resp(200, out, results=len(nodes))


# -- feeds and reports (minimal, so clients can exercise them) --------------------------------------
_FEEDS = ("top-sellers-daily.csv.gz", "price-drops-daily.csv.gz")
_REPORTS = ("earnings-report-daily.csv", "orders-report-daily.csv")


def _feeds_and_reports(op: str, body: dict[str, Any], marketplace: str, now: float) -> Resp:
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT00:00:00Z")
    if op == "listFeeds":
        return json_resp(200, {"feeds": [{"feedName": f, "size": 1_048_576 + i * 4096, "md5": "0" * 32,
                                          "lastUpdated": stamp} for i, f in enumerate(_FEEDS)]})  # fmt: skip
    if op == "listReports":
        return json_resp(200, {"reports": [{"filename": f, "md5": "0" * 32, "size": 20_480 + i * 512,
                                            "lastModified": stamp} for i, f in enumerate(_REPORTS)]})  # fmt: skip
    key, known = ("feedName", _FEEDS) if op == "getFeed" else ("filename", _REPORTS)
    name = body.get(key)
    if not isinstance(name, str) or not name:
        return field_errors([(key, "Member must not be null")])
    if name not in known:
        return _error(404, "ResourceNotFoundException", f"{name} was not found.", None, resourceId=name,
                      resourceType="Feed" if op == "getFeed" else "Report")  # fmt: skip
    host = marketplace.removeprefix("www.")
    return json_resp(
        200, {"url": f"https://creatorsapi-downloads.s3.amazonaws.com/{host}/{name}?X-Amz-Expires=300"}
    )
