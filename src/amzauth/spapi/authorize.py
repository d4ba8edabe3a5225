"""The website authorization workflow end to end, from a profile to a stored refresh token.

Build and check the consent URL, listen on the registered loopback redirect URI, open the browser
(or print the URL on a headless machine), wait for Amazon's redirect, check ``state``, exchange the
code at once, store the refresh token (OS keyring, else a private file) and point the profile at it
with ``refresh_token = "stored:<selling_partner_id>"``. ``amzauth spapi authorize`` is a thin shell
over :func:`authorize`.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from amzauth.config.endpoints import stored_token_endpoint
from amzauth.config.profiles import Profile
from amzauth.config.redact import Secret, redact
from amzauth.config.storage import STORED_PREFIX, StoredToken, StorePreference, save_refresh_token
from amzauth.spapi.callback import CallbackServer, PendingCallback, callback_target, page
from amzauth.spapi.consent import ConsentRequest, build_consent, consent_plan, diagnose_consent_page
from amzauth.spapi.errors import AuthorizationError, AuthorizationTimeout
from amzauth.spapi.exchange import Authorization, exchange_callback

log = logging.getLogger("amzauth.spapi")

DEFAULT_TIMEOUT: Final = 600.0  # Amazon's whole workflow must finish within 10 minutes


@dataclass(frozen=True, slots=True)
class AuthorizeResult:
    selling_partner_id: str
    refresh_token: Secret
    stored_in: str | None
    reference: str | None  # the profile value that points at the stored token
    region: str | None
    profile_updated: str | None  # profiles file where refresh_token now holds the reference
    authorization: Authorization
    warnings: tuple[str, ...] = ()  # what the user must still do (a profile value left in place, ...)

    def to_dict(self) -> dict[str, Any]:
        """The CLI contract's JSON (``amzauth spapi authorize --json``) plus a few extras."""
        return {
            "selling_partner_id": self.selling_partner_id,
            "refresh_token": redact(self.refresh_token.reveal()),
            "stored_in": self.stored_in,
            "reference": self.reference,
            "region": self.region,
            "profile_updated": self.profile_updated,
            "warnings": list(self.warnings),
        }

    def with_warnings(self, more: list[str] | tuple[str, ...]) -> AuthorizeResult:
        from dataclasses import replace

        return replace(self, warnings=(*self.warnings, *more))


def preflight_consent(consent: ConsentRequest, profile: Profile, *, timeout: float = 10.0) -> None:
    """Fetch the consent page once and raise its diagnosed MD error, if it shows one.

    Only meaningful where the page can be read without a seller login: the sandbox.
    """
    import httpx

    try:
        r = httpx.get(consent.url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError:
        return  # the real attempt will report the network problem
    if r.status_code >= 400:
        err = diagnose_consent_page(r.text, consent_plan(profile), redirect_uri=consent.redirect_uri)
        if err is not None:
            raise err


def _store(
    profile: Profile,
    auth: Authorization,
    prefer: StorePreference,
    token_file: str | Path | None,
    save_profile: bool,
) -> tuple[StoredToken, str | None]:
    stored = save_refresh_token(
        str(profile.get("client_id")),
        str(auth.region or ""),
        auth.selling_partner_id,
        auth.refresh_token.reveal(),
        prefer=prefer,
        path=token_file,
        application_id=profile.get("application_id"),
        endpoint=stored_token_endpoint(profile),
    )
    updated = None
    current = profile.secret("refresh_token")
    source = profile.sources.get("refresh_token")
    replaceable = current is None or (source == "file" and current.startswith(STORED_PREFIX))
    if save_profile and profile.file and replaceable and source in (None, "file"):
        from amzauth.spapi.tomledit import set_profile_values

        try:
            set_profile_values(profile.file, profile.name, {"refresh_token": stored.reference})
            updated = profile.file
        except Exception as exc:  # the token is stored; editing the profile is a convenience
            log.warning("could not update profile %r in %s: %s", profile.name, profile.file, exc)
    return stored, updated


def finish_authorization(
    profile: Profile,
    auth: Authorization,
    *,
    prefer: StorePreference = "auto",
    token_file: str | Path | None = None,
    save_profile: bool = True,
    store: bool = True,
) -> AuthorizeResult:
    """Store an exchanged authorization's refresh token and point the profile at it (when it has none)."""
    stored: StoredToken | None = None
    updated = None
    if store:
        stored, updated = _store(profile, auth, prefer, token_file, save_profile)
    warnings = (
        _kept_value_warning(profile, stored.reference if stored else None) if stored and not updated else []
    )
    return AuthorizeResult(
        selling_partner_id=auth.selling_partner_id,
        refresh_token=auth.refresh_token,
        stored_in=stored.stored_in if stored else None,
        reference=stored.reference if stored else None,
        region=auth.region,
        profile_updated=updated,
        authorization=auth,
        warnings=tuple(warnings),
    )


def _kept_value_warning(profile: Profile, reference: str | None) -> list[str]:
    """The profile still names another refresh token (an environment variable, a literal value):
    every command keeps using that one until it is changed, so say where and how."""
    source = profile.sources.get("refresh_token")
    if profile.secret("refresh_token") is None or source is None:
        return []
    ref = reference or "stored:<selling partner id>"
    if source.startswith("env:") or source.startswith("AMZAUTH_"):
        var = source.removeprefix("env:")
        return [
            f"profile {profile.name} still reads refresh_token from the environment variable {var}, so "
            f"amzauth (and `amzauth doctor`) keep using the old token: set {var}={ref}, or unset it and "
            f'put refresh_token = "{ref}" in the profile'
        ]
    if source == "file":
        return [
            f"profile {profile.name} keeps its own refresh_token value, which amzauth goes on using: "
            f'replace it with refresh_token = "{ref}" to use the new authorization'
        ]
    return []


def _error_page(exc: AuthorizationError) -> str:
    fix = "".join(f"<li>{html.escape(s)}</li>" for s in exc.fix)
    body = (
        f'<p id="error-code">{html.escape(exc.code)}</p>\n<p id="message">{html.escape(exc.message)}</p>\n'
        + (f"<ol id='fix'>{fix}</ol>" if fix else "")
        + "<p>Details are in the terminal where amzauth runs.</p>"
    )
    return page("Authorization failed", body, ok=False)


def authorize(
    profile: Profile,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    open_browser: bool = True,
    on_url: Callable[[str], None] | None = None,
    store: StorePreference = "auto",
    token_file: str | Path | None = None,
    save_profile: bool = True,
    listen: str | None = None,
    allow_remote: bool = False,
    pkce: bool = False,
    manual_input: Callable[[], str] | None = None,
    preflight: bool | None = None,
    waiting: Callable[[], AbstractContextManager[Any]] | None = None,
    token_transport: object | None = None,
    keep: bool = True,
) -> AuthorizeResult:
    """Run the website authorization workflow for ``profile`` and store the refresh token.

    ``on_url`` receives the consent URL (print it; tests drive the page with it). ``manual_input``
    switches to headless paste mode: it returns the URL the browser landed on. ``preflight``
    (default: when the profile points at the sandbox) reads the consent page first and fails with
    its diagnosed MD error. Raises ConsentError, StateMismatch, CallbackError, CodeExchangeError,
    AuthorizationTimeout, ConfigError, StorageError or NetworkError.
    """
    consent = build_consent(profile, pkce=pkce)
    if preflight if preflight is not None else bool(profile.get("sandbox")):
        preflight_consent(consent, profile)
    if manual_input is not None:
        if on_url:
            on_url(consent.url)
        _open(consent.url, open_browser)
        auth = exchange_callback(manual_input(), consent, source=profile, transport=token_transport)
        return finish_authorization(
            profile, auth, prefer=store, token_file=token_file, save_profile=save_profile, store=keep
        )
    target = callback_target(str(consent.redirect_uri or ""), listen=listen, profile=profile.name)
    with CallbackServer(target, allow_remote=allow_remote) as server:
        if on_url:
            on_url(consent.url)
        _open(consent.url, open_browser)
        deadline = time.monotonic() + timeout
        with waiting() if waiting else contextlib.nullcontext():
            while True:
                pending = server.next_callback(deadline - time.monotonic())
                if pending is None:
                    raise AuthorizationTimeout(
                        f"no callback arrived within {timeout:g} s; Amazon's workflow must finish within 10 minutes",
                        field="none",
                        fix=("Run `amzauth spapi authorize` again and confirm on the consent page.",),
                    )
                return _handle(
                    pending, consent, profile, store, token_file, save_profile, token_transport, keep
                )


def _handle(
    pending: PendingCallback,
    consent: ConsentRequest,
    profile: Profile,
    store: StorePreference,
    token_file: str | Path | None,
    save_profile: bool,
    token_transport: object | None,
    keep: bool,
) -> AuthorizeResult:
    try:
        auth = exchange_callback(pending.params, consent, source=profile, transport=token_transport)
        result = finish_authorization(
            profile, auth, prefer=store, token_file=token_file, save_profile=save_profile, store=keep
        )
    except AuthorizationError as exc:
        pending.reply(400, _error_page(exc))
        raise
    except Exception as exc:
        pending.reply(
            500, page("Authorization failed", f"<p>{html.escape(type(exc).__name__)}</p>", ok=False)
        )
        raise
    where = (
        f"<p>The refresh token is stored ({html.escape(result.stored_in or '')}).</p>"
        if result.stored_in
        else ""
    )
    pending.reply(
        200,
        page(
            "Authorized",
            f'<p>Selling partner <strong id="selling-partner-id">{html.escape(result.selling_partner_id)}</strong> '
            f"authorized the app.</p>{where}<p>You can close this window.</p>",
        ),
    )
    return result


def _open(url: str, open_browser: bool) -> None:
    if not open_browser:
        return
    import webbrowser

    try:
        webbrowser.open(url, new=2)
    except Exception:  # no browser: the URL was printed
        log.debug("could not open a browser", exc_info=True)
