"""Consent pages on the Seller Central hosts: the page, the confirm redirect, every MD error code."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from amzauth.config.marketplaces import MARKETPLACES, SELLER_CENTRAL_BY_REGION
from tests.sandbox._wire import (
    FormParser,
    app,
    assert_common_headers,
    consent_url,
    error_code,
    fresh_world,
    run_consent,
    world,
)


def _params(a: Any = None, **extra: str) -> dict[str, str]:
    a = a or app("draft")
    p = {"application_id": a.application_id, "state": "abc123"}
    if a.state == "draft":
        p["version"] = "beta"
    p.update(extra)
    return p


def test_page_names_the_app_and_offers_the_regions_sellers(client: httpx.Client) -> None:
    a = app("draft")
    r = client.get(consent_url(), params=_params())
    assert_common_headers(r)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    form = FormParser(r.text)
    assert form.ids["app-name"] == a.name
    offered = {x["value"] for x in form.radios}
    assert offered == {s.selling_partner_id for s in world().sellers if s.region == "na"}
    for radio in form.radios:  # every radio has a proper label naming the seller
        assert radio["name"] == "selling_partner_id"
        assert radio["value"] in form.labels[radio["id"]]
    assert "consent_id" in form.hidden
    assert [b.get("value") for b in form.buttons] == ["confirm", "cancel"]  # Cancel: back with error=access_denied


@pytest.mark.parametrize("region", ["eu", "fe"])
def test_regional_hosts_offer_their_sellers(client: httpx.Client, region: str) -> None:
    host = SELLER_CENTRAL_BY_REGION[region]  # type: ignore[index]
    form = FormParser(client.get(consent_url(host), params=_params()).text)
    assert {x["value"] for x in form.radios} == {
        s.selling_partner_id for s in world().sellers if s.region == region
    }


@pytest.mark.parametrize(
    "host", sorted({m.seller_central for m in MARKETPLACES} | {m.vendor_central for m in MARKETPLACES})
)
def test_every_marketplace_host_serves_the_page(client: httpx.Client, host: str) -> None:
    assert client.get(consent_url(host), params=_params()).status_code == 200


def test_confirm_redirects_with_state_seller_and_code(client: httpx.Client) -> None:
    a = app("draft")
    r = run_consent(client, _params(), seller="A1SANDBOXDEMONA")
    assert_common_headers(r)
    assert r.status_code == 302
    loc = r.headers["location"]
    assert loc.startswith(a.redirect_uris[0] + "?")
    q = parse_qs(urlsplit(loc).query)
    assert q["state"] == ["abc123"]
    assert q["selling_partner_id"] == ["A1SANDBOXDEMONA"]
    assert len(q["spapi_oauth_code"][0]) >= 16


def test_published_app_needs_no_version_beta(client: httpx.Client) -> None:
    r = run_consent(client, _params(app("published")))
    assert r.status_code == 302


def test_a_consent_can_be_confirmed_once(client: httpx.Client) -> None:
    page = client.get(consent_url(), params=_params())
    form = FormParser(page.text)
    data = {**form.hidden, "selling_partner_id": form.radios[0]["value"]}
    assert client.post(consent_url(), data=data).status_code == 302
    again = client.post(consent_url(), data=data)
    assert again.status_code == 400 and error_code(again) == "INVALID_CONSENT"


def test_consent_expires_after_ten_minutes(sb: Any, client: httpx.Client) -> None:
    form = FormParser(client.get(consent_url(), params=_params()).text)
    sb.set_clock(601)
    r = client.post(consent_url(), data={**form.hidden, "selling_partner_id": form.radios[0]["value"]})
    assert r.status_code == 400 and error_code(r) == "CONSENT_EXPIRED"


def test_seller_of_another_region_is_refused(client: httpx.Client) -> None:
    form = FormParser(client.get(consent_url(), params=_params()).text)
    r = client.post(consent_url(), data={**form.hidden, "selling_partner_id": "A2SANDBOXDEMOEU"})
    assert r.status_code == 400 and error_code(r) == "INVALID_SELLER"


def _assert_md(r: httpx.Response, code: str) -> None:
    assert_common_headers(r)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert error_code(r) == code
    assert FormParser(r.text).ids["error-message"].strip()


def test_md1000_draft_without_version_beta(client: httpx.Client) -> None:
    p = _params()
    del p["version"]
    _assert_md(client.get(consent_url(), params=p), "MD1000")


def test_md5101_redirect_uri_not_registered(client: httpx.Client) -> None:
    _assert_md(client.get(consent_url(), params=_params(redirect_uri="https://evil.example/cb")), "MD5101")


def test_md5110_redirect_uri_with_fragment(client: httpx.Client) -> None:
    uri = app("draft").redirect_uris[0] + "#frag"
    _assert_md(client.get(consent_url(), params=_params(redirect_uri=uri)), "MD5110")


def test_md9010_hybrid_app_without_mws_id_for_the_region(client: httpx.Client) -> None:
    hybrid = app("published", hybrid=True)
    assert "eu" not in hybrid.mws_regions and "na" in hybrid.mws_regions
    _assert_md(client.get(consent_url("sellercentral-europe.amazon.com"), params=_params(hybrid)), "MD9010")
    ok = client.get(consent_url("sellercentral.amazon.com"), params=_params(hybrid))
    assert ok.status_code == 200


def test_hybrid_redirect_carries_mws_auth_token(client: httpx.Client) -> None:
    r = run_consent(client, _params(app("published", hybrid=True)))
    assert "mws_auth_token" in parse_qs(urlsplit(r.headers["location"]).query)


@pytest.mark.parametrize("what", ["login_uri", "redirect_uris"])
def test_md9100_no_login_uri_or_redirect_uri(sb: Any, client: httpx.Client, what: str) -> None:
    w = fresh_world()
    a = w.spapi_apps[1]
    if what == "login_uri":
        a.login_uri = ""
    else:
        a.redirect_uris = []
    sb.set_world(w)
    _assert_md(client.get(consent_url(), params=_params(a)), "MD9100")


def test_unknown_application_is_404_page(client: httpx.Client) -> None:
    r = client.get(consent_url(), params={"application_id": "amzn1.sp.solution.nosuch", "state": "x"})
    assert r.status_code == 404 and error_code(r) == "UNKNOWN_APPLICATION"


def test_missing_application_id(client: httpx.Client) -> None:
    r = client.get(consent_url(), params={"state": "x"})
    assert r.status_code == 400 and error_code(r) == "MISSING_APPLICATION_ID"


def test_other_paths_on_consent_hosts_are_404(client: httpx.Client) -> None:
    assert client.get("/sellercentral.amazon.com/apps/authorize/other").status_code == 404


def test_state_is_escaped_in_the_page(client: httpx.Client) -> None:
    r = client.get(consent_url(), params=_params(state='"><script>alert(1)</script>'))
    assert "<script>alert(1)</script>" not in r.text
