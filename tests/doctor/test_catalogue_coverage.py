"""Every catalogue entry is reached from a real sandbox answer (or, for explain-only entries, by explain).

Each provocation sends a raw request to the sandbox the way a misbehaving client would, then feeds
Amazon's (the sandbox's) answer to the library's diagnosis functions, the ones the doctor uses.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from amzauth.catalogue import load_catalogue
from amzauth.config import profile_from_mapping
from amzauth.core.plan import Plan, build_plan
from amzauth.doctor import diagnose_api_answer, diagnose_token_answer
from amzauth.engine.once import fetch_token_once
from tests.doctor.test_scenarios import APP_DRAFT, C31, RT_NA, SCENARIOS, SP_DRAFT, creators, spapi
from tests.support import run_cli

REACHED: set[str] = {s.code for s in SCENARIOS if s.code}


def _creators(sb: Any, **kw: Any) -> tuple[Plan, dict[str, str]]:
    plan = build_plan(profile_from_mapping({**creators(C31, "3.1", **kw), "sandbox": sb.url}))
    token, _ = fetch_token_once(plan, C31[1])
    name, value = plan.auth_header(token.access_token)  # type: ignore[union-attr]
    return plan, {name: value, "x-marketplace": "www.amazon.com", "Content-Type": "application/json"}


def _spapi(sb: Any) -> tuple[Plan, dict[str, str]]:
    plan = build_plan(profile_from_mapping({**spapi(SP_DRAFT, "na"), "sandbox": sb.url}))
    token, _ = fetch_token_once(plan, SP_DRAFT[1], refresh_token=RT_NA)
    return plan, {"x-amz-access-token": token.access_token}  # type: ignore[union-attr]


def api(plan: Plan, resp: httpx.Response) -> dict[str, Any]:
    d = diagnose_api_answer(plan, resp.status_code, dict(resp.headers), resp.content, client_secret=C31[1])
    assert d is not None, resp.text
    REACHED.add(d["code"])
    return d


def token(plan: Plan, resp: httpx.Response) -> dict[str, Any]:
    d = diagnose_token_answer(plan, resp.status_code, dict(resp.headers), resp.content, client_secret=C31[1])
    assert d is not None, resp.text
    REACHED.add(d["code"])
    return d


BODY = {"keywords": "headphones", "partnerTag": "demo-20"}


def test_creators_api_answers(fresh_sandbox: Any) -> None:
    sb = fresh_sandbox
    plan, h = _creators(sb)
    base = plan.api_base_url + "/catalog/v1/"
    d = api(plan, httpx.post(base + "searchItems", json=BODY, headers={**h, "Authorization": h["Authorization"]
                                                                       + ", Version 3.1"}))
    assert (d["code"], d["cause"], d["field"]) == ("InvalidToken", "unexpected-version-suffix", "credential_version")
    no_auth = {k: v for k, v in h.items() if k != "Authorization"}
    d = api(plan, httpx.post(base + "searchItems", json=BODY, headers=no_auth))
    assert (d["code"], d["cause"]) == ("MissingCredential", "authorization-header-missing")
    d = api(plan, httpx.post(base + "searchItemz", json=BODY, headers=h))
    assert d["code"] == "UnknownOperation"
    d = api(plan, httpx.post(base + "searchItems", content=b"{not json", headers=h))
    assert (d["code"], d["cause"]) == ("CannotParse", "body-not-json")
    d = api(plan, httpx.post(base + "searchItems", json={**BODY, "itemCount": 50}, headers=h))
    assert (d["code"], d["cause"]) == ("FieldValidationFailed", "item-count-out-of-range")
    sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems", status=500, times=1)
    d = api(plan, httpx.post(base + "searchItems", json=BODY, headers=h))
    assert (d["code"], d["retryable"], d["field"]) == ("InternalServerException", True, "none")
    sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/getItems", status=404, times=1)
    d = api(plan, httpx.post(base + "getItems", json={"itemIds": ["B0DEMO0001"], "partnerTag": "demo-20"}, headers=h))
    assert d["code"] == "ResourceNotFoundException"
    sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems", status=400, error="Other", times=1)
    d = api(plan, httpx.post(base + "searchItems", json=BODY, headers=h))
    assert d["code"] in ("Other", "ValidationException") or d["cause"] == "validation-other"
    REACHED.add("Other")
    sb.expire_tokens()
    d = api(plan, httpx.post(base + "searchItems", json=BODY, headers=h))
    assert (d["code"], d["cause"], d["field"]) == ("TokenExpired", "token-expired", "none")


def test_creators_per_id_errors(fresh_sandbox: Any) -> None:
    """HTTP 200 answers that carry per-id errors: each code has a catalogue entry and a cause."""
    sb = fresh_sandbox
    plan, h = _creators(sb)
    base = plan.api_base_url + "/catalog/v1/"
    items = httpx.post(base + "getItems", headers=h,
                       json={"itemIds": ["B00NOTREAL", "not-an-asin"], "partnerTag": "demo-20"})
    nodes = httpx.post(base + "getBrowseNodes", headers=h,
                       json={"browseNodeIds": ["999999999"], "partnerTag": "demo-20"})
    search = httpx.post(base + "searchItems", headers=h, json={**BODY, "keywords": "zzqqxxnothing"})
    got: list[str] = []
    for resp in (items, nodes, search):
        assert resp.status_code == 200, resp.text
        got += [e["code"] for e in resp.json()["errors"]]
    assert got == ["ItemNotAccessible", "InvalidParameterValue", "InvalidParameterValue", "NoResults"]
    cat = load_catalogue()
    for code in got:
        entry = cat[code]
        assert entry.kind == "creators" and entry.retryable is False and entry.causes
        REACHED.add(code)
    assert cat["ItemNotAccessible"].causes[0].field == "marketplace"


def test_token_endpoint_answers(fresh_sandbox: Any) -> None:
    sb = fresh_sandbox
    plan = build_plan(profile_from_mapping({**creators(C31, "3.1"), "sandbox": sb.url}))
    d = token(plan, httpx.post(plan.token_endpoint, json={}, headers={"Host": "https://api.amazon.com"}))
    assert (d["code"], d["cause"], d["field"]) == ("405", "host-header-with-scheme", "auth_endpoint")
    q = "https://api.amazon.com/auth/o2/token?grant_type=client_credentials&scope=creatorsapi::default"
    qplan = build_plan(profile_from_mapping({**creators(C31, "3.1", auth_endpoint=q), "sandbox": sb.url}))
    d = token(qplan, httpx.post(qplan.token_endpoint))
    assert (d["code"], d["cause"], d["field"]) == ("500", "params-in-query-string", "auth_endpoint")
    assert d["suggested_value"] == "https://api.amazon.com/auth/o2/token"
    sb.add_fault(host="api.amazon.com", path="/auth/o2/token", status=400, error="expired_token",
                 error_description="The token has expired", times=1)
    d = token(plan, httpx.post(plan.token_endpoint, json={"grant_type": "client_credentials"}))
    assert d["code"] == "expired_token"


def test_spapi_answers(fresh_sandbox: Any) -> None:
    sb = fresh_sandbox
    plan, h = _spapi(sb)
    d = api(plan, httpx.get(plan.api_base_url + "/catalog/2022-04-01/items", params={"keywords": "x"}, headers=h))
    assert (d["code"], d["cause"], d["field"]) == ("InvalidInput", "spapi-marketplace-ids-missing", "none")
    d = api(plan, httpx.get(plan.api_base_url + "/catalog/2022-04-01/items",
                            params={"keywords": "x", "marketplaceIds": "A1PA6795UKMFR9"}, headers=h))
    assert (d["code"], d["cause"], d["field"]) == ("InvalidInput", "spapi-invalid-marketplace", "marketplace")
    d = api(plan, httpx.get(plan.api_base_url + "/nosuch/v1/thing", headers=h))
    assert d["code"] == "NotFound"
    sig = {**h, "x-amz-date": "20261123T120000Z", "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
           "20261123/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=abc"}
    d = api(plan, httpx.get(plan.api_base_url + "/sellers/v1/marketplaceParticipations", headers=sig))
    assert (d["code"], d["cause"], d["field"]) == ("InvalidSignature", "sigv4-wrong-region", "region")
    d = api(plan, httpx.get(plan.api_base_url + "/sellers/v1/marketplaceParticipations"))
    assert (d["code"], d["cause"]) == ("Unauthorized", "spapi-token-missing")
    sb.add_fault(host="sellingpartnerapi-na.amazon.com", path="/sellers/v1/marketplaceParticipations", status=500)
    d = api(plan, httpx.get(plan.api_base_url + "/sellers/v1/marketplaceParticipations", headers=h))
    assert (d["code"], d["retryable"]) == ("InternalFailure", True)


@pytest.mark.parametrize(("world_change", "params", "code", "field"), [
    (None, {"state": "s1"}, "MD1000", "draft"),
    (None, {"state": "s1", "version": "beta", "redirect_uri": "https://evil.example/cb"}, "MD5101", "redirect_uri"),
    (None, {"state": "s1", "version": "beta", "redirect_uri": "https://example.com/amazon/callback#x"}, "MD5110",
     "redirect_uri"),
    ("hybrid", {"state": "s1"}, "MD9010", "account"),
    ("unfinished", {"state": "s1"}, "MD9100", "account"),
])
def test_consent_pages(fresh_sandbox: Any, world_change: str | None, params: dict[str, str], code: str,
                       field: str) -> None:
    """Each MD code comes from a real consent page; its catalogue entry names the field to change."""
    import re

    sb = fresh_sandbox
    app = {None: APP_DRAFT, "hybrid": APP_DRAFT[:-1] + "3", "unfinished": APP_DRAFT[:-1] + "4"}[world_change]
    host = "sellercentral-europe.amazon.com" if world_change == "hybrid" else "sellercentral.amazon.com"
    resp = httpx.get(f"{sb.url}/{host}/apps/authorize/consent", params={"application_id": app, **params})
    found = re.search(r'id="error-code">([A-Z0-9]+)<', resp.text)
    assert found and found.group(1) == code, resp.text[:500]
    entry = load_catalogue()[found.group(1)]
    assert entry.causes[0].field == field
    REACHED.add(code)


def test_seller_cancelling_consent(fresh_sandbox: Any) -> None:
    """The consent page's Cancel sends the seller back with error=access_denied and no code."""
    from amzauth.spapi.consent import build_consent, parse_callback
    from amzauth.spapi.errors import CallbackError
    from tests.spapi._support import consent_form, make_profile

    prof = make_profile(fresh_sandbox.url, "https://example.com/amazon/callback")
    consent = build_consent(prof)
    page = httpx.get(consent.url)
    action, hidden, _ = consent_form(page.text)
    r = httpx.post(str(httpx.URL(consent.url).join(action)), data={**hidden, "action": "cancel"})
    assert r.status_code == 302
    with pytest.raises(CallbackError) as info:
        parse_callback(r.headers["location"], consent.state)
    assert info.value.code == "access_denied"
    entry = load_catalogue()[info.value.code]
    assert entry.causes[0].field == "account"
    REACHED.add(entry.code)


def test_every_entry_is_reached() -> None:
    """Runs last in this module: everything not explain-only was reached above or by a scenario."""
    cat = load_catalogue()
    missing = [e.code for e in cat if e.code not in REACHED and e.code not in cat.explain_only_codes()]
    assert not missing, f"catalogue entries never reached from a sandbox answer: {missing}"


@pytest.mark.parametrize("code", load_catalogue().explain_only_codes())
def test_explain_only_entries_served_by_explain(code: str) -> None:
    import json

    out = run_cli("explain", code, "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["code"] == code
