"""Consent URLs: host, parameters and local checks; the callback's state; every MD error, reproduced and diagnosed."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from amzauth.config import ConfigError
from amzauth.config.marketplaces import SELLER_CENTRAL_BY_REGION, VENDOR_CENTRAL_BY_REGION, find_marketplace
from amzauth.spapi.consent import (
    build_consent,
    check_consent,
    consent_page_error,
    diagnose_consent_page,
    parse_callback,
    pkce_challenge,
)
from amzauth.spapi.errors import CallbackError, ConsentError, StateMismatch
from tests.spapi._support import APP_ID, CLIENT_ID, make_profile, world_with

REDIRECT = "https://example.com/amazon/callback"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


# ---- building the URL ----------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["na", "eu", "fe"])
def test_host_follows_region(region: str) -> None:
    prof = make_profile(None, REDIRECT, region=region, marketplace=None)
    c = build_consent(prof)
    parts = urlsplit(c.url)
    assert parts.scheme == "https"
    assert parts.netloc == SELLER_CENTRAL_BY_REGION[region] == c.host
    assert parts.path == "/apps/authorize/consent"


@pytest.mark.parametrize("marketplace", ["DE", "UK", "JP", "CA"])
def test_host_follows_marketplace(marketplace: str) -> None:
    mp = find_marketplace(marketplace)
    assert mp is not None
    prof = make_profile(None, REDIRECT, region=mp.region, marketplace=marketplace)
    assert urlsplit(build_consent(prof).url).netloc == mp.seller_central


def test_vendor_central_variant() -> None:
    prof = make_profile(None, REDIRECT, region="eu", marketplace=None, vendor=True)
    c = build_consent(prof)
    assert c.vendor and urlsplit(c.url).netloc == VENDOR_CENTRAL_BY_REGION["eu"]
    assert urlsplit(build_consent(prof, vendor=False).url).netloc == SELLER_CENTRAL_BY_REGION["eu"]


def test_version_beta_only_while_draft() -> None:
    draft = _query(build_consent(make_profile(None, REDIRECT, draft=True)).url)
    published = _query(build_consent(make_profile(None, REDIRECT, draft=False)).url)
    assert draft["version"] == ["beta"]
    assert "version" not in published
    assert draft["application_id"] == [APP_ID]


def test_redirect_uri_with_its_own_query_is_encoded_as_one_parameter() -> None:
    uri = "https://example.com/cb?tenant=7&x=a%20b"
    c = build_consent(make_profile(None, uri))
    q = _query(c.url)
    assert q["redirect_uri"] == [uri]
    assert set(q) == {"application_id", "state", "redirect_uri", "version"}
    assert c.url.count("?") == 1


def test_state_is_random_and_url_safe() -> None:
    prof = make_profile(None, REDIRECT)
    states = {build_consent(prof).state for _ in range(50)}
    assert len(states) == 50
    for s in states:
        assert len(s) >= 43 and all(ch.isalnum() or ch in "-_" for ch in s)


def test_pkce_pair_is_s256() -> None:
    c = build_consent(make_profile(None, REDIRECT), pkce=True)
    q = _query(c.url)
    assert c.code_verifier and 43 <= len(c.code_verifier) <= 128
    digest = hashlib.sha256(c.code_verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert q["code_challenge"] == [expected] == [pkce_challenge(c.code_verifier)]
    assert q["code_challenge_method"] == ["S256"]
    assert c.code_verifier not in repr(c) and c.code_verifier not in c.url


def test_sandbox_rewrite_keeps_the_query() -> None:
    c = build_consent(make_profile("http://127.0.0.1:9", REDIRECT))
    assert c.url.startswith("http://127.0.0.1:9/sellercentral.amazon.com/apps/authorize/consent?")
    assert c.amazon_url.startswith("https://sellercentral.amazon.com/apps/authorize/consent?")
    assert urlsplit(c.url).query == urlsplit(c.amazon_url).query


def test_missing_application_id_names_the_key() -> None:
    with pytest.raises(ConfigError) as ei:
        build_consent(make_profile(None, REDIRECT, application_id=None))
    assert ei.value.key == "application_id"


# ---- local checks ------------------------------------------------------------------------------------


def test_fragment_is_refused_before_amazon_with_md5110() -> None:
    with pytest.raises(ConsentError) as ei:
        build_consent(make_profile(None, REDIRECT + "#section"))
    err = ei.value
    assert err.local and err.code == "MD5110" and err.field == "redirect_uri"
    assert err.cause == "redirect-uri-fragment"
    assert err.diagnosis and "fragment" in err.diagnosis["summary"]


def test_unregistered_redirect_uri_is_refused_when_the_list_is_known() -> None:
    registered = ["https://example.com/amazon/callback"]
    with pytest.raises(ConsentError) as ei:
        build_consent(
            make_profile(None, "https://example.com/amazon/callback/"), registered_redirect_uris=registered
        )
    assert ei.value.code == "MD5101" and ei.value.field == "redirect_uri"
    assert build_consent(make_profile(None, REDIRECT), registered_redirect_uris=registered).url


def test_app_without_redirect_uris_is_md9100() -> None:
    problems = check_consent(APP_ID, REDIRECT, registered_redirect_uris=[])
    assert problems[0].code == "MD9100" and problems[0].field == "account"


def test_client_id_in_application_id_is_an_error() -> None:
    with pytest.raises(ConsentError) as ei:
        build_consent(make_profile(None, REDIRECT, application_id=CLIENT_ID))
    assert ei.value.field == "application_id"


def test_plain_http_non_loopback_is_a_warning_not_an_error() -> None:
    c = build_consent(make_profile(None, "http://example.com/cb"))
    assert [w.cause for w in c.warnings] == ["redirect-uri-not-https"]
    assert build_consent(make_profile(None, "http://127.0.0.1:8765/callback")).warnings == ()


def test_check_false_builds_the_url_anyway() -> None:
    c = build_consent(make_profile(None, REDIRECT + "#x"), check=False)
    assert _query(c.url)["redirect_uri"] == [REDIRECT + "#x"]
    assert [w.code for w in c.warnings] == ["MD5110"]


# ---- the callback ------------------------------------------------------------------------------------


def test_callback_is_read_from_a_url_a_query_or_a_mapping() -> None:
    q = "state=abc&selling_partner_id=A1&spapi_oauth_code=ANxyz"
    for form in (
        f"https://example.com/cb?{q}",
        f"?{q}",
        q,
        {"state": "abc", "selling_partner_id": "A1", "spapi_oauth_code": "ANxyz"},
    ):
        cb = parse_callback(form, "abc")
        assert (cb.selling_partner_id, cb.code, cb.state) == ("A1", "ANxyz", "abc")
        assert "ANxyz" not in repr(cb)


def test_redirect_uri_with_query_callback_keeps_both() -> None:
    cb = parse_callback(
        "https://example.com/cb?tenant=7&state=s1&selling_partner_id=A1&spapi_oauth_code=ANc", "s1"
    )
    assert cb.code == "ANc"


@pytest.mark.parametrize(
    "query",
    [
        "state=evil&selling_partner_id=A1&spapi_oauth_code=ANc",
        "selling_partner_id=A1&spapi_oauth_code=ANc",
        "state=good&state=evil&selling_partner_id=A1&spapi_oauth_code=ANc",
        "state=&selling_partner_id=A1&spapi_oauth_code=ANc",
    ],
)
def test_wrong_missing_or_repeated_state_is_refused_before_anything_else(query: str) -> None:
    with pytest.raises(StateMismatch) as ei:
        parse_callback(query + "&error=access_denied", "good")
    assert ei.value.code == "state_mismatch"


def test_callback_without_code_or_with_error() -> None:
    with pytest.raises(CallbackError):
        parse_callback("state=s&selling_partner_id=A1", "s")
    with pytest.raises(CallbackError) as ei:
        parse_callback("state=s&error=access_denied&error_description=no", "s")
    assert ei.value.code == "access_denied"


# ---- MD errors through the sandbox's consent page ------------------------------------------------


def _page(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


MD_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # (code, app fields of the world, profile changes, field the diagnosis must name)
    ("MD1000", {"state": "draft"}, {"draft": False}, "draft"),
    (
        "MD5101",
        {"redirect_uris": ["https://example.com/amazon/callback"]},
        {"redirect_uri": "https://example.com/other"},
        "redirect_uri",
    ),
    ("MD5110", {}, {"redirect_uri": "https://example.com/amazon/callback#frag"}, "redirect_uri"),
    ("MD9010", {"hybrid": True, "mws_regions": ["na"]}, {"region": "eu", "marketplace": "DE"}, "account"),
    ("MD9100", {"login_uri": "", "redirect_uris": []}, {}, "account"),
]


@pytest.mark.parametrize(("code", "app", "changes", "field"), MD_CASES, ids=[c[0] for c in MD_CASES])
def test_md_error_reproduced_and_diagnosed(
    fresh_sandbox: Any, code: str, app: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    base = fresh_sandbox.world()
    try:
        fresh_sandbox.set_world(world_with(base, app=app))
        values = {"redirect_uri": REDIRECT, **changes}
        prof = make_profile(fresh_sandbox.url, values.pop("redirect_uri"), **values)
        consent = build_consent(prof, check=False)
        r = _page(consent.url)
        assert r.status_code == 400
        assert consent_page_error(r.text) == code
        err = diagnose_consent_page(r.text, None, redirect_uri=consent.redirect_uri)
        assert err is not None
        assert (err.code, err.field, err.local) == (code, field, False)
        assert err.diagnosis is not None and err.diagnosis["fix"]
        assert err.cause and err.cause == err.diagnosis["cause"]
    finally:
        fresh_sandbox.set_world(base)


def test_md_errors_the_builder_catches_match_the_page(fresh_sandbox: Any) -> None:
    """What amzauth refuses locally is what Amazon's page would have said, on the same field."""
    prof = make_profile(fresh_sandbox.url, REDIRECT + "#frag")
    with pytest.raises(ConsentError) as ei:
        build_consent(prof)
    page = _page(build_consent(prof, check=False).url).text
    assert consent_page_error(page) == ei.value.code == "MD5110"
    assert diagnose_consent_page(page).field == ei.value.field  # type: ignore[union-attr]


def test_a_good_consent_page_has_no_error(sp: Any) -> None:
    r = _page(build_consent(make_profile(sp.url, sp.redirect_uri)).url)
    assert r.status_code == 200
    assert consent_page_error(r.text) is None and diagnose_consent_page(r.text) is None
