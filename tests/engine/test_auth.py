"""AmazonAuth against the sandbox: header forms, refresh-once on a rejected token, no double refresh."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest

from amzauth.engine import AmazonAuth, MemoryTokenStore, TokenManager, token_rejected
from tests.engine._profiles import CREATORS_21, CREATORS_31, SPAPI_NA, plan
from tests.engine.helpers import assert_token_requests

SEARCH = {"keywords": "kettle", "partnerTag": "demo-20", "itemCount": 1}
MARKET = {"x-marketplace": "www.amazon.com"}


def _manager(sb: Any, base: dict[str, Any] = CREATORS_31) -> TokenManager:
    return TokenManager(
        plan(base, sb.url),
        base["client_secret"],
        refresh_token=base.get("refresh_token"),
        store=MemoryTokenStore(),
    )


def _api(sb: Any, base: dict[str, Any] = CREATORS_31) -> str:
    return plan(base, sb.url).api_base_url + "/catalog/v1/searchItems"


@pytest.mark.parametrize(
    ("base", "expected"), [(CREATORS_31, "Bearer {t}"), (CREATORS_21, "Bearer {t}, Version 2.1")]
)
def test_creators_header_forms(fresh_sandbox: Any, base: dict[str, Any], expected: str) -> None:
    m = _manager(fresh_sandbox, base)
    with httpx.Client(auth=AmazonAuth(m)) as client:
        r = client.post(_api(fresh_sandbox, base), json=SEARCH, headers=MARKET)
    assert r.status_code == 200, r.text
    tok = m.get_token().access_token
    assert r.request.headers["Authorization"] == expected.format(t=tok)


def test_spapi_header(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox, SPAPI_NA)
    request = httpx.Request(
        "GET", plan(SPAPI_NA, fresh_sandbox.url).api_base_url + "/sellers/v1/marketplaceParticipations"
    )
    flow = AmazonAuth(m).sync_auth_flow(request)
    sent = next(flow)
    assert sent.headers["x-amz-access-token"] == m.get_token().access_token
    assert "Authorization" not in sent.headers


def test_spapi_expired_token_403_is_refreshed_once(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox, SPAPI_NA)
    url = plan(SPAPI_NA, fresh_sandbox.url).api_base_url + "/sellers/v1/marketplaceParticipations"
    with httpx.Client(auth=AmazonAuth(m)) as client:
        assert client.get(url).status_code == 200
        fresh_sandbox.expire_tokens()
        r = client.get(url)
    assert r.status_code == 200, r.text
    api = fresh_sandbox.requests(host="sellingpartnerapi-na.amazon.com")
    assert [x["status"] for x in api] == [200, 403, 200]
    assert_token_requests(fresh_sandbox, 2)


def test_expired_token_is_refreshed_once_and_retried_once(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox)
    with httpx.Client(auth=AmazonAuth(m)) as client:
        assert client.post(_api(fresh_sandbox), json=SEARCH, headers=MARKET).status_code == 200
        fresh_sandbox.expire_tokens()
        r = client.post(_api(fresh_sandbox), json=SEARCH, headers=MARKET)
    assert r.status_code == 200
    assert_token_requests(fresh_sandbox, 2)
    api = [x for x in fresh_sandbox.requests(host="creatorsapi.amazon")]
    assert [x["status"] for x in api] == [200, 401, 200]
    assert api[1]["error"] == "TokenExpired"


def test_a_second_rejection_is_returned_not_looped(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox)
    # every API call answers 401 InvalidToken: one refresh, one retry, then the 401 goes back
    fresh_sandbox.add_fault(host="creatorsapi.amazon", status=401, error="InvalidToken", times=-1)
    with httpx.Client(auth=AmazonAuth(m)) as client:
        r = client.post(_api(fresh_sandbox), json=SEARCH, headers=MARKET)
    assert r.status_code == 401
    assert len(fresh_sandbox.requests(host="creatorsapi.amazon")) == 2
    assert_token_requests(fresh_sandbox, 2)


def test_no_refresh_when_another_caller_already_refreshed(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox)
    auth = AmazonAuth(m)
    request = httpx.Request("POST", _api(fresh_sandbox), json=SEARCH, headers=MARKET)
    flow = auth.sync_auth_flow(request)
    in_flight = next(flow)  # carries the first token
    old = m.get_token().access_token
    fresh_sandbox.expire_tokens()
    # meanwhile another caller saw the rejection and refreshed
    m.invalidate(old)
    new = m.get_token().access_token
    assert new != old
    with httpx.Client() as plain:
        answer = plain.send(in_flight)
    assert answer.status_code == 401
    retried = flow.send(answer)
    assert retried.headers["Authorization"] == f"Bearer {new}"
    assert_token_requests(fresh_sandbox, 2)  # the initial one and the other caller's: none by us
    with httpx.Client() as plain:
        assert plain.send(retried).status_code == 200


async def test_async_client_refreshes_once(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox, CREATORS_21)
    async with httpx.AsyncClient(auth=AmazonAuth(m)) as client:
        assert (
            await client.post(_api(fresh_sandbox, CREATORS_21), json=SEARCH, headers=MARKET)
        ).status_code == 200
        fresh_sandbox.expire_tokens()
        r = await client.post(_api(fresh_sandbox, CREATORS_21), json=SEARCH, headers=MARKET)
    assert r.status_code == 200
    assert_token_requests(fresh_sandbox, 2)


def test_threads_under_load_refresh_exactly_once_after_expiry(roomy_sandbox: Any) -> None:
    sb = roomy_sandbox
    m = _manager(sb)
    auth = AmazonAuth(m)
    statuses: list[int] = []
    expired = threading.Event()
    barrier = threading.Barrier(17)

    def worker() -> None:
        with httpx.Client(auth=auth) as client:
            for i in range(12):
                if i == 4:
                    barrier.wait()  # everyone has a token in use...
                    expired.wait()  # ...then all tokens die server-side
                statuses.append(client.post(_api(sb), json=SEARCH, headers=MARKET).status_code)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    barrier.wait()
    sb.expire_tokens()
    expired.set()
    for t in threads:
        t.join(60)
    assert statuses == [200] * (16 * 12)
    assert_token_requests(sb, 2)  # the cold start and exactly one more


@pytest.mark.parametrize(
    ("base", "status", "body", "expected"),
    [
        (CREATORS_31, 401, {"type": "UnauthorizedException", "message": "m", "reason": "TokenExpired"}, True),
        (CREATORS_31, 401, {"type": "UnauthorizedException", "message": "m", "reason": "InvalidToken"}, True),
        (
            CREATORS_31,
            401,
            {"type": "UnauthorizedException", "message": "m", "reason": "InvalidClient"},
            False,
        ),
        (CREATORS_31, 403, {"type": "AccessDeniedException", "reason": "AssociateNotEligible"}, False),
        (CREATORS_31, 429, {"type": "ThrottleException"}, False),
        (
            SPAPI_NA,
            403,
            {
                "errors": [
                    {
                        "code": "Unauthorized",
                        "message": "Access to requested resource is denied.",
                        "details": "The access token you provided is revoked, malformed or invalid.",
                    }
                ]
            },
            True,
        ),
        (
            SPAPI_NA,
            403,
            {
                "errors": [
                    {
                        "code": "Unauthorized",
                        "message": "The access token you provided is revoked, malformed or invalid.",
                    }
                ]
            },
            True,
        ),
        (
            SPAPI_NA,
            403,
            {
                "errors": [
                    {
                        "code": "Unauthorized",
                        "message": "Access to requested resource is denied.",
                        "details": "",
                    }
                ]
            },
            False,
        ),
        (
            SPAPI_NA,
            403,
            {
                "errors": [
                    {"code": "Unauthorized", "message": "Access token is missing in the request header."}
                ]
            },
            False,
        ),
        (SPAPI_NA, 401, {"errors": []}, False),
    ],
)
def test_token_rejected_reads_amazon_answers(
    base: dict[str, Any], status: int, body: dict[str, Any], expected: bool
) -> None:
    assert token_rejected(plan(base), status, json.dumps(body).encode()) is expected
