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
from typing import TYPE_CHECKING, Any, Final

import httpx

from amzauth.config import ConfigError, Profile, load_profile
from amzauth.config.marketplaces import REGIONS, SPAPI_HOST_BY_REGION, Region
from amzauth.config.profiles import resolve_stored
from amzauth.config.redact import redact, redact_id, scrub
from amzauth.core.diagnose import Choice, Evidence, choose, evidence_for, name_source
from amzauth.core.inspect import Finding, classify_secret, inspect_profile
from amzauth.core.plan import Plan, build_plan, sandbox_url
from amzauth.core.tokens import Token, parse_retry_after
from amzauth.creators.usage import doctor_fields
from amzauth.engine.transport import network_error, tls_context
from amzauth.errors import NetworkError

if TYPE_CHECKING:
    from amzauth.catalogue import Catalogue

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
    {"placeholder-value", "missing-key", "redirect-uri-fragment", "config-invalid", "paapi-keys"}
)
EXIT_FOR_REPORT: Final = {"ok": 0, "diagnosed": 1, "config": 2, "network": 3}
SEARCH_KEYWORDS: Final = "headphones"
PROFILE_URL: Final = "https://api.amazon.com/user/profile"  # Login with Amazon's customer profile


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


def load_catalogue() -> Catalogue:
    """The error catalogue, imported on first need (a healthy run never loads it nor its models)."""
    from amzauth.catalogue import load_catalogue as load

    return load()


def _diagnosis(choice: Choice, profile: Profile | None = None) -> dict[str, Any]:
    cat = load_catalogue()
    d = cat.diagnosis_for(choice) or cat["config"].diagnosis("config-invalid", values=choice.values)
    return name_source(d, profile.sources, profile.name) if profile is not None else d


_PROBE_VERSIONS: Final = {"lwa": ("3.1", "3.2", "3.3"), "cognito": ("2.1", "2.2", "2.3")}


def _probe_creators_version(
    plan: Plan,
    secret: str,
    findings: list[Finding],
    timeout: float,
    transport: httpx.BaseTransport | None,
) -> dict[str, Any]:
    """On invalid_client, ask the same family's other regional hosts (2 requests at most).

    A host that issues a token names the version Amazon issued, which beats any guess from the
    marketplace; no host accepting it rules the version out, so the secret is to blame.
    """
    from dataclasses import replace

    from amzauth.core.plan import creators_token_endpoint
    from amzauth.engine.once import fetch_token_once

    if (
        plan.api != "creators"
        or plan.credential_version not in _PROBE_VERSIONS.get(plan.family, ())
        or "auth_endpoint" in plan.overrides
        or any(f.severity == "error" for f in findings)  # a known local mistake explains it already
        or (classify_secret(secret) == "lwa-v1") != (plan.family == "lwa")
    ):
        return {}
    for version in _PROBE_VERSIONS[plan.family]:
        endpoint = creators_token_endpoint(version)
        if version == plan.credential_version or endpoint is None:
            continue
        other = replace(
            plan,
            credential_version=version,
            amazon_token_endpoint=endpoint,
            token_endpoint=sandbox_url(endpoint, plan.sandbox),
        )
        outcome, _ = fetch_token_once(other, secret, timeout=timeout, transport=transport)
        if not isinstance(outcome, Exception):
            return {"accepted_version": version, "version_probed": True}
    return {"version_probed": True}


def _finding_diagnosis(f: Finding, profile: Profile, plan: Plan | None = None) -> dict[str, Any]:
    cat = load_catalogue()
    entry = cat["config"]
    cause = f.cause if entry.find_cause(f.cause) else "config-invalid"
    from amzauth.catalogue import FIELDS

    fld = f.key if f.key in FIELDS else None
    values: dict[str, Any] = {
        "profile": profile.name,
        "key": f.key,
        "suggested": f.suggested_value,
        "message": f.message,
        "version": profile.get("credential_version"),
        "marketplace": plan.marketplace.host if plan is not None and plan.marketplace else None,
        "scope": plan.scope if plan is not None else None,
        "grant_type": plan.grant_type if plan is not None else None,
        "endpoint": plan.amazon_token_endpoint if plan is not None else None,
        "redirect_uri": profile.get("redirect_uri"),
        "expires": profile.get("secret_expires"),
        "value": profile.get(f.key) if f.key not in ("client_secret", "refresh_token") else None,
    }
    d = entry.diagnosis(cause, values=values, suggested_value=f.suggested_value, field=fld)
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
    elif exc.key == "grant_type":
        cause = "grant-type-override"
    entry = load_catalogue()["config"]
    fld = exc.key if exc.key in FIELDS else "none"
    suggested = "client_credentials" if cause == "grant-type-override" else None
    diag = entry.diagnosis(
        cause if entry.find_cause(cause) else "config-invalid",
        values={"profile": exc.profile or profile_name, "key": exc.key, "message": exc.message},
        field=fld,
        suggested_value=suggested,
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
    on_step: Callable[[str], None] | None = None,
) -> DoctorReport:
    """Run the diagnostic for a profile (given, or loaded by name and config path).

    ``on_step`` hears, before each request, what the doctor is about to wait for (the CLI prints it).
    """
    started = now()
    try:
        prof = resolve_stored(profile) if profile is not None else load_profile(profile_name, config)
        plan = build_plan(prof)
    except ConfigError as exc:
        return _config_error_report(exc, profile_name)
    run = _Run(prof, plan, offline, timeout, transport, now, started, on_step or (lambda _text: None))
    done = run.config_step()
    if done is not None:
        return done
    try:
        token = run.token_step()
    except ConfigError as exc:  # nothing to send (an SP-API profile saved before any authorization)
        return _config_error_report(exc, prof.name)
    if isinstance(token, DoctorReport):
        return token
    return run.api_step(token)


class _Run:
    """One doctor run: the profile, what was seen so far, and the three steps (config, token, api)."""

    def __init__(
        self,
        prof: Profile,
        plan: Plan,
        offline: bool,
        timeout: float,
        transport: httpx.BaseTransport | None,
        now: Callable[[], float],
        started: float,
        on_step: Callable[[str], None],
    ) -> None:
        self.prof, self.plan, self.offline, self.timeout = prof, plan, offline, timeout
        self.transport, self.now, self.started, self.on_step = transport, now, started, on_step
        self.secret = prof.secret("client_secret") or ""
        self.refresh = prof.secret("refresh_token")
        self.secrets: tuple[str, ...] = tuple(s for s in (self.secret, self.refresh) if s)
        self.fields: dict[str, Any] = {**_empty_fields(), **_plan_fields(plan, prof)}
        self.findings = inspect_profile(prof, plan, today=datetime.fromtimestamp(now()).astimezone())
        self.steps: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.clock_skew: float | None = None

    def ev(self, stage: str, code: str | None, **kw: Any) -> Evidence:
        return evidence_for(
            self.plan,
            client_id=self.plan.client_id,
            client_secret=self.secret,
            stage=stage,
            code=code,
            findings=self.findings,
            draft=bool(self.prof.get("draft")),
            **kw,
        )

    def step(self, name: str, ok: bool, detail: str, *, skipped: bool = False) -> None:
        self.steps.append({"step": name, "ok": ok, "skipped": skipped, "detail": detail})

    def finish(
        self, ok: bool, diagnosis: dict[str, Any] | None, exit_kind: str, used: str | None = None
    ) -> DoctorReport:
        """The report: local findings the diagnosis does not cover become warnings; secrets scrubbed."""
        for f in self.findings:
            if used is not None and f.cause == used:
                continue
            if diagnosis is not None and f.key == diagnosis.get("field"):
                continue  # the diagnosis already points at this setting
            if f.severity == "warning" or (
                f.severity == "error" and diagnosis is not None and f.cause != diagnosis.get("cause")
            ):
                self.warnings.append(_finding_diagnosis(f, self.prof, self.plan))
        skew = self.fields.get("clock_skew_seconds")
        if isinstance(skew, int | float) and abs(skew) > SKEW_WARN:
            entry = load_catalogue()["config"]
            w = entry.diagnosis("clock-skew", values={"skew": round(skew), "profile": self.prof.name})
            w["summary"] = f"This machine's clock differs from Amazon's by about {round(skew)} s."
            self.warnings.append(w)
        self.fields["latency_ms"] = round((self.now() - self.started) * 1000, 1)
        # today's quota and the last 429, so a throttling diagnosis says quota or burst
        self.fields.update(doctor_fields(self.prof, diagnosis, self.fields.get("api_status")))
        while len(self.steps) < 3:
            why = "not run: offline" if self.offline else "not run: an earlier step failed"
            self.step(("config", "token", "api")[len(self.steps)], False, why, skipped=True)
        doc = {
            "schema": SCHEMA,
            "ok": ok,
            "profile": self.prof.name,
            "api": self.plan.api,
            "fields": self.fields,
            "steps": self.steps,
            "diagnosis": diagnosis,
            "warnings": self.warnings,
        }
        doc = json.loads(scrub(json.dumps(doc), self.secrets))  # belt and braces: nothing secret survives
        return DoctorReport(doc, EXIT_FOR_REPORT[exit_kind], self.secrets)

    def config_step(self) -> DoctorReport | None:
        """Step 1: what the profile alone tells; a report when nothing should be sent (or offline)."""
        blocking = [f for f in self.findings if f.severity == "error" and f.cause in STOP_AT_CONFIG]
        expired = [f for f in self.findings if f.cause == "spapi-secret-expired"]
        if blocking or expired:
            f = (blocking or expired)[0]
            self.step("config", False, f"{f.key}: {f.message}")
            return self.finish(False, _finding_diagnosis(f, self.prof, self.plan), "diagnosed", used=f.cause)
        errs = [f for f in self.findings if f.severity == "error"]
        detail = "profile read; routing derived" + (
            f"; {len(errs)} problem(s) to confirm with Amazon" if errs else ""
        )
        self.step("config", True, detail)
        if not self.offline:
            return None
        if errs:
            return self.finish(
                False, _finding_diagnosis(errs[0], self.prof, self.plan), "diagnosed", used=errs[0].cause
            )
        return self.finish(True, None, "ok")

    def token_step(self) -> Token | DoctorReport:
        """Step 2: one raw token request (no cache, no retry, every observable kept)."""
        from amzauth.engine.once import fetch_token_once
        from amzauth.errors import NetworkError, TokenError

        plan = self.plan
        self.on_step(f"token: asking {plan.amazon_token_endpoint} (waiting up to {self.timeout:g} s)")
        outcome, info = fetch_token_once(
            plan, self.secret, refresh_token=self.refresh, timeout=self.timeout, transport=self.transport
        )
        self.clock_skew = info.clock_skew_seconds
        self.fields.update(
            http_status=info.http_status,
            request_id=info.request_id,
            clock_skew_seconds=None if info.clock_skew_seconds is None else round(info.clock_skew_seconds, 1),
            error=info.error,
            error_description=info.error_description,
            token_cached=False,
        )
        if isinstance(outcome, NetworkError):
            self.step("token", False, str(outcome))
            choice = choose(self.ev("token", "network", message=f"{outcome.kind}: {outcome}"))
            return self.finish(False, _diagnosis(choice), "network")
        if isinstance(outcome, TokenError):
            code = (
                outcome.error
                or _api_code_in(info.body)
                or (str(outcome.status) if outcome.status else "token")
            )
            self.step(
                "token",
                False,
                f"HTTP {outcome.status}: {outcome.error or 'no OAuth error'}"
                + (f" ({outcome.error_description})" if outcome.error_description else ""),
            )
            probe: dict[str, Any] = {}
            if code == "invalid_client":
                self.on_step("token: asking the other regions' hosts which one knows this credential")
                probe = _probe_creators_version(
                    plan, self.secret, self.findings, self.timeout, self.transport
                )
            choice = choose(
                self.ev(
                    "token",
                    code,
                    status=outcome.status,
                    message=outcome.error_description or "",
                    clock_skew=info.clock_skew_seconds,
                    retry_after=outcome.retry_after,
                    **probe,
                )
            )
            return self.finish(False, _diagnosis(choice, self.prof), "diagnosed", used=choice.cause)
        token = outcome
        self.fields["token_expires_in"] = int(token.expires_at - self.now())
        self.step(
            "token",
            True,
            f"{token.token_type} token {redact(token.access_token)}, expires in {self.fields['token_expires_in']} s",
        )
        self.secrets = (
            *self.secrets,
            token.access_token,
            *([token.refresh_token] if token.refresh_token else []),
        )
        return token

    def api_step(self, token: Token) -> DoctorReport:
        """Step 3: one cheap API call, and on a bare SP-API 403 the probes that tell its causes apart."""
        plan = self.plan
        if plan.api == "spapi" and plan.grant_type == "client_credentials":
            self.step("api", True, "grantless profile: the grantless token is the check", skipped=True)
            return self.finish(True, None, "ok")
        with httpx.Client(timeout=self.timeout, transport=self.transport, verify=tls_context()) as client:
            shown = (_api_url(plan) or plan.api_base_url).replace(plan.api_base_url, plan.amazon_api_base_url)
            self.on_step(f"api: calling {shown} (waiting up to {self.timeout:g} s)")
            api = _call_api(client, plan, token.access_token)
            self.fields["api_status"] = api.status
            self.fields["api_endpoint"] = api.url
            if api.status == 200:
                self.step("api", True, api.detail)
                return self.finish(True, None, "ok")
            if api.status is None:
                self.step("api", False, api.detail)
                choice = choose(self.ev("api", "network", message=api.network_kind))
                return self.finish(False, _diagnosis(choice), "network")
            token_region = None
            profile_token: bool | None = None
            if plan.api == "spapi" and api.code == "Unauthorized":
                self.on_step("api: asking the other regions' hosts and Login with Amazon about this token")
                token_region = _probe_token_region(client, plan, token.access_token)
                if token_region is None:
                    profile_token = _probe_profile_token(client, plan, token.access_token)
        self.step("api", False, api.detail)
        self.fields["request_id"] = api.request_id or self.fields["request_id"]
        choice = choose(
            self.ev(
                "api",
                api.code,
                status=api.status,
                message=api.message,
                clock_skew=self.clock_skew,
                token_region=token_region,
                retry_after=api.retry_after,
                token_age=max(0.0, self.now() - token.obtained_at) if token.obtained_at else None,
                lwa_profile_token=profile_token,
            )
        )
        return self.finish(False, _diagnosis(choice, self.prof), "diagnosed", used=choice.cause)


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
    except httpx.HTTPError as exc:  # the one network classifier, as for every other call
        err: NetworkError = network_error(exc, url, _timeout_of(client), what="API call")
        return _ApiResult(url, None, detail=str(err), network_kind=err.kind)
    return _parse_api(url, resp)


def _timeout_of(client: httpx.Client) -> float:
    t = client.timeout.read if client.timeout.read is not None else client.timeout.connect
    return float(t) if t is not None else 0.0


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


def _probe_profile_token(client: httpx.Client, plan: Plan, access_token: str) -> bool | None:
    """Whether Login with Amazon's /user/profile takes the token: a customer's sign-in, not a seller's."""
    url = sandbox_url(PROFILE_URL, plan.sandbox)
    try:
        resp = client.get(url, headers={"Authorization": f"Bearer {access_token}"})
    except httpx.HTTPError:
        return None
    return resp.status_code == 200


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
    operation: str | None = None,
) -> dict[str, Any] | None:
    """The doctor's diagnosis for one API answer (None for a 2xx); what clients use to explain errors.

    ``operation`` is the call that got it (``"GET /catalog/2022-04-01/items"``), as SP-API causes
    depend on it (a seller operation under a grantless token, a restricted one, its role).
    """
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
            operation=operation,
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
