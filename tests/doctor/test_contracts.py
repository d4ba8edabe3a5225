"""Broken contracts found by new users (issue 19, class 1): every input gives JSON and the right exit.

A profile the token endpoint can never answer (a Creators profile with an authorization_code or
refresh_token grant, an SP-API profile saved before any authorization) and a bad flag must give one
JSON document under --json, exit 2, and name the field; never a traceback or "run with --debug".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.test_scenarios import C31, SP_DRAFT
from tests.support import run_cli


def _write(tmp_path: Path, values: dict[str, str]) -> Path:
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
    return cfg


def _creators(sandbox: str, **kw: str) -> dict[str, str]:
    return {"api": "creators", "credential_version": "3.1", "client_id": C31[0], "client_secret": C31[1],
            "partner_tag": "demo-20", "sandbox": sandbox, **kw}


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token"])
@pytest.mark.parametrize("command", ["doctor", "token"])
def test_creators_profile_with_a_user_grant(fresh_sandbox: Any, tmp_path: Path, grant: str, command: str) -> None:
    cfg = _write(tmp_path, _creators(fresh_sandbox.url, grant_type=grant))
    out = run_cli(command, "--config", str(cfg), "--json")
    assert "Traceback" not in out.stdout + out.stderr and "--debug" not in out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert out.returncode == 2, out.stdout + out.stderr
    if command == "doctor":
        d = doc["diagnosis"]
        assert (d["code"], d["cause"], d["field"], d["suggested_value"]) == (
            "config", "grant-type-override", "grant_type", "client_credentials")
        assert grant in d["summary"] and "client_credentials" in d["summary"]
    else:
        assert doc["key"] == "grant_type" and "client_credentials" in doc["error"]


@pytest.mark.parametrize("command", ["doctor", "token"])
def test_spapi_profile_before_any_authorization(fresh_sandbox: Any, tmp_path: Path, command: str) -> None:
    cfg = _write(tmp_path, {"api": "spapi", "region": "na", "client_id": SP_DRAFT[0], "client_secret": SP_DRAFT[1],
                            "grant_type": "authorization_code", "sandbox": fresh_sandbox.url})
    out = run_cli(command, "--config", str(cfg), "--json")
    doc = json.loads(out.stdout)
    assert out.returncode == 2, out.stdout + out.stderr
    text = json.dumps(doc)
    assert "refresh_token" in text and "spapi authorize" in text


@pytest.mark.parametrize("value", ["-1", "0"])
@pytest.mark.parametrize("as_json", [True, False])
def test_doctor_timeout_out_of_range_is_a_usage_error(tmp_path: Path, value: str, as_json: bool) -> None:
    cfg = _write(tmp_path, _creators("http://127.0.0.1:1"))
    out = run_cli("doctor", "--config", str(cfg), "--timeout", value, *(["--json"] if as_json else []))
    assert out.returncode == 2
    assert "--debug" not in out.stdout + out.stderr and "Traceback" not in out.stderr
    assert "--timeout" in out.stderr
    if as_json:
        assert "--timeout" in json.loads(out.stdout)["error"]
