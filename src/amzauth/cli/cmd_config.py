"""``amzauth config show`` and ``amzauth config check``: the profile as amzauth sees it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from amzauth.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    ConfigOpt,
    JsonOpt,
    ProfileOpt,
    emit_json,
    err_console,
    fail,
)

config_app = typer.Typer(help="Show and check profiles.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


def _plan_fields(plan: Any) -> dict[str, Any]:
    return {
        "token_endpoint": plan.token_endpoint,
        "grant_type": plan.grant_type,
        "scope": plan.scope,
        "body_format": plan.body_format,
        "client_auth": plan.client_auth,
        "api_endpoint": plan.api_base_url,
        "authorization_header": plan.authorization_header
        if plan.api == "creators"
        else "x-amz-access-token: <token>",
        "marketplace": plan.marketplace.host if plan.marketplace else None,
        "marketplace_id": plan.marketplace.marketplace_id if plan.marketplace else None,
        "region": plan.region,
        "seller_central": plan.seller_central_host,
        "aws_region": plan.aws_region,
        "overrides": sorted(plan.overrides),
    }


def _no_url_passwords(values: dict[str, Any]) -> dict[str, Any]:
    """A password inside a URL value (``redis_url = "redis://:PASSWORD@host"``) is a secret too."""
    from amzauth.config.redact import redact_url

    return {k: redact_url(v) if isinstance(v, str) else v for k, v in values.items()}


@config_app.command("show")
def show(config: ConfigOpt = None, profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """Print the resolved profile (secrets redacted) and the routing plan derived from it."""
    from amzauth.config import ConfigError, load_profile
    from amzauth.core.plan import build_plan

    try:
        prof = load_profile(profile, config)
        plan = build_plan(prof)
    except ConfigError as exc:
        fail(
            str(exc),
            EXIT_USAGE,
            as_json=json_out,
            extra={"key": exc.key, "profile": exc.profile, "file": exc.file},
        )
    doc: dict[str, Any] = {
        "profile": prof.name,
        "file": prof.file,
        "values": _no_url_passwords(prof.redacted()),
        "sources": dict(prof.sources),
        "plan": _plan_fields(plan),
    }
    if json_out:
        emit_json(doc)
        return
    from rich.table import Table

    from amzauth.cli._common import out_console, printable

    table = Table(title=f"profile {prof.name} ({prof.file or 'environment'})", show_header=True)
    table.add_column("key")
    table.add_column("value")
    table.add_column("from")
    for k, v in doc["values"].items():
        table.add_row(printable(k), printable(str(v)), prof.sources.get(k, ""))
    for k, v in doc["plan"].items():
        table.add_row(f"[dim]plan.{k}[/]", printable(str(v)), "derived")
    out_console().print(table)


@config_app.command("check")
def check(config: ConfigOpt = None, profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """Check a profile without any request: exit 2 on errors, 0 (with warnings) when usable."""
    from amzauth.config import ConfigError, load_profile
    from amzauth.core.inspect import inspect_profile
    from amzauth.core.plan import build_plan

    try:
        prof = load_profile(profile, config)
        plan = build_plan(prof)
    except ConfigError as exc:
        if json_out:
            emit_json(
                {
                    "ok": False,
                    "profile": exc.profile,
                    "file": exc.file,
                    "errors": [
                        {"key": exc.key, "cause": "config-invalid", "message": exc.message, "fix": exc.fix}
                    ],
                    "warnings": [],
                }
            )
        err_console().print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    findings = inspect_profile(prof, plan)
    errors = [asdict(f) for f in findings if f.severity == "error"]
    warnings = [asdict(f) for f in findings if f.severity == "warning"]
    ok = not errors
    if json_out:
        emit_json({"ok": ok, "profile": prof.name, "file": prof.file, "errors": errors, "warnings": warnings})
    else:
        con = err_console()
        for f in findings:
            label = "error" if f.severity == "error" else "warning"
            con.print(
                f"{label}: {f.key}: {f.message}; fix: {f.fix} (profile {prof.name!r}, file "
                f"{prof.file or 'environment'})",
                markup=False,
            )
        if ok:
            con.print(
                f"profile {prof.name!r} is usable" + (f" ({len(warnings)} warning(s))" if warnings else ""),
                markup=False,
            )
    raise typer.Exit(EXIT_OK if ok else EXIT_USAGE)
