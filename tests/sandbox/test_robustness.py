"""Bad input gets proper 4xx answers, never a 500 traceback (except LwA's documented query-string 500)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox._wire import COGNITO, CREATORS, LWA_NA, SP, assert_common_headers, creators_token, cred

ONE_MIB = 1024 * 1024
ENDPOINTS = [
    ("POST", LWA_NA),
    ("POST", COGNITO["2.1"]),
    ("POST", f"{CREATORS}/searchItems"),
    ("POST", f"{CREATORS}/getItems"),
    ("POST", f"{SP['na']}/reports/2021-06-30/reports"),
    ("POST", f"{SP['eu']}/applications/2023-11-30/clientSecret"),
    ("GET", f"{SP['na']}/sellers/v1/marketplaceParticipations"),
    ("POST", "/sellercentral.amazon.com/apps/authorize/consent"),
    ("GET", "/sellercentral.amazon.com/apps/authorize/consent"),
    ("POST", "/_sandbox/world"),
    ("POST", "/_sandbox/faults"),
    ("POST", "/_sandbox/clock"),
]


def _no_bug(sb: Any) -> None:
    assert not [e for e in sb.requests() if e["error"] == "SandboxBug"]
    assert sb.health()["ok"] is True


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_body_over_one_mib_is_413(sb: Any, client: httpx.Client, method: str, path: str) -> None:
    r = client.request(
        method, path, content=b"x" * (ONE_MIB + 1), headers={"content-type": "application/json"}
    )
    assert_common_headers(r)
    assert r.status_code == 413
    _no_bug(sb)


def test_chunked_body_over_one_mib_is_413(sb: Any, client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 65536

    r = client.post(LWA_NA, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    _no_bug(sb)


def test_exactly_one_mib_is_read(client: httpx.Client) -> None:
    r = client.post(LWA_NA, content=b" " * ONE_MIB, headers={"content-type": "application/json"})
    assert r.status_code == 400


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "body", [b'{"a": ', b"\xff\xfe\x00garbage", b"grant_type=%FF%FE", b"[" * 100_000, b"null"]
)
@pytest.mark.parametrize(
    "ctype", ["application/json", "application/x-www-form-urlencoded", "text/plain", None]
)
def test_bad_bodies_get_4xx(raw_client: httpx.Client, method: str, path: str, body: bytes,
                            ctype: str | None) -> None:  # fmt: skip
    headers = {"content-type": ctype} if ctype else {}
    r = raw_client.request(method, path, content=body, headers=headers)
    assert_common_headers(r)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])


def test_non_utf8_answers_are_specific(client: httpx.Client) -> None:
    r = client.post(
        LWA_NA, content=b"grant_type=\xff", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = client.post(COGNITO["2.1"], content=b"grant_type=\xff",
                    headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert r.status_code == 400 and r.json() == {"error": "invalid_request"}
    token = creators_token(client, cred("3.1"))
    r = client.post(f"{CREATORS}/searchItems", content=b'{"keywords": "\xff"}',
                    headers={"content-type": "application/json", "authorization": f"Bearer {token}",
                             "x-marketplace": "www.amazon.com"})  # fmt: skip
    assert r.status_code == 400 and r.json()["reason"] == "CannotParse"
    r = client.post("/_sandbox/world", content=b"\xff")
    assert r.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nosuch.example.com/x",
        "/api.amazon.com/",
        "/api.amazon.com/auth/o2/other",
        "/creatorsapi.amazon/",
        "/creatorsapi.amazon/catalog/v2/searchItems",
        "/creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/authorize",
        "/sellercentral.amazon.com/",
        "/sellingpartnerapi-na.amazon.com/orders/v0/orders",
        "/_sandbox/",
    ],
)
def test_unknown_paths_are_404(raw_client: httpx.Client, path: str) -> None:
    r = raw_client.get(path)
    assert_common_headers(r)
    assert r.status_code == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
@pytest.mark.parametrize("path", [p for _, p in ENDPOINTS])
def test_other_methods_never_500(raw_client: httpx.Client, method: str, path: str) -> None:
    r = raw_client.request(method, path)
    assert r.status_code < 500


def test_lwa_query_string_500_is_the_only_500(client: httpx.Client) -> None:
    assert client.post(LWA_NA, params={"grant_type": "client_credentials"}).status_code == 500
    assert client.post(LWA_NA, params={"grant_type": "x"}, json={"grant_type": "x"}).status_code == 400


_paths = st.sampled_from(
    [p for _, p in ENDPOINTS] + ["/api.amazon.co.jp/auth/o2/token", "/_sandbox/requests"]
)
_ctypes = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/html", "", "multipart/x"]
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_paths, ctype=_ctypes, body=st.one_of(st.binary(max_size=300), _json_values.map(lambda v: __import__(
    "json").dumps(v).encode())), method=st.sampled_from(["GET", "POST", "DELETE"]),
       auth=st.sampled_from(["", "Bearer x", "Bearer x, Version 2.1", "AWS4-HMAC-SHA256 Credential=a/b"]))  # fmt: skip
def test_fuzz_never_500(raw_client: httpx.Client, path: str, ctype: str, body: bytes, method: str,
                        auth: str) -> None:  # fmt: skip
    headers = {"content-type": ctype, "x-marketplace": "www.amazon.com", "x-amz-access-token": "Atza|x"}
    if auth:
        headers["authorization"] = auth
    r = raw_client.request(method, path, content=body, headers=headers)
    assert r.status_code < 500 or (path.endswith("/auth/o2/token") and not body and r.status_code == 500), (
        r.text
    )
    assert "Traceback" not in r.text


def test_sandbox_still_serves_after_abuse(sb: Any, client: httpx.Client) -> None:
    for _ in range(3):
        client.post(LWA_NA, content=b"\x00" * 5000, headers={"content-type": "application/json"})
    assert client.post(LWA_NA, json={"grant_type": "client_credentials", "client_id": cred("3.1").client_id,
                                     "client_secret": cred("3.1").client_secret,
                                     "scope": "creatorsapi::default"}).status_code == 200  # fmt: skip
    _no_bug(sb)


@pytest.mark.parametrize("offset", [1e300, -1e300, 4e9])
def test_absurd_clock_offsets_are_refused(client: httpx.Client, offset: float) -> None:
    r = client.post("/_sandbox/clock", json={"offset_seconds": offset})
    assert r.status_code == 400 and r.json()["key"] == "offset_seconds"
