"""`amzauth doctor`, `amzauth demo` as a user runs them: contract keys, exit codes, no leaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.doctor.test_scenarios import C31
from tests.support import free_port, run_cli

CONTRACT_FIELDS = {
    "credential_version", "credential_family", "version_source", "client_id", "secret_format", "token_endpoint",
    "grant_type", "scope", "body_format", "client_auth", "authorization_header", "marketplace", "region",
    "http_status", "error", "error_description", "request_id", "token_cached", "token_expires_in",
    "clock_skew_seconds", "api_endpoint", "api_status", "latency_ms",
}


def write_profile(tmp_path: Path, sandbox: str, **values: str) -> Path:
    base = {"api": "creators", "credential_version": "3.1", "client_id": C31[0], "client_secret": C31[1],
            "partner_tag": "demo-20", "sandbox": sandbox, **values}
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in base.items()))
    return cfg


def doctor_json(cfg: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = run_cli("doctor", "--config", str(cfg), "--json", *extra)
    return out.returncode, json.loads(out.stdout)


def check_shape(doc: dict[str, Any]) -> None:
    assert doc["schema"] == "amzauth.doctor/1"
    assert set(doc["fields"]) >= CONTRACT_FIELDS
    assert [s["step"] for s in doc["steps"]] == ["config", "token", "api"]
    for s in doc["steps"]:
        assert set(s) >= {"step", "ok", "skipped", "detail"}
    if doc["ok"]:
        assert doc["diagnosis"] is None
    else:
        assert set(doc["diagnosis"]) >= {"code", "cause", "field", "suggested_value", "summary", "fix", "retryable"}
    assert isinstance(doc["warnings"], list)


def test_healthy_exit_0(fresh_sandbox: Any, tmp_path: Path) -> None:
    rc, doc = doctor_json(write_profile(tmp_path, fresh_sandbox.url))
    check_shape(doc)
    assert rc == 0 and doc["ok"] is True
    assert doc["fields"]["client_id"] != C31[0] and doc["fields"]["client_id"].endswith(C31[0][-4:])
    assert doc["fields"]["api_status"] == 200 and doc["fields"]["http_status"] == 200


def test_diagnosis_exit_1_and_human_view(fresh_sandbox: Any, tmp_path: Path) -> None:
    cfg = write_profile(tmp_path, fresh_sandbox.url, credential_version="2.1")
    rc, doc = doctor_json(cfg)
    check_shape(doc)
    assert rc == 1
    assert (doc["diagnosis"]["cause"], doc["diagnosis"]["suggested_value"]) == ("version-mismatch", "3.1")
    assert [s["ok"] for s in doc["steps"]] == [True, False, False] and doc["steps"][2]["skipped"]
    human = run_cli("doctor", "--config", str(cfg))
    assert human.returncode == 1
    for word in ("config", "token", "api", "invalid_client", "version-mismatch", "credential_version", "3.1"):
        assert word in human.stdout


def test_unreadable_profile_exit_2(tmp_path: Path) -> None:
    cfg = write_profile(tmp_path, "http://127.0.0.1:1", credential_version="9.9")
    rc, doc = doctor_json(cfg)
    check_shape(doc)
    assert rc == 2 and doc["diagnosis"]["code"] == "config" and doc["diagnosis"]["field"] == "credential_version"


def test_network_exit_3(tmp_path: Path) -> None:
    rc, doc = doctor_json(write_profile(tmp_path, f"http://127.0.0.1:{free_port()}"))
    check_shape(doc)
    assert rc == 3 and doc["diagnosis"]["code"] == "network" and doc["diagnosis"]["retryable"] is True


def test_offline_sends_nothing(fresh_sandbox: Any, tmp_path: Path) -> None:
    cfg = write_profile(tmp_path, fresh_sandbox.url, credential_version="2.1")
    rc, doc = doctor_json(cfg, "--offline")
    check_shape(doc)
    assert rc == 1 and doc["diagnosis"]["code"] == "config" and doc["diagnosis"]["cause"] == "version-mismatch"
    assert doc["steps"][1]["skipped"] and doc["steps"][2]["skipped"]
    assert fresh_sandbox.requests() == []
    rc, doc = doctor_json(write_profile(tmp_path, fresh_sandbox.url), "--offline")
    assert rc == 0 and doc["ok"] is True


def test_demo_runs_end_to_end() -> None:
    out = run_cli("demo", timeout=120)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for needle in ("sandbox listening on http://127.0.0.1:", "PASS", "Product search", "B0", "cached=True",
                   "version-mismatch", "credential_version", "scope-override-wrong-family", "creatorsapi::default",
                   "[profiles.default]", "amzauth doctor"):
        assert needle in text, needle


def test_demo_says_each_step_as_it_starts_and_never_waits_for_a_retry() -> None:
    """Issue 19: `make demo` was silent; every long step is announced on stderr, in order, and the
    staged mistakes are answered by one token request each (the sandbox's log), with no retry wait."""
    out = run_cli("demo", timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    expected = [
        "starting the sandbox",
        "1. Test Connection",
        "token: asking https://api.amazon.com/auth/o2/token",
        "api: calling https://creatorsapi.amazon/",
        "2. searching 'wireless earbuds'",
        "3. staging the mistake",
        "token: asking https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
        "4. staging the mistake",
        "token: asking https://api.amazon.com/auth/o2/token",
    ]
    at = -1
    for step in expected:
        found = next((i for i, line in enumerate(lines) if i > at and line.startswith(step)), None)
        assert found is not None, f"{step!r} not announced after line {at}: {lines}"
        at = found
    assert not [line for line in lines if line.startswith("waiting:")]  # no retry, no Retry-After wait
    assert out.stdout.count("The sandbox saw 1 token request for this mistake") == 2
