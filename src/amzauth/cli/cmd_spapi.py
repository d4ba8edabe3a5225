"""``amzauth spapi ...``: seller authorization, code exchange, secret rotation and raw SP-API calls.

Output per docs/reference/cli.md: ``consent-url --json`` prints ``{"url", "state"}``,
``authorize --json`` prints ``{"selling_partner_id", "refresh_token": "<redacted>", "stored_in"}``.
A problem with the profile (a redirect URI with a fragment, a missing application_id) exits 2
before anything is sent; Amazon saying no (an MD consent error, a refused code, an API error)
exits 1 with the diagnosis; an unreachable endpoint exits 3. Secrets are never printed.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from amzauth.cli._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOpt,
    DebugOpt,
    JsonOpt,
    ProfileOpt,
    emit_json,
    err_console,
    escape,
    fail,
    fail_common,
)

if TYPE_CHECKING:
    from amzauth.config import Profile

spapi_app = typer.Typer(
    name="spapi",
    help="Selling Partner API: authorize sellers, exchange codes, rotate the client secret, call the API.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        help="Where to keep the refresh token: auto (OS keyring if available, else a 0600 file), keyring, file.",
    ),
]
NoSaveProfileOpt = Annotated[
    bool,
    typer.Option(
        "--no-save-profile",
        help='Do not set refresh_token = "stored:<selling_partner_id>" in the profile.',
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(spapi_app, name="spapi")


def _fail_for(exc: BaseException, json_out: bool) -> NoReturn:
    """One line (plus the fix steps) and the contract's exit code for every error these commands raise."""
    from amzauth.spapi.errors import (
        AuthorizationError,
        ConsentError,
        RotationError,
        SPAPIError,
        StorageError,
    )

    fail_common(exc, json_out, token_retryable=False)
    if isinstance(exc, AuthorizationError):
        code = EXIT_USAGE if isinstance(exc, ConsentError) and exc.local else EXIT_FAILED
        if not json_out and exc.fix:
            con = err_console()
            for step in exc.fix:
                con.print(f"  fix: {escape(step)}", markup=False)
        field = f" (field: {exc.field})" if exc.field else ""
        fail(
            escape(f"{exc.message}{field} — run `{exc.explain}`"),
            code,
            as_json=json_out,
            extra={**exc.to_dict(), "explain": exc.explain},
        )
    if isinstance(exc, SPAPIError):
        code = EXIT_USAGE if exc.status is None else EXIT_FAILED
        extra = exc.to_dict()
        if not json_out and exc.diagnosis:
            err_console().print(f"  cause: {escape(str(exc.diagnosis.get('summary')))}", markup=True)
        fail(escape(f"{exc} — run `{exc.explain}`"), code, as_json=json_out, extra=extra)
    if isinstance(exc, StorageError):
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra={"code": "storage"})
    if isinstance(exc, RotationError):
        fail(escape(str(exc)), EXIT_FAILED, as_json=json_out, extra={"code": "rotation"})
    if isinstance(exc, ValueError):
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra={"code": "usage"})
    raise exc


def _load(profile: str | None, config: str | None, json_out: bool) -> Profile:
    from amzauth.config import ConfigError, load_profile

    try:
        prof = load_profile(profile, config)
    except ConfigError as exc:
        _fail_for(exc, json_out)
    if prof.api != "spapi":
        fail(
            escape(f'profile {prof.name!r} is a {prof.api} profile; these commands need api = "spapi"'),
            EXIT_USAGE,
            as_json=json_out,
            extra={"code": "config", "key": "api", "profile": prof.name, "file": prof.file},
        )
    _warn_expiry(prof)
    return prof


def _warn_expiry(prof: Profile) -> None:
    from amzauth.spapi.client import secret_expiry

    try:
        found = secret_expiry(prof)
    except Exception:
        return
    if found is not None:
        level, message = found
        colour = "red" if level == "expired" else "yellow"
        err_console().print(f"[bold {colour}]warning:[/] {escape(message)}", markup=True)


def _store_choice(store: str, json_out: bool) -> Any:
    if store not in ("auto", "keyring", "file"):
        fail(f"--store must be auto, keyring or file, not {store!r}", EXIT_USAGE, as_json=json_out)
    return store


def _headless() -> bool:
    """No graphical session to open a browser in (Linux without DISPLAY, or over SSH without one)."""
    if sys.platform in ("darwin", "win32"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _report_authorized(result: Any, prof: Profile, json_out: bool) -> None:
    """What ``authorize`` and ``exchange`` print once the refresh token is stored."""
    from amzauth.config.redact import redact

    for w in result.warnings:
        err_console().print(f"[bold yellow]warning:[/] {escape(w)}", markup=True)
    if json_out:
        emit_json(result.to_dict())
        return

    lines = [
        f"selling partner  {result.selling_partner_id}",
        f"region           {result.region or '-'}",
        f"refresh token    {redact(result.refresh_token.reveal())}",
        f"stored in        {result.stored_in or '-'}",
    ]
    if result.profile_updated:
        lines.append(
            f'profile          {prof.name}: refresh_token = "{result.reference}" ({result.profile_updated})'
        )
    elif result.reference:
        lines.append(f'use it with      refresh_token = "{result.reference}" in profile {prof.name}')
    typer.echo("\n".join(lines))


# ---- consent-url -------------------------------------------------------------------------------
@spapi_app.command("consent-url")
def consent_url(
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    vendor: Annotated[bool, typer.Option("--vendor", help="Vendor Central consent URL (vendors).")] = False,
    pkce: Annotated[
        bool, typer.Option("--pkce", help="Add a PKCE S256 challenge (prints the verifier).")
    ] = False,
    redirect_uri: Annotated[
        str | None, typer.Option("--redirect-uri", help="Override the profile's redirect_uri.")
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Use this state instead of a random one.")
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Print the consent URL for the profile (state generated, version=beta while draft)."""
    from amzauth.spapi.consent import build_consent

    prof = _load(profile, config, json_out)
    try:
        consent = build_consent(
            prof, redirect_uri=redirect_uri, vendor=vendor or None, pkce=pkce, state=state
        )
    except Exception as exc:
        _fail_for(exc, json_out)
    for w in consent.warnings:
        err_console().print(f"[yellow]warning:[/] {escape(w.message)}", markup=True)
    from amzauth.spapi.consent import remember_consent

    remember_consent(consent)  # so `spapi exchange` can tell a changed redirect_uri or verifier
    if json_out:
        doc: dict[str, Any] = {"url": consent.url, "state": consent.state}
        if consent.code_verifier:
            doc["code_verifier"] = consent.code_verifier
        doc["warnings"] = [w.message for w in consent.warnings]
        emit_json(doc)
        return
    typer.echo(consent.url)
    typer.echo(f"state: {consent.state}", err=True)
    if consent.code_verifier:
        typer.echo(f"code_verifier: {consent.code_verifier}", err=True)
    _ = debug


# ---- authorize -----------------------------------------------------------------------------------
@spapi_app.command("authorize")
def authorize_cmd(
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Only print the URL (automatic on a headless machine).")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the callback (Amazon allows 10 minutes).")
    ] = 600.0,
    store: StoreOpt = "auto",
    no_save_profile: NoSaveProfileOpt = False,
    manual: Annotated[
        bool,
        typer.Option(
            "--manual", help="No local server: paste the URL the browser lands on (any redirect URI)."
        ),
    ] = False,
    listen: Annotated[
        str | None, typer.Option("--listen", help="Bind the callback server to this address instead.")
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Accept the callback from non-loopback clients.")
    ] = False,
    pkce: Annotated[bool, typer.Option("--pkce", help="Use a PKCE S256 challenge.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Authorize a seller end to end: consent URL, local callback, state check, code exchange, stored token."""
    from amzauth.spapi.authorize import authorize

    prof = _load(profile, config, json_out)
    prefer = _store_choice(store, json_out)
    if not 0 < timeout <= 3600:
        fail("--timeout must be between 0 and 3600 seconds", EXIT_USAGE, as_json=json_out)
    open_browser = not no_browser and not _headless()
    con = err_console()

    def show(url: str) -> None:
        con.print("Open this URL in a browser signed in to Seller Central and confirm:", markup=False)
        sys.stderr.write(url + "\n")
        sys.stderr.flush()

    def read_pasted() -> str:
        sys.stderr.write("Paste the full URL the browser landed on, then press Enter:\n")
        sys.stderr.flush()
        return sys.stdin.readline().strip()

    redirect = prof.get("redirect_uri") or "the app's first registered redirect URI"
    where = f"{redirect} (listening on {listen})" if listen else str(redirect)

    def waiting() -> Any:
        # Said once in plain words (a spinner alone says nothing in a log or a pipe).
        con.print(
            f"Waiting up to {timeout:g} s for the seller to confirm; Amazon redirects the browser to "
            f"{where}, where amzauth listens.",
            markup=False,
        )
        return con.status(f"Waiting for the callback at {where} (up to {timeout:g} s)…", spinner="dots")

    try:
        result = authorize(
            prof,
            timeout=timeout,
            open_browser=open_browser,
            on_url=show,
            store=prefer,
            save_profile=not no_save_profile,
            listen=listen,
            allow_remote=allow_remote,
            pkce=pkce,
            manual_input=read_pasted if manual else None,
            waiting=waiting,
        )
    except Exception as exc:
        _fail_for(exc, json_out)
    _report_authorized(result, prof, json_out)
    _ = debug


# ---- exchange ------------------------------------------------------------------------------------
@spapi_app.command("exchange")
def exchange_cmd(
    callback_url: Annotated[
        str,
        typer.Option("--callback-url", help="The URL the browser landed on after consent ('-' reads stdin)."),
    ],
    state: Annotated[str, typer.Option("--state", help="The state printed by `amzauth spapi consent-url`.")],
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    code_verifier: Annotated[
        str | None, typer.Option("--code-verifier", help="The PKCE verifier, if consent-url used --pkce.")
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option("--redirect-uri", help="The redirect_uri of the consent URL (default: profile's)."),
    ] = None,
    store: StoreOpt = "auto",
    no_save_profile: NoSaveProfileOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Exchange a consent callback (from `consent-url` on another machine) and store the refresh token."""
    from amzauth.spapi.authorize import finish_authorization
    from amzauth.spapi.exchange import exchange_callback

    prof = _load(profile, config, json_out)
    prefer = _store_choice(store, json_out)
    url = sys.stdin.readline().strip() if callback_url == "-" else callback_url
    try:
        auth = exchange_callback(
            url, state, source=prof, redirect_uri=redirect_uri, code_verifier=code_verifier
        )
        result = finish_authorization(prof, auth, prefer=prefer, save_profile=not no_save_profile)
    except Exception as exc:
        _fail_for(exc, json_out)
    _report_authorized(result, prof, json_out)
    _ = debug


# ---- self-authorize ------------------------------------------------------------------------------
@spapi_app.command("self-authorize")
def self_authorize_cmd(
    selling_partner_id: Annotated[
        str,
        typer.Option(
            "--selling-partner-id",
            help="Your Merchant Token (Seller Central > Settings > Account Info > Business Information).",
        ),
    ],
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    refresh_token_from: Annotated[
        str,
        typer.Option(
            "--refresh-token-from",
            help="Read the refresh token from this file, or - for stdin (default: prompt, input hidden).",
        ),
    ] = "",
    store: StoreOpt = "auto",
    no_save_profile: NoSaveProfileOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check a refresh token you generated for your own private app in Seller Central, then store it."""
    from amzauth.spapi.selfauth import self_authorize

    prof = _load(profile, config, json_out)
    prefer = _store_choice(store, json_out)
    if refresh_token_from == "-" or (not refresh_token_from and not sys.stdin.isatty()):
        token = sys.stdin.readline().strip()
    elif refresh_token_from:
        try:
            with open(refresh_token_from, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            fail(f"cannot read {refresh_token_from}: {exc.strerror}", EXIT_USAGE, as_json=json_out)
    else:
        import getpass

        token = getpass.getpass("Paste the refresh token (Atzr|…) and press Enter: ").strip()
    if not token:
        fail("no refresh token given", EXIT_USAGE, as_json=json_out, extra={"code": "usage"})
    err_console().print(
        f"Checking the token with Login with Amazon and SP-API ({prof.get('region') or 'profile region'})…",
        markup=False,
    )
    try:
        result = self_authorize(
            prof, token, selling_partner_id, prefer=prefer, save_profile=not no_save_profile
        )
    except Exception as exc:
        _fail_for(exc, json_out)
    _report_authorized(result, prof, json_out)
    _ = debug


# ---- rotate-secret -------------------------------------------------------------------------------
@spapi_app.command("rotate-secret")
def rotate_secret_cmd(
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    new_secret_from: Annotated[
        str | None,
        typer.Option(
            "--new-secret-from",
            help="The APPLICATION_OAUTH_CLIENT_NEW_SECRET notification (SQS message JSON): a file, or - for stdin.",
        ),
    ] = None,
    apply_only: Annotated[
        bool,
        typer.Option(
            "--apply-only", help="Do not rotate; only apply the notification of an earlier rotation."
        ),
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip the token request with the new secret.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Rotate the LWA client secret (grantless rotation scope) and save the new one where the old one lives."""
    from amzauth.spapi.rotation import rotate_secret

    prof = _load(profile, config, json_out)
    try:
        result = rotate_secret(
            prof, new_secret_from=new_secret_from, apply_only=apply_only, verify=not no_verify
        )
    except Exception as exc:
        _fail_for(exc, json_out)
    doc = result.to_dict()
    if json_out:
        emit_json(doc)
        return
    con = err_console()
    if result.rotated:
        con.print("rotation requested: Amazon answered 204", markup=False)
    if result.pending:
        con.print(escape(result.pending), markup=False)
        return
    typer.echo(
        "\n".join(
            [
                f"new secret       {doc['client_secret']}",
                f"expires          {doc['secret_expires']}",
                f"old secret until {doc['old_secret_expires'] or '-'}",
                f"saved in         {doc['saved_in']}",
                f"verified         {'yes' if doc['verified'] else 'no'}",
            ]
        )
    )
    for step in doc["instructions"]:
        con.print(f"next: {escape(step)}", markup=False)
    _ = debug


# ---- call ----------------------------------------------------------------------------------------
@spapi_app.command("call")
def call_cmd(
    method: Annotated[str, typer.Argument(help="HTTP method, e.g. GET.")],
    path: Annotated[str, typer.Argument(help="Operation path, e.g. /sellers/v1/marketplaceParticipations.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Query parameter key=value (repeatable).")
    ] = None,
    body: Annotated[str | None, typer.Option("--body", help="JSON body, or @FILE.")] = None,
    grantless: Annotated[
        str | None, typer.Option("--grantless", help="Use a grantless token of this scope.")
    ] = None,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Call any SP-API operation with the profile's token and print the JSON answer."""
    import json

    from amzauth.spapi.client import SPAPIClient

    prof = _load(profile, config, json_out)
    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--param must be key=value, got {item!r}", EXIT_USAGE, as_json=json_out)
        params[key] = value
    payload: Any = None
    if body is not None:
        text = body
        if body.startswith("@"):
            try:
                with open(body[1:], encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                fail(f"cannot read {body[1:]}: {exc.strerror}", EXIT_USAGE, as_json=json_out)
        try:
            payload = json.loads(text)
        except ValueError:
            fail("--body is not valid JSON", EXIT_USAGE, as_json=json_out)
    from amzauth.cli._common import announce_waits

    announce_waits()
    try:
        with SPAPIClient(prof, scope=grantless) as client:
            answer = client.request(method, path, params=params or None, json=payload)
    except Exception as exc:
        _fail_for(exc, json_out)
    emit_json(answer)
    _ = debug
