"""``amzauth doctor``: the Test Connection diagnostic (contract: docs/reference/doctor-report.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from amzauth.cli._common import ConfigOpt, JsonOpt, ProfileOpt, emit_json


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Check the profile without any request.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 10.0,
) -> None:
    """Walk config, token and one cheap API call; name the step that failed, the cause and the fix."""
    if not 0 < timeout <= 600:
        from amzauth.cli._common import EXIT_USAGE, fail

        fail(
            f"--timeout must be a number of seconds above 0 and at most 600, not {timeout:g}",
            EXIT_USAGE,
            as_json=json_out,
            extra={"code": "usage", "key": "--timeout"},
        )

    from amzauth.cli.fast import doctor_report

    report = doctor_report(config=config, profile=profile, offline=offline, timeout=timeout)
    if json_out:
        emit_json(report.doc)
    else:
        from rich.console import Console

        from amzauth.doctor.render import render_report

        render_report(report.doc, Console(highlight=False))
    raise typer.Exit(report.exit_code)
