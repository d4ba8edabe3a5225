"""``amzauth doctor --json`` without typer: the command scripts and health checks run most.

A health check runs the doctor as a process, so its start-up is most of its time. When the
arguments are the plain shape (``doctor --json`` with ``--config``, ``--profile``, ``--offline``,
``--timeout`` in range), this path parses them with the standard library and calls the same
:func:`doctor_report` the typer command calls; anything else (``--help``, a bad value, an unknown
flag) goes to typer, which owns every usage message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from amzauth.cli._plain import emit_json, say_step

if TYPE_CHECKING:
    from amzauth.doctor.run import DoctorReport

_VALUED: Final = {"--config": "config", "--profile": "profile", "--timeout": "timeout"}
_FLAGS: Final = {"--json": "json_out", "--offline": "offline"}


def doctor_report(*, config: str | None, profile: str | None, offline: bool, timeout: float) -> DoctorReport:
    """The doctor's run for the CLI (either path), saying each step on stderr as it starts."""
    from amzauth.doctor import run_doctor

    return run_doctor(profile_name=profile, config=config, offline=offline, timeout=timeout, on_step=say_step)


def doctor_args(argv: Sequence[str]) -> dict[str, Any] | None:
    """The options of a plain ``doctor --json`` command line, or None for typer to handle it."""
    if not argv or argv[0] != "doctor":
        return None
    out: dict[str, Any] = {"config": None, "profile": None, "json_out": False, "offline": False}
    timeout = "10"
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if name in _VALUED:
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if name == "--timeout":
                timeout = value
            else:
                out[_VALUED[name]] = value
        elif arg in _FLAGS:
            out[_FLAGS[arg]] = True
        else:
            return None
    try:
        seconds = float(timeout)
    except ValueError:
        return None
    if not out.pop("json_out") or not 0 < seconds <= 600:
        return None
    return {**out, "timeout": seconds}


def main(argv: Sequence[str]) -> int | None:
    """Run ``amzauth doctor --json`` and return its exit code; None when typer should run instead."""
    args = doctor_args(argv)
    if args is None:
        return None
    report = doctor_report(**args)
    emit_json(report.doc)
    return report.exit_code
