"""Long waits say what they wait for (issue 19, first-run paths): doctor and token.

`spapi authorize` is covered in tests/spapi/test_self_authorize.py (it needs the SP-API fixtures).

Everything goes to stderr, so stdout keeps its one JSON document under --json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.doctor.test_scenarios import C31
from tests.support import run_cli


def _creators_cfg(tmp_path: Path, sandbox: str) -> Path:
    cfg = tmp_path / "amzauth.toml"
    values = {"api": "creators", "credential_version": "3.1", "client_id": C31[0], "client_secret": C31[1],
              "partner_tag": "demo-20", "sandbox": sandbox}
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
    return cfg


def test_doctor_says_what_it_waits_for(fresh_sandbox: Any, tmp_path: Path) -> None:
    out = run_cli("doctor", "--config", str(_creators_cfg(tmp_path, fresh_sandbox.url)), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["ok"] is True
    assert "token: asking https://api.amazon.com/auth/o2/token (waiting up to 10 s)" in out.stderr
    assert "api: calling https://creatorsapi.amazon/catalog/v1/searchItems" in out.stderr


def test_token_says_it_waits_out_a_retry(fresh_sandbox: Any, tmp_path: Path) -> None:
    fresh_sandbox.add_fault(host="api.amazon.com", path="/auth/o2/token", status=503,
                            error="temporarily_unavailable", retry_after=1, times=1)
    out = run_cli("token", "--config", str(_creators_cfg(tmp_path, fresh_sandbox.url)), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["token"]
    assert "waiting:" in out.stderr and ("retry" in out.stderr or "wait" in out.stderr)
