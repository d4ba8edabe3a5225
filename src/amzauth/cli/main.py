"""Entry point: builds the typer app from one small module per command group.

Each ``cmd_*`` module exposes ``register(app)`` and imports its heavy dependencies inside the
command bodies, so ``amzauth --help`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from amzauth.cli import (
    cmd_config,
    cmd_console,
    cmd_creators,
    cmd_demo,
    cmd_doctor,
    cmd_explain,
    cmd_sandbox,
    cmd_site,
    cmd_spapi,
    cmd_token,
    cmd_usage,
)

app = typer.Typer(
    name="amzauth",
    help="OAuth for Amazon's Creators API and Selling Partner API: tokens, sandbox and a doctor that explains errors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

for _mod in (
    cmd_config,
    cmd_sandbox,
    cmd_explain,
    cmd_token,
    cmd_doctor,
    cmd_demo,
    cmd_creators,
    cmd_console,
    cmd_spapi,
    cmd_site,
    cmd_usage,
):
    _mod.register(app)


def main() -> None:
    """Run the CLI; turn any unexpected exception into one line and exit code 1 (``--debug`` shows it)."""
    import os

    debug = "--debug" in sys.argv or os.environ.get("AMZAUTH_DEBUG", "") not in ("", "0")
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:
        if debug:
            raise
        sys.stderr.write(
            f"error: {type(exc).__name__}: {exc} (an amzauth bug: set AMZAUTH_DEBUG=1 to see the traceback)\n"
        )
        raise SystemExit(1) from None
