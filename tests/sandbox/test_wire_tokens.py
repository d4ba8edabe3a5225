"""docs/reference/wire.md, token endpoints: one test per error row, raw httpx, status + body + headers exactly."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.sandbox._wire import (
    COGNITO,
    INVALID_CLIENT,
    INVALID_SCOPE,
    LWA,
    LWA_EU,
    LWA_NA,
    REVOKED_SUFFIX,
    UNAUTHORIZED_CLIENT,
    UNSUPPORTED_GRANT,
    app,
    assert_cognito_error,
    assert_common_headers,
    assert_lwa_error,
    creators_body,
    cred,
    fresh_world,
    refresh_token,
    world,
)

# ---------------------------------------------------------------- Cognito (2.x)


@pytest.mark.parametrize("version", ["2.1", "2.2", "2.3"])
def test_cognito_success_shape(client: httpx.Client, version: str) -> None:
    c = cred(version)
    r = client.post(COGNITO[version], data=creators_body(c))
    assert_common_headers(r)
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) == {"access_token", "expires_in", "token_type"}
    assert doc["expires_in"] == world().limits.token_lifetime
    assert doc["token_type"] == "Bearer"
    assert doc["access_token"].count(".") == 2  # JWT-like


def test_cognito_basic_auth_accepted(client: httpx.Client) -> None:
    c = cred("2.1")
    basic = base64.b64encode(f"{c.client_id}:{c.client_secret}".encode()).decode()
    r = client.post(COGNITO["2.1"], data={"grant_type": "client_credentials", "scope": "creatorsapi/default"},
                    headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    assert r.status_code == 200


def test_cognito_unknown_client(client: httpx.Client) -> None:
    r = client.post(COGNITO["2.1"], data=creators_body(cred("2.1"), client_id="nosuchclient0000000000000"))
    assert_cognito_error(r, "invalid_client")


def test_cognito_wrong_secret(client: httpx.Client) -> None:
    r = client.post(COGNITO["2.1"], data=creators_body(cred("2.1"), client_secret="wrong-secret-value"))
    assert_cognito_error(r, "invalid_client")


def test_cognito_credential_of_another_version(client: httpx.Client) -> None:
    r = client.post(COGNITO["2.1"], data=creators_body(cred("2.2")))
    assert_cognito_error(r, "invalid_client")


def test_cognito_3x_credential_is_bare_invalid_client(client: httpx.Client) -> None:
    """The most common mistake: a 3.x (amzn1.oa2-cs.v1.) credential configured as 2.x."""
    c = cred("3.1")
    r = client.post(COGNITO["2.1"], data=creators_body(c, scope="creatorsapi/default"))
    assert_cognito_error(r, "invalid_client")


def test_cognito_wrong_scope(client: httpx.Client) -> None:
    r = client.post(COGNITO["2.1"], data=creators_body(cred("2.1"), scope="creatorsapi::default"))
    assert_cognito_error(r, "invalid_scope")


def test_cognito_wrong_grant(client: httpx.Client) -> None:
    r = client.post(COGNITO["2.1"], data=creators_body(cred("2.1"), grant_type="refresh_token"))
    assert_cognito_error(r, "unsupported_grant_type")


def test_cognito_json_body_is_invalid_request(client: httpx.Client) -> None:
    r = client.post(COGNITO["2.1"], json=creators_body(cred("2.1")))
    assert_cognito_error(r, "invalid_request")


@pytest.mark.parametrize("drop", ["grant_type", "client_id"])
def test_cognito_missing_fields(client: httpx.Client, drop: str) -> None:
    body = creators_body(cred("2.1"))
    del body[drop]
    assert_cognito_error(client.post(COGNITO["2.1"], data=body), "invalid_request")


def test_cognito_not_enabled_is_unauthorized_client(sb: Any, client: httpx.Client) -> None:
    w = fresh_world()
    w.creators_credentials[0].enabled = False
    sb.set_world(w)
    c = w.creators_credentials[0]
    assert c.version == "2.1"
    assert_cognito_error(client.post(COGNITO["2.1"], data=creators_body(c)), "unauthorized_client")


# ---------------------------------------------------------------- LwA (3.x and SP-API)


@pytest.mark.parametrize("version", ["3.1", "3.2", "3.3"])
def test_lwa_creators_success_shape(client: httpx.Client, version: str) -> None:
    r = client.post(LWA[version], json=creators_body(cred(version)))
    assert_common_headers(r)
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) == {"access_token", "expires_in", "token_type"}
    assert doc["access_token"].startswith("Atza|")
    assert doc["expires_in"] == world().limits.token_lifetime


def test_lwa_takes_form_bodies_too(client: httpx.Client) -> None:
    assert client.post(LWA_NA, data=creators_body(cred("3.1"))).status_code == 200


def test_lwa_unknown_client(client: httpx.Client) -> None:
    r = client.post(LWA_NA, json=creators_body(cred("3.1"), client_id="amzn1.application-oa2-client.nosuch"))
    assert_lwa_error(r, 401, "invalid_client", INVALID_CLIENT)


def test_lwa_wrong_secret(client: httpx.Client) -> None:
    r = client.post(LWA_NA, json=creators_body(cred("3.1"), client_secret="amzn1.oa2-cs.v1.wrong"))
    assert_lwa_error(r, 401, "invalid_client", INVALID_CLIENT)


def test_lwa_rotated_out_secret(client: httpx.Client) -> None:
    c = cred("3.1")
    assert c.old_secrets
    r = client.post(LWA_NA, json=creators_body(c, client_secret=c.old_secrets[0]))
    assert_lwa_error(r, 401, "invalid_client", INVALID_CLIENT)


def test_lwa_cognito_credential_is_401(client: httpx.Client) -> None:
    c = cred("2.1")
    r = client.post(LWA_NA, json=creators_body(c, scope="creatorsapi::default"))
    assert_lwa_error(r, 401, "invalid_client", INVALID_CLIENT)


def test_lwa_credential_of_another_version(client: httpx.Client) -> None:
    """A 3.1 credential at the 3.2 (EU) host."""
    r = client.post(LWA_EU, json=creators_body(cred("3.1")))
    assert_lwa_error(r, 401, "invalid_client", INVALID_CLIENT)


def test_lwa_application_id_in_place_of_client_id(client: httpx.Client) -> None:
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": refresh_token("na"),
                                  "client_id": a.application_id, "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 401, "invalid_client", INVALID_CLIENT)


@pytest.mark.parametrize(
    "scope", ["creatorsapi/default", "sellingpartnerapi::client_credentials:rotation", "x"]
)
def test_lwa_invalid_scope(client: httpx.Client, scope: str) -> None:
    r = client.post(LWA_NA, json=creators_body(cred("3.1"), scope=scope))
    assert_lwa_error(r, 400, "invalid_scope", INVALID_SCOPE)


def test_lwa_unsupported_grant_type(client: httpx.Client) -> None:
    r = client.post(LWA_NA, json=creators_body(cred("3.1"), grant_type="password"))
    assert_lwa_error(r, 400, "unsupported_grant_type", UNSUPPORTED_GRANT)


def test_lwa_unauthorized_client_without_creators_access(client: httpx.Client) -> None:
    r = client.post(LWA_NA, json=creators_body(cred("3.1", enabled=False)))
    assert_lwa_error(r, 400, "unauthorized_client", UNAUTHORIZED_CLIENT)


def test_lwa_unauthorized_client_spapi_app_asking_creators_scope(client: httpx.Client) -> None:
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "client_credentials", "scope": "creatorsapi::default",
                                  "client_id": a.client_id, "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "unauthorized_client", UNAUTHORIZED_CLIENT)


def test_lwa_unauthorized_client_grantless_scope_not_granted(client: httpx.Client) -> None:
    a = app("published")
    assert "sellingpartnerapi::client_credential:rotation" not in a.grantless_scopes
    r = client.post(LWA_NA, data={"grant_type": "client_credentials",
                                  "scope": "sellingpartnerapi::client_credential:rotation",
                                  "client_id": a.client_id, "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "unauthorized_client", UNAUTHORIZED_CLIENT)


def test_lwa_invalid_grant_refresh_token(client: httpx.Client) -> None:
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": "Atzr|IwEBnot-a-real-token",
                                  "client_id": a.client_id, "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")


def test_lwa_invalid_grant_revoked(client: httpx.Client) -> None:
    a = app("published")
    rt = refresh_token("na", "published", revoked=True)
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": rt, "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "invalid_grant",
                     "The request has an invalid grant parameter : refresh_token" + REVOKED_SUFFIX)  # fmt: skip


def test_lwa_invalid_grant_refresh_token_of_another_app(client: httpx.Client) -> None:
    other = app("published")
    rt = refresh_token("eu", "draft")
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "refresh_token": rt, "client_id": other.client_id,
                                  "client_secret": other.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")


def test_lwa_invalid_grant_code(client: httpx.Client) -> None:
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "authorization_code", "code": "ANnosuchcode000000000",
                                  "redirect_uri": a.redirect_uris[0], "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "invalid_grant", "The request has an invalid grant parameter : code")


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret", "scope"])
def test_lwa_invalid_request_missing_parameter(client: httpx.Client, missing: str) -> None:
    body = creators_body(cred("3.1"))
    del body[missing]
    r = client.post(LWA_NA, json=body)
    assert_lwa_error(r, 400, "invalid_request", f"The request is missing a required parameter : {missing}")


def test_lwa_invalid_request_missing_refresh_token(client: httpx.Client) -> None:
    a = app("draft")
    r = client.post(LWA_NA, data={"grant_type": "refresh_token", "client_id": a.client_id,
                                  "client_secret": a.client_secret})  # fmt: skip
    assert_lwa_error(r, 400, "invalid_request", "The request is missing a required parameter : refresh_token")


def test_lwa_query_string_with_empty_body_is_500(client: httpx.Client) -> None:
    r = client.post(LWA_NA, params=creators_body(cred("3.1")))
    assert_lwa_error(r, 500, "server_error", "Internal Server Error")


def test_lwa_host_header_with_scheme_is_405_html(client: httpx.Client) -> None:
    r = client.post(LWA_NA, json=creators_body(cred("3.1")), headers={"Host": "https://api.amazon.com"})
    assert_common_headers(r)
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("text/html")
    assert "<title>405 Not Allowed</title>" in r.text
    assert "<h1>405 Not Allowed</h1>" in r.text


def test_lwa_server_error_on_demand(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="api.amazon.com", path="/auth/o2/token", status=500)
    r = client.post(LWA_NA, json=creators_body(cred("3.1")))
    assert_lwa_error(r, 500, "server_error", "Internal Server Error")
    assert client.post(LWA_NA, json=creators_body(cred("3.1"))).status_code == 200  # times=1 by default


def test_lwa_temporarily_unavailable_with_retry_after(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="api.amazon.com", path="/auth/o2/token", status=503, retry_after=7)
    r = client.post(LWA_NA, json=creators_body(cred("3.1")))
    assert_lwa_error(r, 503, "temporarily_unavailable", "The service is temporarily unavailable")
    assert r.headers["retry-after"] == "7"


def test_cognito_fault_keeps_cognito_shape(sb: Any, client: httpx.Client) -> None:
    sb.add_fault(host="creatorsapi.auth.us-east-1.amazoncognito.com", status=503, retry_after=2)
    r = client.post(COGNITO["2.1"], data=creators_body(cred("2.1")))
    assert r.status_code == 503
    assert r.json() == {"error": "temporarily_unavailable"}
    assert r.headers["retry-after"] == "2"


def test_34_credential_uses_the_na_endpoint(sb: Any, client: httpx.Client) -> None:
    w = fresh_world()
    w.creators_credentials[3].version = "3.4"
    sb.set_world(w)
    c = w.creators_credentials[3]
    assert client.post(LWA_NA, json=creators_body(c)).status_code == 200
    assert client.post(LWA_EU, json=creators_body(c)).status_code == 401
