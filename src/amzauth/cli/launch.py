"""The ``amzauth`` entry point: checks the installed extras before importing the CLI.

The command's libraries (typer, rich, uvicorn, FastAPI, ...) are optional extras, so this module
imports nothing but the standard library: without them a user gets the exact ``pip install``
line and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from typing import Final

# The modules each extra provides, as found by ``importlib.util.find_spec``.
EXTRA_MODULES: Final[dict[str, tuple[str, ...]]] = {
    "cli": ("typer", "rich"),
    "sandbox": ("uvicorn",),
    "console": ("fastapi", "uvicorn", "jinja2", "python_multipart"),
    "site": ("jinja2", "babel", "fastapi", "uvicorn"),
}

# Commands needing more than the ``cli`` extra.
COMMAND_EXTRAS: Final[dict[str, tuple[str, ...]]] = {
    "demo": ("cli", "sandbox"),
    "sandbox": ("cli", "sandbox"),
    "console": ("console",),
    "site": ("cli", "site"),
}

EXIT_USAGE: Final = 2


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing_extras(command: str | None) -> list[str]:
    """The extras ``command`` needs that are not installed (``console`` brings ``cli`` with it)."""
    wanted = COMMAND_EXTRAS.get(command or "", ("cli",))
    return [extra for extra in wanted if not all(_present(m) for m in EXTRA_MODULES[extra])]


def install_hint(extras: Sequence[str]) -> str:
    """The one line that installs ``extras``."""
    return f'pip install "amzauth[{",".join(extras)}]"'


def _command(argv: Sequence[str]) -> str | None:
    """The first word that is not an option (the options taking a value come after the command)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``amzauth``: ``--version`` always works; any other command needs its extras."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["-V"]):
        from amzauth import __version__

        sys.stdout.write(f"amzauth {__version__}\n")
        raise SystemExit(0)
    command = _command(args)
    missing = missing_extras(command)
    if missing:
        what = f"amzauth {command}" if command else "the amzauth command"
        sys.stderr.write(f"error: {what} needs the {', '.join(missing)} extra: {install_hint(missing)}\n")
        raise SystemExit(EXIT_USAGE)
    # httpx loads its own command line (click, rich and pygments, ~35 ms) whenever they are
    # installed, as they are beside the cli extra; this process never runs httpx's CLI, and a None
    # entry makes that one optional import fail as httpx expects when they are absent.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from amzauth.cli.main import main as cli_main

    cli_main()


__all__ = ["COMMAND_EXTRAS", "EXTRA_MODULES", "install_hint", "main", "missing_extras"]
