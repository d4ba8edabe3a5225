"""SPAPIClient / AsyncSPAPIClient against the sandbox: helpers, typed errors, quota backoff, grantless, SigV4."""

from __future__ import annotations

import logging
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from amzauth.engine import MemoryTokenStore
from amzauth.spapi import (
    NOTIFICATIONS_SCOPE,
    AsyncSPAPIClient,
    InvalidInput,
    InvalidSignature,
    NotFound,
    QuotaExceeded,
    SPAPIClient,
    SPAPIError,
    Unauthorized,
)
from amzauth.spapi.client import grantless_plan, secret_expiry
from amzauth.spapi.sigv4 import SigV4Signer
from amzauth.spapi.wire import RetrySettings, build_api_request, parse_api_response, query_value, retry_delay
from tests.spapi._support import EU_REFRESH, NA_REFRESH, make_profile
from tests.support import register_secret

CB = "https://example.com/amazon/callback"


def _client(sandbox: Any, **kw: Any) -> SPAPIClient:
    changes = {"refresh_token": NA_REFRESH, **kw.pop("profile", {})}
    kw.setdefault("store", MemoryTokenStore())  # a private token cache per client: tests stay independent
    return SPAPIClient(make_profile(sandbox.url, CB, **changes), **kw)


def _roomy(sandbox: Any) -> None:
    w = sandbox.world()
    w["limits"].update(spapi_rate=1000.0, spapi_burst=1000)
    sandbox.set_world(w)


# ---- sans-IO ----------------------------------------------------------------------------------------


def test_request_building_uses_the_regional_host_and_sp_api_query_forms() -> None:
    from amzauth.core.plan import build_plan

    plan = build_plan(make_profile(None, CB, refresh_token=NA_REFRESH, region="eu", marketplace="DE"))
    req = build_api_request(
        plan,
        "get",
        "catalog/2022-04-01/items",
        params={"marketplaceIds": ["A1PA6795UKMFR9", "A1F83G8C2ARO7P"], "flag": True, "none": None},
        now=0,
    )
    assert req.method == "GET"
    assert req.url == (
        "https://sellingpartnerapi-eu.amazon.com/catalog/2022-04-01/items"
        "?marketplaceIds=A1PA6795UKMFR9%2CA1F83G8C2ARO7P&flag=true"
    )
    assert req.headers["x-amz-date"] == "19700101T000000Z"
    assert query_value(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"


def test_error_parsing_keeps_code_details_request_id_and_rate() -> None:
    body = b'{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}'
    with pytest.raises(QuotaExceeded) as ei:
        parse_api_response(
            429, {"x-amzn-RequestId": "rid-1", "x-amzn-RateLimit-Limit": "0.5"}, body, method="GET", path="/p"
        )
    e = ei.value
    assert (e.code, e.status, e.request_id, e.rate_limit, e.retryable) == (
        "QuotaExceeded",
        429,
        "rid-1",
        0.5,
        True,
    )
    assert parse_api_response(204, {}, b"") == {}
    with pytest.raises(SPAPIError) as e2:
        parse_api_response(502, {}, b"<html>bad gateway</html>")
    assert e2.value.status == 502 and e2.value.retryable


@pytest.mark.parametrize(
    ("operation", "restricted"),
    [
        ("GET /orders/v0/orders", True),
        ("GET /orders/v0/orders/902-3159896-1390916/address", True),
        ("GET /orders/v0/orders/902-3159896-1390916/orderItems/buyerInfo?x=1", True),
        ("GET /mfn/v0/shipments/abc/label", True),
        ("GET /catalog/2022-04-01/items", False),
        ("GET /sellers/v1/marketplaceParticipations", False),
        ("POST /orders/v0/orders", False),
    ],
)
def test_bare_403_on_a_restricted_operation_asks_for_an_rdt_not_a_role(operation: str, restricted: bool) -> None:
    """A plain token works on role-free calls, so the role probe must not blame a role for a missing RDT."""
    from amzauth.core.diagnose import is_restricted_operation
    from amzauth.spapi.client import diagnose_api_error

    assert is_restricted_operation(operation) is restricted
    method, path = operation.split(" ", 1)
    body = b'{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}'
    with pytest.raises(Unauthorized) as ei:
        parse_api_response(403, {"x-amzn-RequestId": "rid-2"}, body, method=method, path=path.split("?")[0])
    plan = make_profile(None, CB, refresh_token=NA_REFRESH)
    from amzauth.core.plan import build_plan

    d = diagnose_api_error(ei.value, build_plan(plan), baseline_ok=True)
    assert d is not None
    want = "restricted-operation-without-rdt" if restricted else "spapi-missing-role"
    assert d["cause"] == want and d["code"] == "Unauthorized"


def test_retry_delay_paces_quota_by_the_advertised_rate_and_respects_the_budget() -> None:
    s = RetrySettings(attempts=5, budget=3.0, cap=10.0)
    q = QuotaExceeded("slow down", status=429, rate_limit=2.0)
    assert retry_delay(q, method="POST", attempt=1, spent=0, settings=s, rand=1.0) == pytest.approx(0.5)
    assert retry_delay(q, method="POST", attempt=2, spent=0, settings=s, rand=1.0) == pytest.approx(1.0)
    assert retry_delay(q, method="POST", attempt=3, spent=2.5, settings=s, rand=1.0) is None  # over budget
    assert retry_delay(q, method="POST", attempt=5, spent=0, settings=s, rand=1.0) is None  # out of attempts
    server = SPAPIError("boom", status=503)
    assert retry_delay(server, method="GET", attempt=1, spent=0, settings=s, rand=0.0) is not None
    assert retry_delay(server, method="POST", attempt=1, spent=0, settings=s, rand=0.0) is None  # never twice
    denied = Unauthorized("no", status=403)
    assert retry_delay(denied, method="GET", attempt=1, spent=0, settings=s, rand=0.0) is None


def test_pacer_spaces_calls_after_a_quota_answer_and_forgets_later() -> None:
    from amzauth.spapi.wire import Pacer

    p = Pacer(window=60.0)
    assert p.reserve("GET /a", 100.0) == 0.0  # not paced before any 429
    p.on_quota("GET /a", 2.0, 100.0)
    assert p.reserve("GET /a", 100.0) == pytest.approx(0.5)
    assert p.reserve("GET /a", 100.0) == pytest.approx(1.0)  # the next slot is taken
    assert p.reserve("GET /b", 100.0) == 0.0  # per operation
    assert p.reserve("GET /a", 200.0) == 0.0  # the window passed
    p.on_quota("GET /a", None, 300.0, default_rate=4.0)
    assert p.reserve("GET /a", 300.0) == pytest.approx(0.25)


def test_grantless_plan_has_its_own_cache_key() -> None:
    prof = make_profile(None, CB, refresh_token=NA_REFRESH)
    a = grantless_plan(prof, NOTIFICATIONS_SCOPE)
    b = grantless_plan(prof, "sellingpartnerapi::client_credential:rotation")
    assert a.grant_type == b.grant_type == "client_credentials"
    assert a.cache_key("s") != b.cache_key("s")
    with pytest.raises(ValueError):
        grantless_plan(prof, "sellingpartnerapi::nope")


# ---- against the sandbox --------------------------------------------------------------------------


def test_typed_helpers(fresh_sandbox: Any) -> None:
    with _client(fresh_sandbox) as sp:
        parts = sp.marketplace_participations()
        assert {p["marketplace"]["id"] for p in parts} == {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}
        found = sp.search_catalog("headphones", included_data=["summaries"])
        assert found["numberOfResults"] >= 1 and found["items"][0]["asin"]
        by_id = sp.search_catalog(identifiers=["B0SBXUS001"])
        assert [i["asin"] for i in by_id["items"]] == ["B0SBXUS001"]
        assert sp.get_catalog_item("B0SBXUS001")["asin"] == "B0SBXUS001"
        report_id = sp.create_report("GET_MERCHANT_LISTINGS_ALL_DATA")
        assert report_id.isdigit()
    tokens = [r for r in fresh_sandbox.requests() if r["path"] == "/auth/o2/token"]
    assert len(tokens) == 1  # one token for every call of the client


def test_bad_input_is_refused_before_any_request(fresh_sandbox: Any) -> None:
    with _client(fresh_sandbox, profile={"marketplace": None}) as sp:
        fresh_sandbox.clear_requests()
        with pytest.raises(InvalidInput):
            sp.search_catalog("x")  # no marketplace anywhere
        with pytest.raises(InvalidInput):
            sp.search_catalog("x", identifiers=["B0SBXUS001"], marketplace_ids="ATVPDKIKX0DER")
        with pytest.raises(InvalidInput):
            sp.create_report("MERCHANT_LISTINGS", "ATVPDKIKX0DER")
        assert fresh_sandbox.requests() == []


def test_amazon_errors_are_typed_and_diagnosed(fresh_sandbox: Any) -> None:
    with _client(fresh_sandbox) as sp:
        with pytest.raises(NotFound) as nf:
            sp.get_catalog_item("B0NOTHERE0")
        assert nf.value.status == 404 and nf.value.request_id
        with pytest.raises(InvalidInput) as bad:
            sp.search_catalog("x", marketplace_ids=["A1PA6795UKMFR9"])  # an EU marketplace on the NA host
        assert bad.value.status == 400 and "marketplace" in bad.value.message
    eu_token_on_na = _client(fresh_sandbox, profile={"refresh_token": EU_REFRESH})
    with eu_token_on_na as sp, pytest.raises(Unauthorized) as ua:
        sp.marketplace_participations()
    err = ua.value
    assert err.message == "Access to requested resource is denied."
    assert err.diagnosis is not None and err.diagnosis["code"] == "Unauthorized"
    assert err.attempts == 1  # a refusal is not retried


INVENTORY_APP = {
    "client_id": "amzn1.application-oa2-client.5a4db0xsp02published00000000002",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0xsp02publishedsecretnotreal000000000000002",
    "application_id": "amzn1.sp.solution.5a4db0x0-demo-4d2a-8f00-000000000002",
    "draft": False,
}
EU_INVENTORY_REFRESH = "Atzr|IwEBsandbox-demo-eu-inventory-00000000000000000000000000004"
UNHEALTHY_REFRESH = "Atzr|IwEBsandbox-demo-na-unhealthy-00000000000000000000000000006"
register_secret(INVENTORY_APP["client_secret"], EU_INVENTORY_REFRESH, UNHEALTHY_REFRESH)


def test_bare_403_on_an_operation_is_told_apart_by_a_role_free_probe(fresh_sandbox: Any) -> None:
    """Amazon's empty-details 403: participations working with the same token means a missing role."""
    lacks_role = _client(fresh_sandbox, profile={**INVENTORY_APP, "region": "eu", "marketplace": "A1PA6795UKMFR9",
                                                    "refresh_token": EU_INVENTORY_REFRESH})
    with lacks_role as sp, pytest.raises(Unauthorized) as ei:
        sp.search_catalog("kettle", marketplace_ids=["A1PA6795UKMFR9"])
    assert ei.value.details in (None, "") and ei.value.message == "Access to requested resource is denied."
    d = ei.value.diagnosis
    assert d is not None and (d["cause"], d["field"]) == ("spapi-missing-role", "account")
    assert "GET /catalog/2022-04-01/items" in d["summary"]
    calls = [(r["path"], r["status"]) for r in fresh_sandbox.requests(host="sellingpartnerapi-eu.amazon.com")]
    assert calls == [("/catalog/2022-04-01/items", 403), ("/sellers/v1/marketplaceParticipations", 200)]
    # an account refused everywhere: the probe fails too, so the role is not blamed
    fresh_sandbox.clear_requests()
    with _client(fresh_sandbox, profile={"refresh_token": UNHEALTHY_REFRESH}) as sp, pytest.raises(Unauthorized) as ei:
        sp.search_catalog("kettle")
    d = ei.value.diagnosis
    assert d is not None and d["cause"] != "spapi-missing-role" and d["field"] in ("account", "draft")
    probe = fresh_sandbox.requests(path="/sellers/v1/marketplaceParticipations", host="sellingpartnerapi-na.amazon.com")
    assert [r["status"] for r in probe] == [403]
    # then the other regions' hosts, as authorizations are regional (neither takes this token)
    others = [r["host"] for r in fresh_sandbox.requests(path="/sellers/v1/marketplaceParticipations")][1:]
    assert sorted(others) == ["sellingpartnerapi-eu.amazon.com", "sellingpartnerapi-fe.amazon.com"]
    # the role-free call itself is never probed again
    fresh_sandbox.clear_requests()
    with _client(fresh_sandbox, profile={"refresh_token": UNHEALTHY_REFRESH}) as sp, pytest.raises(Unauthorized):
        sp.marketplace_participations()
    assert len(fresh_sandbox.requests(host="sellingpartnerapi-na.amazon.com")) == 1


async def test_async_client_probes_the_same_way(fresh_sandbox: Any) -> None:
    prof = make_profile(fresh_sandbox.url, CB, **INVENTORY_APP, region="eu", marketplace="A1PA6795UKMFR9",
                        refresh_token=EU_INVENTORY_REFRESH)  # fmt: skip
    async with AsyncSPAPIClient(prof, store=MemoryTokenStore()) as sp:
        with pytest.raises(Unauthorized) as ei:
            await sp.search_catalog("kettle")
    assert ei.value.diagnosis is not None and ei.value.diagnosis["cause"] == "spapi-missing-role"
    assert [r["status"] for r in fresh_sandbox.requests(host="sellingpartnerapi-eu.amazon.com")] == [403, 200]


def test_revoked_authorization_surfaces_the_refresh_refusal(fresh_sandbox: Any) -> None:
    from amzauth.errors import TokenError

    with _client(fresh_sandbox) as sp:
        sp.marketplace_participations()
        fresh_sandbox.revoke(refresh_token=NA_REFRESH)
        with pytest.raises(TokenError) as ei:
            sp.marketplace_participations()
    # the call was refused as revoked, the engine refreshed once, and LwA refused the refresh token
    assert ei.value.error == "invalid_grant" and "revoked" in (ei.value.error_description or "")
    api = fresh_sandbox.requests(path="/sellers/v1/marketplaceParticipations")
    assert [r["status"] for r in api] == [200, 403]


def test_quota_exceeded_is_retried_within_the_budget(fresh_sandbox: Any) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # really waits: the sandbox's bucket refills in real time
        waits.append(seconds)
        time.sleep(seconds)

    with _client(fresh_sandbox, sleep=sleep, retry=RetrySettings(attempts=8, budget=30)) as sp:
        for _ in range(8):  # burst 5 at 2 req/s: the later calls hit QuotaExceeded first
            sp.marketplace_participations()
    statuses = [r["status"] for r in fresh_sandbox.requests(path="/sellers/v1/marketplaceParticipations")]
    assert statuses.count(200) == 8
    # the first 429 teaches the client the rate (x-amzn-RateLimit-Limit: 2/s); later calls are paced
    assert 1 <= statuses.count(429) <= 2, statuses
    assert waits and all(0 < w <= 10 for w in waits)
    assert sum(waits) >= 1.0  # 3 calls past the burst of 5 at 2/s need about 1.5 s


def test_quota_budget_exhausted_raises_quota_exceeded(fresh_sandbox: Any) -> None:
    client = _client(fresh_sandbox, sleep=lambda s: None, retry=RetrySettings(attempts=2, budget=0.0))
    with client as sp, pytest.raises(QuotaExceeded) as ei:
        for _ in range(10):
            sp.marketplace_participations()
    assert ei.value.rate_limit == 2.0 and ei.value.status == 429


def test_grantless_client_and_scope_cache(fresh_sandbox: Any) -> None:
    prof = make_profile(fresh_sandbox.url, CB)
    with SPAPIClient.grantless(prof, NOTIFICATIONS_SCOPE, store=MemoryTokenStore()) as sp:
        assert sp.request("GET", "/notifications/v1/destinations") == {"payload": []}
        assert sp.request("GET", "/notifications/v1/destinations") == {"payload": []}
        with pytest.raises(InvalidInput):
            sp.rotate_client_secret()  # needs the rotation scope
    rows = [r for r in fresh_sandbox.requests() if r["path"] == "/auth/o2/token"]
    assert [r["grant_type"] for r in rows] == ["client_credentials"]


async def test_async_client(fresh_sandbox: Any) -> None:
    _roomy(fresh_sandbox)
    prof = make_profile(fresh_sandbox.url, CB, refresh_token=NA_REFRESH)
    async with AsyncSPAPIClient(prof, store=MemoryTokenStore()) as sp:
        import asyncio

        results = await asyncio.gather(*(sp.marketplace_participations() for _ in range(10)))
        assert all(len(r) == 2 for r in results)
        assert (await sp.search_catalog(identifiers="B0SBXUS001"))["items"][0]["asin"] == "B0SBXUS001"
        with pytest.raises(NotFound):
            await sp.get_catalog_item("B0NOTHERE0")
    rows = [r for r in fresh_sandbox.requests() if r["path"] == "/auth/o2/token"]
    assert len(rows) == 1


def test_sigv4_signing_is_deprecated_and_checked(fresh_sandbox: Any) -> None:
    pytest.importorskip("botocore")
    with pytest.warns(DeprecationWarning):
        good = SigV4Signer("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        wrong = SigV4Signer("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eu-west-1")
    assert "wJalr" not in repr(good)
    with _client(fresh_sandbox, sigv4=good) as sp:
        assert len(sp.marketplace_participations()) == 2
    with _client(fresh_sandbox, sigv4=wrong) as sp, pytest.raises(InvalidSignature) as ei:
        sp.marketplace_participations()
    assert "not 'eu-west-1'" in ei.value.message
    fresh_sandbox.set_clock(400)  # our signature is now more than 5 minutes old for the sandbox
    with _client(fresh_sandbox, sigv4=good) as sp, pytest.raises(InvalidSignature) as ei2:
        sp.marketplace_participations()
    assert "Signature expired" in ei2.value.message
    assert ei2.value.diagnosis is not None and ei2.value.diagnosis["cause"] == "sigv4-clock-skew"


def test_secret_expiry_warnings(fresh_sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    soon = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    far = (datetime.now(UTC) + timedelta(days=120)).date().isoformat()
    assert secret_expiry(make_profile(None, CB, secret_expires=far)) is None
    level, message = secret_expiry(make_profile(None, CB, secret_expires=soon)) or ("", "")
    assert level == "expiring" and soon in message and "rotate-secret" in message
    assert (secret_expiry(make_profile(None, CB, secret_expires=past)) or ("",))[0] == "expired"
    with caplog.at_level(logging.WARNING, logger="amzauth.spapi"):
        _client(fresh_sandbox, profile={"secret_expires": soon}).close()
    assert any("expires in" in r.getMessage() for r in caplog.records)
