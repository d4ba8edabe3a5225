"""The part of the CLI's output discipline that needs only the standard library.

``amzauth doctor --json`` runs through :mod:`amzauth.cli.fast` without typer or rich, and the
typer commands use the same functions, so both paths write the same bytes.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Final

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # Amazon said no, a diagnosis was made
EXIT_USAGE: Final = 2  # bad flag, bad profile, unknown key
EXIT_NETWORK: Final = 3  # could not reach the endpoint at all


def emit_json(doc: Any) -> None:
    """Write one JSON document to stdout and nothing else."""
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def printable(text: str) -> str:
    """Text safe for a terminal: control characters (ESC sequences from Amazon's error_description
    or a config value could retitle, recolour or rewrite the user's terminal) shown as ``\\xNN``."""
    return "".join(
        c if c in "\n\t" or not (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) else f"\\x{ord(c):02x}" for c in text
    )


def say_step(text: str) -> None:
    """Say on stderr what a long step is doing as it starts (stdout keeps its one document); dim
    on a terminal, plain text in a pipe or log."""
    line = f"{printable(text)}…"
    err = sys.stderr
    if err.isatty() and os.environ.get("TERM") != "dumb" and "NO_COLOR" not in os.environ:
        line = f"\x1b[2m{line}\x1b[0m"
    err.write(line + "\n")
    err.flush()
