"""What the catalogue must contain, taken from the doctor issue's brief and the wire reference.

Exported for other test areas: the doctor's scenario suite imports ``all_codes()``,
``all_cause_refs()`` and ``explain_only_codes()`` to check that every entry is reached by some
scenario (entries marked ``explain_only`` are reached through ``amzauth explain`` instead).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from amzauth.catalogue import load_catalogue

# The doctor report's `field` values, read from the project's reference
# (docs/reference/doctor-report.md, the "- `field`:" rule) so the test cannot drift from it.
DOCTOR_REPORT_DOC: Final = Path(__file__).resolve().parents[2] / "docs" / "reference" / "doctor-report.md"


def _contract_fields() -> frozenset[str]:
    text = DOCTOR_REPORT_DOC.read_text(encoding="utf-8")
    rule = re.search(r"^- `field`:(.*?)\n- `", text, re.S | re.M)
    assert rule is not None, "doctor-report.md no longer has its `field` rule"
    return frozenset(re.findall(r"`([a-z_]+)`", rule.group(1)))


CONTRACT_FIELDS: Final[frozenset[str]] = _contract_fields()

OAUTH_CODES: Final = (
    "invalid_client",
    "invalid_scope",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_request",
    "expired_token",
    "server_error",
    "temporarily_unavailable",
)
CREATORS_REASONS: Final = (
    "UnknownOperation",
    "CannotParse",
    "FieldValidationFailed",
    "InvalidAssociate",
    "InvalidPartnerTag",
    "Other",
    "TokenExpired",
    "InvalidToken",
    "InvalidIssuer",
    "MissingClaim",
    "MissingKeyId",
    "UnsupportedClient",
    "InvalidClient",
    "MissingCredential",
    "AssociateNotEligible",
    "AuthorizationFailed",
    "ResourceNotFoundException",
    "ThrottleException",
    "InternalServerException",
)
SPAPI_CODES: Final = (
    "Unauthorized",
    "MissingAuthenticationToken",
    "QuotaExceeded",
    "InvalidInput",
    "InvalidSignature",
    "NotFound",
    "InternalFailure",
)
CONSENT_CODES: Final = ("MD1000", "MD5101", "MD5110", "MD9010", "MD9100")
OTHER_CODES: Final = ("405", "500", "config", "network")
REQUIRED_CODES: Final = OAUTH_CODES + CREATORS_REASONS + SPAPI_CODES + CONSENT_CODES + OTHER_CODES

ANY: Final = None  # the brief leaves the field open
# code -> [(cause id, allowed fields or ANY, required retryable or ANY)]
REQUIRED_CAUSES: Final[dict[str, list[tuple[str, frozenset[str] | None, bool | None]]]] = {
    "invalid_client": [
        ("version-mismatch", frozenset({"credential_version"}), False),
        ("wrong-region-version", frozenset({"credential_version"}), False),
        ("wrong-secret", frozenset({"client_secret"}), False),
        ("app-id-as-client-id", frozenset({"client_id"}), False),
        ("whitespace-padding", frozenset({"client_secret", "client_id"}), False),
        ("endpoint-override-family", frozenset({"auth_endpoint"}), False),
        ("unknown-client", frozenset({"client_id"}), False),
    ],
    "invalid_scope": [
        ("scope-override-wrong-family", frozenset({"scope"}), False),
        ("grantless-scope-not-allowed", frozenset({"scope"}), False),
        ("scope-typo", frozenset({"scope"}), False),
    ],
    "unsupported_grant_type": [("grant-type-override", frozenset({"grant_type"}), False)],
    "invalid_request": [
        ("wrong-body-encoding", frozenset({"none", "auth_endpoint"}), False),
        ("missing-parameter", ANY, False),
    ],
    "unauthorized_client": [
        ("creators-not-enabled", frozenset({"account"}), False),
        ("app-not-approved-for-scope", frozenset({"account"}), False),
    ],
    "invalid_grant": [
        ("refresh-token-revoked", frozenset({"refresh_token"}), False),
        ("refresh-token-wrong-region", frozenset({"region"}), False),
        ("refresh-token-other-app", frozenset({"refresh_token"}), False),
        ("code-reused-or-expired", frozenset({"none"}), False),
        ("code-redirect-mismatch", frozenset({"redirect_uri"}), False),
    ],
    "server_error": [("amazon-transient", frozenset({"none"}), True)],
    "temporarily_unavailable": [("amazon-transient", frozenset({"none"}), True)],
    "ThrottleException": [
        ("rate-limit-exceeded", frozenset({"none"}), True),
        ("daily-quota-exceeded", frozenset({"none"}), ANY),
    ],
    "InvalidToken": [
        ("missing-version-suffix", frozenset({"credential_version"}), False),
        ("unexpected-version-suffix", frozenset({"credential_version"}), False),
        ("wrong-version-suffix", frozenset({"credential_version"}), False),
        ("malformed-token", ANY, False),
    ],
    "TokenExpired": [
        ("token-expired", frozenset({"none"}), ANY),
        ("clock-skew", frozenset({"clock"}), False),
    ],
    "AssociateNotEligible": [("not-eligible", frozenset({"account"}), False)],
    "AuthorizationFailed": [("marketplace-not-approved", frozenset({"marketplace"}), False)],
    "InvalidPartnerTag": [("partner-tag-unknown", frozenset({"partner_tag"}), False)],
    "InvalidAssociate": [("partner-tag-wrong-marketplace", frozenset({"partner_tag", "marketplace"}), False)],
    "Unauthorized": [
        ("spapi-wrong-region", frozenset({"region"}), False),
        ("spapi-missing-role", frozenset({"account"}), False),
        ("spapi-draft-app", frozenset({"account", "draft"}), False),
        ("spapi-token-revoked", frozenset({"refresh_token"}), False),
        ("spapi-secret-expired", frozenset({"client_secret"}), False),
        ("spapi-account-unhealthy", frozenset({"account"}), False),
        ("spapi-token-missing", ANY, False),
    ],
    "MissingAuthenticationToken": [("token-request-to-api-host", frozenset({"auth_endpoint"}), False)],
    "QuotaExceeded": [("spapi-quota", frozenset({"none"}), True)],
    "InvalidSignature": [
        ("sigv4-wrong-region", frozenset({"region"}), False),
        ("sigv4-clock-skew", frozenset({"clock"}), False),
    ],
    "MD1000": [("draft-without-beta", frozenset({"draft"}), False)],
    "MD5101": [("redirect-uri-not-registered", frozenset({"redirect_uri"}), False)],
    "MD5110": [("redirect-uri-fragment", frozenset({"redirect_uri"}), False)],
    "MD9010": [("mws-developer-id-missing", frozenset({"account"}), False)],
    "MD9100": [("no-login-or-redirect-uri", frozenset({"account"}), False)],
    "405": [("host-header-with-scheme", frozenset({"auth_endpoint"}), False)],
    "500": [("params-in-query-string", frozenset({"auth_endpoint"}), False)],
    "network": [("unreachable", frozenset({"network"}), True), ("timeout", frozenset({"network"}), ANY)],
    "config": [
        ("config-invalid", ANY, False),
        ("unknown-version", frozenset({"credential_version"}), False),
        ("placeholder-value", ANY, False),
        ("missing-key", ANY, False),
    ],
}

# Codes whose retrying unchanged can succeed (contract: transient, throttling, network).
TRANSIENT_CODES: Final = frozenset(
    {
        "server_error",
        "temporarily_unavailable",
        "ThrottleException",
        "InternalServerException",
        "QuotaExceeded",
        "InternalFailure",
        "network",
    }
)


def all_codes() -> tuple[str, ...]:
    """Every code in the catalogue, in file order."""
    return load_catalogue().codes


def all_cause_refs() -> list[tuple[str, str]]:
    """Every (code, cause id) pair in the catalogue."""
    return load_catalogue().cause_refs()


def explain_only_codes() -> tuple[str, ...]:
    """Entries no sandbox world produces: scenario suites may skip them (explain tests cover them)."""
    return load_catalogue().explain_only_codes()
