"""AmazonAuth (httpx) and AmazonRequestsAuth (requests) pass the same cases against the sandbox.

Header forms per credential family, refresh once and retry once on a rejected token, a second
rejection returned rather than looped, one refresh for many threads after an expiry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import requests

from amzauth.engine import AmazonAuth, MemoryStore, TokenManager
from amzauth.integrations import AmazonRequestsAuth
from tests.engine._profiles import CREATORS_21, CREATORS_31, SPAPI_NA, plan
from tests.engine.helpers import assert_token_requests

SEARCH = {"keywords": "kettle", "partnerTag": "demo-20", "itemCount": 1}
MARKET = {"x-marketplace": "www.amazon.com"}
PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"

# A client factory: manager -> context manager yielding send(method, url, **kw) -> (status, sent headers, names in lower case).
Send = Callable[..., tuple[int, dict[str, str]]]


@contextmanager
def _httpx(m: TokenManager) -> Iterator[Send]:
    with httpx.Client(auth=AmazonAuth(m)) as client:

        def send(method: str, url: str, **kw: Any) -> tuple[int, dict[str, str]]:
            r = client.request(method, url, **kw)
            return r.status_code, {k.lower(): v for k, v in r.request.headers.items()}

        yield send


@contextmanager
def _requests(m: TokenManager) -> Iterator[Send]:
    with requests.Session() as session:
        session.auth = AmazonRequestsAuth(m)

        def send(method: str, url: str, **kw: Any) -> tuple[int, dict[str, str]]:
            r = session.request(method, url, **kw)
            assert r.request is not None
            return r.status_code, {k.lower(): v for k, v in r.request.headers.items()}

        yield send


@pytest.fixture(params=[_httpx, _requests], ids=["httpx-AmazonAuth", "requests-AmazonRequestsAuth"])
def client_for(request: pytest.FixtureRequest) -> Any:
    return request.param


def _manager(sb: Any, base: dict[str, Any] = CREATORS_31) -> TokenManager:
    return TokenManager(
        plan(base, sb.url),
        base["client_secret"],
        refresh_token=base.get("refresh_token"),
        store=MemoryStore(),
    )


def _search(sb: Any, base: dict[str, Any] = CREATORS_31) -> str:
    return plan(base, sb.url).api_base_url + "/catalog/v1/searchItems"


@pytest.mark.parametrize(
    ("base", "expected"), [(CREATORS_31, "Bearer {t}"), (CREATORS_21, "Bearer {t}, Version 2.1")]
)
def test_creators_header_forms(
    fresh_sandbox: Any, client_for: Any, base: dict[str, Any], expected: str
) -> None:
    m = _manager(fresh_sandbox, base)
    with client_for(m) as send:
        status, sent = send("POST", _search(fresh_sandbox, base), json=SEARCH, headers=MARKET)
    assert status == 200
    assert sent["authorization"] == expected.format(t=m.get_token().access_token)


def test_spapi_header(fresh_sandbox: Any, client_for: Any) -> None:
    m = _manager(fresh_sandbox, SPAPI_NA)
    with client_for(m) as send:
        status, sent = send("GET", plan(SPAPI_NA, fresh_sandbox.url).api_base_url + PARTICIPATIONS)
    assert status == 200
    assert sent["x-amz-access-token"] == m.get_token().access_token
    assert "authorization" not in sent


def test_spapi_expired_token_403_is_refreshed_once(fresh_sandbox: Any, client_for: Any) -> None:
    m = _manager(fresh_sandbox, SPAPI_NA)
    url = plan(SPAPI_NA, fresh_sandbox.url).api_base_url + PARTICIPATIONS
    with client_for(m) as send:
        assert send("GET", url)[0] == 200
        fresh_sandbox.expire_tokens()
        assert send("GET", url)[0] == 200
    api = fresh_sandbox.requests(host="sellingpartnerapi-na.amazon.com")
    assert [x["status"] for x in api] == [200, 403, 200]
    assert_token_requests(fresh_sandbox, 2)


def test_expired_token_is_refreshed_once_and_retried_once(fresh_sandbox: Any, client_for: Any) -> None:
    m = _manager(fresh_sandbox)
    with client_for(m) as send:
        assert send("POST", _search(fresh_sandbox), json=SEARCH, headers=MARKET)[0] == 200
        fresh_sandbox.expire_tokens()
        status, sent = send("POST", _search(fresh_sandbox), json=SEARCH, headers=MARKET)
    assert status == 200
    assert sent["authorization"] == f"Bearer {m.get_token().access_token}"
    assert_token_requests(fresh_sandbox, 2)
    api = fresh_sandbox.requests(host="creatorsapi.amazon")
    assert [x["status"] for x in api] == [200, 401, 200]
    assert api[1]["error"] == "TokenExpired"


def test_a_second_rejection_is_returned_not_looped(fresh_sandbox: Any, client_for: Any) -> None:
    m = _manager(fresh_sandbox)
    fresh_sandbox.add_fault(host="creatorsapi.amazon", status=401, error="InvalidToken", times=-1)
    with client_for(m) as send:
        assert send("POST", _search(fresh_sandbox), json=SEARCH, headers=MARKET)[0] == 401
    assert len(fresh_sandbox.requests(host="creatorsapi.amazon")) == 2
    assert_token_requests(fresh_sandbox, 2)


def test_other_refusals_are_not_retried(fresh_sandbox: Any, client_for: Any) -> None:
    m = _manager(fresh_sandbox)
    body = {**SEARCH, "partnerTag": "nobody-20"}
    with client_for(m) as send:
        assert send("POST", _search(fresh_sandbox), json=body, headers=MARKET)[0] in (400, 403, 404)
    assert len(fresh_sandbox.requests(host="creatorsapi.amazon")) == 1
    assert_token_requests(fresh_sandbox, 1)


def test_threads_under_load_refresh_exactly_once_after_expiry(fresh_sandbox: Any, client_for: Any) -> None:
    sb = fresh_sandbox
    world = sb.world()
    world.setdefault("limits", {}).update(creators_rate=100000.0, creators_burst=100000)
    sb.set_world(world)
    m = _manager(sb)
    statuses: list[int] = []
    expired = threading.Event()
    barrier = threading.Barrier(9)

    def worker() -> None:
        with client_for(m) as send:
            for i in range(8):
                if i == 3:
                    barrier.wait(30)  # everyone has a token in use...
                    expired.wait(30)  # ...then all tokens die server-side
                statuses.append(send("POST", _search(sb), json=SEARCH, headers=MARKET)[0])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    barrier.wait(30)
    sb.expire_tokens()
    expired.set()
    for t in threads:
        t.join(60)
    assert statuses == [200] * (8 * 8)
    assert_token_requests(sb, 2)  # the cold start and exactly one more
