"""Helpers for the sandbox tests: demo credentials by role, and exact checks of Amazon-shaped answers."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import httpx

from amzauth.sandbox.world import CreatorsCredential, SpapiApp, World, demo_world

LWA_NA = "/api.amazon.com/auth/o2/token"
LWA_EU = "/api.amazon.co.uk/auth/o2/token"
LWA_FE = "/api.amazon.co.jp/auth/o2/token"
COGNITO = {
    "2.1": "/creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
    "2.2": "/creatorsapi.auth.eu-south-2.amazoncognito.com/oauth2/token",
    "2.3": "/creatorsapi.auth.us-west-2.amazoncognito.com/oauth2/token",
}
LWA = {"3.1": LWA_NA, "3.2": LWA_EU, "3.3": LWA_FE}
CREATORS = "/creatorsapi.amazon/catalog/v1"
SP = {r: f"/sellingpartnerapi-{r}.amazon.com" for r in ("na", "eu", "fe")}

# Texts from docs/reference/wire.md
INVALID_CLIENT = "Client authentication failed"
INVALID_SCOPE = "An unknown scope was requested"
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server"
UNAUTHORIZED_CLIENT = "Not authorized for requested operation"
REVOKED_SUFFIX = " User may have revoked or didn't grant the permission."
DENIED = "Access to requested resource is denied."
D_MISSING = "Access token is missing in the request header."
D_INVALID = "The access token you provided is revoked, malformed or invalid."
D_SECRET = "The LWA secret token you provided has expired."
QUOTA = "You exceeded your quota for the requested resource."


@cache
def world() -> World:
    return demo_world()


def fresh_world() -> World:
    return demo_world()


def cred(version: str, *, eligible: bool = True, enabled: bool = True) -> CreatorsCredential:
    for c in world().creators_credentials:
        if c.version == version and c.eligible == eligible and c.enabled == enabled:
            return c
    raise LookupError(version)


def app(state: str = "draft", *, hybrid: bool = False) -> SpapiApp:
    for a in world().spapi_apps:
        if a.state == state and a.hybrid == hybrid and a.login_uri and a.redirect_uris:
            return a
    raise LookupError(state)


def refresh_token(
    region: str, app_state: str = "draft", *, revoked: bool = False, healthy: bool = True
) -> str:
    a = app(app_state)
    for s in world().sellers:
        if s.region != region or s.account_healthy != healthy:
            continue
        for auth in s.authorizations:
            if auth.application_id == a.application_id and auth.revoked == revoked:
                return auth.refresh_token
    raise LookupError((region, app_state, revoked))


def creators_body(c: CreatorsCredential, **over: str) -> dict[str, str]:
    scope = "creatorsapi/default" if c.version.startswith("2.") else "creatorsapi::default"
    body = {"grant_type": "client_credentials", "client_id": c.client_id, "client_secret": c.client_secret,
            "scope": scope}  # fmt: skip
    body.update(over)
    return body


def creators_token(client: httpx.Client, c: CreatorsCredential) -> str:
    if c.version.startswith("2."):
        r = client.post(COGNITO[c.version], data=creators_body(c))
    else:
        r = client.post(LWA[c.version], json=creators_body(c))
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def creators_auth(token: str, c: CreatorsCredential) -> str:
    return f"Bearer {token}, Version {c.version}" if c.version.startswith("2.") else f"Bearer {token}"


def spapi_token(client: httpx.Client, region: str = "na", app_state: str = "draft") -> str:
    a = app(app_state)
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": refresh_token(region, app_state),
                                  "client_id": a.client_id, "client_secret": a.client_secret})  # fmt: skip
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def grantless_token(client: httpx.Client, scope: str, a: SpapiApp | None = None) -> str:
    a = a or app("draft")
    r = client.post(LWA_NA, data={"grant_type": "client_credentials", "scope": scope, "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def assert_common_headers(r: httpx.Response) -> str:
    """Every answer has a Date header and an x-amzn-RequestId; returns the request id."""
    assert parsedate_to_datetime(r.headers["date"]) is not None
    rid = r.headers["x-amzn-requestid"]
    assert len(rid) >= 16
    return rid


def assert_cognito_error(r: httpx.Response, error: str) -> None:
    assert_common_headers(r)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"error": error}


def assert_lwa_error(r: httpx.Response, status: int, error: str, description: str) -> None:
    rid = assert_common_headers(r)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"error": error, "error_description": description, "request_id": rid}


def assert_creators_error(r: httpx.Response, status: int, typ: str, reason: str | None,
                          message: str | None = None) -> dict[str, Any]:  # fmt: skip
    assert_common_headers(r)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-amzn-errortype"] == typ
    doc: dict[str, Any] = r.json()
    assert doc["type"] == typ
    assert doc.get("reason") == reason
    assert isinstance(doc["message"], str) and doc["message"]
    if message is not None:
        assert doc["message"] == message
    return doc


def assert_spapi_error(r: httpx.Response, status: int, code: str, message: str, details: str = "",
                       error_type: str | None = None) -> None:  # fmt: skip
    assert_common_headers(r)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"errors": [{"code": code, "message": message, "details": details}]}
    if error_type is not None:
        assert r.headers["x-amzn-errortype"] == error_type
    else:
        assert r.headers["x-amzn-errortype"]


class FormParser:
    """Reads the consent page's form the way a browser would: action, hidden inputs, radios, labels."""

    def __init__(self, html_text: str) -> None:
        from html.parser import HTMLParser

        self.action: str | None = None
        self.method: str | None = None
        self.hidden: dict[str, str] = {}
        self.radios: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self.buttons: list[dict[str, str]] = []
        self.ids: dict[str, str] = {}
        parser_self = self
        current_label: list[str | None] = [None]
        current_id: list[str | None] = [None]

        class P(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                a = {k: v or "" for k, v in attrs}
                if tag == "form":
                    parser_self.action, parser_self.method = a.get("action"), a.get("method", "get").lower()
                elif tag == "input" and a.get("type") == "hidden":
                    parser_self.hidden[a["name"]] = a.get("value", "")
                elif tag == "input" and a.get("type") == "radio":
                    parser_self.radios.append(a)
                elif tag == "label":
                    current_label[0] = a.get("for")
                    parser_self.labels[a.get("for", "")] = ""
                elif tag == "button":
                    parser_self.buttons.append(a)
                if "id" in a:
                    current_id[0] = a["id"]
                    parser_self.ids.setdefault(a["id"], "")

            def handle_endtag(self, tag: str) -> None:
                if tag == "label":
                    current_label[0] = None
                current_id[0] = None

            def handle_data(self, data: str) -> None:
                if current_label[0] is not None:
                    parser_self.labels[current_label[0]] += data
                if current_id[0] is not None:
                    parser_self.ids[current_id[0]] += data

        P().feed(html_text)


def consent_url(host: str = "sellercentral.amazon.com") -> str:
    return f"/{host}/apps/authorize/consent"


def run_consent(client: httpx.Client, params: dict[str, str], seller: str | None = None,
                host: str = "sellercentral.amazon.com") -> httpx.Response:  # fmt: skip
    """GET the consent page, pick a seller (the first offered by default) and confirm; returns the answer."""
    from urllib.parse import urljoin

    page = client.get(consent_url(host), params=params)
    assert page.status_code == 200, page.text
    form = FormParser(page.text)
    assert form.method == "post" and form.action
    choice = seller or form.radios[0]["value"]
    target = urljoin(str(page.url), form.action)
    return client.post(target, data={**form.hidden, "selling_partner_id": choice})


def error_code(r: httpx.Response) -> str:
    return FormParser(r.text).ids["error-code"].strip()
