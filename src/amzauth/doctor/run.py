"""Walk the handshake step by step (config, token, one cheap API call) and explain the first failure.

The report is plain JSON-ready data, safe to paste into a support ticket: only redacted forms of
secrets and tokens ever enter it. The CLI, the library and the web console all call
:func:`run_doctor`; the choice of cause lives in :mod:`amzauth.core.diagnose` and the words in the
error catalogue.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import httpx

from amzauth.catalogue import load_catalogue
from amzauth.config import ConfigError, Profile, load_profile
from amzauth.config.profiles import resolve_stored
from amzauth.core.diagnose import Choice, Evidence, choose, evidence_for
from amzauth.core.inspect import Finding, classify_secret, inspect_profile
from amzauth.core.marketplaces import REGIONS, SPAPI_HOST_BY_REGION, Region
from amzauth.core.plan import Plan, build_plan, sandbox_url
from amzauth.core.redact import redact, redact_id, scrub
from amzauth.core.tokens import parse_retry_after
from amzauth.creators.usage import doctor_fields

SCHEMA: Final = "amzauth.doctor/1"
SKEW_WARN: Final = 60.0
FIELD_KEYS: Final = (
    "credential_version",
    "credential_family",
    "version_source",
    "client_id",
    "secret_format",
    "token_endpoint",
    "grant_type",
    "scope",
    "body_format",
    "client_auth",
    "authorization_header",
    "marketplace",
    "region",
    "http_status",
    "error",
    "error_description",
    "request_id",
    "token_cached",
    "token_expires_in",
    "clock_skew_seconds",
    "api_endpoint",
    "api_status",
    "latency_ms",
)
# Local findings that make a request pointless: stop at the config step.
STOP_AT_CONFIG: Final = frozenset(
    {"placeholder-value", "missing-key", "redirect-uri-fragment", "config-invalid"}
)
EXIT_FOR_REPORT: Final = {"ok": 0, "diagnosed": 1, "config": 2, "network": 3}
SEARCH_KEYWORDS: Final = "headphones"


@dataclass
class DoctorReport:
    """The report plus the exit code the CLI should use."""

    doc: dict[str, Any]
    exit_code: int
    secrets: tuple[str, ...] = field(default=(), repr=False)  # for leak scrubbing only, never serialised

    @property
    def ok(self) -> bool:
        return bool(self.doc["ok"])

    def to_json(self) -> str:
        return json.dumps(self.doc, indent=2, ensure_ascii=False)


def _empty_fields() -> dict[str, Any]:
    return dict.fromkeys(FIELD_KEYS)


def _plan_fields(plan: Plan, profile: Profile) -> dict[str, Any]:
    secret = profile.secret("client_secret") or ""
    return {
        "credential_version": plan.credential_version,
        "credential_family": plan.family if plan.api == "creators" else "lwa",
        "version_source": plan.version_source,
        "client_id": redact_id(plan.client_id),
        "secret_format": classify_secret(secret) if secret else None,
        "token_endpoint": plan.token_endpoint,
        "grant_type": plan.grant_type,
        "scope": plan.scope,
        "body_format": plan.body_format,
        "client_auth": plan.client_auth,
        "authorization_header": plan.authorization_header
        if plan.api == "creators"
        else "x-amz-access-token: <token>",
        "marketplace": plan.marketplace.host if plan.marketplace else None,
        "region": plan.region if plan.api == "spapi" else None,
        "api_endpoint": _api_url(plan),
        "overrides": sorted(plan.overrides),
        "sandbox": plan.sandbox,
    }


def _api_url(plan: Plan) -> str | None:
    if plan.api == "creators":
        return f"{plan.api_base_url}/catalog/v1/searchItems"
    if plan.grant_type == "client_credentials":
        return None
    return f"{plan.api_base_url}/sellers/v1/marketplaceParticipations"


def _diagnosis(choice: Choice) -> dict[str, Any]:
    cat = load_catalogue()
    entry = cat.get(choice.catalogue_code or choice.code) or cat[choice.catalogue_code or "config"]
    return entry.diagnosis(
        choice.cause,
        values=choice.values,
        suggested_value=choice.suggested_value,
        field=choice.field,
        code=choice.code,
    )


def _finding_diagnosis(f: Finding, profile: Profile) -> dict[str, Any]:
    cat = load_catalogue()
    entry = cat["config"]
    cause = f.cause if entry.find_cause(f.cause) else "config-invalid"
    from amzauth.catalogue import FIELDS

    fld = f.key if f.key in FIELDS else None
    d = entry.diagnosis(
        cause,
        values={"profile": profile.name, "key": f.key, "suggested": f.suggested_value},
        suggested_value=f.suggested_value,
        field=fld,
    )
    d["summary"] = f.message[0].upper() + f.message[1:] + "."
    d["fix"] = [f.fix[0].upper() + f.fix[1:], *d["fix"]][:3]
    return d


def _config_error_report(exc: ConfigError, profile_name: str | None) -> DoctorReport:
    from amzauth.catalogue import FIELDS

    cause = "config-invalid"
    msg = exc.message
    if msg.startswith("unknown credential version") or "is not a version" in msg:
        cause = "unknown-version"
    elif msg.startswith("missing required key"):
        cause = "missing-key"
    elif msg.startswith("unknown key"):
        cause = "unknown-key"
    elif msg.startswith("environment variable"):
        cause = "env-var-unset"
    elif msg.startswith("profile not found") or msg.startswith("no profiles file"):
        cause = "profile-not-found"
    entry = load_catalogue()["config"]
    fld = exc.key if exc.key in FIELDS else "none"
    diag = entry.diagnosis(
        cause if entry.find_cause(cause) else "config-invalid",
        values={"profile": exc.profile or profile_name, "key": exc.key},
        field=fld,
    )
    diag["summary"] = str(exc)
    if exc.fix:
        diag["fix"] = [exc.fix[0].upper() + exc.fix[1:], "Run amzauth doctor again."]
    doc = {
        "schema": SCHEMA,
        "ok": False,
        "profile": exc.profile or profile_name or "default",
        "api": None,
        "fields": _empty_fields(),
        "steps": [
            {"step": "config", "ok": False, "skipped": False, "detail": str(exc)},
            {"step": "token", "ok": False, "skipped": True, "detail": "not run: the profile cannot be read"},
            {"step": "api", "ok": False, "skipped": True, "detail": "not run: the profile cannot be read"},
        ],
        "diagnosis": diag,
        "warnings": [],
    }
    return DoctorReport(doc, EXIT_FOR_REPORT["config"])


def run_doctor(
    profile: Profile | None = None,
    *,
    profile_name: str | None = None,
    config: str | None = None,
    offline: bool = False,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
    now: Callable[[], float] = time.time,
) -> DoctorReport:
    """Run the diagnostic for a profile (given, or loaded by name and config path)."""
    started = now()
    try:
        prof = resolve_stored(profile) if profile is not None else load_profile(profile_name, config)
        plan = build_plan(prof)
    except ConfigError as exc:
        return _config_error_report(exc, profile_name)
    secret = prof.secret("client_secret") or ""
    refresh = prof.secret("refresh_token")
    secrets = tuple(s for s in (secret, refresh) if s)
    fields = {**_empty_fields(), **_plan_fields(plan, prof)}
    findings = inspect_profile(prof, plan, today=datetime.fromtimestamp(now()).astimezone())
    steps: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    blocking = [f for f in findings if f.severity == "error" and f.cause in STOP_AT_CONFIG]
    expired = [f for f in findings if f.cause == "spapi-secret-expired"]

    def finish(
        ok: bool, diagnosis: dict[str, Any] | None, exit_kind: str, used: str | None = None
    ) -> DoctorReport:
        for f in findings:
            if used is not None and f.cause == used:
                continue
            if diagnosis is not None and f.key == diagnosis.get("field"):
                continue  # the diagnosis already points at this setting
            if f.severity == "warning" or (
                f.severity == "error" and diagnosis is not None and f.cause != diagnosis.get("cause")
            ):
                warnings.append(_finding_diagnosis(f, prof))
        skew = fields.get("clock_skew_seconds")
        if isinstance(skew, int | float) and abs(skew) > SKEW_WARN:
            entry = load_catalogue()["config"]
            w = entry.diagnosis("clock-skew", values={"skew": round(skew), "profile": prof.name})
            w["summary"] = f"This machine's clock differs from Amazon's by about {round(skew)} s."
            warnings.append(w)
        fields["latency_ms"] = round((now() - started) * 1000, 1)
        fields.update(doctor_fields(prof, diagnosis, fields.get("api_status")))  # today's quota, last 429
        while len(steps) < 3:
            name = ("config", "token", "api")[len(steps)]
            steps.append(
                {
                    "step": name,
                    "ok": False,
                    "skipped": True,
                    "detail": "not run: offline" if offline else "not run: an earlier step failed",
                }
            )
        doc = {
            "schema": SCHEMA,
            "ok": ok,
            "profile": prof.name,
            "api": plan.api,
            "fields": fields,
            "steps": steps,
            "diagnosis": diagnosis,
            "warnings": warnings,
        }
        doc = json.loads(scrub(json.dumps(doc), secrets))  # belt and braces: nothing secret survives
        return DoctorReport(doc, EXIT_FOR_REPORT[exit_kind], secrets)

    # Step 1: config.
    if blocking or expired:
        f = (blocking or expired)[0]
        steps.append({"step": "config", "ok": False, "skipped": False, "detail": f"{f.key}: {f.message}"})
        return finish(False, _finding_diagnosis(f, prof), "diagnosed", used=f.cause)
    errs = [f for f in findings if f.severity == "error"]
    detail = "profile read; routing derived" + (
        f"; {len(errs)} problem(s) to confirm with Amazon" if errs else ""
    )
    steps.append({"step": "config", "ok": True, "skipped": False, "detail": detail})
    if offline:
        if errs:
            return finish(False, _finding_diagnosis(errs[0], prof), "diagnosed", used=errs[0].cause)
        return finish(True, None, "ok")

    def ev(stage: str, code: str | None, **kw: Any) -> Evidence:
        return evidence_for(
            plan,
            client_id=plan.client_id,
            client_secret=secret,
            stage=stage,
            code=code,
            findings=findings,
            draft=bool(prof.get("draft")),
            **kw,
        )

    # Step 2: token (one raw request: no cache, no retry, every observable kept).
    from amzauth.engine.once import fetch_token_once
    from amzauth.errors import NetworkError, TokenError

    outcome, info = fetch_token_once(
        plan, secret, refresh_token=refresh, timeout=timeout, transport=transport
    )
    fields.update(
        http_status=info.http_status,
        request_id=info.request_id,
        clock_skew_seconds=None if info.clock_skew_seconds is None else round(info.clock_skew_seconds, 1),
        error=info.error,
        error_description=info.error_description,
        token_cached=False,
    )
    if isinstance(outcome, NetworkError):
        steps.append({"step": "token", "ok": False, "skipped": False, "detail": str(outcome)})
        choice = choose(ev("token", "network", message=outcome.kind))
        return finish(False, _diagnosis(choice), "network")
    if isinstance(outcome, TokenError):
        code = (
            outcome.error or _api_code_in(info.body) or (str(outcome.status) if outcome.status else "token")
        )
        desc = outcome.error_description or ""
        steps.append(
            {
                "step": "token",
                "ok": False,
                "skipped": False,
                "detail": f"HTTP {outcome.status}: {outcome.error or 'no OAuth error'}"
                + (f" ({outcome.error_description})" if outcome.error_description else ""),
            }
        )
        choice = choose(
            ev(
                "token",
                code,
                status=outcome.status,
                message=desc,
                clock_skew=info.clock_skew_seconds,
                retry_after=outcome.retry_after,
            )
        )
        return finish(False, _diagnosis(choice), "diagnosed", used=choice.cause)
    token = outcome
    fields["token_expires_in"] = int(token.expires_at - now())
    steps.append(
        {
            "step": "token",
            "ok": True,
            "skipped": False,
            "detail": f"{token.token_type} token {redact(token.access_token)}, expires in "
            f"{fields['token_expires_in']} s",
        }
    )
    secrets = (*secrets, token.access_token, *([token.refresh_token] if token.refresh_token else []))

    # Step 3: one cheap API call.
    if plan.api == "spapi" and plan.grant_type == "client_credentials":
        steps.append(
            {
                "step": "api",
                "ok": True,
                "skipped": True,
                "detail": "grantless profile: the grantless token is the check",
            }
        )
        return finish(True, None, "ok")
    with httpx.Client(timeout=timeout, transport=transport) as client:
        api = _call_api(client, plan, token.access_token)
        fields["api_status"] = api.status
        fields["api_endpoint"] = api.url
        if api.status == 200:
            steps.append({"step": "api", "ok": True, "skipped": False, "detail": api.detail})
            return finish(True, None, "ok")
        if api.status is None:
            steps.append({"step": "api", "ok": False, "skipped": False, "detail": api.detail})
            choice = choose(ev("api", "network", message=api.network_kind))
            return finish(False, _diagnosis(choice), "network")
        token_region = None
        if plan.api == "spapi" and api.code == "Unauthorized":
            token_region = _probe_token_region(client, plan, token.access_token)
        steps.append({"step": "api", "ok": False, "skipped": False, "detail": api.detail})
        fields["request_id"] = api.request_id or fields["request_id"]
        choice = choose(
            ev(
                "api",
                api.code,
                status=api.status,
                message=api.message,
                clock_skew=info.clock_skew_seconds,
                token_region=token_region,
                retry_after=api.retry_after,
            )
        )
        return finish(False, _diagnosis(choice), "diagnosed", used=choice.cause)


@dataclass
class _ApiResult:
    url: str
    status: int | None
    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    retry_after: float | None = None
    detail: str = ""
    network_kind: str | None = None


def _call_api(client: httpx.Client, plan: Plan, access_token: str) -> _ApiResult:
    name, value = plan.auth_header(access_token)
    if plan.api == "creators":
        url = f"{plan.api_base_url}/catalog/v1/searchItems"
        body = {"keywords": SEARCH_KEYWORDS, "itemCount": 1, "resources": ["itemInfo.title"]}
        if plan.partner_tag:
            body["partnerTag"] = plan.partner_tag
        headers = {
            name: value,
            "Content-Type": "application/json",
            "x-marketplace": plan.marketplace.host if plan.marketplace else "www.amazon.com",
        }
        req = client.build_request("POST", url, json=body, headers=headers)
    else:
        url = f"{plan.api_base_url}/sellers/v1/marketplaceParticipations"
        req = client.build_request("GET", url, headers={name: value})
    try:
        resp = client.send(req)
    except httpx.TimeoutException as exc:
        return _ApiResult(
            url, None, detail=f"API call to {url} timed out ({type(exc).__name__})", network_kind="timeout"
        )
    except httpx.HTTPError as exc:
        return _ApiResult(
            url, None, detail=f"cannot reach {url} ({type(exc).__name__})", network_kind="unreachable"
        )
    return _parse_api(url, resp)


def _parse_api(url: str, resp: httpx.Response) -> _ApiResult:
    rid = resp.headers.get("x-amzn-RequestId")
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    try:
        doc = resp.json()
    except ValueError:
        doc = None
    if resp.status_code == 200:
        if isinstance(doc, dict) and "searchResult" in doc:
            n = doc["searchResult"].get("totalResultCount")
            return _ApiResult(
                url,
                200,
                request_id=rid,
                detail=f"searchItems answered 200 ({n} result{'' if n == 1 else 's'})",
            )
        if isinstance(doc, dict) and "payload" in doc:
            return _ApiResult(
                url,
                200,
                request_id=rid,
                detail=f"marketplaceParticipations answered 200 ({len(doc['payload'])} marketplaces)",
            )
        if isinstance(doc, dict) and doc.get("errors"):
            return _ApiResult(url, 200, request_id=rid, detail="searchItems answered 200 (no results)")
        return _ApiResult(url, 200, request_id=rid, detail="API answered 200")
    code: str | None = None
    message: str | None = None
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list) and doc["errors"]:
        err = doc["errors"][0] if isinstance(doc["errors"][0], dict) else {}
        code = str(err.get("code") or "") or None
        details = str(err.get("details") or "")
        message = " ".join(x for x in (str(err.get("message") or ""), details) if x) or None
    elif isinstance(doc, dict):
        reason = doc.get("reason")
        typ = str(doc.get("type") or "").rsplit("#", 1)[-1] or None
        code = str(reason) if reason and load_catalogue().get(str(reason)) and reason != "Other" else typ
        if reason == "Other" or code is None:
            code = typ or (str(reason) if reason else None)
        message = str(doc.get("message") or "") or None
    code = code or resp.headers.get("x-amzn-ErrorType") or str(resp.status_code)
    return _ApiResult(
        url,
        resp.status_code,
        code=code,
        message=message,
        request_id=rid,
        retry_after=retry_after,
        detail=f"HTTP {resp.status_code}: {code}" + (f" ({message})" if message else ""),
    )


def _api_code_in(body: Any) -> str | None:
    """An API-shaped error in a token answer (a token request sent to an API host, say)."""
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        if isinstance(first, dict) and first.get("code"):
            return str(first["code"])
    return None


def _probe_token_region(client: httpx.Client, plan: Plan, access_token: str) -> Region | None:
    """Authorizations are regional: find the region whose API host accepts this token (2 calls at most)."""
    for region in REGIONS:
        if region == plan.region:
            continue
        url = sandbox_url(
            f"https://{SPAPI_HOST_BY_REGION[region]}/sellers/v1/marketplaceParticipations", plan.sandbox
        )
        try:
            resp = client.get(url, headers={"x-amz-access-token": access_token})
        except httpx.HTTPError:
            continue
        if resp.status_code == 200:
            return region
    return None


def diagnose_api_answer(
    plan: Plan,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    client_secret: str = "",
    findings: tuple[Finding, ...] = (),
    clock_skew: float | None = None,
    token_region: Region | None = None,
    draft: bool = False,
) -> dict[str, Any] | None:
    """The doctor's diagnosis for one API answer (None for a 2xx); what clients use to explain errors."""
    if 200 <= status < 300:
        return None
    # Header text as httpx decodes it (Latin-1) goes back to bytes the same way: never an encode error.
    raw_headers = [
        (k.encode("latin-1", "replace"), v.encode("latin-1", "replace")) for k, v in headers.items()
    ]
    resp = httpx.Response(status, headers=raw_headers, content=body)
    api = _parse_api(plan.api_base_url, resp)
    choice = choose(
        evidence_for(
            plan,
            client_id=plan.client_id,
            client_secret=client_secret,
            stage="api",
            code=api.code,
            status=status,
            message=api.message,
            findings=findings,
            clock_skew=clock_skew,
            token_region=token_region,
            draft=draft,
            retry_after=api.retry_after,
        )
    )
    return _diagnosis(choice)


def diagnose_token_answer(
    plan: Plan,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    client_secret: str = "",
    findings: tuple[Finding, ...] = (),
) -> dict[str, Any] | None:
    """The doctor's diagnosis for one token-endpoint answer (None when it holds a token)."""
    from amzauth.core.tokens import estimate_clock_skew, header, parse_token_response
    from amzauth.errors import TokenError

    now = time.time()
    try:
        parse_token_response(status, headers, body, sent_at=now, endpoint=plan.token_endpoint)
        return None
    except TokenError as exc:
        try:
            doc = json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            doc = None
        code = exc.error or _api_code_in(doc) or (str(status) if status else "token")
        skew = estimate_clock_skew(header(headers, "Date"), now, now)
        choice = choose(
            evidence_for(
                plan,
                client_id=plan.client_id,
                client_secret=client_secret,
                stage="token",
                code=code,
                status=status,
                message=exc.error_description or "",
                findings=findings,
                clock_skew=skew,
                retry_after=exc.retry_after,
            )
        )
        return _diagnosis(choice)
