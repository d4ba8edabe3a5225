"""Doctor scenario suite: (sandbox world, profile) pairs, each with the diagnosis a user should see.

Every scenario runs against the sandbox over HTTP; the sandbox answers as Amazon would, and the
doctor must name the code Amazon gave, the cause, the one field to change and, where one exists,
the value to set. Every report (JSON and human view) is scanned for secrets and tokens.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import pytest
from rich.console import Console

from amzauth.config import profile_from_mapping
from amzauth.doctor import run_doctor
from amzauth.doctor.render import render_report
from tests.support import assert_no_secrets, free_port, register_secret

# Demo world credentials (src/amzauth/sandbox/demo_world.toml; public sandbox fixtures).
C21 = ("2f5ndbx21demo7cognito0a1b2", "sandbox21demosecretnotreal0000000000000000000000021")
C22 = ("2f5ndbx22demo7cognito0a1b2", "sandbox22demosecretnotreal0000000000000000000000022")
C31 = ("amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
       "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031")
C32 = ("amzn1.application-oa2-client.5a4db0x32demo00000000000000032",
       "amzn1.oa2-cs.v1.5a4db0x32demosecretnotreal000000000000000000000032")
C33 = ("amzn1.application-oa2-client.5a4db0x33demo00000000000000033",
       "amzn1.oa2-cs.v1.5a4db0x33demosecretnotreal000000000000000000000033")
INELIGIBLE = ("amzn1.application-oa2-client.5a4db0x31ineligible000000000031",
              "amzn1.oa2-cs.v1.5a4db0x31ineligiblenotreal00000000000000000000031")
DISABLED = ("amzn1.application-oa2-client.5a4db0x31disabled00000000000031",
            "amzn1.oa2-cs.v1.5a4db0x31disablednotreal0000000000000000000000031")
SP_DRAFT = ("amzn1.application-oa2-client.5a4db0xsp01draft000000000000001",
            "amzn1.oa2-cs.v1.5a4db0xsp01draftsecretnotreal0000000000000000001")
SP_PUB = ("amzn1.application-oa2-client.5a4db0xsp02published00000000002",
          "amzn1.oa2-cs.v1.5a4db0xsp02publishedsecretnotreal000000000000002")
RT_NA = "Atzr|IwEBsandbox-demo-na-repricer-000000000000000000000000000001"
RT_NA_REVOKED = "Atzr|IwEBsandbox-demo-na-inventory-revoked-00000000000000000000002"
RT_EU = "Atzr|IwEBsandbox-demo-eu-repricer-000000000000000000000000000003"
RT_EU_INVENTORY = "Atzr|IwEBsandbox-demo-eu-inventory-00000000000000000000000000004"
APP_DRAFT = "amzn1.sp.solution.5a4db0x0-demo-4d2a-8f00-000000000001"
ALL = [C21, C22, C31, C32, C33, INELIGIBLE, DISABLED, SP_DRAFT, SP_PUB]
register_secret(*(s for _, s in ALL), RT_NA, RT_NA_REVOKED, RT_EU, RT_EU_INVENTORY)


def creators(cred: tuple[str, str], version: str, **kw: Any) -> dict[str, Any]:
    return {"api": "creators", "credential_version": version, "client_id": cred[0], "client_secret": cred[1],
            "partner_tag": "demo-20", **kw}


def spapi(cred: tuple[str, str], region: str, refresh: str | None = RT_NA, **kw: Any) -> dict[str, Any]:
    out = {"api": "spapi", "region": region, "client_id": cred[0], "client_secret": cred[1], **kw}
    if refresh:
        out["refresh_token"] = refresh
    return out


@dataclass
class Scenario:
    name: str
    profile: dict[str, Any]
    code: str | None  # None: the doctor passes
    cause: str | None = None
    field: str | None = None
    suggested: str | None = None
    retryable: bool = False
    exit_code: int = 1
    world: Callable[[dict[str, Any]], None] | None = None
    setup: Callable[[Any], None] | None = None
    warning: str | None = None  # a cause expected among the warnings
    timeout: float = 10.0
    extra_secrets: list[str] = dc_field(default_factory=list)


def _cred(world: dict[str, Any], client_id: str) -> dict[str, Any]:
    return next(c for c in world["creators_credentials"] if c["client_id"] == client_id)


def _app(world: dict[str, Any], client_id: str) -> dict[str, Any]:
    return next(a for a in world["spapi_apps"] if a["client_id"] == client_id)


def _fault(**fault: Any) -> Callable[[Any], None]:
    return lambda sb: sb.add_fault(**fault)


def _drain_creators(sb: Any) -> None:
    """Use up the one-request burst so the doctor's search is throttled, as a busy fleet would."""
    import httpx

    from amzauth.core.plan import build_plan
    from amzauth.engine.once import fetch_token_once

    plan = build_plan(profile_from_mapping({**creators(C31, "3.1"), "sandbox": sb.url}))
    token, _ = fetch_token_once(plan, C31[1])
    name, value = plan.auth_header(token.access_token)  # type: ignore[union-attr]
    httpx.post(f"{plan.api_base_url}/catalog/v1/searchItems", json={"keywords": "x", "partnerTag": "demo-20"},
               headers={name: value, "x-marketplace": "www.amazon.com"})


def _drain_spapi(sb: Any) -> None:
    import httpx

    from amzauth.core.plan import build_plan
    from amzauth.engine.once import fetch_token_once

    plan = build_plan(profile_from_mapping({**spapi(SP_DRAFT, "na"), "sandbox": sb.url}))
    token, _ = fetch_token_once(plan, SP_DRAFT[1], refresh_token=RT_NA)
    httpx.get(f"{plan.api_base_url}/sellers/v1/marketplaceParticipations",
              headers={"x-amz-access-token": token.access_token})  # type: ignore[union-attr]


def _slow_rate(kind: str) -> Callable[[dict[str, Any]], None]:
    def change(world: dict[str, Any]) -> None:
        world["limits"][f"{kind}_rate"] = 0.001
        world["limits"][f"{kind}_burst"] = 1

    return change


SCENARIOS = [
    # --- Creators API, healthy --------------------------------------------------------------------
    Scenario("healthy 3.1", creators(C31, "3.1"), None, exit_code=0),
    Scenario("healthy 2.1", creators(C21, "2.1"), None, exit_code=0),
    Scenario("healthy 3.3 JP", creators(C33, "3.3", marketplace="JP", partner_tag="demojp-22"), None, exit_code=0),
    # --- invalid_client, five different causes ----------------------------------------------------
    Scenario("v3 secret with 2.1", creators(C31, "2.1"), "invalid_client", "version-mismatch",
             "credential_version", "3.1"),
    Scenario("v3 EU secret with 2.2", creators(C32, "2.2", marketplace="UK", partner_tag="demouk-21"),
             "invalid_client", "version-mismatch", "credential_version", "3.2"),
    Scenario("v3 FE secret with 2.3", creators(C33, "2.3", marketplace="JP", partner_tag="demojp-22"),
             "invalid_client", "version-mismatch", "credential_version", "3.3"),
    Scenario("v2 secret with 3.1", creators(C21, "3.1"), "invalid_client", "version-mismatch",
             "credential_version", "2.1"),
    Scenario("3.1 credential with 3.2", creators(C31, "3.2", marketplace="US"), "invalid_client",
             "wrong-region-version", "credential_version", "3.1"),
    Scenario("wrong 3.1 secret", creators((C31[0], "amzn1.oa2-cs.v1.thisisnotthesecret000000000031"), "3.1"),
             "invalid_client", "wrong-secret", "client_secret"),
    Scenario("wrong 2.1 secret", creators((C21[0], "notthecognitosecret0000000000000000000000000000021"), "2.1"),
             "invalid_client", "wrong-secret", "client_secret"),
    Scenario("rotated-out 3.1 secret", creators((C31[0], "amzn1.oa2-cs.v1.rotatedoutsecret00000000000031"), "3.1"),
             "invalid_client", "wrong-secret", "client_secret",
             world=lambda w: _cred(w, C31[0]).setdefault("old_secrets", []).append(
                 "amzn1.oa2-cs.v1.rotatedoutsecret00000000000031")),
    Scenario("app id as client id", creators((APP_DRAFT, C31[1]), "3.1"), "invalid_client",
             "app-id-as-client-id", "client_id"),
    Scenario("padded secret", creators((C31[0], C31[1] + "\n"), "3.1"), "invalid_client", "whitespace-padding",
             "client_secret"),
    Scenario("auth endpoint of the other family",
             creators(C31, "3.1", auth_endpoint="https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token"),
             "invalid_request", "wrong-body-encoding", "auth_endpoint", "https://api.amazon.com/auth/o2/token"),
    Scenario("LwA endpoint for a 2.1 credential",
             creators(C21, "2.1", auth_endpoint="https://api.amazon.com/auth/o2/token"),
             "invalid_client", "endpoint-override-family", "auth_endpoint",
             "https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token"),
    # --- other OAuth codes ---------------------------------------------------------------------
    Scenario("Cognito scope on 3.1", creators(C31, "3.1", scope="creatorsapi/default"), "invalid_scope",
             "scope-override-wrong-family", "scope", "creatorsapi::default"),
    Scenario("LwA scope on 2.1", creators(C21, "2.1", scope="creatorsapi::default"), "invalid_scope",
             "scope-override-wrong-family", "scope", "creatorsapi/default"),
    Scenario("scope typo", creators(C31, "3.1", scope="creatorsapi::defualt"), "invalid_scope", "scope-typo",
             "scope", "creatorsapi::default"),
    Scenario("grant type override", creators(C21, "2.1", grant_type="password"), "unsupported_grant_type",
             "grant-type-override", "grant_type", "client_credentials"),
    Scenario("creators not enabled", creators(DISABLED, "3.1"), "unauthorized_client", "creators-not-enabled",
             "account"),
    Scenario("server_error", creators(C31, "3.1"), "server_error", "amazon-transient", "none", retryable=True,
             setup=_fault(host="api.amazon.com", path="/auth/o2/token", status=500, error="server_error",
                          error_description="Internal error", times=1)),
    Scenario("temporarily_unavailable", creators(C31, "3.1"), "temporarily_unavailable", "amazon-transient",
             "none", retryable=True,
             setup=_fault(host="api.amazon.com", path="/auth/o2/token", status=503, error="temporarily_unavailable",
                          error_description="Service unavailable", retry_after=7, times=1)),
    # --- Creators API answers --------------------------------------------------------------------
    Scenario("not eligible", creators(INELIGIBLE, "3.1", partner_tag="newbie-20"), "AssociateNotEligible",
             "not-eligible", "account"),
    Scenario("marketplace not approved", creators(C31, "3.1", marketplace="MX"), "AuthorizationFailed",
             "marketplace-not-approved", "marketplace"),
    Scenario("unknown partner tag", creators(C31, "3.1", partner_tag="nosuchtag-20"), "InvalidPartnerTag",
             "partner-tag-unknown", "partner_tag"),
    Scenario("tag of another marketplace", creators(C31, "3.1", partner_tag="democa-20"), "InvalidAssociate",
             "partner-tag-wrong-marketplace", "partner_tag"),
    Scenario("throttled", creators(C31, "3.1"), "ThrottleException", "rate-limit-exceeded", "none",
             retryable=True, world=_slow_rate("creators"), setup=_drain_creators),
    # --- network ----------------------------------------------------------------------------------
    Scenario("sandbox not running", {**creators(C31, "3.1"), "sandbox": "http://127.0.0.1:{closed}"}, "network",
             "sandbox-not-running", "network", retryable=True, exit_code=3),
    Scenario("token endpoint too slow", creators(C31, "3.1"), "network", "timeout", "network", retryable=True,
             exit_code=3, timeout=0.5,
             setup=_fault(host="api.amazon.com", path="/auth/o2/token", delay_ms=2000, times=1)),
    # --- SP-API -------------------------------------------------------------------------------------
    Scenario("healthy SP-API", spapi(SP_DRAFT, "na", draft=True), None, exit_code=0),
    Scenario("healthy grantless", spapi(SP_DRAFT, "na", None, scope="sellingpartnerapi::notifications"), None,
             exit_code=0),
    Scenario("revoked refresh token", spapi(SP_PUB, "na", RT_NA_REVOKED), "invalid_grant", "refresh-token-revoked",
             "refresh_token"),
    Scenario("refresh token of another app", spapi(SP_PUB, "na", RT_NA), "invalid_grant",
             "refresh-token-other-app", "refresh_token"),
    Scenario("EU token against NA", spapi(SP_DRAFT, "na", RT_EU), "Unauthorized", "spapi-wrong-region", "region",
             "eu"),
    Scenario("SP-API app id as client id", spapi((APP_DRAFT, SP_DRAFT[1]), "na"), "invalid_client",
             "app-id-as-client-id", "client_id"),
    Scenario("SP-API wrong secret", spapi((SP_DRAFT[0], "amzn1.oa2-cs.v1.notthespapisecret00000001"), "na"),
             "invalid_client", "wrong-secret", "client_secret"),
    Scenario("grantless scope typo",
             spapi(SP_DRAFT, "na", None, scope="sellingpartnerapi::client_credentials:rotation"), "invalid_scope",
             "scope-typo", "scope", "sellingpartnerapi::client_credential:rotation"),
    Scenario("grantless scope not granted", spapi(SP_PUB, "na", None, scope="sellingpartnerapi::client_credential:rotation"),
             "unauthorized_client", "app-not-approved-for-scope", "account"),
    Scenario("LwA secret expired at Amazon", spapi(SP_DRAFT, "na"), "Unauthorized", "spapi-secret-expired",
             "client_secret", world=lambda w: _app(w, SP_DRAFT[0]).update(secret_expires="2026-01-01T00:00:00Z")),
    Scenario("token request sent to the API host",
             spapi(SP_DRAFT, "na", auth_endpoint="https://sellingpartnerapi-na.amazon.com/auth/o2/token"),
             "MissingAuthenticationToken", "token-request-to-api-host", "auth_endpoint",
             "https://api.amazon.com/auth/o2/token"),
    Scenario("SP-API quota", spapi(SP_DRAFT, "na"), "QuotaExceeded", "spapi-quota", "none", retryable=True,
             world=_slow_rate("spapi"), setup=_drain_spapi),
    # --- found before any request -----------------------------------------------------------------
    Scenario("placeholder secret", creators((C31[0], "YOUR_SECRET"), "3.1"), "config", "placeholder-value",
             "client_secret"),
    Scenario("redirect uri with fragment", spapi(SP_DRAFT, "na", redirect_uri="https://example.com/cb#frag"),
             "config", "redirect-uri-fragment", "redirect_uri"),
    Scenario("unknown version", creators(C31, "4.0"), "config", "unknown-version", "credential_version",
             exit_code=2),
    # --- passes with a warning ----------------------------------------------------------------------
    Scenario("clock 20 minutes ahead", creators(C31, "3.1"), None, exit_code=0, warning="clock-skew",
             setup=lambda sb: sb.set_clock(1200)),
    Scenario("secret expires soon", spapi(SP_DRAFT, "na", secret_expires="{soon}"), None, exit_code=0,
             warning="secret-expiring"),
]


def _fill(profile: dict[str, Any], sb: Any) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    out = {"sandbox": sb.url, **profile}
    soon = (datetime.now(UTC) + timedelta(days=12)).date().isoformat()
    for k, v in out.items():
        if isinstance(v, str):
            out[k] = v.replace("{closed}", str(free_port())).replace("{soon}", soon)
    return out


def run_scenario(sb: Any, sc: Scenario) -> tuple[dict[str, Any], str, int, tuple[str, ...]]:
    sb.reset()
    if sc.world is not None:
        world = sb.world()
        sc.world(world)
        sb.set_world(world)
    if sc.setup is not None:
        sc.setup(sb)
    report = run_doctor(profile_from_mapping(_fill(sc.profile, sb)), timeout=sc.timeout)
    buf = io.StringIO()
    render_report(report.doc, Console(file=buf, width=120, color_system=None))
    return report.doc, buf.getvalue(), report.exit_code, report.secrets


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(sandbox: Any, sc: Scenario) -> None:
    doc, human, exit_code, secrets = run_scenario(sandbox, sc)
    assert_no_secrets(json.dumps(doc) + human, [*secrets, *sc.extra_secrets, sc.profile.get("client_secret")])
    assert exit_code == sc.exit_code, json.dumps(doc, indent=1)
    if sc.code is None:
        assert doc["ok"] is True and doc["diagnosis"] is None, json.dumps(doc, indent=1)
        assert all(s["ok"] for s in doc["steps"])
    else:
        d = doc["diagnosis"]
        assert doc["ok"] is False and d is not None
        assert (d["code"], d["cause"], d["field"]) == (sc.code, sc.cause, sc.field), json.dumps(doc, indent=1)
        assert d["suggested_value"] == sc.suggested
        assert d["retryable"] is sc.retryable
        assert d["summary"] and d["fix"]
        assert sc.code in human and sc.cause in human  # type: ignore[operator]
    if sc.warning:
        assert sc.warning in [w["cause"] for w in doc["warnings"]], json.dumps(doc["warnings"], indent=1)


def test_suite_size() -> None:
    failing = [s for s in SCENARIOS if s.code is not None]
    assert len(failing) >= 30
    assert {s.profile.get("api") for s in failing} == {"creators", "spapi"}
    versions = {s.profile.get("credential_version", "")[:1] for s in failing}
    assert {"2", "3"} <= versions
