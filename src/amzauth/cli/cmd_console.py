"""``amzauth console``: the web console (profiles, Test Connection, product preview, seller authorization).

Binds to 127.0.0.1 by default. Every console asks for a password or access token: given with
``AMZAUTH_CONSOLE_PASSWORD`` / ``AMZAUTH_CONSOLE_TOKEN`` or ``--password-file`` (``ps`` shows
command lines to every local user, so ``--password`` on the command line draws a warning), else a
fresh token printed in the sign-in URL. ``--no-auth`` (loopback only) opts out explicitly.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from amzauth.cli._common import EXIT_FAILED, EXIT_USAGE, ConfigOpt, fail


def register(app: typer.Typer) -> None:
    app.command("console")(console)


def console(
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (beyond loopback needs a password).")
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option("--port", help="Port to listen on; 0 picks a free one.")] = 8766,
    config: ConfigOpt = None,
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="AMZAUTH_CONSOLE_PASSWORD", help="Password asked on a login page."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="AMZAUTH_CONSOLE_TOKEN",
            help="Access token: sign in with it, or open URL?token=... once.",
        ),
    ] = None,
    ssl_certfile: Annotated[
        str | None, typer.Option("--ssl-certfile", help="Serve HTTPS with this cert.")
    ] = None,
    ssl_keyfile: Annotated[str | None, typer.Option("--ssl-keyfile", help="Key of --ssl-certfile.")] = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request on stderr.")] = False,
    password_file: Annotated[
        str | None,
        typer.Option(
            "--password-file", help="Read the password from this file's first line (not shown by ps)."
        ),
    ] = None,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="Serve loopback without sign-in (every local user can then use your stored secrets).",
        ),
    ] = False,
) -> None:
    """Serve the web console until interrupted (Ctrl-C)."""
    from amzauth.console.security import BindRefused, access_token

    if not 0 <= port <= 65535:
        fail(f"--port must be between 0 and 65535, not {port}", EXIT_USAGE)
    if bool(ssl_certfile) != bool(ssl_keyfile):
        fail("--ssl-certfile and --ssl-keyfile go together", EXIT_USAGE)
    for flag, env in (
        ("--password", "AMZAUTH_CONSOLE_PASSWORD or --password-file"),
        ("--token", "AMZAUTH_CONSOLE_TOKEN"),
    ):
        if any(a == flag or a.startswith(flag + "=") for a in sys.argv[1:]):
            sys.stderr.write(
                f"warning: {flag} on the command line is visible to every local user (ps); use {env} instead\n"
            )
    if password_file is not None:
        try:
            with open(password_file, encoding="utf-8") as f:
                password = f.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            fail(
                f"cannot read --password-file {password_file}: {getattr(exc, 'strerror', None) or exc}",
                EXIT_USAGE,
            )
    given_token = token
    try:
        token = access_token(host, password=password, token=token, no_auth=no_auth)
    except BindRefused as exc:
        fail(str(exc), EXIT_USAGE)
    if config is not None:
        from pathlib import Path

        parent = Path(config).expanduser().resolve().parent
        if not parent.is_dir():
            fail(f"the directory of --config {config} does not exist", EXIT_USAGE)

    from amzauth.console.server import serve_console

    def announce(url: str) -> None:
        sys.stdout.write(f"console listening on {url}\n")
        if token and not given_token and not password:
            sys.stdout.write(f"sign in: open {url}/?token={token}  (a fresh access token for this run)\n")
        elif token:
            sys.stdout.write("sign in with the access token given by --token (or open URL/?token=...)\n")
        elif password:
            sys.stdout.write("sign in with the password given by --password\n")
        sys.stdout.flush()

    try:
        serve_console(
            config,
            host=host,
            port=port,
            password=password,
            token=token,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            access_log=access_log,
            on_started=announce,
            no_auth=no_auth,
        )
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_FAILED)
