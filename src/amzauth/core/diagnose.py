"""Cause selection: from what Amazon answered plus what we know locally, pick one catalogue cause.

Pure: it sees the plan, the local findings and the answer's fields, never the network. The rules
encode what a support engineer would check first: the secret's format against the version family,
overrides in use, whitespace, an app id in client_id, the region the token belongs to, the draft
flag, clock skew. The catalogue (``amzauth.catalogue``) supplies the words; this module the choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Final

from amzauth.config.marketplaces import Region
from amzauth.config.redact import redact_id
from amzauth.core.inspect import Finding, classify_client_id, classify_secret
from amzauth.core.plan import (
    COGNITO_SCOPE,
    COGNITO_VERSION_REGION,
    GRANTLESS_SCOPES,
    LWA_SCOPE,
    LWA_VERSION_REGION,
    Plan,
    family_for_version,
)

SKEW_LIMIT: Final = 300.0  # seconds: beyond this, "expired" answers are blamed on the clock
FRESH_TOKEN_AGE: Final = 120.0  # seconds: a token this young refused as expired means a clock is wrong
REGION_NAMES: Final[dict[str, str]] = {"na": "North America", "eu": "Europe", "fe": "the Far East"}
DEFAULT_MARKETPLACE_HOST: Final[dict[str, str]] = {
    "na": "www.amazon.com",
    "eu": "www.amazon.co.uk",
    "fe": "www.amazon.co.jp",
}
COGNITO_VERSION_BY_REGION: Final[dict[str, str]] = {"na": "2.1", "eu": "2.2", "fe": "2.3"}


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the cause selection may look at. Holds no secret, only classifications."""

    plan: Plan
    stage: str  # "token" | "api" | "config"
    code: str | None  # OAuth error, Creators reason or type, SP-API code, HTTP status text
    status: int | None = None
    message: str | None = None  # error_description, message or details
    findings: tuple[Finding, ...] = ()
    secret_format: str = "other"
    client_id_kind: str = "unknown"
    clock_skew: float | None = None
    draft: bool = False
    token_region: Region | None = None  # SP-API: the region where the access token was accepted
    retry_after: float | None = None
    operation: str | None = None  # SP-API: the call that failed, e.g. "GET /catalog/2022-04-01/items"
    # SP-API: whether a call that needs no role (marketplaceParticipations) works with the same token.
    # True turns an empty-details 403 into a missing role: token, region, app state and account are fine.
    baseline_ok: bool | None = None
    # Creators invalid_client: the doctor asks the same family's other regional hosts. None with
    # version_probed True: no host knows the credential (so it is the secret, not the version).
    accepted_version: str | None = None
    version_probed: bool = False
    token_age: float | None = None  # seconds since the refused access token was issued
    # SP-API: Login with Amazon's /user/profile accepted the token: a customer's sign-in, not a seller's.
    lwa_profile_token: bool | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """The selected catalogue entry and cause, the field to change and the value to set."""

    code: str
    cause: str
    field: str | None = None  # overrides the cause's field when the evidence is more precise
    suggested_value: str | None = None
    values: Mapping[str, object] = dc_field(default_factory=dict)
    catalogue_code: str | None = None  # when Amazon's spelling differs from the catalogue key


Rule = Callable[[Evidence, str], Choice]


def evidence_for(
    plan: Plan,
    *,
    client_id: str,
    client_secret: str,
    stage: str,
    code: str | None,
    findings: Iterable[Finding] = (),
    **kw: object,
) -> Evidence:
    """Build evidence from raw values; the secret is classified here and not kept."""
    return Evidence(
        plan=plan,
        stage=stage,
        code=code,
        findings=tuple(findings),
        secret_format=classify_secret(client_secret),
        client_id_kind=classify_client_id(client_id),
        **kw,  # type: ignore[arg-type]
    )


def _finding(ev: Evidence, cause: str, key: str | None = None) -> Finding | None:
    return next((f for f in ev.findings if f.cause == cause and (key is None or f.key == key)), None)


def _base_values(ev: Evidence) -> dict[str, object]:
    p = ev.plan
    return {
        "profile": p.profile,
        "version": p.credential_version,
        "marketplace": p.marketplace.host if p.marketplace else None,
        "region": p.region,
        "endpoint": p.amazon_token_endpoint,
        "host": p.amazon_token_endpoint.split("/")[2] if "//" in p.amazon_token_endpoint else None,
        "family": "Login with Amazon" if p.family == "lwa" else "Cognito",
        "secret_family": "3.x (Login with Amazon)" if ev.secret_format == "lwa-v1" else "2.x (Cognito)",
        "scope": p.scope,
        "grant_type": p.grant_type,
        "message": ev.message,
        "skew": None if ev.clock_skew is None else round(ev.clock_skew),
        "retry_after": "not sent" if ev.retry_after is None else f"{ev.retry_after:g} s",
        "value": redact_id(p.client_id),  # the client id, unless the rule names another value
        "partner_tag": p.partner_tag,
    }


def _choice(
    ev: Evidence,
    code: str,
    cause: str,
    *,
    field: str | None = None,
    suggested: str | None = None,
    catalogue_code: str | None = None,
    **values: object,
) -> Choice:
    vals = _base_values(ev)
    vals.update(values)
    if suggested is not None:
        vals["suggested"] = suggested
    return Choice(
        code=code,
        cause=cause,
        field=field,
        suggested_value=suggested,
        values=vals,
        catalogue_code=catalogue_code,
    )


def name_source(diagnosis: dict[str, Any], sources: Mapping[str, str], profile: str) -> dict[str, Any]:
    """Point the fix at where the diagnosed value comes from when that is an environment variable.

    ``AMZAUTH_<KEY>`` overrides the file and ``env:NAME`` reads a variable: "set it in the profile"
    would change nothing (or was already right), so the fix names the variable instead.
    """
    fld = diagnosis.get("field")
    src = sources.get(str(fld)) if fld else None
    if not src or not (src.startswith("env:") or src.startswith("AMZAUTH_")):
        return diagnosis
    var = src.removeprefix("env:")
    suggested = diagnosis.get("suggested_value")
    value = (
        f"{var}={suggested}" if suggested and fld not in ("client_secret", "refresh_token") else f"{var}=..."
    )
    if src.startswith("AMZAUTH_"):
        where = f"the environment variable {var} (it overrides profile {profile})"
        first = f"{fld} comes from the environment variable {var}, which overrides profile {profile}: set it there (export {value}) or unset it; editing the profiles file alone changes nothing."
    else:
        where = f"the environment variable {var} (profile {profile} reads it)"
        first = f"{fld} in profile {profile} reads the environment variable {var}: fix the value of {var} (export {value})."
    fix = [
        first,
        *(step.replace(f" in profile {profile}", f" in {where}") for step in diagnosis.get("fix", [])),
    ]
    return {**diagnosis, "fix": fix}


def suggested_creators_version(plan: Plan, secret_format: str) -> str:
    """The version matching the secret's family, in the marketplace's region."""
    region = plan.marketplace.region if plan.marketplace else (plan.region or "na")
    if secret_format == "lwa-v1":
        return {"na": "3.1", "eu": "3.2", "fe": "3.3"}[region]
    return COGNITO_VERSION_BY_REGION[region]


def choose(ev: Evidence) -> Choice:
    """Pick the cause for an answer. Unknown codes fall back to a generic cause of their status."""
    code = ev.code or (str(ev.status) if ev.status else "network")
    rule = _RULES.get(code)
    if rule is not None:
        return rule(ev, code)
    if ev.status is not None and ev.status >= 500:
        return _choice(ev, code, "amazon-transient", catalogue_code="server_error")
    return _choice(ev, code, "config-invalid", catalogue_code="config")


# --- token endpoint ----------------------------------------------------------------------------


def _invalid_client(ev: Evidence, code: str) -> Choice:
    p = ev.plan
    if _finding(ev, "app-id-as-client-id"):
        return _choice(ev, code, "app-id-as-client-id")
    pad = _finding(ev, "whitespace-padding", "client_secret") or _finding(
        ev, "whitespace-padding", "client_id"
    )
    if pad:
        return _choice(ev, code, "whitespace-padding", field=pad.key, key=pad.key)
    if "auth_endpoint" in p.overrides:
        cognito_host = "amazoncognito.com" in p.amazon_token_endpoint
        if p.api == "creators" and (p.family == "lwa") == cognito_host:
            return _choice(ev, code, "endpoint-override-family", suggested=p.derived.get("auth_endpoint"))
    if p.api == "creators" and p.credential_version:
        fam = family_for_version(p.credential_version)
        secret_fam = "lwa" if ev.secret_format == "lwa-v1" else "cognito"
        if fam != secret_fam:
            return _choice(
                ev, code, "version-mismatch", suggested=suggested_creators_version(p, ev.secret_format)
            )
        if ev.accepted_version is not None and ev.accepted_version != p.credential_version:
            # Another region's host issued a token for these very credentials: the version Amazon issued.
            return _choice(ev, code, "wrong-region-version", suggested=ev.accepted_version)
        if (
            fam == "lwa"
            and p.marketplace is not None
            and "auth_endpoint" not in p.overrides
            and not ev.version_probed
        ):
            want = p.marketplace.creators_version
            if want != p.credential_version and p.credential_version in ("3.1", "3.2", "3.3"):
                return _choice(ev, code, "wrong-region-version", suggested=want)
        if fam == "lwa" and ev.client_id_kind == "cognito-client-id":
            return _choice(ev, code, "unknown-client")
    if p.api == "spapi" and ev.client_id_kind not in ("lwa-client-id",) and ev.client_id_kind != "unknown":
        return _choice(ev, code, "unknown-client")
    return _choice(ev, code, "wrong-secret")


def _invalid_scope(ev: Evidence, code: str) -> Choice:
    p = ev.plan
    if p.api == "spapi":
        scope = p.scope or ""
        import difflib

        close = difflib.get_close_matches(scope, GRANTLESS_SCOPES, n=1, cutoff=0.5)
        if close and close[0] != scope:
            return _choice(ev, code, "scope-typo", suggested=close[0])
        return _choice(ev, code, "grantless-scope-not-allowed")
    right = COGNITO_SCOPE if p.family == "cognito" else LWA_SCOPE
    if p.scope in (COGNITO_SCOPE, LWA_SCOPE):
        return _choice(ev, code, "scope-override-wrong-family", suggested=right)
    return _choice(ev, code, "scope-typo", suggested=right)


def _unsupported_grant(ev: Evidence, code: str) -> Choice:
    derived = ev.plan.derived.get("grant_type") or (
        "client_credentials" if ev.plan.api == "creators" else "refresh_token"
    )
    if "grant_type" in ev.plan.overrides:
        return _choice(ev, code, "grant-type-override", suggested=derived)
    return _choice(ev, code, "grant-type-typo", suggested=derived)


def _invalid_request(ev: Evidence, code: str) -> Choice:
    if "auth_endpoint" in ev.plan.overrides:
        return _choice(ev, code, "wrong-body-encoding", suggested=ev.plan.derived.get("auth_endpoint"))
    param = (ev.message or "").rsplit(":", 1)[-1].strip() if ev.message and ":" in ev.message else None
    fld = param if param in ("client_secret", "client_id", "refresh_token", "scope", "grant_type") else None
    return _choice(ev, code, "missing-parameter", field=fld, parameter=param or "(not named)")


def _unauthorized_client(ev: Evidence, code: str) -> Choice:
    p = ev.plan
    right = COGNITO_SCOPE if p.family == "cognito" else LWA_SCOPE
    if p.api == "creators" and "scope" in p.overrides and p.scope not in (COGNITO_SCOPE, LWA_SCOPE):
        return _choice(ev, code, "scope-of-another-api", field="scope", suggested=right)
    return _choice(
        ev, code, "creators-not-enabled" if ev.plan.api == "creators" else "app-not-approved-for-scope"
    )


def _invalid_grant(ev: Evidence, code: str) -> Choice:
    msg = (ev.message or "").lower()
    if ev.plan.api == "creators":  # no refresh token or code: the credential pair itself, or its token
        if "revoked" in msg:
            return _choice(ev, code, "creators-app-revoked")
        if ev.token_age is not None:
            return _choice(ev, code, "creators-stale-cached-token")
        return _choice(ev, code, "creators-credential-half-replaced")
    if msg.endswith(": code") or ": code " in msg or "code_verifier" in msg:
        if "redirect" in msg:
            return _choice(ev, code, "code-redirect-mismatch")
        if "verifier" in msg:
            return _choice(ev, code, "code-verifier-mismatch")
        return _choice(ev, code, "code-reused-or-expired")
    if "revoked" in msg:
        return _choice(ev, code, "refresh-token-revoked")
    if _finding(ev, "malformed-refresh-token"):
        return _choice(ev, code, "malformed-refresh-token")
    if "auth_endpoint" in ev.plan.overrides:
        host = ev.plan.amazon_token_endpoint.split("/")[2] if "//" in ev.plan.amazon_token_endpoint else ""
        region = "eu" if host.endswith(".co.uk") else "fe" if host.endswith(".co.jp") else "na"
        return _choice(ev, code, "refresh-token-wrong-region", suggested=region, expected_region=region)
    return _choice(ev, code, "refresh-token-other-app")


def _clock_to_blame(ev: Evidence) -> bool:
    """A skew beyond the limit, or a token refused as expired moments after it was issued."""
    if ev.clock_skew is not None and abs(ev.clock_skew) > SKEW_LIMIT:
        return True
    return ev.token_age is not None and ev.token_age < FRESH_TOKEN_AGE


def _expired_token(ev: Evidence, code: str) -> Choice:
    if _clock_to_blame(ev):
        return _choice(ev, code, "clock-skew")
    return _choice(ev, code, "cached-token-stale")


def _transient(ev: Evidence, code: str) -> Choice:
    if code == "server_error" and (ev.message or "").strip() == "Token request failed.":
        return _choice(ev, code, "sdk-relabelled-error")
    if ev.stage == "token" and ev.status == 500 and "?" in ev.plan.amazon_token_endpoint:
        # LwA answers parameters sent in the query string with a 500: blame the URL, not Amazon.
        return _choice(
            ev,
            "500",
            "params-in-query-string",
            suggested=ev.plan.amazon_token_endpoint.split("?")[0],
            catalogue_code="500",
        )
    return _choice(ev, code, "amazon-transient")


def _http_405(ev: Evidence, code: str) -> Choice:
    return _choice(ev, code, "host-header-with-scheme")


def _http_500(ev: Evidence, code: str) -> Choice:
    if ev.stage == "token" and not (ev.message or "").strip():
        return _choice(ev, code, "params-in-query-string")
    return _choice(ev, code, "amazon-transient")


# --- Creators API ------------------------------------------------------------------------------


def _invalid_token(ev: Evidence, code: str) -> Choice:
    msg = ev.message or ""
    p = ev.plan
    if "got no Version" in msg:  # a Cognito token sent without its suffix: the version that issued it
        wanted = re.search(r"Version (\d+\.\d+)", msg)
        return _choice(
            ev,
            code,
            "missing-version-suffix",
            suggested=wanted.group(1) if wanted else suggested_creators_version(p, "other"),
        )
    if "without a Version" in msg or (p.family == "lwa" and "Version" in msg):
        return _choice(
            ev, code, "unexpected-version-suffix", suggested=suggested_creators_version(p, "lwa-v1")
        )
    if "Version" in msg:
        wanted = re.search(r"Version (\d+\.\d+)", msg)
        return _choice(
            ev,
            code,
            "wrong-version-suffix",
            suggested=wanted.group(1) if wanted else suggested_creators_version(p, "other"),
        )
    return _choice(ev, code, "malformed-token")


def _token_expired(ev: Evidence, code: str) -> Choice:
    if _clock_to_blame(ev):
        return _choice(ev, code, "clock-skew")
    return _choice(ev, code, "token-expired")


def _throttle(ev: Evidence, code: str) -> Choice:
    daily = "daily" in (ev.message or "").lower() or "quota" in (ev.message or "").lower()
    return _choice(ev, code, "daily-quota-exceeded" if daily else "rate-limit-exceeded")


def _single(cause: str) -> Rule:
    def rule(ev: Evidence, code: str) -> Choice:
        return _choice(ev, code, cause)

    return rule


def _partner_tag_wrong_mp(ev: Evidence, code: str) -> Choice:
    return _choice(ev, code, "partner-tag-wrong-marketplace", value=ev.plan.partner_tag or "(none)")


def _partner_tag_unknown(ev: Evidence, code: str) -> Choice:
    return _choice(ev, code, "partner-tag-unknown", value=ev.plan.partner_tag or "(none)")


def _quoted(message: str | None, pattern: str = r"'([^']+)'") -> str | None:
    """The first quoted name in Amazon's message ("Value at 'itemCount' ...", "'pageSize' must ...")."""
    m = re.search(pattern, message or "")
    return m.group(1) if m else None


def _field_validation(ev: Evidence, code: str) -> Choice:
    name = _quoted(ev.message, r"Value at '([^']+)'") or _quoted(ev.message) or "a request field"
    if name == "itemCount":
        return _choice(ev, code, "item-count-out-of-range", key=name)
    if "marketplace" in name.lower():
        return _choice(ev, code, "invalid-marketplace", key=name)
    return _choice(ev, code, "field-invalid", key=name)


def _unknown_operation(ev: Evidence, code: str) -> Choice:
    if "api_endpoint" in ev.plan.overrides:
        return _choice(ev, code, "api-endpoint-override")
    op = (ev.message or "").partition("Unknown operation:")[2].strip() or ev.operation or "(not named)"
    return _choice(ev, code, "operation-typo", value=op)


def _id_malformed(ev: Evidence, code: str) -> Choice:
    return _choice(ev, code, "id-malformed", parameter=_quoted(ev.message, r"The (\w+) ") or "ItemIds")


def _missing_credential(ev: Evidence, code: str) -> Choice:
    if ev.token_age is not None:  # amzauth sent the header with a token it just got: something removed it
        return _choice(ev, code, "header-stripped-by-proxy")
    return _choice(ev, code, "authorization-header-missing")


def _other(ev: Evidence, code: str) -> Choice:
    return _choice(ev, code, "unauthorized-other" if ev.status == 401 else "validation-other")


def _restricted_data_token(ev: Evidence, code: str) -> Choice:
    if "role" in (ev.message or "").lower():
        return _choice(ev, code, "rdt-role-missing")
    return _choice(ev, code, "rdt-missing", value=ev.operation or "(the restricted operation)")


def _http_404(ev: Evidence, code: str) -> Choice:
    if ev.stage == "token":
        return _choice(
            ev,
            code,
            "token-endpoint-not-found",
            field="auth_endpoint" if "auth_endpoint" in ev.plan.overrides else None,
            suggested=ev.plan.derived.get("auth_endpoint"),
            catalogue_code="NotFound",
        )
    return _not_found(ev, "NotFound")


def _authorization_failed(ev: Evidence, code: str) -> Choice:
    """A credential serves its own region only: outside it, no version change helps (set the issued one)."""
    p = ev.plan
    version = p.credential_version or ""
    issued = LWA_VERSION_REGION.get(version) or COGNITO_VERSION_REGION.get(version)
    if (
        p.api == "creators"
        and issued is not None
        and p.marketplace is not None
        and p.marketplace.region != issued
        and "auth_endpoint" not in p.overrides
    ):
        return _choice(
            ev,
            code,
            "credential-region-marketplace",
            suggested=DEFAULT_MARKETPLACE_HOST[issued],
            expected_region=REGION_NAMES[issued],
        )
    return _choice(ev, code, "marketplace-not-approved")


# --- SP-API ------------------------------------------------------------------------------------


# SP-API operations that return personal data and take a Restricted Data Token in x-amz-access-token
# (Tokens API createRestrictedDataToken): Orders v0 and MFN shipments.
_RESTRICTED_OPERATIONS: Final = (
    re.compile(r"^GET /orders/v0/orders(/[^/]+(/address|/buyerInfo|/orderItems(/buyerInfo)?)?)?$"),
    re.compile(r"^(GET|POST) /mfn/v0/shipments(/[^/]+)?$"),
    re.compile(r"^GET /mfn/v0/shipments/[^/]+/label$"),
)


# The role each SP-API path family needs (Amazon's "Roles in the Selling Partner API" table), most
# specific first. Reports depend on the report type, so they name the usual ones.
_ROLE_BY_PATH: Final = (
    ("/catalog/", "Product Listing"),
    ("/listings/", "Product Listing"),
    ("/definitions/", "Product Listing"),
    ("/feeds/", "Product Listing"),
    ("/product-types/", "Product Listing"),
    ("/products/pricing/", "Pricing"),
    ("/batches/products/pricing/", "Pricing"),
    ("/products/fees/", "Pricing"),
    ("/orders/", "Inventory and Order Tracking"),
    ("/fba/inventory/", "Amazon Fulfillment"),
    ("/fba/inbound/", "Amazon Fulfillment"),
    ("/fba/outbound/", "Amazon Fulfillment"),
    ("/inbound/fba/", "Amazon Fulfillment"),
    ("/finances/", "Finance and Accounting"),
    ("/sales/", "Selling Partner Insights"),
    ("/messaging/", "Buyer Communication"),
    ("/solicitations/", "Buyer Solicitation"),
    ("/reports/", "the one the report type needs, e.g. Selling Partner Insights or Brand Analytics"),
)


def role_for_operation(operation: str | None) -> str:
    """The SP-API role an operation (``"METHOD /path"``) needs, in words."""
    path = (operation or "").split(" ", 1)[-1].split("?", 1)[0]
    for prefix, role in _ROLE_BY_PATH:
        if path.startswith(prefix):
            return role
    return "listed in the operation's SP-API reference"


# Operations a grantless (client_credentials) token may call; everything else needs a seller's token.
_GRANTLESS_PATHS: Final = ("/notifications/v1/destinations", "/notifications/v1/subscriptions",
                           "/applications/")  # fmt: skip


def is_grantless_operation(operation: str) -> bool:
    path = operation.split(" ", 1)[-1].split("?", 1)[0]
    return path.startswith(_GRANTLESS_PATHS)


def is_restricted_operation(operation: str) -> bool:
    """Whether ``"METHOD /path"`` (query ignored) is a restricted SP-API operation needing an RDT."""
    return any(p.match(operation.split("?", 1)[0]) for p in _RESTRICTED_OPERATIONS)


def _spapi_unauthorized(ev: Evidence, code: str) -> Choice:
    msg = (ev.message or "").lower()
    if "revoked, malformed or invalid" in msg:
        return _choice(ev, code, "spapi-token-revoked")
    if "missing in the request header" in msg:
        return _choice(ev, code, "spapi-token-missing")
    if "secret token you provided has expired" in msg:
        return _choice(ev, code, "spapi-secret-expired")
    if ev.lwa_profile_token:
        return _choice(ev, code, "lwa-profile-token", field="refresh_token")
    if (
        ev.plan.grant_type == "client_credentials"
        and ev.operation
        and not is_grantless_operation(ev.operation)
    ):
        # A grantless token speaks for the app, not for a seller: seller operations refuse it.
        return _choice(ev, code, "grantless-token-on-seller-operation", value=ev.operation)
    if ev.token_region is not None and ev.token_region != ev.plan.region:
        return _choice(
            ev, code, "spapi-wrong-region", suggested=ev.token_region, expected_region=ev.token_region
        )
    if ev.operation and is_restricted_operation(ev.operation):
        # Checked before the role probe's verdict: a plain token also works on role-free calls.
        return _choice(ev, code, "restricted-operation-without-rdt", value=ev.operation)
    if "restricted" in msg and not ev.operation:
        return _choice(ev, code, "restricted-operation-without-rdt", value="(the restricted operation)")
    if "role" in msg or (ev.baseline_ok and "restricted" not in msg):
        return _choice(
            ev,
            code,
            "spapi-missing-role",
            role=role_for_operation(ev.operation),
            value=ev.operation or "(the refused operation)",
        )
    if "account" in msg and ("health" in msg or "deactivat" in msg or "suspend" in msg):
        return _choice(ev, code, "spapi-account-unhealthy")
    if ev.draft and "draft" in msg:
        return _choice(ev, code, "spapi-draft-app", field="draft")
    if ev.draft:
        return _choice(ev, code, "spapi-draft-app")
    return _choice(ev, code, "spapi-account-unhealthy")


def _missing_auth_token(ev: Evidence, code: str) -> Choice:
    if ev.stage == "token" or "auth_endpoint" in ev.plan.overrides:
        return _choice(ev, code, "token-request-to-api-host", suggested=ev.plan.derived.get("auth_endpoint"))
    return _choice(ev, code, "unknown-api-path")


def _sigv4_skew(message: str) -> float | None:
    """Seconds between the signature's time and Amazon's, from "Signature expired: T is now earlier
    than … (NOW - 5 min.)" or "Signature not yet current: T is still later than … (NOW + 5 min.)"."""
    from datetime import UTC, datetime

    stamps = re.findall(r"\d{8}T\d{6}Z", message)
    if len(stamps) < 3:
        return None
    signed, now = (datetime.strptime(t, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) for t in (stamps[0], stamps[2]))
    return (now - signed).total_seconds()


def _invalid_signature(ev: Evidence, code: str) -> Choice:
    from amzauth.config.marketplaces import AWS_REGION_BY_REGION

    msg = (ev.message or "").lower()
    if "does not match the signature" in msg or code == "SignatureDoesNotMatch":
        return _choice(ev, code, "sigv4-signature-mismatch")
    if "expired" in msg or "not yet current" in msg:
        skew = _sigv4_skew(ev.message or "")
        return _choice(ev, code, "sigv4-clock-skew", skew=None if skew is None else round(skew))
    region = ev.plan.region
    return _choice(
        ev,
        code,
        "sigv4-wrong-region",
        value=_quoted(ev.message, r"not '([^']*)'") or "(another region)",
        suggested=AWS_REGION_BY_REGION[region] if region else None,
    )


def _not_found(ev: Evidence, code: str) -> Choice:
    if "api_endpoint" in ev.plan.overrides:
        return _choice(
            ev, code, "unknown-path" if code == "ResourceNotFoundException" else "unknown-api-path"
        )
    return _choice(
        ev, code, "resource-id-unknown" if code == "ResourceNotFoundException" else "resource-not-found"
    )


def _invalid_input(ev: Evidence, code: str) -> Choice:
    msg = (ev.message or "").lower()
    if "marketplaceids" in msg.replace(" ", "") and "missing" in msg:
        return _choice(ev, code, "spapi-marketplace-ids-missing", parameter="marketplaceIds")
    if "marketplace" in msg:
        named = re.search(r"provided: ([A-Z0-9]+)", ev.message or "")
        if named:
            return _choice(ev, code, "spapi-invalid-marketplace", marketplace=named.group(1))
        return _choice(ev, code, "spapi-invalid-marketplace")
    return _choice(ev, code, "invalid-parameter", parameter=_quoted(ev.message) or "(named in the message)")


_TLS_WORDS: Final = ("ssl", "tls", "certificate")
_DNS_WORDS: Final = ("dns", "name or service", "nodename", "getaddrinfo", "name resolution")


def _timeout(ev: Evidence, code: str) -> Choice:
    if ev.stage == "consent":
        return _choice(ev, code, "callback-not-received")
    return _choice(ev, code, "request-timed-out")


def _network(ev: Evidence, code: str) -> Choice:
    kind = (ev.message or "").lower()
    if "timeout" in kind or "timed out" in kind:
        return _choice(ev, "network", "timeout")
    if ev.plan.sandbox:
        return _choice(ev, "network", "sandbox-not-running")
    if any(w in kind for w in _TLS_WORDS):
        return _choice(ev, "network", "tls-error")
    if any(w in kind for w in _DNS_WORDS):
        return _choice(ev, "network", "dns-failure")
    return _choice(ev, "network", "unreachable")


_RULES: Final[dict[str, Rule]] = {
    "invalid_client": _invalid_client,
    "invalid_scope": _invalid_scope,
    "unsupported_grant_type": _unsupported_grant,
    "invalid_request": _invalid_request,
    "unauthorized_client": _unauthorized_client,
    "invalid_grant": _invalid_grant,
    "expired_token": _expired_token,
    "server_error": _transient,
    "temporarily_unavailable": _transient,
    "405": _http_405,
    "500": _http_500,
    "InvalidToken": _invalid_token,
    "TokenExpired": _token_expired,
    "ThrottleException": _throttle,
    "InternalServerException": _transient,
    "InternalFailure": _transient,
    "AssociateNotEligible": _single("not-eligible"),
    "AuthorizationFailed": _authorization_failed,
    "InvalidPartnerTag": _partner_tag_unknown,
    "ItemNotAccessible": _single("item-not-in-marketplace"),
    "InvalidParameterValue": _id_malformed,
    "NoResults": _single("no-match"),
    "Other": _other,
    "RestrictedDataToken": _restricted_data_token,
    "404": _http_404,
    "InvalidAssociate": _partner_tag_wrong_mp,
    "CannotParse": _single("body-not-json"),
    "FieldValidationFailed": _field_validation,
    "UnknownOperation": _unknown_operation,
    "InvalidIssuer": _single("issuer-not-accepted"),
    "MissingClaim": _single("token-without-creators-scope"),
    "MissingKeyId": _single("token-not-from-amazon"),
    "UnsupportedClient": _single("client-not-supported"),
    "InvalidClient": _single("token-client-not-creators"),
    "MissingCredential": _missing_credential,
    "ResourceNotFoundException": _not_found,
    "NotFound": _not_found,
    "Unauthorized": _spapi_unauthorized,
    "MissingAuthenticationToken": _missing_auth_token,
    "QuotaExceeded": _single("spapi-quota"),
    "InvalidInput": _invalid_input,
    "InvalidSignature": _invalid_signature,
    "SignatureDoesNotMatch": _invalid_signature,
    "IncompleteSignature": _invalid_signature,
    "state_mismatch": _single("old-or-foreign-callback"),
    "callback": _single("callback-incomplete"),
    "timeout": _timeout,
    "access_denied": _single("consent-declined"),
    "paapi": _single("paapi-retired"),
    "network": _network,
}
