"""Compatibility tests: real third-party clients against the sandbox, only their endpoints changed.

python-amazon-paapi ships its own copy of ``creatorsapi_python_sdk``, so it lives in a separate
``pip install --target`` directory (``.peers/paapi``, git-ignored) and runs in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAAPI_DIR = ROOT / ".peers" / "paapi"
PAAPI_SPEC = "python-amazon-paapi==7.*"


@pytest.fixture(scope="session")
def paapi_dir() -> Path:
    """The python-amazon-paapi 7.x target dir, installed on first use (CI starts from a clean clone)."""
    if not (PAAPI_DIR / "amazon_creatorsapi" / "__init__.py").exists():
        PAAPI_DIR.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target",
             str(PAAPI_DIR), PAAPI_SPEC],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if proc.returncode != 0 or not (PAAPI_DIR / "amazon_creatorsapi" / "__init__.py").exists():
            pytest.fail(
                f"could not install {PAAPI_SPEC} into {PAAPI_DIR} (needed by the compatibility tests; "
                f"a package index must be reachable):\n{proc.stderr[-3000:]}",
                pytrace=False,
            )
    return PAAPI_DIR
