"""``amzauth token``: get the profile's access token through the shared cache, or forget it.

Output per docs/reference/cli.md. The token is redacted unless ``--show`` is given; errors
are one line that names the OAuth error and the ``amzauth explain`` command for it.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from amzauth.cli._common import (
    EXIT_USAGE,
    ConfigOpt,
    DebugOpt,
    JsonOpt,
    ProfileOpt,
    config_fields,
    emit_json,
    escape,
    fail,
    fail_network,
    fail_token,
)

ShowOpt = Annotated[bool, typer.Option("--show", help="Print the full token (for piping into curl).")]
ClearOpt = Annotated[bool, typer.Option("--clear", help="Forget the profile's cached token in every store.")]


def register(app: typer.Typer) -> None:
    app.command("token")(token)


def token(
    show: ShowOpt = False,
    clear: ClearOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Get an access token for the profile, through the cache (or --clear it)."""
    from amzauth.config import ConfigError, load_profile
    from amzauth.config.redact import redact
    from amzauth.engine import clear_profile, manager_for_profile
    from amzauth.errors import NetworkError, StorageError, TokenError

    try:
        prof = load_profile(profile, config)
        if clear:
            n = clear_profile(prof)
        else:
            manager = manager_for_profile(prof)
    except ConfigError as exc:
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra=config_fields(exc))
    except StorageError as exc:  # a store that cannot be written (read-only filesystem, ...)
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra={"code": exc.code})
    if clear:
        if json_out:
            emit_json({"cleared": n})
        else:
            typer.echo(
                f"cleared {n} cached entr{'y' if n == 1 else 'ies'} for profile {prof.name!r}", err=True
            )
        return
    from amzauth.cli._common import announce_waits

    announce_waits()
    try:
        tok = manager.get_token()
    except TokenError as exc:
        fail_token(exc, json_out)
    except NetworkError as exc:
        fail_network(exc, json_out, attempts=True)
    except ConfigError as exc:  # nothing to request with (no refresh token yet)
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra=config_fields(exc))
    now = time.time()
    doc: dict[str, Any] = {
        "token": tok.access_token if show else redact(tok.access_token),
        "token_type": tok.token_type,
        "expires_at": int(tok.expires_at),
        "expires_in": max(0, int(tok.expires_in(now))),
        "scope": tok.scope or manager.plan.scope,
        "source": tok.source,
    }
    if json_out:
        emit_json(doc)
        return
    if show:
        typer.echo(tok.access_token)
        return
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(tok.expires_at))
    lines = [
        f"token       {doc['token']}",
        f"type        {doc['token_type']}",
        f"expires     {when} (in {doc['expires_in'] // 60} min {doc['expires_in'] % 60} s)",
        f"scope       {doc['scope'] or '-'}",
        f"source      {doc['source']}",
        f"profile     {prof.name}",
    ]
    typer.echo("\n".join(lines))
    _ = debug
