"""Seller Central / Vendor Central consent pages: the website authorization workflow.

``GET /apps/authorize/consent`` shows a page naming the app with a form listing the world's sellers
of the host's region; confirming it (``POST`` to the same path) redirects to the redirect URI with
``state``, ``selling_partner_id`` and ``spapi_oauth_code``. Error pages answer HTTP 400 (404 for an
unknown application) and carry the code in ``<p id="error-code">`` so tests and tools can read it.
"""

from __future__ import annotations

import html
import secrets
import string
import uuid
from urllib.parse import urlencode

from amzauth.sandbox.hosts import CONSENT_HOSTS
from amzauth.sandbox.messages import LWA_DESCRIPTIONS as DESC
from amzauth.sandbox.messages import BadBody, Req, Resp, html_resp
from amzauth.sandbox.state import CONSENT_LIFETIME, AuthCode, ConsentSession, SandboxState
from amzauth.sandbox.world import SellerAuthorization

CONSENT_PATH = "/apps/authorize/consent"
# Self-authorization of a private (Draft) app: the seller generates a refresh token in Seller Central
# ("Authorize app" beside the app) and copies it; no redirect, no code [rule: our path name].
SELF_AUTH_PATH = "/apps/authorize/self"

MESSAGES = {
    "MD1000": "This application is in Draft state: it can only be authorized from a consent URL that includes "
    "version=beta.",
    "MD5101": "The redirect URI in the request is not registered for this application.",
    "MD5110": "The redirect URI contains a fragment (#), which is not allowed.",
    "MD9010": "This hybrid application has no MWS developer ID for this region.",
    "MD9100": "This application has no Login URI or no Redirect URI configured.",
    "MISSING_APPLICATION_ID": "The consent URL has no application_id parameter.",
    "UNKNOWN_APPLICATION": "No application with this application_id exists.",
    "INVALID_PKCE": "code_challenge_method must be S256.",
    "SELF_AUTH_PUBLISHED": "Only a private application (in Draft state) can be self-authorized; sellers authorize a published application through its consent URL.",
    "INVALID_CONSENT": "This consent request is unknown or was already completed. Start again from the consent URL.",
    "CONSENT_EXPIRED": "This consent request expired: the workflow must finish within 10 minutes.",
    "INVALID_SELLER": "Choose one of the accounts offered on the consent page.",
    "BAD_REQUEST": "The request could not be read.",
}
_CODE_ALPHABET = string.ascii_letters + string.digits

_STYLE = (
    "body{font-family:Arial,sans-serif;max-width:40rem;margin:2rem auto;color:#0f1111}"
    "h1{font-size:1.5rem}.box{border:1px solid #d5d9d9;border-radius:8px;padding:1rem 1.5rem}"
    "button{background:#ffd814;border:1px solid #fcd200;border-radius:8px;padding:.5rem 1.5rem;font-size:1rem}"
    ".error{border-color:#c40000}#error-code{font-weight:bold;color:#c40000}label{margin-left:.4rem}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n<main>\n{body}\n</main>\n</body></html>\n"
    )


def error_page(code: str, detail: str = "", *, status: int = 400) -> Resp:
    message = MESSAGES.get(code, code)
    body = (
        f'<div class="box error" role="alert">\n<h1>We could not authorize this application</h1>\n'
        f'<p id="error-message">{html.escape(message)}</p>\n'
        f'<p>Error code: </p><p id="error-code">{html.escape(code)}</p>\n'
        + (f'<p id="error-detail">{html.escape(detail)}</p>\n' if detail else "")
        + "</div>"
    )
    return html_resp(status, _page(f"Error {code}", body), error=code)


def handle(state: SandboxState, req: Req) -> Resp:
    if req.path == SELF_AUTH_PATH and req.method in ("GET", "POST"):
        return self_authorize(state, req)
    if req.path != CONSENT_PATH:
        return html_resp(404, _page("Page not found", "<h1>Page not found</h1>"), error="NotFound")
    if req.method == "GET":
        return consent_page(state, req)
    if req.method == "POST":
        return confirm(state, req)
    return html_resp(405, _page("Method not allowed", "<h1>Method not allowed</h1>"), headers=[("Allow", "GET, POST")],
                     error="MethodNotAllowed")  # fmt: skip


def consent_page(state: SandboxState, req: Req) -> Resp:
    q = req.query_params()
    region = CONSENT_HOSTS[req.host]
    app_id = q.get("application_id", "")
    if not app_id:
        return error_page("MISSING_APPLICATION_ID")
    app = state.ix.apps_by_id.get(app_id)
    if app is None:
        return error_page("UNKNOWN_APPLICATION", app_id, status=404)
    if not app.login_uri or not app.redirect_uris:
        return error_page("MD9100")
    if app.state == "draft" and q.get("version") != "beta":
        return error_page("MD1000")
    redirect_uri = q.get("redirect_uri")
    if redirect_uri is not None:
        if "#" in redirect_uri:
            return error_page("MD5110")
        if redirect_uri not in app.redirect_uris:
            return error_page("MD5101", redirect_uri)
    else:
        redirect_uri = app.redirect_uris[0]
    if app.hybrid and region not in app.mws_regions:
        return error_page("MD9010")
    challenge = q.get("code_challenge") or None
    method = q.get("code_challenge_method") or None
    if challenge is not None:
        method = method or "S256"
        if method not in ("S256", "plain"):
            return error_page("INVALID_PKCE")
    consent_id = secrets.token_urlsafe(18)
    state.consents[consent_id] = ConsentSession(
        application_id=app.application_id, host=req.host, region=region, state=q.get("state", ""),
        redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method=method, created_at=req.now,
    )  # fmt: skip
    sellers = [s for s in state.world.sellers if s.region == region]
    name = html.escape(app.display_name)
    roles = "".join(f"<li>{html.escape(r)}</li>" for r in app.roles) or "<li>(no data access roles)</li>"
    if sellers:
        options = "\n".join(
            f'<div class="seller"><input type="radio" id="sp-{html.escape(s.selling_partner_id)}" '
            f'name="selling_partner_id" value="{html.escape(s.selling_partner_id)}"{" checked" if i == 0 else ""}>'
            f'<label for="sp-{html.escape(s.selling_partner_id)}">{html.escape(s.display_name)} '
            f"({html.escape(s.selling_partner_id)})</label></div>"
            for i, s in enumerate(sellers)
        )
        form = (
            f'<form method="post" action="consent" id="consent-form">\n'
            f'<input type="hidden" name="consent_id" value="{consent_id}">\n'
            f"<fieldset><legend>Authorize for this account</legend>\n{options}\n</fieldset>\n"
            f'<p><button type="submit" id="confirm" name="action" value="confirm">Confirm</button>\n'
            f'<button type="submit" id="cancel" name="action" value="cancel">Cancel</button></p>\n</form>'
        )
    else:
        form = f'<p id="no-sellers">No selling account of this sandbox world is in the {region.upper()} region.</p>'
    draft = (
        '<p class="draft">This application is in <strong>Draft</strong> state.</p>'
        if app.state == "draft"
        else ""
    )
    body = (
        f'<div class="box">\n<h1 id="app-name">{name}</h1>\n'
        f"<p>{name} is requesting access to your selling account data in the {region.upper()} region.</p>\n"
        f'{draft}<p>It will be able to access:</p><ul id="roles">{roles}</ul>\n'
        f'<p>After you confirm you will be sent to <code id="redirect-uri">{html.escape(redirect_uri)}</code>.</p>\n'
        f"{form}\n</div>"
    )
    return html_resp(200, _page(f"Authorize {app.display_name}", body), application_id=app.application_id)


def confirm(state: SandboxState, req: Req) -> Resp:
    try:
        form = req.form()
    except BadBody:
        return error_page("BAD_REQUEST")
    consent_id = form.get("consent_id", "")
    session = state.consents.get(consent_id)
    if session is None or session.done or session.host != req.host:
        return error_page("INVALID_CONSENT")
    if req.now - session.created_at > CONSENT_LIFETIME:
        return error_page("CONSENT_EXPIRED")
    app = state.ix.apps_by_id.get(session.application_id)
    if app is None:
        return error_page("UNKNOWN_APPLICATION", session.application_id, status=404)
    if form.get("action") == "cancel":
        # The seller declined: back to the app with an OAuth error and the state, no code [rule].
        session.done = True
        params = {
            "state": session.state,
            "error": "access_denied",
            "error_description": DESC["access_denied"],
        }
        sep = "&" if "?" in session.redirect_uri else "?"
        location = session.redirect_uri + sep + urlencode(params)
        return html_resp(302, _page("Redirecting", "<p>Cancelled.</p>"), headers=[("Location", location)],
                         application_id=app.application_id, error="access_denied")  # fmt: skip
    sp_id = form.get("selling_partner_id", "")
    seller = state.ix.sellers.get(sp_id)
    if seller is None or seller.region != session.region:
        return error_page("INVALID_SELLER", sp_id)
    session.done = True
    code = "AN" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(18))
    state.codes[code] = AuthCode(
        client_id=app.client_id, application_id=app.application_id, seller=sp_id, region=seller.region,
        redirect_uri=session.redirect_uri, code_challenge=session.code_challenge,
        code_challenge_method=session.code_challenge_method, created_at=req.now,
    )  # fmt: skip
    params = {"state": session.state, "selling_partner_id": sp_id, "spapi_oauth_code": code}
    if app.hybrid:
        params["mws_auth_token"] = f"amzn.mws.{uuid.uuid4()}"
    sep = "&" if "?" in session.redirect_uri else "?"
    location = session.redirect_uri + sep + urlencode(params)
    body = _page(
        "Redirecting", f'<p>Redirecting to <a href="{html.escape(location)}">your application</a>…</p>'
    )
    return html_resp(302, body, headers=[("Location", location)], application_id=app.application_id,
                     seller=sp_id)  # fmt: skip


def self_authorize(state: SandboxState, req: Req) -> Resp:
    """GET: the seller's "Authorize app" page for a private app; POST: a new refresh token, shown once."""
    region = CONSENT_HOSTS[req.host]
    try:
        params = req.form() if req.method == "POST" else req.query_params()
    except BadBody:
        return error_page("BAD_REQUEST")
    app_id = params.get("application_id", "")
    if not app_id:
        return error_page("MISSING_APPLICATION_ID")
    app = state.ix.apps_by_id.get(app_id)
    if app is None:
        return error_page("UNKNOWN_APPLICATION", app_id, status=404)
    if app.state != "draft":
        return error_page("SELF_AUTH_PUBLISHED", app_id)
    sellers = [s for s in state.world.sellers if s.region == region]
    name = html.escape(app.display_name)
    if req.method == "GET":
        options = "\n".join(
            f'<div class="seller"><input type="radio" id="sp-{html.escape(s.selling_partner_id)}" '
            f'name="selling_partner_id" value="{html.escape(s.selling_partner_id)}"{" checked" if i == 0 else ""}>'
            f'<label for="sp-{html.escape(s.selling_partner_id)}">{html.escape(s.display_name)} '
            f"({html.escape(s.selling_partner_id)})</label></div>"
            for i, s in enumerate(sellers)
        )
        body = (
            f'<div class="box">\n<h1 id="app-name">{name}</h1>\n<p>Authorize your own private application '
            f"for the {region.upper()} region and copy the refresh token.</p>\n"
            f'<form method="post" action="self" id="self-auth-form">\n'
            f'<input type="hidden" name="application_id" value="{html.escape(app_id)}">\n'
            f"<fieldset><legend>Account</legend>\n{options}\n</fieldset>\n"
            f'<p><button type="submit" id="generate">Generate refresh token</button></p>\n</form>\n</div>'
        )
        return html_resp(200, _page(f"Authorize {app.display_name}", body), application_id=app_id)
    sp_id = params.get("selling_partner_id", "")
    seller = state.ix.sellers.get(sp_id)
    if seller is None or seller.region != region:
        return error_page("INVALID_SELLER", sp_id)
    from amzauth.sandbox.oauth import new_refresh_token

    rt = new_refresh_token()
    seller.authorizations.append(
        SellerAuthorization(application_id=app_id, refresh_token=rt, roles=list(app.roles))
    )
    state.ix.refresh[rt] = (seller, seller.authorizations[-1])
    body = (
        f'<div class="box">\n<h1 id="app-name">{name}</h1>\n<p>Refresh token for '
        f"{html.escape(seller.display_name)} ({html.escape(sp_id)}). Copy it now: it is shown once.</p>\n"
        f'<p><code id="refresh-token">{html.escape(rt)}</code></p>\n'
        f'<p>Selling partner id: <code id="selling-partner-id">{html.escape(sp_id)}</code></p>\n</div>'
    )
    return html_resp(200, _page("Refresh token", body), application_id=app_id, seller=sp_id)
