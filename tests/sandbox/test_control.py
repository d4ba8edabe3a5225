"""The control API: health, request log (no secrets), faults, clock, world, tokens, notifications, reset."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from amzauth.sandbox import SandboxError, WorldError
from tests.sandbox._wire import (
    COGNITO,
    CREATORS,
    LWA_NA,
    app,
    assert_common_headers,
    creators_body,
    creators_token,
    cred,
    fresh_world,
    refresh_token,
    spapi_token,
    world,
)
from tests.support import assert_no_secrets


def test_health(client: httpx.Client) -> None:
    r = client.get("/_sandbox/health")
    assert_common_headers(r)
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.json()["world"]["catalog"] == len(world().catalog)


def test_unknown_control_path_and_method(client: httpx.Client) -> None:
    assert client.get("/_sandbox/nothing").status_code == 404
    r = client.put("/_sandbox/reset")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_request_log_fields_and_filters(sb: Any, client: httpx.Client) -> None:
    c = cred("3.1")
    client.post(LWA_NA, json=creators_body(c))
    client.post(LWA_NA, json=creators_body(c, client_secret="amzn1.oa2-cs.v1.wrong-secret-value"))
    client.post(COGNITO["2.1"], data=creators_body(cred("2.1")))
    log = sb.requests()
    assert [e["status"] for e in log] == [200, 401, 200]
    first, second = log[0], log[1]
    for key in ("time", "method", "host", "path", "status", "error", "grant_type", "client_id", "request_id"):
        assert key in first
    assert (
        first["host"] == "api.amazon.com" and first["path"] == "/auth/o2/token" and first["method"] == "POST"
    )
    assert first["grant_type"] == "client_credentials" and first["client_id"] == c.client_id
    assert first["error"] is None and first["scope"] == "creatorsapi::default"
    assert second["error"] == "invalid_client"
    assert [e["status"] for e in sb.requests(host="api.amazon.com")] == [200, 401]
    assert len(sb.requests(path="/oauth2/token")) == 1
    assert [
        e["status"] for e in client.get("/_sandbox/requests", params={"error": "invalid_client"}).json()
    ] == [401]
    sb.clear_requests()
    assert sb.requests() == []


def test_request_log_never_holds_secrets_or_tokens(sb: Any, client: httpx.Client) -> None:
    c = cred("3.1")
    token = creators_token(client, c)
    client.post(f"{CREATORS}/searchItems", json={"keywords": "a", "partnerTag": "demo-20"},
                headers={"Authorization": f"Bearer {token}", "x-marketplace": "www.amazon.com"})  # fmt: skip
    client.post(
        LWA_NA, params={"client_secret": c.client_secret, "client_id": c.client_id}
    )  # query-string 500
    sp = spapi_token(client, "na")
    a = app("draft")
    secrets = [c.client_secret, token, sp, a.client_secret, refresh_token("na")]
    text = json.dumps(sb.requests())
    assert_no_secrets(text, secrets)
    assert any(e["status"] == 500 for e in sb.requests())


def test_fault_status_times_and_listing(sb: Any, client: httpx.Client) -> None:
    fid = sb.add_fault(host="api.amazon.com", path="/auth/o2/token", status=500, times=2)
    assert [f["id"] for f in sb.faults()] == [fid]
    statuses = [client.post(LWA_NA, json=creators_body(cred("3.1"))).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert [e["fault"] for e in sb.requests()] == [fid, fid, None]


def test_fault_forever_and_clear(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="api.amazon.com", status=503, times=-1)
    assert all(client.post(LWA_NA, json={}).status_code == 503 for _ in range(3))
    sb.clear_faults()
    assert client.post(LWA_NA, json=creators_body(cred("3.1"))).status_code == 200


def test_fault_delete_one(sb: Any, client: httpx.Client) -> None:
    fid = sb.add_fault(host="api.amazon.com", status=503, times=-1)
    assert client.delete(f"/_sandbox/faults/{fid}").json() == {"cleared": 1}
    assert client.delete(f"/_sandbox/faults/{fid}").status_code == 404


def test_fault_delay_then_normal_answer(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="api.amazon.com", delay_ms=300)
    t0 = time.monotonic()
    r = client.post(LWA_NA, json=creators_body(cred("3.1")))
    assert time.monotonic() - t0 >= 0.3  # a lower bound the server guarantees, not a speed claim
    assert r.status_code == 200


def test_fault_drop_closes_without_answer(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="api.amazon.com", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(LWA_NA, json=creators_body(cred("3.1")))
    assert client.post(LWA_NA, json=creators_body(cred("3.1"))).status_code == 200
    assert sb.requests()[0]["dropped"] is True


def test_fault_raw_body(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="api.amazon.com", status=502, body="<html><body>Bad Gateway</body></html>",
                 content_type="text/html")  # fmt: skip
    r = client.post(LWA_NA, json={})
    assert r.status_code == 502 and r.headers["content-type"] == "text/html" and "Bad Gateway" in r.text
    sb.add_fault(host="api.amazon.com", status=200, body='{"access_token": ')
    r = client.post(LWA_NA, json={})
    assert r.status_code == 200 and r.text == '{"access_token": '


def test_fault_on_spapi_host_has_spapi_shape(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="sellingpartnerapi-na.amazon.com", status=429, retry_after=1)
    r = client.get("/sellingpartnerapi-na.amazon.com/sellers/v1/marketplaceParticipations")
    assert r.status_code == 429
    assert r.json()["errors"][0]["code"] == "QuotaExceeded" and r.headers["retry-after"] == "1"


def test_fault_path_prefix_and_method(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/*", method="POST", status=500, times=-1)
    assert client.post(f"{CREATORS}/getItems", json={}).status_code == 500
    assert client.get(f"{CREATORS}/getItems").status_code != 500


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"status": 500, "colour": "red"}, "colour"),
        ({"status": 99}, "status"),
        ({"times": 0, "status": 500}, "times"),
        ({}, "status"),
        ({"status": "x"}, "status"),
    ],
)
def test_bad_fault_is_400_naming_the_key(sb: Any, fault: dict[str, Any], key: str) -> None:
    with pytest.raises(SandboxError) as exc:
        sb.add_fault(**fault)
    assert exc.value.status == 400 and exc.value.key == key


def test_clock_shifts_date_header(sb: Any, client: httpx.Client) -> None:
    real = parsedate_to_datetime(client.get("/_sandbox/health").headers["date"])
    sb.set_clock(86400 * 3)
    shifted = parsedate_to_datetime(client.post(LWA_NA, json={}).headers["date"])
    assert 3 * 86400 - 5 < (shifted - real).total_seconds() < 3 * 86400 + 5
    assert client.get("/_sandbox/clock").json()["offset_seconds"] == 86400 * 3


def test_world_replace_with_toml_and_json(sb: Any, client: httpx.Client) -> None:
    toml = '[limits]\ntoken_lifetime = 60\n[[creators_credentials]]\nclient_id = "c1"\nclient_secret = "s1"\nversion = "2.1"\n'
    r = client.post("/_sandbox/world", content=toml)
    assert r.status_code == 200 and r.json()["world"]["creators_credentials"] == 1
    body = {"grant_type": "client_credentials", "client_id": "c1", "client_secret": "s1"}
    assert client.post(COGNITO["2.1"], data=body).json()["expires_in"] == 60
    sb.set_world({"limits": {"token_lifetime": 30}})
    assert sb.world()["limits"]["token_lifetime"] == 30


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[limits]\ntoken_lifetim = 3\n", "limits.token_lifetim"),
        (
            '[[creators_credentials]]\nclient_id = "a"\nclient_secret = "b"\nversion = "9.1"\n',
            "creators_credentials[0].version",
        ),
        ('[[sellers]]\nselling_partner_id = "A"\nregion = "mars"\n', "sellers[0].region"),
        ('{"catalog": [{"asin": "B0X"}]}', "catalog[0].asin"),
    ],
)
def test_world_replace_400_names_the_key(sb: Any, client: httpx.Client, text: str, key: str) -> None:
    r = client.post("/_sandbox/world", content=text)
    assert r.status_code == 400
    assert r.json()["key"] == key and key in r.json()["message"]
    with pytest.raises(WorldError) as exc:
        sb.set_world(text)
    assert exc.value.key == key
    assert sb.health()["world"]["catalog"] == len(world().catalog)  # the old world stays


def test_world_replace_rejects_broken_toml(client: httpx.Client) -> None:
    r = client.post("/_sandbox/world", content="[limits\n")
    assert r.status_code == 400 and r.json()["error"] == "invalid_world"


def test_expire_tokens(sb: Any, client: httpx.Client) -> None:
    creators_token(client, cred("3.1"))
    spapi_token(client, "na")
    assert sb.expire_tokens() == 2
    assert client.get("/_sandbox/tokens").json()["by_kind"] == {"creators": 1, "spapi": 1}


def test_expire_tokens_says_when_on_the_log_clock(sb: Any, client: httpx.Client) -> None:
    """The expiry's own timestamp, on the request log's clock (the soak lines events up with it)."""
    sb.clear_requests()
    creators_token(client, cred("3.1"))
    sb.set_clock(120)
    try:
        at = sb.expire_tokens_at()
        creators_token(client, cred("3.1"))
    finally:
        sb.set_clock(0)
    before, after = (e["ts"] for e in sb.requests(path="/auth/o2/token"))
    assert at["expired"] == 1 and before < at["ts"] <= after
    assert at["ts"] - before >= 119  # the clock offset applies, as it does to the log


def test_reset_restores_everything(sb: Any, client: httpx.Client) -> None:
    w = fresh_world()
    w.catalog = w.catalog[:1]
    sb.set_world(w)
    sb.add_fault(host="api.amazon.com", status=500, times=-1)
    sb.set_clock(1000)
    client.post(LWA_NA, json={})
    sb.reset()
    h = sb.health()
    assert h["world"]["catalog"] == len(world().catalog) and h["clock_offset"] == 0
    assert sb.faults() == [] and sb.requests() == [] and sb.notifications() == []
    assert client.post(LWA_NA, json=creators_body(cred("3.1"))).status_code == 200


def test_a_request_held_across_a_reset_is_not_logged_after_it(sb: Any, client: httpx.Client) -> None:
    # A delay fault holds the request in the sandbox; the client gives up, the test resets, and the
    # held request finishes later: the fresh log must not show it.
    sb.add_fault(host="api.amazon.com", delay_ms=600, times=1)
    with pytest.raises(httpx.TimeoutException):
        client.post(LWA_NA, json=creators_body(cred("3.1")), timeout=0.1)
    sb.reset()
    time.sleep(0.8)
    assert sb.requests() == []
    assert client.post(LWA_NA, json=creators_body(cred("3.1"))).status_code == 200
    assert [r["status"] for r in sb.requests()] == [200]


def test_openapi_document(client: httpx.Client) -> None:
    doc = client.get("/_sandbox/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/_sandbox/health", "/_sandbox/requests", "/_sandbox/faults", "/_sandbox/clock", "/_sandbox/world",
                 "/_sandbox/tokens/expire", "/_sandbox/notifications", "/_sandbox/reset"):  # fmt: skip
        assert path in doc["paths"]
    assert "drop" in doc["components"]["schemas"]["FaultSpec"]["properties"]


def test_control_calls_are_not_logged(sb: Any, client: httpx.Client) -> None:
    client.get("/_sandbox/health")
    assert sb.requests() == []


def test_notifications_clear(sb: Any) -> None:
    assert sb.notifications() == []
    sb.clear_notifications()


def test_handle_url_helpers(sb: Any) -> None:
    assert sb.amazon_url("https://api.amazon.com/auth/o2/token") == f"{sb.url}/api.amazon.com/auth/o2/token"
    assert sb.host_url("creatorsapi.amazon") == f"{sb.url}/creatorsapi.amazon"
