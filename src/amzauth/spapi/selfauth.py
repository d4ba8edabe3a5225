"""Self-authorization of a private SP-API app: check a refresh token the seller copied, then store it.

A seller who owns a private (Draft) app authorizes it in Seller Central ("Authorize app") and copies
the refresh token; there is no consent URL, callback or code. Before storing the token this checks
what can go wrong with a pasted value, with the same diagnosis as every other surface:

- the token is whole (an ``Atzr|`` value, not cut when copied);
- it belongs to this app: Login with Amazon exchanges it with the profile's client id and secret;
- it belongs to the profile's region: getMarketplaceParticipations answers on that region's host
  (else the other regions' hosts are asked, and the one that answers is named);
- the seller sells in the profile's marketplace (a warning only: Amazon does not return the
  selling partner id, so the id given is recorded as given).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from amzauth.config.marketplaces import REGIONS
from amzauth.config.profiles import ConfigError, Profile
from amzauth.config.redact import Secret
from amzauth.config.storage import StorePreference
from amzauth.core.plan import Plan, build_plan
from amzauth.core.tokens import Token, build_token_request
from amzauth.errors import NetworkError, TokenError
from amzauth.spapi.authorize import AuthorizeResult, finish_authorization
from amzauth.spapi.errors import AuthorizationError, SPAPIError
from amzauth.spapi.exchange import Authorization
from amzauth.spapi.wire import build_api_request, parse_api_response, plan_for_region

PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"
_SELLER_ID = re.compile(r"^A[0-9A-Z]{7,19}$")


def _diagnosed(plan: Plan, profile: Profile, code: str, what: str, **evidence: Any) -> AuthorizationError:
    """An AuthorizationError carrying the engine's diagnosis of this evidence (one engine everywhere)."""
    from amzauth.catalogue import load_catalogue
    from amzauth.core.diagnose import choose, evidence_for
    from amzauth.core.inspect import inspect_profile

    choice = choose(
        evidence_for(
            plan,
            client_id=plan.client_id,
            client_secret=profile.secret("client_secret") or "",
            findings=inspect_profile(profile, plan),
            code=code,
            **evidence,
        )
    )
    diagnosis = load_catalogue().diagnosis_for(choice)
    summary = (diagnosis or {}).get("summary") or what
    return AuthorizationError(
        f"the pasted refresh token cannot be used: {what}. {summary}",
        code=choice.code,
        diagnosis=diagnosis,
    )


def check_refresh_token(
    profile: Profile,
    refresh_token: str,
    *,
    timeout: float = 15.0,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Token, list[str], list[str]]:
    """Exchange the token and call a role-free operation: (first token, marketplace ids, warnings)."""
    from amzauth.engine.once import fetch_token_once

    value = refresh_token.strip()
    prof = profile.replace(refresh_token=value, grant_type=None, scope=None)
    plan = build_plan(prof)
    secret = prof.secret("client_secret") or ""
    if not value.startswith("Atzr|"):
        raise _diagnosed(plan, prof, "invalid_grant", "it does not start with Atzr|", stage="token")
    request = build_token_request(plan, secret, grant_type="refresh_token", refresh_token=value)
    outcome, _ = fetch_token_once(plan, secret, request=request, timeout=timeout, transport=transport)
    if isinstance(outcome, NetworkError):
        raise outcome
    if isinstance(outcome, TokenError):
        raise _diagnosed(
            plan,
            prof,
            outcome.error or str(outcome.status),
            f"Login with Amazon refused it ({outcome.error}: {outcome.error_description or '-'})",
            stage="token",
            status=outcome.status,
            message=outcome.error_description,
        )
    token = outcome
    headers = {"x-amz-access-token": token.access_token}
    with httpx.Client(timeout=timeout, transport=transport) as http:

        def participations(p: Plan) -> httpx.Response:
            req = build_api_request(p, "GET", PARTICIPATIONS, headers=headers)
            return http.request(req.method, req.url, headers=req.headers)

        r = participations(plan)
        if r.status_code != 200:
            other = next(
                (
                    region
                    for region in REGIONS
                    if region != plan.region
                    and participations(plan_for_region(plan, region)).status_code == 200
                ),
                None,
            )
            try:
                parse_api_response(r.status_code, r.headers, r.content, method="GET", path=PARTICIPATIONS)
                code, message = str(r.status_code), ""
            except SPAPIError as exc:
                code, message = exc.code, " ".join(x for x in (exc.message, exc.details) if x)
            raise _diagnosed(
                plan,
                prof,
                code,
                f"SP-API refused it in region {plan.region}",
                stage="api",
                status=r.status_code,
                message=message,
                token_region=other,
                operation=f"GET {PARTICIPATIONS}",
            )
        payload = parse_api_response(200, r.headers, r.content).get("payload") or []
    ids = [str(p.get("marketplace", {}).get("id")) for p in payload if isinstance(p, dict)]
    warnings = []
    if plan.marketplace is not None and plan.marketplace.marketplace_id not in ids:
        warnings.append(
            f"the seller does not sell in {plan.marketplace.country} ({plan.marketplace.marketplace_id}), "
            f"the marketplace of profile {profile.name}; it sells in: {', '.join(ids) or 'none'}"
        )
    return token, ids, warnings


def self_authorize(
    profile: Profile,
    refresh_token: str,
    selling_partner_id: str,
    *,
    prefer: StorePreference = "auto",
    token_file: str | Path | None = None,
    save_profile: bool = True,
    timeout: float = 15.0,
    transport: httpx.BaseTransport | None = None,
) -> AuthorizeResult:
    """Check a self-authorized refresh token (app, region, seller) and store it as `spapi authorize` does."""
    spid = selling_partner_id.strip()
    if not _SELLER_ID.match(spid):
        raise ConfigError(
            f"{spid!r} is not a selling partner id (A followed by 7 to 19 capitals and digits)",
            key="selling_partner_id",
            profile=profile.name,
            fix="copy Your Merchant Token from Seller Central > Settings > Account Info > Business Information",
        )
    token, _ids, warnings = check_refresh_token(profile, refresh_token, timeout=timeout, transport=transport)
    plan = build_plan(profile.replace(refresh_token=refresh_token.strip(), grant_type=None, scope=None))
    auth = Authorization(
        selling_partner_id=spid,
        refresh_token=Secret(refresh_token.strip()),
        access_token=Secret(token.access_token),
        expires_at=token.expires_at,
        region=plan.region,
    )
    result = finish_authorization(
        profile, auth, prefer=prefer, token_file=token_file, save_profile=save_profile
    )
    return result.with_warnings(warnings)
