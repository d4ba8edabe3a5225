"""Grants: refresh_token, authorization_code (5 minutes, once, same redirect_uri, PKCE) and grantless."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox._wire import (
    LWA_NA,
    SP,
    app,
    assert_common_headers,
    assert_lwa_error,
    refresh_token,
    run_consent,
)

INVALID_CODE = "The request has an invalid grant parameter : code"


def _code(client: httpx.Client, **extra: str) -> tuple[str, dict[str, list[str]]]:
    a = app("draft")
    params = {
        "application_id": a.application_id,
        "state": "s-" + secrets.token_hex(4),
        "version": "beta",
        **extra,
    }
    r = run_consent(client, params)
    assert r.status_code == 302, r.text
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["state"] == [params["state"]]
    return q["spapi_oauth_code"][0], q


def _exchange(
    client: httpx.Client, code: str, redirect_uri: str | None = None, **extra: str
) -> httpx.Response:
    a = app("draft")
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri or a.redirect_uris[0],
            "client_id": a.client_id, "client_secret": a.client_secret, **extra}  # fmt: skip
    return client.post(LWA_NA, data=data)


def test_refresh_token_grant_answers_per_wire(client: httpx.Client) -> None:
    a = app("draft")
    rt = refresh_token("na")
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": rt, "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert_common_headers(r)
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert doc["access_token"].startswith("Atza|")
    assert doc["refresh_token"] == rt
    assert doc["token_type"] == "bearer"


def test_refresh_token_grant_accepts_json(client: httpx.Client) -> None:
    a = app("draft")
    r = client.post(LWA_NA, json={"grant_type": "refresh_token", "refresh_token": refresh_token("eu"),
                                  "client_id": a.client_id, "client_secret": a.client_secret})  # fmt: skip
    assert r.status_code == 200


def test_authorization_code_flow_end_to_end(client: httpx.Client) -> None:
    code, q = _code(client)
    assert q["selling_partner_id"] == ["A1SANDBOXDEMONA"]
    r = _exchange(client, code)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["refresh_token"].startswith("Atzr|") and doc["access_token"].startswith("Atza|")
    # The new refresh token works, and its access token reaches the seller's region.
    a = app("draft")
    r2 = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": doc["refresh_token"],
                                   "client_id": a.client_id, "client_secret": a.client_secret})  # fmt: skip
    assert r2.status_code == 200
    api = client.get(f"{SP['na']}/sellers/v1/marketplaceParticipations",
                     headers={"x-amz-access-token": doc["access_token"]})  # fmt: skip
    assert api.status_code == 200


def test_code_is_single_use(client: httpx.Client) -> None:
    code, _ = _code(client)
    assert _exchange(client, code).status_code == 200
    assert_lwa_error(_exchange(client, code), 400, "invalid_grant", INVALID_CODE)


def test_code_lives_five_minutes_on_the_sandbox_clock(sb: Any, client: httpx.Client) -> None:
    code, _ = _code(client)
    sb.set_clock(301)
    assert_lwa_error(_exchange(client, code), 400, "invalid_grant", INVALID_CODE)


def test_code_still_valid_just_before_five_minutes(sb: Any, client: httpx.Client) -> None:
    code, _ = _code(client)
    sb.set_clock(290)
    assert _exchange(client, code).status_code == 200


def test_redirect_uri_must_match_the_consent_step(client: httpx.Client) -> None:
    a = app("draft")
    code, _ = _code(client, redirect_uri=a.redirect_uris[1])
    r = _exchange(client, code, redirect_uri=a.redirect_uris[0])
    assert_lwa_error(r, 400, "invalid_grant", INVALID_CODE)


def test_explicit_redirect_uri_is_used_for_the_redirect_and_exchange(client: httpx.Client) -> None:
    a = app("draft")
    params = {
        "application_id": a.application_id,
        "state": "x",
        "version": "beta",
        "redirect_uri": a.redirect_uris[1],
    }
    r = run_consent(client, params)
    assert r.headers["location"].startswith(a.redirect_uris[1] + "?")
    code = parse_qs(urlsplit(r.headers["location"]).query)["spapi_oauth_code"][0]
    assert _exchange(client, code, redirect_uri=a.redirect_uris[1]).status_code == 200


def test_missing_redirect_uri_is_invalid_request(client: httpx.Client) -> None:
    code, _ = _code(client)
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "authorization_code", "code": code, "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "invalid_request", "The request is missing a required parameter : redirect_uri")


def test_code_of_another_client_is_invalid(client: httpx.Client) -> None:
    code, _ = _code(client)
    other = app("published")
    r = client.post(LWA_NA, data={"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": app("draft").redirect_uris[0], "client_id": other.client_id,
                                  "client_secret": other.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "invalid_grant", INVALID_CODE)


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def test_pkce_s256_verified(client: httpx.Client) -> None:
    verifier, challenge = _pkce()
    code, _ = _code(client, code_challenge=challenge, code_challenge_method="S256")
    assert _exchange(client, code, code_verifier=verifier).status_code == 200


def test_pkce_wrong_verifier(client: httpx.Client) -> None:
    _, challenge = _pkce()
    code, _ = _code(client, code_challenge=challenge, code_challenge_method="S256")
    r = _exchange(client, code, code_verifier=secrets.token_urlsafe(48))
    assert_lwa_error(r, 400, "invalid_grant", INVALID_CODE)


def test_pkce_missing_verifier(client: httpx.Client) -> None:
    _, challenge = _pkce()
    code, _ = _code(client, code_challenge=challenge, code_challenge_method="S256")
    r = _exchange(client, code)
    assert_lwa_error(r, 400, "invalid_request", "The request is missing a required parameter : code_verifier")


def test_verifier_without_challenge_is_ignored(client: httpx.Client) -> None:
    code, _ = _code(client)
    assert _exchange(client, code, code_verifier="anything-at-all").status_code == 200


@pytest.mark.parametrize(
    "scope", ["sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"]
)
def test_grantless_token(client: httpx.Client, scope: str) -> None:
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "client_credentials", "scope": scope, "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert r.status_code == 200
    doc = r.json()
    assert "refresh_token" not in doc
    assert doc["scope"] == scope and doc["token_type"] == "bearer" and doc["access_token"].startswith("Atza|")


def test_rotated_secret_keeps_working_seven_days(sb: Any, client: httpx.Client) -> None:
    from tests.sandbox._wire import grantless_token

    a = app("draft")
    token = grantless_token(client, "sellingpartnerapi::client_credential:rotation")
    r = client.post(f"{SP['na']}/applications/2023-11-30/clientSecret", headers={"x-amz-access-token": token})
    assert r.status_code == 204 and r.content == b""
    new = sb.notifications()[-1]["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"]
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token("na"), "client_id": a.client_id}
    assert client.post(LWA_NA, data={**body, "client_secret": new}).status_code == 200
    assert client.post(LWA_NA, data={**body, "client_secret": a.client_secret}).status_code == 200
    sb.set_clock(7 * 86400 + 60)
    r = client.post(LWA_NA, data={**body, "client_secret": a.client_secret})
    assert_lwa_error(r, 401, "invalid_client", "Client authentication failed")
    assert client.post(LWA_NA, data={**body, "client_secret": new}).status_code == 200


def test_world_old_secrets_are_rejected_at_once(sb: Any, client: httpx.Client) -> None:
    from tests.sandbox._wire import fresh_world

    w = fresh_world()
    w.spapi_apps[0].old_secrets = ["amzn1.oa2-cs.v1.previous-secret-0000"]
    sb.set_world(w)
    a = w.spapi_apps[0]
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": refresh_token("na"),
                                  "client_id": a.client_id, "client_secret": a.old_secrets[0]})  # fmt: skip
    assert_lwa_error(r, 401, "invalid_client", "Client authentication failed")
