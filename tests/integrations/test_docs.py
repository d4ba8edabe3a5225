"""Every before/after example of docs/integrations.md runs, as written, in its SDK's venv against the sandbox.

The only change made to an example is the sandbox address (the docs say ``http://127.0.0.1:8700``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from amzauth.sandbox.world import demo_world
from tests.integrations.conftest import ROOT
from tests.support import assert_no_secrets

DOC = ROOT / "docs" / "integrations.md"
EXAMPLE = re.compile(r"<!-- example: (\w+) (\w+) -->\n```python\n(.*?)```", re.DOTALL)
EXAMPLES = {(sdk, kind): code for sdk, kind, code in EXAMPLE.findall(DOC.read_text())}
pytestmark = pytest.mark.slow


def _first_coffee_maker() -> str:
    return next(
        i.asin
        for i in demo_world().catalog
        if i.marketplace == "www.amazon.com" and "Coffee Maker" in i.title
    )


def test_the_doc_has_before_and_after_for_every_sdk() -> None:
    for sdk in ("creators_sdk", "paapi", "python_sp_api", "amzn_sp_api", "requests"):
        assert (sdk, "before") in EXAMPLES and (sdk, "after") in EXAMPLES, sdk


@pytest.mark.parametrize(("sdk", "kind"), sorted(EXAMPLES), ids=[f"{s}-{k}" for s, k in sorted(EXAMPLES)])
def test_doc_example_runs(venvs: Path, fresh_sandbox: Any, sdk: str, kind: str) -> None:
    code = EXAMPLES[(sdk, kind)].replace("http://127.0.0.1:8700", fresh_sandbox.url)
    python = sys.executable if sdk == "requests" else str(venvs / sdk / "bin" / "python")
    env = dict(os.environ)
    if sdk != "requests":
        env.pop("PYTHONPATH", None)  # the venv's own (editable) amzauth
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_no_secrets(proc.stdout + proc.stderr)
    lines = proc.stdout.strip().splitlines()
    if kind == "error":
        assert lines[0] == "invalid_client wrong-secret client_secret"
        assert lines[1].startswith("Copy the current client secret again")
        return
    expected = "ATVPDKIKX0DER" if "sp_api" in sdk else _first_coffee_maker()
    assert lines == [expected]
    tokens = [r for r in fresh_sandbox.requests() if r["path"] in ("/auth/o2/token", "/oauth2/token")]
    assert len(tokens) == 1 and tokens[0]["status"] == 200
