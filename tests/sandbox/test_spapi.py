"""SP-API hosts: every access-token check, quota, MissingAuthenticationToken, SigV4, operations, rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from amzauth.config.marketplaces import BY_COUNTRY
from tests.sandbox._wire import (
    D_INVALID,
    D_MISSING,
    D_SECRET,
    DENIED,
    LWA_NA,
    QUOTA,
    SP,
    app,
    assert_common_headers,
    assert_spapi_error,
    creators_token,
    cred,
    fresh_world,
    grantless_token,
    refresh_token,
    spapi_token,
    world,
)

PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"
CATALOG = "/catalog/2022-04-01/items"
REPORTS = "/reports/2021-06-30/reports"
ROTATE = "/applications/2023-11-30/clientSecret"
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"
UK = BY_COUNTRY["UK"].marketplace_id
US = BY_COUNTRY["US"].marketplace_id


def _get(client: httpx.Client, region: str, path: str, token: str | None, **kw: Any) -> httpx.Response:
    headers = kw.pop("headers", {})
    if token is not None:
        headers["x-amz-access-token"] = token
    return client.get(f"{SP[region]}{path}", headers=headers, **kw)


def test_participations(client: httpx.Client) -> None:
    r = _get(client, "eu", PARTICIPATIONS, spapi_token(client, "eu"))
    assert_common_headers(r)
    assert r.status_code == 200
    assert r.headers["x-amzn-ratelimit-limit"] == str(float(world().limits.spapi_rate))
    seller = next(s for s in world().sellers if s.region == "eu")
    assert [p["marketplace"]["id"] for p in r.json()["payload"]] == seller.marketplaces
    assert all(p["participation"]["isParticipating"] for p in r.json()["payload"])


def test_sandbox_hosts_behave_like_production(client: httpx.Client) -> None:
    r = client.get(f"/sandbox.sellingpartnerapi-na.amazon.com{PARTICIPATIONS}",
                   headers={"x-amz-access-token": spapi_token(client, "na")})  # fmt: skip
    assert r.status_code == 200


def test_missing_access_token(client: httpx.Client) -> None:
    assert_spapi_error(_get(client, "na", PARTICIPATIONS, None), 403, "Unauthorized", DENIED, D_MISSING)


def test_malformed_access_token(client: httpx.Client) -> None:
    assert_spapi_error(
        _get(client, "na", PARTICIPATIONS, "Atza|IwEBforged"), 403, "Unauthorized", DENIED, D_INVALID
    )


def test_creators_token_is_invalid_here(client: httpx.Client) -> None:
    token = creators_token(client, cred("3.1"))
    assert_spapi_error(_get(client, "na", PARTICIPATIONS, token), 403, "Unauthorized", DENIED, D_INVALID)


def test_expired_access_token(sb: Any, client: httpx.Client) -> None:
    token = spapi_token(client, "na")
    sb.expire_tokens()
    assert_spapi_error(_get(client, "na", PARTICIPATIONS, token), 403, "Unauthorized", DENIED, D_INVALID)


def test_revoked_authorization_invalidates_access_tokens(sb: Any, client: httpx.Client) -> None:
    token = spapi_token(client, "na")
    assert _get(client, "na", PARTICIPATIONS, token).status_code == 200
    assert sb.revoke(refresh_token=refresh_token("na")) == 1
    assert_spapi_error(_get(client, "na", PARTICIPATIONS, token), 403, "Unauthorized", DENIED, D_INVALID)
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": refresh_token("na"),
                                  "client_id": a.client_id, "client_secret": a.client_secret})  # fmt: skip
    assert r.json()["error_description"].endswith(" User may have revoked or didn't grant the permission.")


def test_wrong_region(client: httpx.Client) -> None:
    token = spapi_token(client, "eu")
    assert_spapi_error(_get(client, "na", PARTICIPATIONS, token), 403, "Unauthorized", DENIED, "")


def test_missing_role(client: httpx.Client) -> None:
    published = app("published")
    assert "Product Listing" not in published.roles
    token = spapi_token(client, "eu", "published")
    r = _get(client, "eu", CATALOG, token, params={"keywords": "kettle", "marketplaceIds": UK})
    assert_spapi_error(r, 403, "Unauthorized", DENIED, "")


def test_unhealthy_account(client: httpx.Client) -> None:
    a = app("draft")
    rt = refresh_token("na", healthy=False)
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": rt, "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert r.status_code == 200
    assert_spapi_error(
        _get(client, "na", PARTICIPATIONS, r.json()["access_token"]), 403, "Unauthorized", DENIED, ""
    )


def test_expired_client_secret(sb: Any, client: httpx.Client) -> None:
    w = fresh_world()
    w.spapi_apps[0].secret_expires = datetime(2020, 1, 1, tzinfo=UTC)
    sb.set_world(w)
    token = spapi_token(client, "na")  # the token endpoint still answers (our rule, see docs/sandbox.md)
    assert_spapi_error(_get(client, "na", PARTICIPATIONS, token), 403, "Unauthorized", DENIED, D_SECRET)


def test_grantless_token_on_a_seller_operation(client: httpx.Client) -> None:
    token = grantless_token(client, "sellingpartnerapi::notifications")
    assert_spapi_error(_get(client, "na", PARTICIPATIONS, token), 403, "Unauthorized", DENIED, "")


def test_token_request_sent_to_an_api_host(client: httpx.Client) -> None:
    a = app("draft")
    r = client.post(
        f"{SP['na']}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token("na"),
            "client_id": a.client_id,
            "client_secret": a.client_secret,
        },
    )
    assert_common_headers(r)
    assert r.status_code == 403
    assert r.json()["errors"][0]["code"] == "MissingAuthenticationToken"
    assert r.json()["errors"][0]["message"] == "Missing Authentication Token"
    assert r.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_quota_exceeded(sb: Any, client: httpx.Client) -> None:
    w = fresh_world()
    w.limits.spapi_rate = 0.001
    w.limits.spapi_burst = 2
    sb.set_world(w)
    token = spapi_token(client, "na")
    for _ in range(2):
        assert _get(client, "na", PARTICIPATIONS, token).status_code == 200
    r = _get(client, "na", PARTICIPATIONS, token)
    assert_spapi_error(r, 429, "QuotaExceeded", QUOTA, "", "QuotaExceededException")
    assert r.headers["x-amzn-ratelimit-limit"] == "0.001"


def test_invalid_input(client: httpx.Client) -> None:
    token = spapi_token(client, "eu")
    r = _get(client, "eu", CATALOG, token, params={"keywords": "kettle"})
    assert_spapi_error(r, 400, "InvalidInput", "Missing required 'marketplaceIds'.")
    r = _get(client, "eu", CATALOG, token, params={"marketplaceIds": UK})
    assert_spapi_error(r, 400, "InvalidInput", "Missing required 'identifiers' or 'keywords'.")


def test_unknown_path_on_api_host_is_404(client: httpx.Client) -> None:
    r = _get(client, "na", "/nothing/here", spapi_token(client, "na"))
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NotFound"


# ---------------------------------------------------------------- SigV4


def _amz(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y%m%dT%H%M%SZ")


def _sigv4(region: str, when: float, scope_date: str | None = None) -> dict[str, str]:
    amz = _amz(when)
    cred_scope = f"AKIAEXAMPLE/{scope_date or amz[:8]}/{region}/execute-api/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={cred_scope}, SignedHeaders=host;x-amz-date, "
                             f"Signature={'ab' * 32}", "x-amz-date": amz}  # fmt: skip


def _now(sb: Any) -> float:
    return float(sb.health()["now"])


def test_sigv4_right_region_passes(sb: Any, client: httpx.Client) -> None:
    r = _get(client, "eu", PARTICIPATIONS, spapi_token(client, "eu"), headers=_sigv4("eu-west-1", _now(sb)))
    assert r.status_code == 200


def test_sigv4_wrong_region(sb: Any, client: httpx.Client) -> None:
    r = _get(client, "eu", PARTICIPATIONS, spapi_token(client, "eu"), headers=_sigv4("us-east-1", _now(sb)))
    assert_spapi_error(r, 403, "InvalidSignature", "Credential should be scoped to a valid region, not 'us-east-1'.",
                       "", "InvalidSignatureException")  # fmt: skip


def test_sigv4_expired(sb: Any, client: httpx.Client) -> None:
    now = _now(sb)
    r = _get(client, "na", PARTICIPATIONS, spapi_token(client, "na"), headers=_sigv4("us-east-1", now - 900))
    assert r.status_code == 403
    err = r.json()["errors"][0]
    assert err["code"] == "InvalidSignature"
    assert err["message"].startswith(f"Signature expired: {_amz(now - 900)} is now earlier than ")
    assert err["message"].endswith(" - 5 min.)")


def test_sigv4_window_follows_the_sandbox_clock(sb: Any, client: httpx.Client) -> None:
    token = spapi_token(client, "na")
    signed = _sigv4("us-east-1", _now(sb))
    assert _get(client, "na", PARTICIPATIONS, token, headers=dict(signed)).status_code == 200
    sb.set_clock(400)
    assert _get(client, "na", PARTICIPATIONS, token, headers=dict(signed)).status_code == 403


def test_sigv4_in_the_future(sb: Any, client: httpx.Client) -> None:
    r = _get(
        client, "na", PARTICIPATIONS, spapi_token(client, "na"), headers=_sigv4("us-east-1", _now(sb) + 900)
    )
    assert r.status_code == 403
    assert r.json()["errors"][0]["message"].startswith("Signature not yet current: ")


# ---------------------------------------------------------------- operations


def test_catalog_search_by_keywords(client: httpx.Client) -> None:
    r = _get(
        client,
        "eu",
        CATALOG,
        spapi_token(client, "eu"),
        params={"keywords": "kettle", "marketplaceIds": UK, "includedData": "summaries,images,identifiers"},
    )
    assert r.status_code == 200
    doc = r.json()
    expected = [
        i.asin for i in world().catalog if i.marketplace == "www.amazon.co.uk" and "Kettle" in i.title
    ]
    assert [i["asin"] for i in doc["items"]] == expected
    assert doc["numberOfResults"] == len(expected)
    first = doc["items"][0]
    assert first["summaries"][0]["marketplaceId"] == UK and first["summaries"][0]["itemName"]
    assert first["images"][0]["images"][0]["variant"] == "MAIN"


def test_catalog_search_by_identifiers(client: httpx.Client) -> None:
    r = _get(
        client,
        "na",
        CATALOG,
        spapi_token(client, "na"),
        params={"identifiers": "B0SBXUS004,B0SBXUS005", "identifiersType": "ASIN", "marketplaceIds": US},
    )
    assert sorted(i["asin"] for i in r.json()["items"]) == ["B0SBXUS004", "B0SBXUS005"]


def test_catalog_marketplace_of_another_region(client: httpx.Client) -> None:
    r = _get(client, "na", CATALOG, spapi_token(client, "na"), params={"keywords": "a", "marketplaceIds": UK})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "InvalidInput"


def test_get_catalog_item(client: httpx.Client) -> None:
    token = spapi_token(client, "na")
    r = _get(client, "na", f"{CATALOG}/B0SBXUS004", token, params={"marketplaceIds": US})
    assert r.status_code == 200 and r.json()["asin"] == "B0SBXUS004"
    r = _get(client, "na", f"{CATALOG}/B0NOSUCH00", token, params={"marketplaceIds": US})
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NotFound"


def test_create_report(client: httpx.Client) -> None:
    token = spapi_token(client, "na")
    r = client.post(f"{SP['na']}{REPORTS}", headers={"x-amz-access-token": token},
                    json={"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]})  # fmt: skip
    assert r.status_code == 202 and r.json()["reportId"].isdigit()
    r = client.post(
        f"{SP['na']}{REPORTS}", headers={"x-amz-access-token": token}, json={"marketplaceIds": [US]}
    )
    assert_spapi_error(r, 400, "InvalidInput", "Missing required 'reportType'.")


def test_rotation_answers_204_and_notifies(sb: Any, client: httpx.Client) -> None:
    a = app("draft")
    token = grantless_token(client, ROTATION_SCOPE)
    r = client.post(f"{SP['na']}{ROTATE}", headers={"x-amz-access-token": token})
    assert_common_headers(r)
    assert r.status_code == 204 and r.content == b""
    [note] = sb.notifications()
    assert note["notificationType"] == "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
    payload = note["payload"]["applicationOAuthClientNewSecret"]
    assert set(payload) == {
        "clientId",
        "newClientSecret",
        "newClientSecretExpiryTime",
        "oldClientSecretExpiryTime",
    }
    assert payload["clientId"] == a.client_id
    assert (
        payload["newClientSecret"].startswith("amzn1.oa2-cs.v1.")
        and payload["newClientSecret"] != a.client_secret
    )
    old = datetime.fromisoformat(payload["oldClientSecretExpiryTime"].replace("Z", "+00:00"))
    new = datetime.fromisoformat(payload["newClientSecretExpiryTime"].replace("Z", "+00:00"))
    assert 6.9 < (old.timestamp() - _now(sb)) / 86400 < 7.1
    assert new > old


def test_rotation_needs_the_rotation_scope(client: httpx.Client) -> None:
    token = grantless_token(client, "sellingpartnerapi::notifications")
    r = client.post(f"{SP['na']}{ROTATE}", headers={"x-amz-access-token": token})
    assert_spapi_error(r, 403, "Unauthorized", DENIED, "")
    r = client.post(f"{SP['na']}{ROTATE}", headers={"x-amz-access-token": spapi_token(client, "na")})
    assert_spapi_error(r, 403, "Unauthorized", DENIED, "")


@pytest.mark.parametrize("region", ["na", "eu", "fe"])
def test_every_region_serves_its_sellers(client: httpx.Client, region: str) -> None:
    assert _get(client, region, PARTICIPATIONS, spapi_token(client, region)).status_code == 200
