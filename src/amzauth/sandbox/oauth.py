"""Token endpoints: Cognito (Creators 2.x) and Login with Amazon (Creators 3.x and SP-API).

Every answer, success or error, follows ``docs/reference/wire.md``: Cognito errors carry only ``error``
(HTTP 400); LwA errors carry ``error``, ``error_description`` and ``request_id`` with the listed
statuses. A credential works only at the endpoint of its version.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from typing import Any

from amzauth.sandbox.hosts import (
    COGNITO_TOKEN_PATH,
    LWA_REGION_BY_HOST,
    LWA_TOKEN_PATH,
    token_host_for_version,
)
from amzauth.sandbox.messages import (
    JSON_UTF8_CT,
    LWA_DESCRIPTIONS,
    REVOKED_SUFFIX,
    BadBody,
    Req,
    Resp,
    dumps,
    json_resp,
)
from amzauth.sandbox.state import AuthCode, SandboxState, TokenInfo
from amzauth.sandbox.world import SPAPI_GRANTLESS_SCOPES, Seller, SellerAuthorization

COGNITO_SCOPE = "creatorsapi/default"
LWA_CREATORS_SCOPE = "creatorsapi::default"
KNOWN_LWA_SCOPES = frozenset({LWA_CREATORS_SCOPE, *SPAPI_GRANTLESS_SCOPES})
LWA_GRANTS = frozenset({"client_credentials", "refresh_token", "authorization_code"})

DESC = LWA_DESCRIPTIONS
LWA_STATUS = {"invalid_client": 401, "server_error": 500, "temporarily_unavailable": 503}
NO_STORE = [("Cache-Control", "no-cache, no-store, must-revalidate"), ("Pragma", "no-cache")]

HOST_WITH_SCHEME_HTML = (
    "<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n"
    "<center><h1>405 Not Allowed</h1></center>\r\n<hr><center>Server</center>\r\n</body>\r\n</html>\r\n"
)


# -- answers ---------------------------------------------------------------------------------
def cognito_error(error: str, **info: Any) -> Resp:
    return json_resp(
        400, {"error": error}, content_type=JSON_UTF8_CT, headers=list(NO_STORE), error=error, **info
    )


def lwa_error(
    req: Req,
    error: str,
    description: str | None = None,
    *,
    status: int | None = None,
    headers: list[tuple[str, str]] | None = None,
    **info: Any,
) -> Resp:
    doc = {
        "error_description": description or DESC.get(error, error),
        "error": error,
        "request_id": req.request_id,
    }
    return json_resp(
        status or LWA_STATUS.get(error, 400),
        doc,
        content_type=JSON_UTF8_CT,
        headers=[*NO_STORE, *(headers or [])],
        error=error,
        **info,
    )


def missing(req: Req, name: str, **info: Any) -> Resp:
    return lwa_error(req, "invalid_request", f"The request is missing a required parameter : {name}", **info)


def invalid_grant(req: Req, name: str, *, revoked: bool = False, **info: Any) -> Resp:
    desc = f"The request has an invalid grant parameter : {name}" + (REVOKED_SUFFIX if revoked else "")
    return lwa_error(req, "invalid_grant", desc, **info)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_JWT_HEADER = _b64url(b'{"kid":"sandbox-creatorsapi-key","alg":"RS256"}')


def new_lwa_access_token() -> str:
    return "Atza|IwEB" + secrets.token_urlsafe(60)


def new_refresh_token() -> str:
    return "Atzr|IwEB" + secrets.token_urlsafe(60)


def new_cognito_token(client_id: str, host: str, now: float, lifetime: int) -> str:
    region = host.split(".")[2]
    payload = {
        "sub": client_id,
        "token_use": "access",
        "scope": COGNITO_SCOPE,
        "auth_time": int(now),
        "iss": f"https://cognito-idp.{region}.amazonaws.com/{region}_sandbox",
        "exp": int(now) + lifetime,
        "iat": int(now),
        "version": 2,
        "jti": secrets.token_hex(16),
        "client_id": client_id,
    }
    body = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{_JWT_HEADER}.{body}.{secrets.token_urlsafe(48)}"


def _ok(doc: dict[str, Any], **info: Any) -> Resp:
    return Resp(200, dumps(doc), JSON_UTF8_CT, list(NO_STORE), info)


# -- Cognito ---------------------------------------------------------------------------------
def cognito_token(state: SandboxState, req: Req) -> Resp:
    """``POST https://creatorsapi.auth.<region>.amazoncognito.com/oauth2/token`` (Creators 2.x)."""
    if req.path != COGNITO_TOKEN_PATH:
        return json_resp(404, {"error": "not_found"}, error="not_found")
    if req.method != "POST" or req.content_type != "application/x-www-form-urlencoded":
        return cognito_error("invalid_request")
    try:
        form = req.form()
    except BadBody:
        return cognito_error("invalid_request")
    grant = form.get("grant_type", "")
    info: dict[str, Any] = {"grant_type": grant or None}
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = req.headers.get("authorization", "")
    if basic[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(basic[6:].strip(), validate=True).decode("utf-8")
            client_id, _, secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):  # ValueError: a non-ASCII header
            return cognito_error("invalid_client", **info)
    info["client_id"] = client_id or None
    if not grant:
        return cognito_error("invalid_request", **info)
    if grant != "client_credentials":
        return cognito_error("unsupported_grant_type", **info)
    if not client_id:
        return cognito_error("invalid_request", **info)
    cred = state.ix.creators.get(client_id)
    if (
        cred is None
        or cred.family != "cognito"
        or token_host_for_version(cred.version) != req.host
        or not secret
        or secret != cred.client_secret
    ):
        return cognito_error("invalid_client", **info)
    if not cred.enabled:
        return cognito_error("unauthorized_client", **info)
    scope = form.get("scope")
    if scope is not None and (scope == "" or any(s != COGNITO_SCOPE for s in scope.split())):
        return cognito_error("invalid_scope", scope=scope, **info)
    lifetime = state.world.limits.token_lifetime
    token = new_cognito_token(client_id, req.host, req.now, lifetime)
    state.add_token(
        token,
        TokenInfo("creators", "cognito", cred.version, client_id, COGNITO_SCOPE, req.now, req.now + lifetime),
    )
    return _ok(
        {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"},
        scope=COGNITO_SCOPE,
        family="cognito",
        version=cred.version,
        **info,
    )


# -- Login with Amazon -----------------------------------------------------------------------
def _lwa_params(req: Req) -> dict[str, str] | None:
    """Read JSON or form parameters; None when nothing readable was sent."""
    ct = req.content_type
    try:
        if ct == "application/json" or (ct.startswith("application/") and ct.endswith("+json")):
            doc = req.json()
            if not isinstance(doc, dict):
                return None
            return {str(k): v for k, v in doc.items() if isinstance(v, str)}
        if ct == "application/x-www-form-urlencoded":
            return req.form()
    except BadBody:
        return None
    return None


def lwa_token(state: SandboxState, req: Req) -> Resp:
    """``POST https://api.amazon.{com,co.uk,co.jp}/auth/o2/token``."""
    host_header = req.headers.get("host", "")
    if "://" in host_header:
        return Resp(405, HOST_WITH_SCHEME_HTML.encode(), "text/html", [], {"error": "405 Not Allowed"})
    if req.path == PROFILE_PATH and req.method == "GET":
        return user_profile(state, req)
    if req.path.lower() != LWA_TOKEN_PATH:  # /auth/O2/token works too, as the forum reports [rule]
        return json_resp(404, {"error": "not_found"}, error="not_found")
    if not req.body and req.query:
        return lwa_error(req, "server_error", status=500, query_params=True)
    params = _lwa_params(req) if req.method == "POST" else None
    if params is None:
        return missing(req, "grant_type")
    grant = params.get("grant_type", "")
    info: dict[str, Any] = {"grant_type": grant or None, "client_id": params.get("client_id") or None}
    if not grant:
        return missing(req, "grant_type", **info)
    if grant not in LWA_GRANTS:
        return lwa_error(req, "unsupported_grant_type", **info)
    client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
    if not client_id:
        return missing(req, "client_id", **info)
    if not secret:
        return missing(req, "client_secret", **info)
    now = req.now
    cred = state.ix.creators.get(client_id)
    if cred is not None:
        if (
            cred.family != "lwa"
            or token_host_for_version(cred.version) != req.host
            or secret != cred.client_secret
        ):
            return lwa_error(req, "invalid_client", **info)
        return _lwa_creators(state, req, params, info)
    app = state.ix.apps_by_client.get(client_id)
    if app is None:
        return lwa_error(req, "invalid_client", **info)
    ok, secret_exp = state.app_secret_ok(app, secret, now)
    if not ok:
        return lwa_error(req, "invalid_client", **info)
    info["application_id"] = app.application_id
    lifetime = state.world.limits.token_lifetime
    if grant == "client_credentials":
        scope = params.get("scope", "")
        info["scope"] = scope or None
        if not scope:
            return missing(req, "scope", **info)
        scopes = scope.split()
        if any(s not in KNOWN_LWA_SCOPES for s in scopes):
            return lwa_error(req, "invalid_scope", **info)
        if any(s not in app.grantless_scopes for s in scopes):
            return lwa_error(req, "unauthorized_client", **info)
        token = new_lwa_access_token()
        state.add_token(
            token,
            TokenInfo(
                "grantless",
                "lwa",
                None,
                client_id,
                scope,
                now,
                now + lifetime,
                application_id=app.application_id,
                secret_expires_at=secret_exp,
            ),
        )
        return _ok(
            {"access_token": token, "scope": scope, "token_type": "bearer", "expires_in": lifetime}, **info
        )
    if grant == "refresh_token":
        rt = params.get("refresh_token", "")
        if not rt:
            return missing(req, "refresh_token", **info)
        if state.profile_refresh.get(rt) == client_id:  # a Login with Amazon sign-in refresh token
            return _profile_tokens(state, client_id, app.application_id, rt, now, lifetime, info)
        found = state.ix.refresh.get(rt)
        if found is None or found[1].application_id != app.application_id:
            return invalid_grant(req, "refresh_token", **info)
        seller, auth = found
        info["seller"] = seller.selling_partner_id
        if auth.revoked:
            return invalid_grant(req, "refresh_token", revoked=True, **info)
        return _seller_tokens(
            state, client_id, seller, app.application_id, rt, now, lifetime, secret_exp, info
        )
    # authorization_code
    code = params.get("code", "")
    if not code:
        return missing(req, "code", **info)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        return missing(req, "redirect_uri", **info)
    ac = state.codes.get(code)
    if ac is None or ac.client_id != client_id:
        return invalid_grant(req, "code", **info)
    info["seller"] = ac.seller
    if ac.used:
        return invalid_grant(req, "code", reason="code already used", **info)
    ac.used = True  # one attempt per code, successful or not
    if now - ac.created_at > 300:
        return invalid_grant(req, "code", reason="code expired", **info)
    if redirect_uri != ac.redirect_uri:
        return invalid_grant(req, "code", reason="redirect_uri mismatch", **info)
    if ac.code_challenge is not None:
        verifier = params.get("code_verifier", "")
        if not verifier:
            return missing(req, "code_verifier", **info)
        if not pkce_matches(verifier, ac.code_challenge, ac.code_challenge_method):
            return invalid_grant(req, "code", reason="PKCE verifier mismatch", **info)
    return _issue_for_code(state, req, ac, info, lifetime, secret_exp)


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    if (method or "plain").upper() == "S256":
        return _b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest()) == challenge
    return verifier == challenge


def _issue_for_code(
    state: SandboxState, req: Req, ac: AuthCode, info: dict[str, Any], lifetime: int, secret_exp: float | None
) -> Resp:
    now = req.now
    if ac.kind == "profile":
        rt = new_refresh_token()
        state.profile_refresh[rt] = ac.client_id
        return _profile_tokens(state, ac.client_id, ac.application_id, rt, now, lifetime, info)
    seller = state.ix.sellers.get(ac.seller)
    if seller is None:  # the world changed under the code
        return invalid_grant(req, "code", **info)
    rt = new_refresh_token()
    app = state.ix.apps_by_id.get(ac.application_id)
    roles = list(app.roles) if app is not None else []
    seller.authorizations.append(
        SellerAuthorization(application_id=ac.application_id, refresh_token=rt, roles=roles)
    )
    state.ix.refresh[rt] = (seller, seller.authorizations[-1])
    return _seller_tokens(state, ac.client_id, seller, ac.application_id, rt, now, lifetime, secret_exp, info)


def _seller_tokens(
    state: SandboxState,
    client_id: str,
    seller: Seller,
    application_id: str,
    rt: str,
    now: float,
    lifetime: int,
    secret_exp: float | None,
    info: dict[str, Any],
) -> Resp:
    """Mint a seller access token for refresh token ``rt`` and answer as LwA does (refresh and code grants)."""
    token = new_lwa_access_token()
    state.add_token(
        token,
        TokenInfo(
            "spapi",
            "lwa",
            None,
            client_id,
            "",
            now,
            now + lifetime,
            seller=seller.selling_partner_id,
            region=seller.region,
            application_id=application_id,
            refresh_token=rt,
            secret_expires_at=secret_exp,
        ),
    )
    return _ok(
        {"access_token": token, "refresh_token": rt, "token_type": "bearer", "expires_in": lifetime}, **info
    )


def _lwa_creators(state: SandboxState, req: Req, params: dict[str, str], info: dict[str, Any]) -> Resp:
    cred = state.ix.creators[params["client_id"]]
    grant = params["grant_type"]
    if grant == "refresh_token":
        if not params.get("refresh_token"):
            return missing(req, "refresh_token", **info)
        return invalid_grant(req, "refresh_token", **info)
    if grant == "authorization_code":
        if not params.get("code"):
            return missing(req, "code", **info)
        return invalid_grant(req, "code", **info)
    scope = params.get("scope", "")
    info["scope"] = scope or None
    if not scope:
        return missing(req, "scope", **info)
    scopes = scope.split()
    if any(s not in KNOWN_LWA_SCOPES for s in scopes):
        return lwa_error(req, "invalid_scope", **info)
    if any(s != LWA_CREATORS_SCOPE for s in scopes) or not cred.enabled:
        return lwa_error(req, "unauthorized_client", **info)
    lifetime = state.world.limits.token_lifetime
    token = new_lwa_access_token()
    state.add_token(
        token,
        TokenInfo(
            "creators",
            "lwa",
            cred.version,
            cred.client_id,
            LWA_CREATORS_SCOPE,
            req.now,
            req.now + lifetime,
            region=LWA_REGION_BY_HOST.get(req.host),
        ),
    )
    return _ok(
        {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"},
        family="lwa",
        version=cred.version,
        **info,
    )


# -- Login with Amazon sign-in (the browser flow of the LwA JS SDK) ------------------------------------
PROFILE_PATH = "/user/profile"
DEMO_CUSTOMER = {"user_id": "amzn1.account.SANDBOXDEMOCUSTOMER", "name": "Demo Customer",
                 "email": "customer@example.com"}  # fmt: skip


def _profile_tokens(
    state: SandboxState, client_id: str, application_id: str, rt: str, now: float, lifetime: int,
    info: dict[str, Any],
) -> Resp:  # fmt: skip
    """A customer's sign-in tokens (scope profile): good for /user/profile, refused by SP-API."""
    token = new_lwa_access_token()
    state.add_token(
        token,
        TokenInfo(
            "profile", "lwa", None, client_id, "profile", now, now + lifetime, application_id=application_id
        ),
    )
    info["scope"] = "profile"
    return _ok(
        {"access_token": token, "refresh_token": rt, "token_type": "bearer", "expires_in": lifetime}, **info
    )


def user_profile(state: SandboxState, req: Req) -> Resp:
    """``GET /user/profile``: the signed-in customer, for a sign-in token (Bearer or access_token=)."""
    auth = req.headers.get("authorization", "")
    raw = (
        auth[7:].strip() if auth.lower().startswith("bearer ") else req.query_params().get("access_token", "")
    )
    info = state.tokens.get(raw)
    if info is None or req.now >= info.expires_at:
        return json_resp(401, {"error": "invalid_token", "error_description": "The access token provided is "
                               "expired, revoked, malformed, or invalid for other reasons."}, error="invalid_token")  # fmt: skip
    if info.kind != "profile":
        return json_resp(403, {"error": "insufficient_scope", "error_description": "The access token provided "
                               "does not have access to the requested resource."}, error="insufficient_scope")  # fmt: skip
    return json_resp(200, DEMO_CUSTOMER)
