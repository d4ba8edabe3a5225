"""SP-API endpoints on ``sellingpartnerapi-{na,eu,fe}.amazon.com`` (and their ``sandbox.`` twins).

Checks, in order: a token request sent here (403 MissingAuthenticationToken), the operation, a
SigV4 ``Authorization`` header when present (region and 5-minute window; the signature itself is
not verified since the sandbox has no AWS secret), the ``x-amz-access-token`` (missing, unknown,
expired, revoked, secret expired), grantless vs seller token, region, account health, role, the
per-seller-and-operation token bucket, then the operation's own input.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from amzauth.config.marketplaces import AWS_REGION_BY_REGION, BY_ID, Region
from amzauth.sandbox import messages
from amzauth.sandbox.catalog import LOCALE_BY_COUNTRY
from amzauth.sandbox.hosts import SPAPI_HOSTS
from amzauth.sandbox.messages import BadBody, Req, Resp, json_resp
from amzauth.sandbox.state import SECRET_GRACE, SECRET_LIFETIME, GraceSecret, SandboxState, TokenInfo
from amzauth.sandbox.world import CatalogItem, SpapiApp

MSG_DENIED = messages.SPAPI_DENIED
D_MISSING = messages.SPAPI_TOKEN_MISSING
D_INVALID = messages.SPAPI_TOKEN_INVALID
D_SECRET = messages.SPAPI_SECRET_EXPIRED
MSG_QUOTA = messages.SPAPI_QUOTA
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
REPORT_ROLES = frozenset({"Selling Partner Insights", "Inventory and Order Tracking", "Brand Analytics",
                          "Amazon Fulfillment", "Finance and Accounting"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    pattern: re.Pattern[str]
    roles: frozenset[str] | None = None  # seller operations: any one of these roles (None: no role needed)
    grantless_scope: str | None = None  # grantless operations: the scope the token must carry


OPERATIONS = (
    Operation("getMarketplaceParticipations", "GET", re.compile(r"^/sellers/v1/marketplaceParticipations$")),
    Operation(
        "searchCatalogItems",
        "GET",
        re.compile(r"^/catalog/2022-04-01/items$"),
        frozenset({"Product Listing"}),
    ),
    Operation(
        "getCatalogItem",
        "GET",
        re.compile(r"^/catalog/2022-04-01/items/([^/]+)$"),
        frozenset({"Product Listing"}),
    ),
    Operation("createReport", "POST", re.compile(r"^/reports/2021-06-30/reports$"), REPORT_ROLES),
    Operation(
        "rotateApplicationClientSecret",
        "POST",
        re.compile(r"^/applications/2023-11-30/clientSecret$"),
        grantless_scope=ROTATION_SCOPE,
    ),
    Operation(
        "getDestinations",
        "GET",
        re.compile(r"^/notifications/v1/destinations$"),
        grantless_scope=NOTIFICATIONS_SCOPE,
    ),
)


def spapi_error(status: int, code: str, message: str, details: str = "", *, error_type: str | None = None,
                headers: list[tuple[str, str]] | None = None, **info: Any) -> Resp:  # fmt: skip
    doc = {"errors": [{"code": code, "message": message, "details": details}]}
    hdrs = [("x-amzn-ErrorType", error_type or f"{code}Exception"), *(headers or [])]
    return json_resp(status, doc, headers=hdrs, error=code, **info)


def denied(details: str = "", **info: Any) -> Resp:
    return spapi_error(403, "Unauthorized", MSG_DENIED, details, error_type="AccessDeniedException", **info)


def invalid_input(message: str, **info: Any) -> Resp:
    return spapi_error(400, "InvalidInput", message, error_type="ValidationException", **info)


def _token_shaped(req: Req) -> bool:
    if req.path.lower().endswith(("/auth/o2/token", "/oauth2/token")):
        return True
    return req.method == "POST" and b"grant_type" in req.body[:4096]


def handle(state: SandboxState, req: Req) -> Resp:
    region = SPAPI_HOSTS[req.host]
    if _token_shaped(req):
        return spapi_error(403, "MissingAuthenticationToken", messages.SPAPI_MISSING_AUTH,
                           "This is an SP-API host: request tokens from https://api.amazon.com/auth/o2/token",
                           error_type="MissingAuthenticationTokenException")  # fmt: skip
    op, match = _find(req)
    if op is None or match is None:
        return spapi_error(404, "NotFound", f"Resource {req.path} not found.", error_type="NotFoundException")
    info: dict[str, Any] = {"operation": op.name}
    sig = check_sigv4(req, region, state.world.aws_keys)
    if sig is not None:
        sig.info.update(info)
        return sig
    checked = _check_token(state, req, op, region, info)
    if isinstance(checked, Resp):
        checked.info.update(info)
        return checked
    token, app = checked
    limits = state.world.limits
    limit_hdr = [("x-amzn-RateLimit-Limit", str(float(limits.spapi_rate)))]
    bucket_key = ("spapi", token.seller or token.client_id, op.name)
    if not state.take(bucket_key, limits.spapi_rate, limits.spapi_burst, req.now):
        return spapi_error(429, "QuotaExceeded", MSG_QUOTA, error_type="QuotaExceededException",
                           headers=limit_hdr, **info)  # fmt: skip
    resp = _run(state, req, op, match, token, app, region)
    resp.headers.extend(limit_hdr)
    resp.info.update(info)
    return resp


def _find(req: Req) -> tuple[Operation | None, re.Match[str] | None]:
    for op in OPERATIONS:
        m = op.pattern.match(req.path)
        if m and op.method == req.method:
            return op, m
    return None, None


# -- SigV4 ---------------------------------------------------------------------------------------------
_CRED_RE = re.compile(r"Credential=([^/,\s]*)/(\d{8})/([^/,\s]*)/([^/,\s]*)/aws4_request")


def _amz(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y%m%dT%H%M%SZ")


def check_sigv4(req: Req, region: Region, keys: Mapping[str, str] | None = None) -> Resp | None:
    """Check a SigV4 Authorization header's scope and clock window, as API Gateway does; then, for an
    access key the world lists (``aws_keys``), the signature itself [rule: keys the world does not
    list are not verified, as the sandbox cannot know every IAM user's secret]."""
    auth = req.headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256"):
        return None

    def bad(message: str, code: str = "InvalidSignature") -> Resp:
        return spapi_error(403, code, message, error_type=f"{code}Exception")

    m = _CRED_RE.search(auth)
    if m is None or "Signature=" not in auth or "SignedHeaders=" not in auth:
        return bad("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. "
                   f"Authorization={auth.split(' ', 1)[0]}", "IncompleteSignature")  # fmt: skip
    scope_date, scope_region, service = m.group(2), m.group(3), m.group(4)
    expected = AWS_REGION_BY_REGION[region]
    if scope_region != expected:
        return bad(f"Credential should be scoped to a valid region, not '{scope_region}'.")
    if service != "execute-api":
        return bad(f"Credential should be scoped to correct service: 'execute-api'. not '{service}'.")
    amz_date = req.headers.get("x-amz-date", "")
    if not amz_date:
        return bad("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                   "IncompleteSignature")  # fmt: skip
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return bad(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.", "IncompleteSignature")
    if scope_date != amz_date[:8]:
        return bad(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                   f"'{scope_date}' != '{amz_date[:8]}', from '{amz_date}'.")  # fmt: skip
    now = req.now
    if signed_at < now - 300:
        return bad(
            f"Signature expired: {amz_date} is now earlier than {_amz(now - 300)} ({_amz(now)} - 5 min.)"
        )
    if signed_at > now + 300:
        return bad(f"Signature not yet current: {amz_date} is still later than {_amz(now + 300)} "
                   f"({_amz(now)} + 5 min.)")  # fmt: skip
    secret = (keys or {}).get(m.group(1))
    if secret is not None and not _signature_matches(req, auth, secret, scope_region, service, amz_date):
        return bad(messages.SIGV4_MISMATCH)
    return None


def _signature_matches(req: Req, auth: str, secret: str, region: str, service: str, amz_date: str) -> bool:
    """Recompute the signature over the request as received (botocore's SigV4, AWS's own code)."""
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:  # without the sigv4 extra the sandbox checks scope and clock only
        return True
    signed = re.search(r"SignedHeaders=([^,\s]+)", auth)
    given = re.search(r"Signature=([0-9a-f]+)", auth)
    if signed is None or given is None:
        return False
    names = signed.group(1).split(";")
    headers = {n: req.headers.get(n, "") for n in names}
    url = f"http://{req.headers.get('host', '')}/{req.host}{req.path}" + (
        f"?{req.query}" if req.query else ""
    )
    key_id = auth.split("Credential=", 1)[1].split("/", 1)[0]
    signer = SigV4Auth(Credentials(key_id, secret), service, region)
    aws = AWSRequest(method=req.method, url=url, data=req.body, headers=headers)
    aws.context["timestamp"] = amz_date
    canonical = signer.canonical_request(aws)
    expected = signer.signature(signer.string_to_sign(aws, canonical), aws)
    return hmac.compare_digest(expected, given.group(1))


# -- token ---------------------------------------------------------------------------------------------
def _check_token(state: SandboxState, req: Req, op: Operation, region: Region,
                 info: dict[str, Any]) -> tuple[TokenInfo, SpapiApp] | Resp:  # fmt: skip
    raw = req.headers.get("x-amz-access-token", "").strip()
    if not raw:
        return denied(D_MISSING, reason="token missing")
    token = state.tokens.get(raw)
    if token is None or token.kind == "creators":
        return denied(D_INVALID, reason="token unknown or malformed")
    info["client_id"] = token.client_id
    if token.seller:
        info["seller"] = token.seller
    if req.now >= token.expires_at:
        return denied(D_INVALID, reason="token expired")
    app = state.ix.apps_by_client.get(token.client_id)
    if app is None:
        return denied(D_INVALID, reason="application no longer exists")
    if token.revoked:
        return denied(D_INVALID, reason="token revoked")
    granted = set(app.roles)
    if token.refresh_token is not None:
        found = state.ix.refresh.get(token.refresh_token)
        if found is None or found[1].revoked:
            return denied(D_INVALID, reason="authorization revoked")
        if found[1].roles is not None:
            # Roles as consented, less any the app lost since: added ones need a new authorization.
            granted &= set(found[1].roles)
    if token.secret_expires_at is not None and req.now >= token.secret_expires_at:
        return denied(D_SECRET, reason="client secret expired")
    if op.grantless_scope is not None:
        if token.kind != "grantless" or op.grantless_scope not in token.scope.split():
            return denied(reason=f"operation needs a grantless token with scope {op.grantless_scope}")
        return token, app
    if token.kind != "spapi" or token.seller is None:
        return denied(reason="grantless token used for a seller operation")
    seller = state.ix.sellers.get(token.seller)
    if seller is None:
        return denied(D_INVALID, reason="seller no longer exists")
    if seller.region != region:
        return denied(reason=f"wrong region: the seller authorized in {seller.region}, this host is {region}")
    if not seller.account_healthy:
        return denied(reason="seller account not healthy")
    if op.roles is not None and not (op.roles & granted):
        why = "added after the seller authorized" if op.roles & set(app.roles) else "not on the app"
        return denied(reason=f"missing role: one of {', '.join(sorted(op.roles))} ({why})")
    return token, app


# -- operations ------------------------------------------------------------------------------------------
def _run(state: SandboxState, req: Req, op: Operation, match: re.Match[str], token: TokenInfo, app: SpapiApp,
         region: Region) -> Resp:  # fmt: skip
    if op.name == "getMarketplaceParticipations":
        return _participations(state, token, region)
    if op.name == "searchCatalogItems":
        return _search_catalog(state, req, region)
    if op.name == "getCatalogItem":
        return _get_catalog_item(state, req, match.group(1), region)
    if op.name == "createReport":
        return _create_report(req, region)
    if op.name == "getDestinations":
        return json_resp(200, {"payload": []})
    return _rotate_secret(state, req, app)


def _participations(state: SandboxState, token: TokenInfo, region: Region) -> Resp:
    seller = state.ix.sellers[token.seller or ""]
    payload = []
    for mid in seller.marketplaces:
        mp = BY_ID[mid]
        if mp.region != region:
            continue
        lang = LOCALE_BY_COUNTRY.get(mp.country, "en_US")
        payload.append({
            "marketplace": {"id": mid, "countryCode": "GB" if mp.country == "UK" else mp.country,
                            "name": mp.host.removeprefix("www.").capitalize(), "defaultCurrencyCode": mp.currency,
                            "defaultLanguageCode": lang, "domainName": mp.host},
            "participation": {"isParticipating": True, "hasSuspendedListings": False},
            "storeName": seller.display_name,
        })  # fmt: skip
    return json_resp(200, {"payload": payload})


def _marketplace_ids(q: dict[str, str], region: Region) -> list[str] | Resp:
    raw = q.get("marketplaceIds", "")
    if not raw:
        return invalid_input("Missing required 'marketplaceIds'.")
    ids = [x.strip() for x in raw.split(",") if x.strip()]
    if len(ids) > 1:
        return invalid_input("'marketplaceIds' must contain exactly one marketplace identifier.")
    for mid in ids:
        mp = BY_ID.get(mid)
        if mp is None or mp.region != region:
            return invalid_input(
                f"Invalid 'marketplaceIds' provided: {mid} is not a marketplace of this region."
            )
    return ids


def _catalog_item_doc(
    state: SandboxState, item: CatalogItem, mid: str, included: list[str]
) -> dict[str, Any]:
    doc: dict[str, Any] = {"asin": item.asin}
    node = state.ix.nodes.get((item.marketplace, item.browse_nodes[0])) if item.browse_nodes else None
    if "summaries" in included:
        summary: dict[str, Any] = {
            "marketplaceId": mid, "adultProduct": False, "autographed": False, "brand": item.brand,
            "itemClassification": "VARIATION_PARENT" if _is_parent(state, item) else "BASE_PRODUCT",
            "itemName": item.title, "manufacturer": item.manufacturer or item.brand, "memorabilia": False,
            "packageQuantity": 1, "tradeInEligible": False,
            "websiteDisplayGroupName": item.product_group or "Home",
        }  # fmt: skip
        if node is not None:
            summary["browseClassification"] = {"displayName": node.name, "classificationId": node.id}
        for key, val in (("color", item.color), ("size", item.size), ("modelNumber", item.model),
                         ("releaseDate", item.release_date)):  # fmt: skip
            if val:
                summary[key] = val
        doc["summaries"] = [summary]
    if "images" in included:
        imgs = [{"variant": "MAIN", "link": item.image, "height": 1500, "width": 1500}] if item.image else []
        imgs += [{"variant": f"PT0{i + 1}", "link": u, "height": 1500, "width": 1500}
                 for i, u in enumerate(item.variant_images)]  # fmt: skip
        doc["images"] = [{"marketplaceId": mid, "images": imgs}]
    if "salesRanks" in included:
        ranks = []
        if item.sales_rank is not None and node is not None:
            ranks.append({"title": node.name, "link": f"https://{item.marketplace}/gp/bestsellers/{node.id}",
                          "rank": item.sales_rank})  # fmt: skip
        doc["salesRanks"] = [{"marketplaceId": mid, "classificationRanks": ranks, "displayGroupRanks": []}]
    if "identifiers" in included:
        ids = [{"identifierType": "EAN", "identifier": e} for e in item.eans]
        ids += [{"identifierType": "UPC", "identifier": u} for u in item.upcs]
        doc["identifiers"] = [{"marketplaceId": mid, "identifiers": ids}]
    return doc


def _is_parent(state: SandboxState, item: CatalogItem) -> bool:
    return (item.marketplace, item.asin) in state.ix.families


_INCLUDED = frozenset({"summaries", "images", "salesRanks", "identifiers", "attributes", "classifications",
                       "dimensions", "productTypes", "relationships", "vendorDetails"})  # fmt: skip


def _included(q: dict[str, str]) -> list[str] | Resp:
    included = [x.strip() for x in (q.get("includedData") or "summaries").split(",") if x.strip()]
    bad = [x for x in included if x not in _INCLUDED]
    if bad:
        return invalid_input(f"Invalid 'includedData' value(s): {', '.join(bad)}.")
    return included


def _search_catalog(state: SandboxState, req: Req, region: Region) -> Resp:
    q = req.query_params()
    mids = _marketplace_ids(q, region)
    if isinstance(mids, Resp):
        return mids
    keywords, identifiers = q.get("keywords", "").strip(), q.get("identifiers", "").strip()
    if keywords and identifiers:
        return invalid_input("Cannot specify both 'identifiers' and 'keywords'.")
    if not keywords and not identifiers:
        return invalid_input("Missing required 'identifiers' or 'keywords'.")
    included = _included(q)
    if isinstance(included, Resp):
        return included
    page_size = q.get("pageSize", "10")
    if not page_size.isdigit() or not 1 <= int(page_size) <= 20:
        return invalid_input("'pageSize' must be an integer between 1 and 20.")
    mid = mids[0]
    host = BY_ID[mid].host
    items = state.ix.by_marketplace.get(host, [])
    if identifiers:
        id_type = q.get("identifiersType", "").upper()
        if not id_type:
            return invalid_input("Missing required 'identifiersType'.")
        wanted = {x.strip() for x in identifiers.split(",") if x.strip()}
        if len(wanted) > 20:
            return invalid_input("'identifiers' must contain at most 20 values.")
        if id_type == "ASIN":
            found = [it for it in items if it.asin in wanted]
        elif id_type in ("EAN", "UPC", "GTIN"):
            found = [it for it in items if wanted & set(it.eans + it.upcs)]
        elif id_type in ("SKU", "ISBN", "JAN", "MINSAN"):
            found = []
        else:
            return invalid_input(f"Invalid 'identifiersType' provided: {id_type}.")
    else:
        words = keywords.lower().split()
        found = [it for it in items if all(w in state.ix.search_text[(host, it.asin)] for w in words)]
        brands = {b.strip().lower() for b in q.get("brandNames", "").split(",") if b.strip()}
        if brands:
            found = [it for it in found if it.brand.lower() in brands]
    chunk = found[: int(page_size)]
    brand_counts: dict[str, int] = {}
    for it in found:
        if it.brand:
            brand_counts[it.brand] = brand_counts.get(it.brand, 0) + 1
    doc = {
        "numberOfResults": len(found),
        "pagination": {"nextToken": "sandbox-next-page"} if len(found) > len(chunk) else {},
        "refinements": {"brands": [{"numberOfResults": n, "brandName": b} for b, n in brand_counts.items()],
                        "classifications": []},
        "items": [_catalog_item_doc(state, it, mid, included) for it in chunk],
    }  # fmt: skip
    return json_resp(200, doc, results=len(chunk))


def _get_catalog_item(state: SandboxState, req: Req, asin: str, region: Region) -> Resp:
    q = req.query_params()
    mids = _marketplace_ids(q, region)
    if isinstance(mids, Resp):
        return mids
    included = _included(q)
    if isinstance(included, Resp):
        return included
    mid = mids[0]
    item = state.ix.items.get((BY_ID[mid].host, asin))
    if item is None:
        return spapi_error(404, "NotFound", f"Requested item '{asin}' not found in marketplace(s) {mid}.",
                           error_type="NotFoundException")  # fmt: skip
    return json_resp(200, _catalog_item_doc(state, item, mid, included))


def _create_report(req: Req, region: Region) -> Resp:
    if "json" not in req.content_type:
        return invalid_input("Content-Type must be application/json.")
    try:
        body = req.json()
    except BadBody as exc:
        return invalid_input(f"Could not parse the request body: {exc}.")
    if not isinstance(body, dict):
        return invalid_input("The request body must be a JSON object.")
    rtype, mids = body.get("reportType"), body.get("marketplaceIds")
    if not isinstance(rtype, str) or not rtype:
        return invalid_input("Missing required 'reportType'.")
    if not isinstance(mids, list) or not mids or not all(isinstance(m, str) for m in mids):
        return invalid_input("Missing required 'marketplaceIds'.")
    for mid in mids:
        mp = BY_ID.get(mid)
        if mp is None or mp.region != region:
            return invalid_input(f"Invalid 'marketplaceIds' provided: {mid}.")
    if not re.match(r"^GET_[A-Z0-9_]+$", rtype):
        return invalid_input(f"Invalid 'reportType' provided: {rtype}.")
    return json_resp(202, {"reportId": str(50000000000 + secrets.randbelow(10**10))}, report_type=rtype)


def _rotate_secret(state: SandboxState, req: Req, app: SpapiApp) -> Resp:
    """Generate a new secret; the old one works 7 more days; the new one arrives by notification."""
    now = req.now
    new_secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    old_until = now + SECRET_GRACE
    state.grace.setdefault(app.client_id, []).append(GraceSecret(app.client_secret, old_until))
    app.client_secret = new_secret
    app.secret_expires = datetime.fromtimestamp(now + SECRET_LIFETIME, UTC)

    def iso(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    state.notifications.append({
        "notificationVersion": "1.0",
        "notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        "payloadVersion": "2023-11-30",
        "eventTime": iso(now),
        "payload": {"applicationOAuthClientNewSecret": {
            "clientId": app.client_id, "newClientSecret": new_secret,
            "newClientSecretExpiryTime": iso(now + SECRET_LIFETIME), "oldClientSecretExpiryTime": iso(old_until),
        }},
        "notificationMetadata": {"applicationId": app.application_id, "subscriptionId": "sandbox-subscription",
                                 "publishTime": iso(now), "notificationId": secrets.token_hex(16)},
    })  # fmt: skip
    return Resp(204, b"", None, [], {"rotated": True})
