"""The SDK virtual environments: made once per session by setup_venvs.sh (pinned SDK + this checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENVS = Path(os.environ.get("AMZAUTH_INTEGRATION_VENVS", ROOT / ".venv-integrations"))
SDKS = ["creators_sdk", "paapi", "python_sp_api", "amzn_sp_api"]


@pytest.fixture(scope="session")
def venvs() -> Path:
    """The four SDK venvs, made on first use (about a minute from a clean clone; CI runs it)."""
    proc = subprocess.run(
        ["bash", str(HERE / "setup_venvs.sh"), *SDKS],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHON": sys.executable, "AMZAUTH_INTEGRATION_VENVS": str(VENVS)},
    )
    if proc.returncode != 0:
        pytest.fail(f"setup_venvs.sh failed (a package index must be reachable):\n{proc.stderr[-3000:]}")
    return VENVS
