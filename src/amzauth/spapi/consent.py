"""The consent step of the website authorization workflow, without I/O.

Builds the Seller Central (or Vendor Central) consent URL after checking, locally, everything the
consent page's MD errors are about, so the seller never lands on an Amazon error page: a redirect
URI with a fragment (MD5110) or not registered (MD5101), an app with no redirect URI (MD9100),
``version=beta`` exactly while the app is a Draft (MD1000), the right host for the region or
marketplace. Also reads the callback (``state`` first) and diagnoses a consent error page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from amzauth.config.profiles import ConfigError, Profile
from amzauth.config.redact import redact
from amzauth.core.plan import Plan, build_plan, sandbox_url
from amzauth.spapi.errors import CallbackError, ConsentError, StateMismatch

CONSENT_PATH: Final = "/apps/authorize/consent"
APP_ID_PREFIX: Final = "amzn1.sp.solution."
CLIENT_ID_PREFIX: Final = "amzn1.application-oa2-client."
MD_CODES: Final = ("MD1000", "MD5101", "MD5110", "MD9010", "MD9100")
# The consent-page code -> the catalogue cause that explains it.
MD_CAUSES: Final[dict[str, str]] = {
    "MD1000": "draft-without-beta",
    "MD5101": "redirect-uri-not-registered",
    "MD5110": "redirect-uri-fragment",
    "MD9010": "mws-developer-id-missing",
    "MD9100": "no-login-or-redirect-uri",
}
STATE_BYTES: Final = 32  # 256 bits from secrets: unguessable, URL-safe
VERIFIER_BYTES: Final = 64  # 86 characters, inside RFC 7636's 43..128
_MD_RE: Final = re.compile(r"\bMD\d{4}\b")
_ERROR_CODE_RE: Final = re.compile(r'id="error-code"[^>]*>\s*([^<\s]+)\s*<', re.I)

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ConsentProblem:
    """One thing wrong with a consent request, found before sending the seller to Amazon.

    ``code`` is the consent-page code Amazon would show (``MD5110``...) or ``config``; ``cause`` a
    catalogue cause id; ``field`` the profile key to change.
    """

    code: str
    cause: str
    field: str
    severity: Severity
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """A consent URL with the values the callback and the code exchange must match.

    Keep ``state`` (and ``code_verifier`` when PKCE is used) server-side, e.g. in the user's
    session, until the callback arrives. ``url`` is the one to open (rewritten to the sandbox when
    the profile points at it); ``amazon_url`` the Amazon form.
    """

    url: str
    amazon_url: str
    state: str
    redirect_uri: str | None
    application_id: str
    host: str
    draft: bool
    vendor: bool
    code_verifier: str | None = field(default=None, repr=False)
    code_challenge: str | None = None
    warnings: tuple[ConsentProblem, ...] = ()

    def __repr__(self) -> str:
        return (
            f"ConsentRequest(url={self.url!r}, state={self.state!r}, redirect_uri={self.redirect_uri!r}, "
            f"draft={self.draft!r}, vendor={self.vendor!r}, code_verifier={redact(self.code_verifier)!r})"
        )


@dataclass(frozen=True, slots=True)
class Callback:
    """What Amazon sent back to the redirect URI, after ``state`` was checked."""

    code: str = field(repr=False)
    selling_partner_id: str
    state: str
    mws_auth_token: str | None = field(default=None, repr=False)


def new_state() -> str:
    """A fresh ``state`` value from a cryptographic random source."""
    return secrets.token_urlsafe(STATE_BYTES)


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` pair, method S256 (RFC 7636)."""
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_loopback_host(host: str) -> bool:
    h = host.strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_consent(
    application_id: str | None,
    redirect_uri: str | None,
    *,
    registered_redirect_uris: Iterable[str] | None = None,
) -> list[ConsentProblem]:
    """Every problem with these consent parameters that Amazon's consent page would refuse, errors first.

    ``registered_redirect_uris`` is the app's list of OAuth Redirect URIs when known (Solution
    Provider Portal); without it, only the URI's own form is checked.
    """
    out: list[ConsentProblem] = []
    app = (application_id or "").strip()
    if application_id is not None and app != application_id:
        out.append(
            ConsentProblem(
                "config",
                "whitespace-padding",
                "application_id",
                "error",
                "application_id has leading or trailing whitespace",
                "remove the spaces around application_id",
            )
        )
    if app.startswith(CLIENT_ID_PREFIX):
        out.append(
            ConsentProblem(
                "config",
                "application-id-format",
                "application_id",
                "error",
                "application_id holds the LWA client id (amzn1.application-oa2-client.…), not the app id",
                "copy the App ID (amzn1.sp.solution.…) from Solution Provider Portal into application_id",
            )
        )
    elif app and not app.startswith(APP_ID_PREFIX):
        out.append(
            ConsentProblem(
                "config",
                "application-id-format",
                "application_id",
                "warning",
                "application_id does not start with amzn1.sp.solution. as SP-API app ids do",
                "copy the App ID from Solution Provider Portal",
            )
        )
    registered = None if registered_redirect_uris is None else list(registered_redirect_uris)
    if registered is not None and not registered:
        out.append(
            ConsentProblem(
                "MD9100",
                MD_CAUSES["MD9100"],
                "account",
                "error",
                "the app has no OAuth Redirect URI registered",
                "add a Login URI and a Redirect URI to the app in Solution Provider Portal",
            )
        )
    if redirect_uri is not None:
        out.extend(_redirect_problems(redirect_uri, registered))
    out.sort(key=lambda p: p.severity != "error")
    return out


def _redirect_problems(uri: str, registered: list[str] | None) -> list[ConsentProblem]:
    out: list[ConsentProblem] = []
    if "#" in uri:
        out.append(
            ConsentProblem(
                "MD5110",
                MD_CAUSES["MD5110"],
                "redirect_uri",
                "error",
                f"redirect_uri {uri!r} contains a fragment (#…); the consent page refuses it with MD5110",
                "remove the #… part (carry context in state instead)",
            )
        )
    parts = urlsplit(uri.strip())
    if uri != uri.strip():
        out.append(
            ConsentProblem(
                "MD5101",
                "whitespace-padding",
                "redirect_uri",
                "error",
                "redirect_uri has leading or trailing whitespace, so it matches no registered URI",
                "remove the spaces around redirect_uri",
            )
        )
    if parts.scheme not in ("https", "http") or not parts.netloc:
        out.append(
            ConsentProblem(
                "MD5101",
                MD_CAUSES["MD5101"],
                "redirect_uri",
                "error",
                f"redirect_uri {uri!r} is not an absolute http(s) URL, so it cannot be a registered one",
                "use the full registered URI, e.g. https://example.com/amazon/callback",
            )
        )
    elif parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        out.append(
            ConsentProblem(
                "config",
                "redirect-uri-not-https",
                "redirect_uri",
                "warning",
                f"redirect_uri {uri!r} is not https; Amazon accepts https redirect URIs (local testing aside)",
                "register and use an https:// redirect URI",
            )
        )
    if registered is not None and registered and uri not in registered and "#" not in uri:
        out.append(
            ConsentProblem(
                "MD5101",
                MD_CAUSES["MD5101"],
                "redirect_uri",
                "error",
                f"redirect_uri {uri!r} is not one of the app's registered redirect URIs "
                f"({', '.join(registered)}); it must match one exactly",
                "set redirect_uri to a registered URI, or register it in Solution Provider Portal",
            )
        )
    return out


def consent_plan(profile: Profile) -> Plan:
    """The profile's plan for the consent flow: no refresh token is needed before the first authorization."""
    if profile.secret("refresh_token") or profile.get("scope"):
        return build_plan(profile)
    return build_plan(profile.replace(grant_type="authorization_code"))


def build_consent(
    source: Profile | Plan,
    *,
    application_id: str | None = None,
    redirect_uri: str | None = None,
    draft: bool | None = None,
    vendor: bool | None = None,
    state: str | None = None,
    pkce: bool = False,
    registered_redirect_uris: Iterable[str] | None = None,
    check: bool = True,
) -> ConsentRequest:
    """The consent URL for a profile (or a plan plus the app's values), with a fresh ``state``.

    Adds ``version=beta`` exactly when the app is a Draft, ``redirect_uri`` when one is set, a PKCE
    S256 challenge when ``pkce``. With ``check`` (the default) an error found by
    :func:`check_consent` raises :class:`ConsentError` naming the field, before anyone sees Amazon's
    page; ``check=False`` builds the URL anyway (to reproduce an MD error on purpose).
    """
    if isinstance(source, Profile):
        plan = consent_plan(source)
        application_id = application_id if application_id is not None else source.get("application_id")
        redirect_uri = redirect_uri if redirect_uri is not None else source.get("redirect_uri")
        draft = draft if draft is not None else bool(source.get("draft", False))
        vendor = vendor if vendor is not None else bool(source.get("vendor", False))
        profile_name, file = source.name, source.file
    else:
        plan = source
        draft, vendor = bool(draft), bool(vendor)
        profile_name, file = plan.profile, None
    if not application_id:
        raise ConfigError(
            "missing required key 'application_id' (needed for the consent URL)",
            key="application_id",
            profile=profile_name,
            file=file,
            fix="copy the App ID (amzn1.sp.solution.…) from Solution Provider Portal",
        )
    problems = check_consent(application_id, redirect_uri, registered_redirect_uris=registered_redirect_uris)
    errors = [p for p in problems if p.severity == "error"]
    if check and errors:
        raise consent_error(errors[0].code, plan, redirect_uri=redirect_uri, problem=errors[0])
    host = plan.vendor_central_host if vendor else plan.seller_central_host
    if not host:
        raise ConfigError(
            "the profile has no SP-API region, so there is no consent host",
            key="region",
            profile=profile_name,
            file=file,
            fix='set region = "na", "eu" or "fe"',
        )
    st = state or new_state()
    params: list[tuple[str, str]] = [("application_id", application_id), ("state", st)]
    if redirect_uri is not None:
        params.append(("redirect_uri", redirect_uri))
    if draft:
        params.append(("version", "beta"))
    verifier = challenge = None
    if pkce:
        verifier, challenge = pkce_pair()
        params += [("code_challenge", challenge), ("code_challenge_method", "S256")]
    amazon_url = f"https://{host}{CONSENT_PATH}?{urlencode(params)}"
    return ConsentRequest(
        url=sandbox_url(amazon_url, plan.sandbox),
        amazon_url=amazon_url,
        state=st,
        redirect_uri=redirect_uri,
        application_id=application_id,
        host=host,
        draft=draft,
        vendor=vendor,
        code_verifier=verifier,
        code_challenge=challenge,
        warnings=tuple(p for p in problems if p.severity == "warning" or not check),
    )


def _diagnosis(
    code: str, cause: str, values: Mapping[str, object], field: str | None = None
) -> dict[str, Any]:
    from amzauth.catalogue import load_catalogue

    cat = load_catalogue()
    entry = cat.get(code)
    if entry is None or entry.find_cause(cause) is None:
        # Local-only causes (whitespace, app id format) live under the catalogue's "config" entry.
        entry = cat.get("config")
        if entry is None or entry.find_cause(cause) is None:
            return {
                "code": code,
                "cause": cause,
                "field": field,
                "summary": "",
                "fix": [],
                "retryable": False,
            }
        return entry.diagnosis(cause, values=values, code=code, field=field)
    return entry.diagnosis(cause, values=values, code=code, field=field)


def consent_error(
    code: str,
    plan: Plan | None = None,
    *,
    redirect_uri: str | None = None,
    problem: ConsentProblem | None = None,
    page_detail: str | None = None,
) -> ConsentError:
    """A :class:`ConsentError` for an MD code (from the page, or from a local ``problem``), diagnosed."""
    cause = problem.cause if problem else MD_CAUSES.get(code, "")
    field_name = problem.field if problem else None
    values: dict[str, object] = {
        "profile": plan.profile if plan else None,
        "region": plan.region if plan else None,
        "redirect_uri": redirect_uri,
        "key": field_name,
        "value": redirect_uri if field_name == "redirect_uri" else None,
        "message": problem.message if problem else page_detail,
    }
    diag = _diagnosis(code, cause, values, field_name) if cause else None
    if problem is not None:
        message = f"{problem.message} ({'Amazon would show ' + code if code.startswith('MD') else code})"
    else:
        summary = (diag or {}).get("summary") or code
        message = f"the consent page refused the request with {code}: {summary}"
    return ConsentError(
        message,
        code=code,
        cause=cause or None,
        field=(diag or {}).get("field") or field_name,
        diagnosis=diag,
        local=problem is not None,
    )


def consent_page_error(page: str | bytes) -> str | None:
    """The MD (or other) error code shown on a consent error page, or None if the page shows none."""
    text = page.decode("utf-8", "replace") if isinstance(page, bytes) else page
    m = _ERROR_CODE_RE.search(text)
    if m:
        return html.unescape(m.group(1))
    m2 = _MD_RE.search(text)
    return m2.group(0) if m2 else None


def diagnose_consent_page(
    page: str | bytes, plan: Plan | None = None, *, redirect_uri: str | None = None
) -> ConsentError | None:
    """A diagnosed :class:`ConsentError` for a consent error page, or None for a normal consent page."""
    code = consent_page_error(page)
    if code is None:
        return None
    return consent_error(code, plan, redirect_uri=redirect_uri)


def _query_pairs(query: Mapping[str, Any] | str) -> dict[str, list[str]]:
    if isinstance(query, str):
        text = query
        if "?" in text:
            text = text.split("?", 1)[1]
        text = text.split("#", 1)[0]
        return parse_qs(text, keep_blank_values=True)
    out: dict[str, list[str]] = {}
    for k, v in query.items():
        if isinstance(v, list | tuple):
            out[str(k)] = [str(x) for x in v]
        else:
            out[str(k)] = [str(v)]
    return out


def parse_callback(query: Mapping[str, Any] | str, expected_state: str) -> Callback:
    """Read the redirect's query (a mapping, a query string or the full URL), checking ``state`` first.

    Raises :class:`StateMismatch` when ``state`` is missing, repeated or different (compared in
    constant time), and :class:`CallbackError` when Amazon sent an error or no code.
    """
    pairs = _query_pairs(query)
    states = pairs.get("state", [])
    if (
        len(states) != 1
        or not expected_state
        or not hmac.compare_digest(states[0].encode("utf-8"), expected_state.encode("utf-8"))
    ):
        what = (
            "no state" if not states else "several state values" if len(states) > 1 else "a different state"
        )
        raise StateMismatch(
            f"refused: the callback carries {what} than this authorization sent; it was not started "
            "here (or is an old browser tab). Start again with `amzauth spapi authorize`.",
            field="none",
            fix=("Start the authorization again and complete it in the browser tab it opens.",),
        )

    def one(name: str) -> str | None:
        values = pairs.get(name) or []
        return values[0] if values and values[0] else None

    error = one("error")
    if error:
        desc = one("error_description")
        raise CallbackError(
            f"Amazon redirected with error {error}" + (f": {desc}" if desc else ""),
            code=error,
            field="account",
            fix=("Start the authorization again; the seller must press Confirm on the consent page.",),
        )
    code = one("spapi_oauth_code")
    spid = one("selling_partner_id")
    if not code or not spid:
        missing = "spapi_oauth_code" if not code else "selling_partner_id"
        raise CallbackError(
            f"the callback has no {missing}: it is not a redirect from the consent page",
            field="none",
            fix=("Start the authorization again and confirm on the consent page.",),
        )
    return Callback(code=code, selling_partner_id=spid, state=states[0], mws_auth_token=one("mws_auth_token"))


# ---- what a consent URL sent, for the exchange on another run ------------------------------------
PENDING_FILE_NAME = "pending-consents.json"
PENDING_LIFETIME = 900.0  # seconds: Amazon's workflow must finish in 10 minutes; a little slack


def _pending_file() -> Any:
    from amzauth.config.storage import default_token_file

    return default_token_file().with_name(PENDING_FILE_NAME)


def _read_pending(now: float) -> dict[str, dict[str, Any]]:
    import json

    try:
        doc = json.loads(_pending_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {
        k: v
        for k, v in doc.items()
        if isinstance(v, dict) and now - float(v.get("created") or 0) < PENDING_LIFETIME
    }


def remember_consent(consent: ConsentRequest, *, now: float | None = None) -> None:
    """Note what a consent URL sent (redirect_uri, PKCE challenge: both public, in the URL itself).

    `spapi exchange` runs later, often in another process: with this it tells a redirect_uri or a
    PKCE verifier that differs from the consent step's from a reused or late code, as the library
    does when it is handed the ConsentRequest. Best effort: a read-only home only loses that detail.
    """
    import json
    import time

    from amzauth.config.files import write_text_atomic

    t = time.time() if now is None else now
    pending = _read_pending(t)
    pending[consent.state] = {
        "redirect_uri": consent.redirect_uri,
        "code_challenge": consent.code_challenge,
        "created": t,
    }
    try:
        write_text_atomic(_pending_file(), json.dumps(pending, indent=1), private_dir=True)
    except OSError:
        return


def recall_consent(state: str, *, now: float | None = None) -> dict[str, Any] | None:
    """What :func:`remember_consent` noted for ``state`` (None when unknown or older than 15 minutes)."""
    import time

    return _read_pending(time.time() if now is None else now).get(state)
