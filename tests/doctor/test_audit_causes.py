"""Wrong cause or wrong field (issue 19, class 2): the audit's cases, each against the sandbox over HTTP.

A wrong diagnosis sends people the wrong way; each case here was answered with a plausible but wrong
cause before. The doctor must name Amazon's code, the cause, the one field and the value to set.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.doctor.test_scenarios import (
    C31,
    C32,
    RT_NA,
    SP_DRAFT,
    Scenario,
    _app,
    creators,
    run_scenario,
    spapi,
)
from tests.support import assert_no_secrets, register_secret

PAAPI_ACCESS = "AKIAIOSFODNN7SANDBOX"
PAAPI_SECRET = "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"
register_secret(PAAPI_SECRET)


def _drop_role(role: str) -> Any:
    def change(world: dict[str, Any]) -> None:
        app = _app(world, SP_DRAFT[0])
        app["roles"] = [r for r in app["roles"] if r != role]

    return change


CASES = [
    Scenario("SP-API scope on a 3.x Creators profile",
             creators(C31, "3.1", scope="sellingpartnerapi::notifications"),
             "unauthorized_client", "scope-of-another-api", "scope", "creatorsapi::default"),
    Scenario("3.2 credential with a JP marketplace", creators(C32, "3.2", marketplace="JP", partner_tag="demouk-21"),
             "AuthorizationFailed", "credential-region-marketplace", "marketplace", "www.amazon.co.uk"),
    Scenario("3.2 credential configured as 3.3 for JP", creators(C32, "3.3", marketplace="JP", partner_tag="demouk-21"),
             "invalid_client", "wrong-region-version", "credential_version", "3.2"),
    Scenario("truncated refresh token", spapi(SP_DRAFT, "na", RT_NA[:30]), "invalid_grant",
             "malformed-refresh-token", "refresh_token"),
    Scenario("PA-API 5 keys in a Creators profile", creators((PAAPI_ACCESS, PAAPI_SECRET), "2.1"), "config",
             "paapi-keys", "client_id"),
    Scenario("PA-API 5 keys with a 3.x version", creators((PAAPI_ACCESS, PAAPI_SECRET), "3.1"), "config",
             "paapi-keys", "client_id"),
]


@pytest.mark.parametrize("sc", CASES, ids=[s.name for s in CASES])
def test_audit_case(sandbox: Any, sc: Scenario) -> None:
    doc, human, exit_code, secrets = run_scenario(sandbox, sc)
    assert_no_secrets(json.dumps(doc) + human, [*secrets, sc.profile.get("client_secret")])
    d = doc["diagnosis"]
    assert d is not None, json.dumps(doc, indent=1)
    assert (d["code"], d["cause"], d["field"], d["suggested_value"]) == (sc.code, sc.cause, sc.field, sc.suggested), (
        json.dumps(doc, indent=1))
    assert exit_code == sc.exit_code


def test_paapi_keys_get_the_steps_to_creators_credentials(sandbox: Any) -> None:
    doc, _, _, _ = run_scenario(sandbox, CASES[4])
    text = " ".join([doc["diagnosis"]["summary"], *doc["diagnosis"]["fix"]])
    assert "PA-API 5" in text and "Associates Central" in text and "Creators API" in text
    assert "Cognito" not in doc["diagnosis"]["summary"]
    assert [s["skipped"] for s in doc["steps"]] == [False, True, True]  # nothing sent with retired keys


def test_role_added_after_authorization_needs_a_new_consent(sandbox: Any) -> None:
    """Amazon: a role added to the app does not reach refresh tokens issued before; the seller re-authorizes."""
    from amzauth.config import profile_from_mapping
    from amzauth.errors import ApiError
    from amzauth.spapi import SPAPIClient

    sandbox.reset()
    world = sandbox.world()
    assert "Product Listing" in _app(world, SP_DRAFT[0])["roles"]
    for seller in world["sellers"]:  # the seller consented while the app lacked the role
        for auth in seller["authorizations"]:
            if auth["refresh_token"] == RT_NA:
                auth["roles"] = [r for r in auth["roles"] if r != "Product Listing"]
    sandbox.set_world(world)
    prof = profile_from_mapping({**spapi(SP_DRAFT, "na", marketplace="US"), "sandbox": sandbox.url})
    with SPAPIClient(prof) as client, pytest.raises(ApiError) as info:
        client.request("GET", "/catalog/2022-04-01/items", params={"keywords": "kettle",
                                                                   "marketplaceIds": "ATVPDKIKX0DER"})
    d = info.value.diagnosis  # type: ignore[attr-defined]
    assert d["cause"] == "spapi-missing-role"
    assert "Product Listing" in d["summary"]
    assert any("authorize" in step for step in d["fix"])


def test_missing_role_summary_names_the_role_the_operation_needs(sandbox: Any) -> None:
    from amzauth.config import profile_from_mapping
    from amzauth.errors import ApiError
    from amzauth.spapi import SPAPIClient

    sandbox.reset()
    world = sandbox.world()
    _drop_role("Product Listing")(world)
    sandbox.set_world(world)
    prof = profile_from_mapping({**spapi(SP_DRAFT, "na", marketplace="US"), "sandbox": sandbox.url})
    with SPAPIClient(prof) as client, pytest.raises(ApiError) as info:
        client.request("GET", "/catalog/2022-04-01/items", params={"keywords": "kettle",
                                                                   "marketplaceIds": "ATVPDKIKX0DER"})
    d = info.value.diagnosis  # type: ignore[attr-defined]
    assert d["cause"] == "spapi-missing-role"
    # The app still has Inventory and Order Tracking: suggesting it would send people the wrong way.
    assert "Product Listing" in d["summary"] and "Inventory and Order Tracking" not in d["summary"]


def test_env_var_source_named_in_the_fix(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from amzauth.config import load_profile
    from amzauth.doctor import run_doctor

    sandbox.reset()
    monkeypatch.setenv("AMZAUTH_API", "creators")
    monkeypatch.setenv("AMZAUTH_CLIENT_ID", C31[0])
    monkeypatch.setenv("AMZAUTH_CLIENT_SECRET", C31[1])
    monkeypatch.setenv("AMZAUTH_CREDENTIAL_VERSION", "2.1")
    monkeypatch.setenv("AMZAUTH_PARTNER_TAG", "demo-20")
    monkeypatch.setenv("AMZAUTH_SANDBOX", sandbox.url)
    report = run_doctor(load_profile())
    d = report.doc["diagnosis"]
    assert (d["cause"], d["field"], d["suggested_value"]) == ("version-mismatch", "credential_version", "3.1")
    assert "AMZAUTH_CREDENTIAL_VERSION" in d["fix"][0]
    assert not any("in profile" in step and "AMZAUTH_" not in step for step in d["fix"][:1])


def test_fresh_token_refused_as_expired_is_the_clock(sandbox: Any) -> None:
    """The token was issued a second ago: "expired" can only mean the clocks disagree."""
    sc = Scenario("fresh token refused", creators(C31, "3.1"), "TokenExpired", "clock-skew", "clock",
                  setup=lambda sb: sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems",
                                                status=401, error="TokenExpired",
                                                error_description="The authentication token has expired",
                                                times=1))
    doc, _, _, _ = run_scenario(sandbox, sc)
    d = doc["diagnosis"]
    assert (d["code"], d["cause"], d["field"]) == ("TokenExpired", "clock-skew", "clock"), json.dumps(doc, indent=1)

