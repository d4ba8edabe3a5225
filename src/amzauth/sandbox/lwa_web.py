"""Login with Amazon's browser sign-in, ``https://www.amazon.{com,co.uk,co.jp}/ap/oa``.

The flow of the LwA JS SDK: a customer signs in and shares their profile (``scope=profile``); the
redirect carries a ``code`` that the app exchanges at ``/auth/o2/token`` (with ``code_verifier``
when a PKCE challenge was sent). The tokens identify a customer. They are not a seller's
authorization of an SP-API app: SP-API refuses them ("Access to requested resource is denied."),
which developers who took this flow for SP-API authorization met in the forum thread.
"""

from __future__ import annotations

import html
import secrets
from urllib.parse import urlencode

from amzauth.sandbox.consent import _page, error_page
from amzauth.sandbox.hosts import LWA_WEB_HOSTS
from amzauth.sandbox.messages import BadBody, Req, Resp, html_resp
from amzauth.sandbox.state import AuthCode, SandboxState

SIGN_IN_PATH = "/ap/oa"
PROFILE_SCOPES = frozenset({"profile", "profile:user_id", "postal_code"})
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _redirect(uri: str, params: dict[str, str]) -> Resp:
    location = uri + ("&" if "?" in uri else "?") + urlencode(params)
    return html_resp(302, _page("Redirecting", "<p>Redirecting…</p>"), headers=[("Location", location)])


def handle(state: SandboxState, req: Req) -> Resp:
    if req.path != SIGN_IN_PATH or req.method not in ("GET", "POST"):
        return html_resp(404, _page("Page not found", "<h1>Page not found</h1>"), error="NotFound")
    try:
        q = req.form() if req.method == "POST" else req.query_params()
    except BadBody:
        return error_page("BAD_REQUEST")
    app = state.ix.apps_by_client.get(q.get("client_id", ""))
    if app is None:
        return error_page("UNKNOWN_APPLICATION", q.get("client_id", ""), status=404)
    redirect_uri = q.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:  # LwA: "allowed return URLs" of the security profile
        return error_page("MD5101", redirect_uri)
    state_value = q.get("state", "")
    scopes = q.get("scope", "").split()
    if q.get("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state_value})
    if not scopes or any(s not in PROFILE_SCOPES for s in scopes):
        # Sign-in grants customer data only; an SP-API scope here is the forum's mistake [rule].
        return _redirect(redirect_uri, {"error": "invalid_scope", "error_description": "An unknown scope was "
                                        "requested", "state": state_value})  # fmt: skip
    challenge = q.get("code_challenge") or None
    method = (q.get("code_challenge_method") or ("S256" if challenge else "")) or None
    if req.method == "GET":
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">\n'
            for k, v in q.items()
            if k in ("client_id", "redirect_uri", "state", "scope", "response_type", "code_challenge",
                     "code_challenge_method")
        )  # fmt: skip
        body = (
            f'<div class="box">\n<h1 id="app-name">{html.escape(app.display_name)}</h1>\n'
            f"<p>Sign in with Amazon: this application would like to access your name and email "
            f"address (scope {html.escape(' '.join(scopes))}).</p>\n"
            f'<form method="post" action="oa" id="signin-form">\n{hidden}'
            f'<p><button type="submit" id="allow" name="action" value="allow">Allow</button></p>\n</form>\n</div>'
        )
        return html_resp(200, _page("Amazon Sign-In", body), application_id=app.application_id)
    if q.get("action") != "allow":
        return _redirect(redirect_uri, {"error": "access_denied", "state": state_value})
    code = "AN" + "".join(secrets.choice(_ALPHABET) for _ in range(18))
    state.codes[code] = AuthCode(
        client_id=app.client_id, application_id=app.application_id, seller="", region=LWA_WEB_HOSTS[req.host],
        redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method=method, created_at=req.now,
        kind="profile",
    )  # fmt: skip
    return _redirect(redirect_uri, {"code": code, "scope": " ".join(scopes), "state": state_value})
