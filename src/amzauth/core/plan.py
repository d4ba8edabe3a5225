"""Routing: from a profile to a frozen plan of how to talk to Amazon. Pure, no I/O.

The one table that decides token endpoint, grant, scope, body encoding, client authentication,
API base URL and header form for every credential Amazon issues (docs/reference/wire.md).
Overrides are honoured but recorded, so the doctor can point at them when they are the problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from amzauth.config.endpoints import SPAPI_TOKEN_ENDPOINT as SPAPI_TOKEN_ENDPOINT
from amzauth.config.endpoints import sandbox_url as sandbox_url
from amzauth.config.marketplaces import (
    AWS_REGION_BY_REGION,
    BY_COUNTRY,
    LWA_HOST_BY_REGION,
    REGIONS,
    SELLER_CENTRAL_BY_REGION,
    SPAPI_HOST_BY_REGION,
    VENDOR_CENTRAL_BY_REGION,
    Marketplace,
    Region,
    find_marketplace,
)
from amzauth.config.profiles import ConfigError, Profile
from amzauth.config.redact import fingerprint

Family = Literal["cognito", "lwa"]
BodyFormat = Literal["form", "json"]

COGNITO_ENDPOINTS: Final[dict[str, str]] = {
    "2.1": "https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
    "2.2": "https://creatorsapi.auth.eu-south-2.amazoncognito.com/oauth2/token",
    "2.3": "https://creatorsapi.auth.us-west-2.amazoncognito.com/oauth2/token",
}
LWA_VERSION_REGION: Final[dict[str, Region]] = {"3.1": "na", "3.2": "eu", "3.3": "fe"}
COGNITO_VERSION_REGION: Final[dict[str, Region]] = {"2.1": "na", "2.2": "eu", "2.3": "fe"}
COGNITO_SCOPE: Final = "creatorsapi/default"
LWA_SCOPE: Final = "creatorsapi::default"
CREATORS_API: Final = "https://creatorsapi.amazon"
LWA_PATH: Final = "/auth/o2/token"
GRANTLESS_SCOPES: Final = (
    "sellingpartnerapi::notifications",
    "sellingpartnerapi::client_credential:rotation",
)
OVERRIDABLE: Final = ("auth_endpoint", "scope", "grant_type", "api_endpoint")
_VERSION_RE: Final = re.compile(r"^(\d+)\.(\d+)$")


@dataclass(frozen=True, slots=True)
class Plan:
    """How to get a token and call the API for one profile. Holds no secret."""

    profile: str
    api: Literal["creators", "spapi"]
    family: Family
    credential_version: str | None
    client_id: str
    token_endpoint: str  # effective URL (after the sandbox rewrite)
    amazon_token_endpoint: str  # the Amazon URL before any sandbox rewrite
    grant_type: str
    scope: str | None
    body_format: BodyFormat
    client_auth: Literal["body", "basic"]
    api_base_url: str
    amazon_api_base_url: str
    auth_header_name: str  # "Authorization" or "x-amz-access-token"
    auth_header_template: str  # "Bearer {token}, Version 2.1" etc.
    marketplace: Marketplace | None
    region: Region | None  # SP-API region, or the region of a Creators credential
    seller_central_host: str | None
    vendor_central_host: str | None
    aws_region: str | None
    partner_tag: str | None = None
    sandbox: str | None = None
    overrides: frozenset[str] = frozenset()
    derived: Mapping[str, str | None] = field(default_factory=dict)  # what an override replaced
    version_source: str | None = None

    @property
    def authorization_header(self) -> str:
        """The header form as the doctor shows it, e.g. ``Bearer <token>, Version 2.1``."""
        return self.auth_header_template.replace("{token}", "<token>")

    def auth_header(self, token: str) -> tuple[str, str]:
        return self.auth_header_name, self.auth_header_template.replace("{token}", token)

    def cache_key(self, secret: str, refresh_token: str | None = None) -> str:
        """Key from the non-secret plan fields plus fingerprints of the secret material.

        A changed secret, version, endpoint or scope never reuses an old token.
        """
        parts = [
            self.api,
            self.family,
            self.credential_version or "",
            self.client_id,
            self.amazon_token_endpoint,
            self.grant_type,
            self.scope or "",
            self.sandbox or "",
            fingerprint(secret),
            fingerprint(refresh_token) if refresh_token else "",
        ]
        return "tok:" + fingerprint("\x1f".join(parts))


def parse_version(version: str) -> tuple[int, int] | None:
    m = _VERSION_RE.match(version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def family_for_version(version: str) -> Family | None:
    parsed = parse_version(version)
    if parsed is None:
        return None
    return {2: "cognito", 3: "lwa"}.get(parsed[0])  # type: ignore[return-value]


def creators_token_endpoint(version: str) -> str | None:
    """The Amazon token endpoint for a Creators credential version; None for unknown versions."""
    if version in COGNITO_ENDPOINTS:
        return COGNITO_ENDPOINTS[version]
    parsed = parse_version(version)
    if parsed and parsed[0] == 3 and parsed[1] >= 1:
        region = LWA_VERSION_REGION.get(version, "na")  # 3.4+ falls back to NA [rule]
        return f"https://{LWA_HOST_BY_REGION[region]}{LWA_PATH}"
    return None


def _check_url(key: str, value: str, profile: Profile) -> None:
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[" (Invalid IPv6 URL)
        parts = urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(
            f"{key} must be a full URL, got {value!r}",
            key=key,
            profile=profile.name,
            file=profile.file,
            fix=f"write it with its scheme, e.g. https://{value.lstrip('/')}"
            if key != "sandbox"
            else "e.g. http://127.0.0.1:8700",
        )


def _marketplace(profile: Profile, *, default: str | None) -> Marketplace | None:
    raw = profile.get("marketplace") or default
    if raw is None:
        return None
    m = find_marketplace(str(raw))
    if m is None:
        raise ConfigError(
            f"unknown marketplace {raw!r}",
            key="marketplace",
            profile=profile.name,
            file=profile.file,
            fix="use a host like www.amazon.de, a country code ("
            + ", ".join(BY_COUNTRY)
            + ") or an SP-API marketplace id",
        )
    return m


def build_plan(profile: Profile) -> Plan:
    """Derive the plan for a profile; raises :class:`ConfigError` naming the key on bad routing input."""
    sandbox = profile.get("sandbox")
    if sandbox:
        _check_url("sandbox", sandbox, profile)
    for key in ("auth_endpoint", "api_endpoint"):
        if profile.get(key):
            _check_url(key, profile.get(key), profile)
    if profile.api == "creators":
        return _creators_plan(profile, sandbox)
    return _spapi_plan(profile, sandbox)


def _apply_overrides(profile: Profile, defaults: dict[str, str | None]) -> tuple[dict[str, Any], set[str]]:
    chosen: dict[str, Any] = dict(defaults)
    overrides: set[str] = set()
    for key in OVERRIDABLE:
        v = profile.get(key)
        if v is not None and v != "":
            chosen[key] = v
            if v != defaults.get(key):
                overrides.add(key)
    return chosen, overrides


def _creators_plan(profile: Profile, sandbox: str | None) -> Plan:
    version = str(profile.get("credential_version")).strip()
    parsed = parse_version(version)
    fam = family_for_version(version)
    err = dict(key="credential_version", profile=profile.name, file=profile.file)
    if parsed is None:
        raise ConfigError(
            f"credential_version {version!r} is not a version like 3.1",
            **err,
            fix="copy the version shown next to your credential in Associates Central",
        )
    if fam is None:
        raise ConfigError(
            f"unknown credential version {version!r}: only 2.x (Cognito) and 3.x (Login with Amazon) exist",
            **err,
            fix="use 2.1, 2.2, 2.3, 3.1, 3.2 or 3.3",
        )
    endpoint = creators_token_endpoint(version)
    if endpoint is None and not profile.get("auth_endpoint"):
        raise ConfigError(
            f"unknown credential version {version!r} for the Cognito family",
            **err,
            fix="use 2.1, 2.2 or 2.3, or set auth_endpoint",
        )
    region: Region = (LWA_VERSION_REGION if fam == "lwa" else COGNITO_VERSION_REGION).get(version, "na")
    default_mp = {"na": "www.amazon.com", "eu": "www.amazon.co.uk", "fe": "www.amazon.co.jp"}[region]
    mp = _marketplace(profile, default=default_mp)
    defaults: dict[str, str | None] = {
        "auth_endpoint": endpoint,
        "scope": COGNITO_SCOPE if fam == "cognito" else LWA_SCOPE,
        "grant_type": "client_credentials",
        "api_endpoint": CREATORS_API,
    }
    chosen, overrides = _apply_overrides(profile, defaults)
    header = "Bearer {token}, Version " + version if fam == "cognito" else "Bearer {token}"
    return Plan(
        profile=profile.name,
        api="creators",
        family=fam,
        credential_version=version,
        client_id=str(profile.get("client_id")),
        token_endpoint=sandbox_url(chosen["auth_endpoint"], sandbox),
        amazon_token_endpoint=chosen["auth_endpoint"],
        grant_type=chosen["grant_type"],
        scope=chosen["scope"],
        body_format="form" if fam == "cognito" else "json",
        client_auth="body",
        api_base_url=sandbox_url(chosen["api_endpoint"], sandbox).rstrip("/"),
        amazon_api_base_url=chosen["api_endpoint"].rstrip("/"),
        auth_header_name="Authorization",
        auth_header_template=header,
        marketplace=mp,
        region=(mp.region if mp else region),
        seller_central_host=None,
        vendor_central_host=None,
        aws_region=None,
        partner_tag=profile.get("partner_tag"),
        sandbox=sandbox,
        overrides=frozenset(overrides),
        derived={k: defaults[k] for k in overrides},
        version_source=_source_name(profile.sources.get("credential_version")),
    )


def _source_name(src: str | None) -> str | None:
    if src is None:
        return None
    return "profile" if src == "file" else "environment" if src.startswith(("env:", "AMZAUTH_")) else src


def _spapi_plan(profile: Profile, sandbox: str | None) -> Plan:
    raw_region = profile.get("region")
    mp = _marketplace(profile, default=None)
    if raw_region is not None:
        region = str(raw_region).strip().lower()
        if region not in REGIONS:
            hint = {
                "us": "na",
                "uk": "eu",
                "de": "eu",
                "jp": "fe",
                "europe": "eu",
                "north-america": "na",
                "far-east": "fe",
                "us-east-1": "na",
                "eu-west-1": "eu",
                "us-west-2": "fe",
            }.get(region)
            raise ConfigError(
                f"unknown region {raw_region!r}",
                key="region",
                profile=profile.name,
                file=profile.file,
                fix=f'use region = "{hint}"' if hint else 'use "na", "eu" or "fe"',
            )
        reg: Region = region
        if mp is not None and mp.region != reg:
            raise ConfigError(
                f"marketplace {mp.country} ({mp.marketplace_id}) is in region {mp.region!r}, not {reg!r}",
                key="region",
                profile=profile.name,
                file=profile.file,
                fix=f'set region = "{mp.region}" or pick a marketplace in {reg}',
            )
    elif mp is not None:
        reg = mp.region
    else:
        raise ConfigError(
            "missing required key 'region'",
            key="region",
            profile=profile.name,
            file=profile.file,
            fix='add region = "na", "eu" or "fe" (or a marketplace)',
        )
    has_refresh = bool(profile.secret("refresh_token"))
    scope_value = profile.get("scope")
    grant = "client_credentials" if (scope_value and not has_refresh) else "refresh_token"
    if not has_refresh and not scope_value and profile.get("grant_type") != "authorization_code":
        raise ConfigError(
            "missing required key 'refresh_token' (or a grantless scope)",
            key="refresh_token",
            profile=profile.name,
            file=profile.file,
            fix="run `amzauth spapi authorize`, or set scope = "
            '"sellingpartnerapi::notifications" for grantless calls',
        )
    defaults: dict[str, str | None] = {
        "auth_endpoint": SPAPI_TOKEN_ENDPOINT,
        "scope": scope_value if grant == "client_credentials" else None,
        "grant_type": grant,
        "api_endpoint": f"https://{SPAPI_HOST_BY_REGION[reg]}",
    }
    chosen, overrides = _apply_overrides(profile, defaults)
    overrides.discard("scope")  # for SP-API a scope is a choice (grantless), not an override
    sc = mp.seller_central if mp else SELLER_CENTRAL_BY_REGION[reg]
    vc = mp.vendor_central if mp else VENDOR_CENTRAL_BY_REGION[reg]
    return Plan(
        profile=profile.name,
        api="spapi",
        family="lwa",
        credential_version=None,
        client_id=str(profile.get("client_id")),
        token_endpoint=sandbox_url(chosen["auth_endpoint"], sandbox),
        amazon_token_endpoint=chosen["auth_endpoint"],
        grant_type=chosen["grant_type"],
        scope=chosen["scope"],
        body_format="form",
        client_auth="body",
        api_base_url=sandbox_url(chosen["api_endpoint"], sandbox).rstrip("/"),
        amazon_api_base_url=chosen["api_endpoint"].rstrip("/"),
        auth_header_name="x-amz-access-token",
        auth_header_template="{token}",
        marketplace=mp,
        region=reg,
        seller_central_host=sc,
        vendor_central_host=vc,
        aws_region=AWS_REGION_BY_REGION[reg],
        sandbox=sandbox,
        overrides=frozenset(overrides),
        derived={k: defaults[k] for k in overrides},
    )
