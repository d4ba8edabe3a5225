"""Local credential inspection: what can be told about a profile without sending anything.

Classifies ids and secrets and finds the mistakes that cost users days: a 3.x secret under a 2.x
version, an SP-API app id where the LwA client id belongs, whitespace padding, placeholders, a URI
fragment, an override of the other family. Pure: it sees the profile and the date it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from amzauth.config.marketplaces import find_marketplace
from amzauth.config.profiles import Profile
from amzauth.core.plan import (
    COGNITO_SCOPE,
    LWA_SCOPE,
    LWA_VERSION_REGION,
    Plan,
    family_for_version,
)

Severity = Literal["error", "warning"]
LWA_SECRET_PREFIX: Final = "amzn1.oa2-cs.v1."
LWA_CLIENT_PREFIX: Final = "amzn1.application-oa2-client."
APP_ID_PREFIX: Final = "amzn1.sp.solution."
PLACEHOLDERS: Final = frozenset(
    {
        "your_secret",
        "yoursecret",
        "your_client_secret",
        "your_client_id",
        "xxx",
        "xxxx",
        "changeme",
        "change_me",
        "secret",
        "todo",
        "placeholder",
        "<secret>",
        "<client_secret>",
        "...",
        "none",
        "null",
        "your-secret",
        "your_refresh_token",
        "client_secret",
        "client_id",
        "test",
        "example",
    }
)
_COGNITO_ID: Final = re.compile(r"^[a-z0-9]{20,32}$")
# PA-API 5 credentials were AWS-style keys: an access key id and a 40-character secret access key.
_AWS_ACCESS_KEY: Final = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")
_AWS_SECRET_KEY: Final = re.compile(r"^[A-Za-z0-9/+]{40}$")
# Amazon's LwA refresh tokens run to several hundred characters; the sandbox's to 62 or more. Anything
# shorter (or holding whitespace or an ellipsis) was cut when copied.
REFRESH_TOKEN_MIN_LENGTH: Final = 250
SANDBOX_REFRESH_TOKEN_MIN_LENGTH: Final = 60


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem seen locally. ``cause`` is a catalogue cause id; ``key`` the profile key to change."""

    key: str
    cause: str
    severity: Severity
    message: str
    fix: str
    suggested_value: str | None = None


def classify_client_id(value: str) -> str:
    """``lwa-client-id``, ``spapi-app-id``, ``cognito-client-id`` or ``unknown``."""
    v = value.strip()
    if v.startswith(LWA_CLIENT_PREFIX):
        return "lwa-client-id"
    if v.startswith(APP_ID_PREFIX):
        return "spapi-app-id"
    if _COGNITO_ID.match(v):
        return "cognito-client-id"
    return "unknown"


def is_paapi_key_pair(client_id: str, secret: str) -> bool:
    """PA-API 5 keys (``AKIA…`` and a 40-character secret key), which no Creators endpoint accepts."""
    cid, sec = client_id.strip(), secret.strip()
    return bool(_AWS_ACCESS_KEY.match(cid)) and (not sec or bool(_AWS_SECRET_KEY.match(sec)))


def refresh_token_cut(value: str, *, sandbox: bool) -> bool:
    """Whether an ``Atzr|`` refresh token looks cut short or broken when copied."""
    v = value.strip()
    if any(c.isspace() for c in v) or "…" in v or "..." in v:
        return True
    return len(v) < (SANDBOX_REFRESH_TOKEN_MIN_LENGTH if sandbox else REFRESH_TOKEN_MIN_LENGTH)


def classify_secret(value: str) -> str:
    """``lwa-v1`` for Login with Amazon secrets (``amzn1.oa2-cs.v1.``), else ``other``."""
    return "lwa-v1" if value.strip().startswith(LWA_SECRET_PREFIX) else "other"


def is_placeholder(value: str) -> bool:
    v = value.strip().lower()
    return v in PLACEHOLDERS or bool(re.fullmatch(r"x{3,}|\*{3,}|<[^>]*>|your[_-].*", v))


def _padded(value: str) -> bool:
    return value != value.strip()


def inspect_profile(
    profile: Profile, plan: Plan | None = None, *, today: datetime | None = None
) -> list[Finding]:
    """Every local finding for a profile, errors first. ``plan`` adds routing-aware checks."""
    out: list[Finding] = []
    name = profile.name
    for key in ("client_id", "client_secret", "refresh_token", "partner_tag", "application_id"):
        raw = profile.secret(key) if key in ("client_secret", "refresh_token") else profile.get(key)
        if raw is None:
            continue
        value = str(raw)
        if value.strip() == "":
            out.append(
                Finding(
                    key,
                    "missing-key",
                    "error",
                    f"{key} is empty",
                    f"set {key} in profile {name} (or AMZAUTH_{key.upper()})",
                )
            )
            continue
        if _padded(value):
            out.append(
                Finding(
                    key,
                    "whitespace-padding",
                    "error",
                    f"{key} has leading or trailing whitespace (Amazon compares it byte for byte)",
                    f"remove the spaces or newline around {key} in profile {name}",
                )
            )
        if is_placeholder(value):
            out.append(
                Finding(
                    key,
                    "placeholder-value",
                    "error",
                    f"{key} is a placeholder, not a real value",
                    f"paste the real {key} from Amazon's console into profile {name}",
                )
            )
    cid = profile.get("client_id")
    secret = profile.secret("client_secret") or ""
    if isinstance(cid, str) and classify_client_id(cid) == "spapi-app-id":
        out.append(
            Finding(
                "client_id",
                "app-id-as-client-id",
                "error",
                "client_id holds an SP-API application id (amzn1.sp.solution.…), not the LwA client id",
                "copy the LWA client identifier (amzn1.application-oa2-client.…) from Developer "
                "Central > View LWA credentials; the app id belongs in application_id",
            )
        )
    if isinstance(cid, str) and is_paapi_key_pair(cid, secret):
        out.append(
            Finding(
                "client_id",
                "paapi-keys",
                "error",
                "client_id and client_secret are PA-API 5 keys (an AKIA… access key and its secret key); "
                "PA-API 5 was retired on 2026-05-15 and the Creators API needs its own credentials",
                "create a Creators API credential in Associates Central (Tools > Creators API) and put its "
                "Credential ID, Secret and Version in the profile",
            )
        )
    if profile.api == "creators":
        out.extend(_creators_findings(profile, plan, secret))
    else:
        out.extend(_spapi_findings(profile, today, sandbox=bool(profile.get("sandbox"))))
    if plan is not None:
        out.extend(_override_findings(profile, plan))
    out.sort(key=lambda f: f.severity != "error")
    return out


def suggested_lwa_version(plan: Plan | None, profile: Profile) -> str:
    """The 3.x version for the profile's marketplace region (3.1 NA, 3.2 EU, 3.3 FE)."""
    mp = plan.marketplace if plan else find_marketplace(str(profile.get("marketplace") or "US"))
    return mp.creators_version if mp else "3.1"


def _creators_findings(profile: Profile, plan: Plan | None, secret: str) -> list[Finding]:
    out: list[Finding] = []
    version = str(profile.get("credential_version") or "")
    fam = family_for_version(version)
    sfmt = classify_secret(secret)
    if fam == "cognito" and sfmt == "lwa-v1":
        sugg = suggested_lwa_version(plan, profile)
        out.append(
            Finding(
                "credential_version",
                "version-mismatch",
                "error",
                f"the client secret is a 3.x (Login with Amazon) secret but credential_version is {version}",
                f'set credential_version = "{sugg}" in profile {profile.name}',
                sugg,
            )
        )
    elif fam == "lwa" and secret and sfmt != "lwa-v1":
        out.append(
            Finding(
                "credential_version",
                "version-mismatch",
                "warning",
                f"credential_version {version} is a Login with Amazon version, but the secret does not "
                "start with amzn1.oa2-cs.v1. as 3.x secrets do",
                "check the version shown next to the credential in Associates Central (2.1, 2.2 or 2.3?)",
            )
        )
    if fam == "lwa" and version not in LWA_VERSION_REGION:
        out.append(
            Finding(
                "credential_version",
                "unknown-version",
                "warning",
                f"credential_version {version} is newer than this release knows; using the NA endpoint",
                "upgrade amzauth, or set auth_endpoint if Amazon gave you one",
            )
        )
    cid = profile.get("client_id")
    if fam == "lwa" and isinstance(cid, str) and classify_client_id(cid) == "cognito-client-id":
        out.append(
            Finding(
                "credential_version",
                "version-mismatch",
                "warning",
                "client_id looks like a Cognito (2.x) app client id, but credential_version is 3.x",
                "check the version shown next to the credential",
            )
        )
    if not profile.get("partner_tag"):
        out.append(
            Finding(
                "partner_tag",
                "missing-key",
                "warning",
                "no partner_tag: tokens work, but searchItems and getItems need one",
                f'add partner_tag = "yourtag-20" to profile {profile.name}',
            )
        )
    if plan is not None and plan.marketplace is not None and fam == "lwa" and version in LWA_VERSION_REGION:
        want = plan.marketplace.creators_version
        if want != version:
            out.append(
                Finding(
                    "marketplace",
                    "marketplace-region-mismatch",
                    "warning",
                    f"marketplace {plan.marketplace.host} is outside the region of credential_version "
                    f"{version} (a {want} credential serves it)",
                    f"keep credential_version at the version Amazon issued; use a marketplace of its region, "
                    f"or a credential created for {plan.marketplace.host}",
                )
            )
    return out


def _spapi_findings(profile: Profile, today: datetime | None, *, sandbox: bool) -> list[Finding]:
    out: list[Finding] = []
    redirect = profile.get("redirect_uri")
    if isinstance(redirect, str) and redirect:
        if "#" in redirect:
            out.append(
                Finding(
                    "redirect_uri",
                    "redirect-uri-fragment",
                    "error",
                    "redirect_uri contains a fragment (#); Amazon refuses it with MD5110",
                    "remove the #… part here and in the app's registered redirect URIs",
                )
            )
        if not redirect.startswith("https://") and not redirect.startswith(
            ("http://127.0.0.1", "http://localhost")
        ):
            out.append(
                Finding(
                    "redirect_uri",
                    "redirect-uri-not-https",
                    "warning",
                    "redirect_uri is not https; Amazon accepts only https redirect URIs (except "
                    "local testing)",
                    "register and use an https:// redirect URI",
                )
            )
    refresh = profile.secret("refresh_token")
    if refresh and refresh.strip().startswith("Atzr|") and refresh_token_cut(refresh, sandbox=sandbox):
        out.append(
            Finding(
                "refresh_token",
                "malformed-refresh-token",
                "warning",
                f"refresh_token is {len(refresh.strip())} characters long or broken; a whole Login with "
                "Amazon refresh token is longer: it looks cut when copied",
                "copy the whole refresh token again, or run amzauth spapi authorize",
            )
        )
    elif refresh and not refresh.strip().startswith(("Atzr|", "stored:")):
        out.append(
            Finding(
                "refresh_token",
                "malformed-refresh-token",
                "warning",
                "refresh_token does not start with Atzr| as LwA refresh tokens do",
                "copy the whole refresh token, or run amzauth spapi authorize",
            )
        )
    app_id = profile.get("application_id")
    if isinstance(app_id, str) and app_id and not app_id.strip().startswith(APP_ID_PREFIX):
        out.append(
            Finding(
                "application_id",
                "application-id-format",
                "warning",
                "application_id should start with amzn1.sp.solution.",
                "copy the App ID from Developer Central",
            )
        )
    expires = profile.get("secret_expires")
    if expires:
        out.extend(_expiry_findings(str(expires), today))
    return out


def parse_when(text: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _expiry_findings(text: str, today: datetime | None) -> list[Finding]:
    when = parse_when(text)
    if when is None:
        return [
            Finding(
                "secret_expires",
                "config-invalid",
                "error",
                f"secret_expires {text!r} is not a date",
                'write it as "2027-03-01"',
            )
        ]
    now = today or datetime.now(UTC)
    days = (when - now).total_seconds() / 86400
    if days < 0:
        return [
            Finding(
                "client_secret",
                "spapi-secret-expired",
                "error",
                f"the LwA client secret expired on {when.date()}",
                "rotate it (amzauth spapi rotate-secret, or Developer Central) and update client_secret",
            )
        ]
    if days <= 30:
        return [
            Finding(
                "client_secret",
                "secret-expiring",
                "warning",
                f"the LwA client secret expires in {int(days)} days ({when.date()})",
                "run amzauth spapi rotate-secret before then",
            )
        ]
    return []


def _override_findings(profile: Profile, plan: Plan) -> list[Finding]:
    out: list[Finding] = []
    if plan.api != "creators":
        return out
    if "scope" in plan.overrides:
        right = COGNITO_SCOPE if plan.family == "cognito" else LWA_SCOPE
        out.append(
            Finding(
                "scope",
                "scope-override-wrong-family" if plan.scope in (COGNITO_SCOPE, LWA_SCOPE) else "scope-typo",
                "warning",
                f"scope is overridden to {plan.scope!r}; {plan.credential_version} credentials use {right!r}",
                f"remove the scope line from profile {profile.name}",
                right,
            )
        )
    if "auth_endpoint" in plan.overrides:
        ep = plan.amazon_token_endpoint
        cognito_host = "amazoncognito.com" in ep
        if (plan.family == "lwa") == cognito_host:
            out.append(
                Finding(
                    "auth_endpoint",
                    "endpoint-override-family",
                    "warning",
                    f"auth_endpoint points at a {'Cognito' if cognito_host else 'Login with Amazon'} "
                    f"host but credential_version {plan.credential_version} is "
                    f"{'LwA' if plan.family == 'lwa' else 'Cognito'}",
                    f"remove auth_endpoint from profile {profile.name}",
                    plan.derived.get("auth_endpoint"),
                )
            )
    if "grant_type" in plan.overrides:
        out.append(
            Finding(
                "grant_type",
                "grant-type-override",
                "warning",
                f"grant_type is overridden to {plan.grant_type!r}; the Creators API uses client_credentials",
                f"remove grant_type from profile {profile.name}",
                "client_credentials",
            )
        )
    return out
