"""Unfinished text (issue 19, class 3): every catalogue cause, rendered from real evidence, is complete.

Each cause is reached the way amzauth reaches it: the cause selection fed evidence built from a real
profile and Amazon's answer (code, status, message), the doctor's local inspection of a profile, a
profile the loader refuses, or a consent-page code. The rendered summary and fix steps must hold no
unfilled ``<name>`` or ``{name}``: a user should never read "Set marketplace = "<suggested>"".
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from amzauth.catalogue import PLACEHOLDERS, load_catalogue
from amzauth.config import profile_from_mapping
from amzauth.core.diagnose import choose, evidence_for
from amzauth.core.inspect import inspect_profile
from amzauth.core.plan import build_plan
from amzauth.doctor.run import _diagnosis, _finding_diagnosis, run_doctor
from amzauth.sandbox.messages import LWA_DESCRIPTIONS, SIGV4_MISMATCH
from amzauth.spapi.consent import consent_error, consent_plan
from tests.doctor.test_scenarios import APP_DRAFT, C21, C31, RT_NA, SP_DRAFT, creators, spapi

UNFILLED = re.compile(r"<(" + "|".join(PLACEHOLDERS) + r")>|\{[a-z_]+\}")
CREATORS = creators(C31, "3.1", marketplace="US")
COGNITO = creators(C21, "2.1", marketplace="US")
SANDBOX = "http://127.0.0.1:9"  # never contacted: the evidence is given, not fetched
SELLER = spapi(SP_DRAFT, "na", RT_NA, marketplace="US", sandbox=SANDBOX)
GRANTLESS = spapi(SP_DRAFT, "na", None, scope="sellingpartnerapi::notifications", sandbox=SANDBOX)
DENIED = "Access to requested resource is denied."
# Amazon's exact texts (src/amzauth/sandbox is the reference: it answers with them).
SIG_EXPIRED = "Signature expired: 20261206T001000Z is now earlier than 20261206T001500Z (20261206T002000Z - 5 min.)"

# (profile, stage, code, extra evidence, expected cause)
ENGINE: list[tuple[dict[str, Any], str, str, dict[str, Any], str]] = [
    (CREATORS | {"credential_version": "2.1"}, "token", "invalid_client", {}, "version-mismatch"),
    (creators(C31, "3.2", marketplace="US"), "token", "invalid_client", {"accepted_version": "3.1",
                                                                         "version_probed": True},
     "wrong-region-version"),
    (CREATORS, "token", "invalid_client", {"version_probed": True}, "wrong-secret"),
    (SELLER, "token", "invalid_client", {}, "wrong-secret"),
    (CREATORS | {"client_id": APP_DRAFT}, "token", "invalid_client", {}, "app-id-as-client-id"),
    (CREATORS | {"client_secret": C31[1] + " "}, "token", "invalid_client", {}, "whitespace-padding"),
    (COGNITO | {"auth_endpoint": "https://api.amazon.com/auth/o2/token"}, "token", "invalid_client", {},
     "endpoint-override-family"),
    (CREATORS | {"client_id": "2f5ndbx21demo7cognito0a1b2"}, "token", "invalid_client", {}, "unknown-client"),
    (CREATORS | {"scope": "creatorsapi/default"}, "token", "invalid_scope", {}, "scope-override-wrong-family"),
    (GRANTLESS, "token", "invalid_scope", {}, "grantless-scope-not-allowed"),
    (CREATORS | {"scope": "creatorsapi::defualt"}, "token", "invalid_scope", {}, "scope-typo"),
    (SELLER, "token", "invalid_grant",
     {"message": "The request has an invalid grant parameter : refresh_token User may have revoked or didn't "
                 "grant the permission."}, "refresh-token-revoked"),
    (SELLER | {"auth_endpoint": "https://api.amazon.co.uk/auth/o2/token"}, "token", "invalid_grant",
     {"message": "The request has an invalid grant parameter : refresh_token"}, "refresh-token-wrong-region"),
    (SELLER, "token", "invalid_grant", {"message": "The request has an invalid grant parameter : refresh_token"},
     "refresh-token-other-app"),
    (SELLER | {"refresh_token": RT_NA[:20]}, "token", "invalid_grant",
     {"message": "The request has an invalid grant parameter : refresh_token"}, "malformed-refresh-token"),
    (SELLER, "token", "invalid_grant", {"message": "The request has an invalid grant parameter : code"},
     "code-reused-or-expired"),
    (creators(C31, "3.1", marketplace="US", scope="sellingpartnerapi::notifications"), "token",
     "unauthorized_client", {"message": "Not authorized for requested operation"}, "scope-of-another-api"),
    (CREATORS, "token", "unauthorized_client", {"message": "Not authorized for requested operation"},
     "creators-not-enabled"),
    (GRANTLESS, "token", "unauthorized_client", {"message": "Not authorized for requested operation"},
     "app-not-approved-for-scope"),
    (COGNITO | {"grant_type": "password"}, "token", "unsupported_grant_type", {}, "grant-type-override"),
    (CREATORS, "token", "unsupported_grant_type", {}, "grant-type-typo"),
    (CREATORS | {"auth_endpoint": "https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token"}, "token",
     "invalid_request", {}, "wrong-body-encoding"),
    (SELLER, "token", "invalid_request",
     {"message": "The request is missing a required parameter : client_secret"}, "missing-parameter"),
    (SELLER, "token", "expired_token", {"message": "The token has expired"}, "cached-token-stale"),
    (SELLER, "token", "expired_token", {"clock_skew": 900.0}, "clock-skew"),
    (SELLER, "token", "server_error", {"status": 500, "message": "Internal Server Error"}, "amazon-transient"),
    (SELLER, "token", "server_error", {"status": 500, "message": "Token request failed."},
     "sdk-relabelled-error"),
    (SELLER, "token", "temporarily_unavailable", {"status": 503, "retry_after": 7.0}, "amazon-transient"),
    (SELLER, "token", "temporarily_unavailable", {"status": 503}, "amazon-transient"),
    (CREATORS | {"api_endpoint": "https://creatorsapi.example"}, "api", "UnknownOperation",
     {"message": "Unknown operation: POST /catalog/v1/searchItem"}, "api-endpoint-override"),
    (CREATORS, "api", "UnknownOperation", {"message": "Unknown operation: POST /catalog/v1/searchItem"},
     "operation-typo"),
    (CREATORS, "api", "CannotParse", {"message": "Content-Type must be application/json"}, "body-not-json"),
    (CREATORS, "api", "FieldValidationFailed",
     {"message": "1 validation error detected: Value at 'keywords' failed to satisfy constraint: Member must "
                 "be a string of length at most 1000"}, "field-invalid"),
    (CREATORS, "api", "FieldValidationFailed",
     {"message": "1 validation error detected: Value at 'itemCount' failed to satisfy constraint: Member must "
                 "have value less than or equal to 10"}, "item-count-out-of-range"),
    (CREATORS, "api", "FieldValidationFailed",
     {"message": "1 validation error detected: Value at 'marketplace' failed to satisfy constraint: Member "
                 "must be a marketplace host"}, "invalid-marketplace"),
    (CREATORS | {"partner_tag": "democa-20"}, "api", "InvalidAssociate",
     {"message": "The partner tag democa-20 is not valid for marketplace www.amazon.com."},
     "partner-tag-wrong-marketplace"),
    (CREATORS | {"partner_tag": "nosuchtag-20"}, "api", "InvalidPartnerTag",
     {"message": "The partner tag nosuchtag-20 is invalid or not registered."}, "partner-tag-unknown"),
    (CREATORS, "api", "ItemNotAccessible",
     {"message": "The ItemId B00000000X is not accessible through the Creators API."}, "item-not-in-marketplace"),
    (CREATORS, "api", "InvalidParameterValue",
     {"message": "The ItemId B0BAD provided in the request is invalid."}, "id-malformed"),
    (CREATORS, "api", "NoResults", {"message": "No results found for your request."}, "no-match"),
    (CREATORS, "api", "TokenExpired", {"message": "The authentication token has expired", "token_age": 3000.0},
     "token-expired"),
    (CREATORS, "api", "TokenExpired", {"message": "The authentication token has expired", "token_age": 2.0},
     "clock-skew"),
    (CREATORS | {"auth_endpoint": "https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token"}, "api",
     "InvalidToken", {"message": "The authentication token is invalid or malformed: a 2.x token must be sent as "
                                 "'Authorization: Bearer <token>, Version 2.1', got no Version"},
     "missing-version-suffix"),
    (CREATORS, "api", "InvalidToken",
     {"message": "The authentication token is invalid or malformed: a 3.x token must be sent as 'Authorization: "
                 "Bearer <token>' without a Version"}, "unexpected-version-suffix"),
    (COGNITO, "api", "InvalidToken",
     {"message": "The authentication token is invalid or malformed: a 2.x token must be sent as 'Authorization: "
                 "Bearer <token>, Version 2.2', got 'Version 2.1'"}, "wrong-version-suffix"),
    (CREATORS, "api", "InvalidToken", {"message": "The authentication token is invalid or malformed"},
     "malformed-token"),
    (CREATORS, "api", "InvalidIssuer", {}, "issuer-not-accepted"),
    (CREATORS, "api", "MissingClaim", {}, "token-without-creators-scope"),
    (CREATORS, "api", "MissingKeyId", {}, "token-not-from-amazon"),
    (CREATORS, "api", "UnsupportedClient", {}, "client-not-supported"),
    (CREATORS, "api", "InvalidClient", {"message": "The client that obtained this token no longer exists"},
     "token-client-not-creators"),
    (CREATORS, "api", "MissingCredential", {"message": "Authorization header is missing"},
     "authorization-header-missing"),
    (CREATORS, "api", "MissingCredential", {"message": "Authorization header is missing", "token_age": 1.0},
     "header-stripped-by-proxy"),
    (CREATORS, "api", "Other", {"status": 400, "message": "The request could not be processed"},
     "validation-other"),
    (CREATORS, "api", "Other", {"status": 401, "message": "The request is not authorized"}, "unauthorized-other"),
    (CREATORS, "api", "AssociateNotEligible",
     {"message": "Your account does not currently meet the eligibility requirements."}, "not-eligible"),
    (CREATORS | {"marketplace": "MX"}, "api", "AuthorizationFailed",
     {"message": "You are not authorized to access marketplace www.amazon.com.mx."}, "marketplace-not-approved"),
    (creators(C31, "3.2", marketplace="JP"), "api", "AuthorizationFailed",
     {"message": "You are not authorized to access marketplace www.amazon.co.jp."},
     "credential-region-marketplace"),
    (CREATORS | {"api_endpoint": "https://creatorsapi.example/v2"}, "api", "ResourceNotFoundException", {},
     "unknown-path"),
    (CREATORS, "api", "ResourceNotFoundException", {}, "resource-id-unknown"),
    (CREATORS, "api", "ThrottleException", {"message": "Request rate limit exceeded."}, "rate-limit-exceeded"),
    (CREATORS, "api", "ThrottleException", {"message": "Daily request quota exceeded."}, "daily-quota-exceeded"),
    (CREATORS, "api", "InternalServerException", {"status": 500}, "amazon-transient"),
    (SELLER, "api", "Unauthorized", {"message": DENIED, "token_region": "eu"}, "spapi-wrong-region"),
    (SELLER, "api", "Unauthorized", {"message": DENIED, "lwa_profile_token": True}, "lwa-profile-token"),
    (GRANTLESS, "api", "Unauthorized", {"message": DENIED, "operation": "GET /sellers/v1/marketplaceParticipations"},
     "grantless-token-on-seller-operation"),
    (SELLER, "api", "Unauthorized", {"message": DENIED, "baseline_ok": True,
                                     "operation": "GET /catalog/2022-04-01/items"}, "spapi-missing-role"),
    (SELLER, "api", "Unauthorized", {"message": DENIED, "baseline_ok": True}, "spapi-missing-role"),
    (SELLER | {"draft": True}, "api", "Unauthorized", {"message": DENIED}, "spapi-draft-app"),
    (SELLER, "api", "Unauthorized",
     {"message": DENIED + " The access token you provided is revoked, malformed or invalid."},
     "spapi-token-revoked"),
    (SELLER, "api", "Unauthorized", {"message": DENIED + " The LWA secret token you provided has expired."},
     "spapi-secret-expired"),
    (SELLER, "api", "Unauthorized", {"message": DENIED}, "spapi-account-unhealthy"),
    (SELLER, "api", "Unauthorized", {"message": DENIED + " Access token is missing in the request header."},
     "spapi-token-missing"),
    (SELLER, "api", "Unauthorized", {"message": DENIED, "operation": "GET /orders/v0/orders/123-1/address"},
     "restricted-operation-without-rdt"),
    (SELLER | {"auth_endpoint": "https://sellingpartnerapi-na.amazon.com/auth/o2/token"}, "token",
     "MissingAuthenticationToken", {"message": "Missing Authentication Token"}, "token-request-to-api-host"),
    (SELLER, "api", "MissingAuthenticationToken", {"message": "Missing Authentication Token"}, "unknown-api-path"),
    (SELLER, "api", "QuotaExceeded", {"message": "You exceeded your quota for the requested resource."},
     "spapi-quota"),
    (SELLER, "api", "InvalidInput",
     {"message": "Invalid 'marketplaceIds' provided: A1PA6795UKMFR9 is not a marketplace of this region."},
     "spapi-invalid-marketplace"),
    (SELLER, "api", "InvalidInput", {"message": "Missing required 'marketplaceIds'."},
     "spapi-marketplace-ids-missing"),
    (SELLER, "api", "InvalidInput", {"message": "'pageSize' must be an integer between 1 and 20."},
     "invalid-parameter"),
    (SELLER, "api", "InvalidSignature",
     {"message": "Credential should be scoped to a valid region, not 'us-east-1'."}, "sigv4-wrong-region"),
    (SELLER, "api", "InvalidSignature", {"message": SIG_EXPIRED}, "sigv4-clock-skew"),
    (SELLER, "api", "NotFound", {"message": "Resource /nosuch/v1/thing not found."}, "resource-not-found"),
    (SELLER | {"api_endpoint": "https://sellingpartnerapi-na.amazon.com/v9"}, "api", "NotFound",
     {"message": "Resource /v9/sellers/v1/marketplaceParticipations not found."}, "unknown-api-path"),
    (SELLER, "api", "InternalFailure", {"status": 500}, "amazon-transient"),
    (SELLER, "api", "RestrictedDataToken", {"operation": "GET /orders/v0/orders/123-1/address"}, "rdt-missing"),
    (SELLER, "api", "RestrictedDataToken", {"message": "The restricted data token does not grant the role"},
     "rdt-role-missing"),
    (SELLER, "api", "SignatureDoesNotMatch", {"message": SIGV4_MISMATCH}, "sigv4-signature-mismatch"),
    (CREATORS, "token", "invalid_grant", {}, "creators-credential-half-replaced"),
    (CREATORS, "api", "invalid_grant", {"token_age": 30.0}, "creators-stale-cached-token"),
    (CREATORS, "token", "invalid_grant", {"message": "User may have revoked or didn't grant the permission."},
     "creators-app-revoked"),
    (SELLER, "consent", "state_mismatch", {}, "old-or-foreign-callback"),
    (SELLER, "consent", "callback", {}, "callback-incomplete"),
    (SELLER, "consent", "timeout", {}, "callback-not-received"),
    (CREATORS, "token", "timeout", {}, "request-timed-out"),
    (SELLER, "consent", "access_denied", {"message": LWA_DESCRIPTIONS["access_denied"]}, "consent-declined"),
    (CREATORS | {"client_id": "AKIAIOSFODNN7SANDBOX"}, "config", "paapi", {}, "paapi-retired"),
    (CREATORS, "token", "405", {"status": 405}, "host-header-with-scheme"),
    (CREATORS | {"auth_endpoint": "https://api.amazon.com/auth/o2/token?grant_type=client_credentials"}, "token",
     "500", {"status": 500}, "params-in-query-string"),
    (CREATORS, "token", "500", {"status": 500, "message": "oops"}, "amazon-transient"),
    (CREATORS | {"auth_endpoint": "https://api.amazon.com/auth/o2/tokens"}, "token", "404", {"status": 404},
     "token-endpoint-not-found"),
    (CREATORS, "token", "network", {"message": "unreachable"}, "unreachable"),
    (CREATORS, "token", "network", {"message": "timeout"}, "timeout"),
    (CREATORS, "token", "network", {"message": "unreachable: [Errno -2] Name or service not known"}, "dns-failure"),
    (CREATORS, "token", "network", {"message": "unreachable: [SSL: CERTIFICATE_VERIFY_FAILED]"}, "tls-error"),
    (CREATORS | {"sandbox": SANDBOX}, "token", "network", {"message": "unreachable"}, "sandbox-not-running"),
]


def _profile(values: dict[str, Any]) -> Any:
    return profile_from_mapping(values)


def _check(d: dict[str, Any]) -> None:
    for text in (d["summary"], *d["fix"]):
        assert not UNFILLED.search(text), f"{d['code']}/{d['cause']}: unfilled placeholder in {text!r}"


def _choose(case: tuple[dict[str, Any], str, str, dict[str, Any], str]) -> tuple[Any, Any]:
    values, stage, code, extra, _ = case
    prof = _profile(values)
    plan = build_plan(prof)
    ev = evidence_for(plan, client_id=plan.client_id, client_secret=prof.secret("client_secret") or "",
                      stage=stage, code=code, findings=inspect_profile(prof, plan),
                      draft=bool(prof.get("draft")), **extra)
    return choose(ev), prof


@pytest.mark.parametrize("case", ENGINE, ids=[f"{c[2]}/{c[4]}" for c in ENGINE])
def test_engine_causes_render_completely(case: tuple[dict[str, Any], str, str, dict[str, Any], str]) -> None:
    choice, prof = _choose(case)
    assert choice.cause == case[4], (choice.code, choice.cause)
    _check(_diagnosis(choice, prof))


# Profiles the doctor inspects offline: each yields a finding (diagnosis or warning) of this cause.
FINDINGS: list[tuple[dict[str, Any], str]] = [
    (CREATORS | {"client_secret": "YOUR_SECRET"}, "placeholder-value"),
    (CREATORS | {"client_secret": C31[1] + "\n"}, "whitespace-padding"),
    (CREATORS | {"partner_tag": ""}, "missing-key"),
    (SELLER | {"secret_expires": "2020-01-01"}, "spapi-secret-expired"),
    (SELLER | {"secret_expires": "{soon}"}, "secret-expiring"),
    (CREATORS | {"credential_version": "2.1"}, "version-mismatch"),
    (SELLER | {"client_id": APP_DRAFT}, "app-id-as-client-id"),
    (creators(C31, "3.2", marketplace="JP"), "marketplace-region-mismatch"),
    (CREATORS | {"scope": "creatorsapi/default"}, "scope-override-wrong-family"),
    (CREATORS | {"scope": "creatorsapi::defualt"}, "scope-typo"),
    (CREATORS | {"auth_endpoint": "https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token"},
     "endpoint-override-family"),
    (COGNITO | {"grant_type": "password"}, "grant-type-override"),
    (SELLER | {"redirect_uri": "https://example.com/cb#frag"}, "redirect-uri-fragment"),
    (SELLER | {"redirect_uri": "http://example.com/cb"}, "redirect-uri-not-https"),
    (CREATORS | {"client_id": "AKIAIOSFODNN7SANDBOX", "client_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSANDBOXKEY"},
     "paapi-keys"),
    (SELLER | {"refresh_token": "IwEBnotarefreshtoken"}, "malformed-refresh-token"),
    (SELLER | {"refresh_token": RT_NA[:20]}, "malformed-refresh-token"),
    (SELLER | {"application_id": "app-1234"}, "application-id-format"),
]


@pytest.mark.parametrize("case", FINDINGS, ids=[f"{c[1]}-{i}" for i, c in enumerate(FINDINGS)])
def test_local_findings_render_completely(case: tuple[dict[str, Any], str]) -> None:
    from datetime import UTC, datetime, timedelta

    values, cause = case
    soon = (datetime.now(UTC) + timedelta(days=12)).date().isoformat()
    prof = _profile({k: (v.replace("{soon}", soon) if isinstance(v, str) else v) for k, v in values.items()})
    plan = build_plan(prof)
    found = [f for f in inspect_profile(prof, plan) if f.cause == cause]
    assert found, [f.cause for f in inspect_profile(prof, plan)]
    _check(_finding_diagnosis(found[0], prof, plan))


# Profiles the loader refuses: the doctor's config report (exit 2).
CONFIG_ERRORS: list[tuple[dict[str, Any], str]] = [
    (CREATORS | {"credential_version": "9.1"}, "unknown-version"),
    (CREATORS | {"partner_tags": "demo-20"}, "unknown-key"),
    ({k: v for k, v in CREATORS.items() if k != "client_secret"}, "missing-key"),
    (CREATORS | {"client_secret": "env:AMZAUTH_TEST_SURELY_UNSET_VARIABLE"}, "env-var-unset"),
    (CREATORS | {"creators_rate": "fast"}, "config-invalid"),
    (CREATORS | {"grant_type": "refresh_token"}, "grant-type-override"),
]


@pytest.mark.parametrize("case", CONFIG_ERRORS, ids=[c[1] for c in CONFIG_ERRORS])
def test_config_errors_render_completely(case: tuple[dict[str, Any], str], tmp_path: Any) -> None:
    values, cause = case
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
    report = run_doctor(profile_name="default", config=str(cfg))
    d = report.doc["diagnosis"]
    assert d["cause"] == cause, d
    _check(d)


def test_missing_profile_renders_completely(tmp_path: Any) -> None:
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text("[profiles.other]\napi = \"creators\"\n")
    d = run_doctor(profile_name="nosuch", config=str(cfg)).doc["diagnosis"]
    assert d["cause"] == "profile-not-found"
    _check(d)


@pytest.mark.parametrize("code", ["MD1000", "MD5101", "MD5110", "MD9010", "MD9100"])
def test_consent_codes_render_completely(code: str) -> None:
    prof = _profile(SELLER | {"application_id": APP_DRAFT, "redirect_uri": "https://example.com/amazon/callback"})
    err = consent_error(code, consent_plan(prof), redirect_uri="https://example.com/amazon/callback")
    assert err.diagnosis is not None
    _check(err.diagnosis)


def test_doctor_warnings_render_completely() -> None:
    """The clock warning the doctor adds on its own (the skew measured against Amazon's Date header)."""
    from amzauth.catalogue import load_catalogue as cat

    w = cat()["config"].diagnosis("clock-skew", values={"skew": 1200, "profile": "default"})
    _check(w)


def test_every_cause_is_reached_here() -> None:
    cat = load_catalogue()
    reached = set()
    for case in ENGINE:
        choice, _ = _choose(case)
        reached.add((cat[choice.catalogue_code or choice.code].code, choice.cause))
    reached |= {("config", c) for _, c in FINDINGS} | {("config", c) for _, c in CONFIG_ERRORS}
    reached |= {("config", "profile-not-found"), ("config", "clock-skew")}
    reached |= {(code, c.id) for code in ("MD1000", "MD5101", "MD5110", "MD9010", "MD9100")
                for c in load_catalogue()[code].causes}
    reached |= {("invalid_grant", "code-redirect-mismatch"), ("invalid_grant", "code-verifier-mismatch")}
    # ^ the code exchange's own evidence (tests/spapi/test_surfaces_agree.py renders them from the sandbox)
    missing = [ref for ref in cat.cause_refs() if ref not in reached]
    assert not missing, missing
