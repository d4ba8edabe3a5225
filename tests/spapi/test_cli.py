"""``amzauth spapi ...`` as a user runs it: JSON per the CLI contract, exit codes, no secrets, files private."""

from __future__ import annotations

import json
import os
import queue
import stat
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from amzauth.config.storage import default_token_file
from tests.spapi._support import (
    EU_REFRESH,
    NA_SELLER,
    app_values,
    confirm_consent,
    replace_param,
    write_profiles,
)
from tests.support import assert_no_secrets, register_secret, run_cli


def _profiles(tmp_path: Path, sp: Any, **changes: Any) -> Path:
    values = app_values(sp.url, sp.redirect_uri, **changes)
    return write_profiles(tmp_path / "profiles.toml", {"seller": values, "other": {"api": "creators"}})


class Running:
    """``python -m amzauth ARGS`` in the background, its stderr read line by line."""

    def __init__(self, *args: str, stdin: bool = False) -> None:
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "amzauth", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)
            self.lines.put(line)

    def url(self, timeout: float = 30) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            if line.startswith("http"):
                return line.strip()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()  # stderr belongs to the reader thread
        self.proc.wait(timeout)
        self._reader.join(timeout)
        stderr = "".join(self.err)
        text = out + stderr
        assert "Traceback (most recent call last)" not in text, text
        assert_no_secrets(text)
        return self.proc.returncode, out, stderr


def test_consent_url_json(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp)
    p = run_cli("spapi", "consent-url", "--config", str(cfg), "--profile", "seller", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert {"url", "state"} <= set(doc)
    q = parse_qs(urlsplit(doc["url"]).query)
    assert (
        q["state"] == [doc["state"]] and q["version"] == ["beta"] and q["redirect_uri"] == [sp.redirect_uri]
    )
    # and the URL really is a consent page
    assert httpx.get(doc["url"], timeout=10).status_code == 200


def test_consent_url_refuses_a_fragment_with_exit_2(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp, redirect_uri="https://example.com/amazon/callback#x")
    p = run_cli("spapi", "consent-url", "--config", str(cfg), "--profile", "seller", "--json")
    assert p.returncode == 2
    doc = json.loads(p.stdout)
    assert doc["code"] == "MD5110" and doc["field"] == "redirect_uri" and doc["local"] is True


def test_consent_url_plain_prints_the_url_on_stdout(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp)
    p = run_cli("spapi", "consent-url", "--config", str(cfg), "--profile", "seller")
    assert p.returncode == 0
    assert p.stdout.strip().startswith(sp.url + "/sellercentral.amazon.com/apps/authorize/consent?")
    assert "state:" in p.stderr


def test_authorize_end_to_end_then_call(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp)
    before = cfg.read_text()
    run = Running(
        "spapi",
        "authorize",
        "--config",
        str(cfg),
        "--profile",
        "seller",
        "--json",
        "--timeout",
        "60",
        "--store",
        "file",
    )
    location = confirm_consent(run.url())
    page = httpx.get(location, timeout=30)
    code, out, err = run.finish()
    assert code == 0, err
    assert page.status_code == 200 and NA_SELLER in page.text
    doc = json.loads(out)
    assert doc["selling_partner_id"] == NA_SELLER
    token_file = default_token_file()
    assert doc["stored_in"] == f"file:{token_file}"
    stored = json.loads(token_file.read_text())["tokens"]
    [entry] = stored.values()
    register_secret(entry["refresh_token"])
    assert_no_secrets(out + err + page.text, [entry["refresh_token"]])
    assert doc["refresh_token"].startswith("Atzr|…") and doc["refresh_token"].endswith(
        entry["refresh_token"][-4:]
    )
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    # the profile now points at the stored token, and nothing else in the file changed
    after = cfg.read_text()
    assert tomllib.loads(after)["profiles"]["seller"]["refresh_token"] == f"stored:{NA_SELLER}"
    assert after.replace(f'refresh_token = "stored:{NA_SELLER}"\n', "") == before
    # and a call works with it
    sp.sandbox.clear_requests()
    p = run_cli(
        "spapi",
        "call",
        "GET",
        "/sellers/v1/marketplaceParticipations",
        "--config",
        str(cfg),
        "--profile",
        "seller",
    )
    assert p.returncode == 0, p.stderr
    ids = {x["marketplace"]["id"] for x in json.loads(p.stdout)["payload"]}
    assert "ATVPDKIKX0DER" in ids
    grants = [r["grant_type"] for r in sp.sandbox.requests() if r["path"] == "/auth/o2/token"]
    assert grants == ["refresh_token"]
    # every other command resolves the stored reference too: token, doctor, config check
    tok = run_cli("token", "--config", str(cfg), "--profile", "seller", "--json")
    assert tok.returncode == 0, tok.stderr
    assert json.loads(tok.stdout)["token"].startswith("Atza|…")
    doc = run_cli("doctor", "--config", str(cfg), "--profile", "seller", "--json")
    assert doc.returncode == 0, doc.stdout
    assert json.loads(doc.stdout)["ok"] is True
    chk = run_cli("config", "check", "--config", str(cfg), "--profile", "seller", "--json")
    assert chk.returncode == 0 and json.loads(chk.stdout)["warnings"] == []


def test_authorize_refuses_a_wrong_state(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp)
    run = Running("spapi", "authorize", "--config", str(cfg), "--profile", "seller", "--timeout", "60")
    location = replace_param(confirm_consent(run.url()), "state", "not-the-state-we-sent")
    page = httpx.get(location, timeout=30)
    code, out, err = run.finish()
    assert code == 1
    assert page.status_code == 400 and "state_mismatch" in page.text
    assert "refused" in err and "state" in err
    assert out == ""
    assert not default_token_file().exists()
    assert [r for r in sp.sandbox.requests() if r["path"] == "/auth/o2/token"] == []


def test_authorize_md1000_is_diagnosed_on_the_draft_field(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp, draft=False)
    p = run_cli("spapi", "authorize", "--config", str(cfg), "--profile", "seller", "--json", "--timeout", "5")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["code"] == "MD1000" and doc["field"] == "draft"
    assert doc["diagnosis"]["cause"] == "draft-without-beta"


def test_authorize_timeout_exits_1(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp)
    p = run_cli(
        "spapi", "authorize", "--config", str(cfg), "--profile", "seller", "--json", "--timeout", "0.5"
    )
    assert p.returncode == 1
    assert json.loads(p.stdout)["code"] == "timeout"


def test_exchange_command_and_the_single_use_rule(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp)
    p = run_cli("spapi", "consent-url", "--config", str(cfg), "--profile", "seller", "--json")
    consent = json.loads(p.stdout)
    location = confirm_consent(consent["url"])
    args = ("spapi", "exchange", "--config", str(cfg), "--profile", "seller", "--json", "--store", "file")
    first = run_cli(*args, "--callback-url", location, "--state", consent["state"])
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["selling_partner_id"] == NA_SELLER
    second = run_cli(*args, "--callback-url", location, "--state", consent["state"])
    assert second.returncode == 1
    doc = json.loads(second.stdout)
    assert doc["cause"] == "code-reused-or-expired" and "5 minutes" in doc["message"]
    wrong = run_cli(*args, "--callback-url", location, "--state", "other")
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["code"] == "state_mismatch"
    for r in (first, second, wrong):
        assert_no_secrets(
            r.stdout + r.stderr,
            [json.loads(default_token_file().read_text())["tokens"].popitem()[1]["refresh_token"]],
        )


def test_call_wrong_region_is_a_typed_error(tmp_path: Path, sp: Any) -> None:
    # an EU seller's token used against the NA endpoint
    cfg = _profiles(tmp_path, sp, refresh_token=EU_REFRESH)
    p = run_cli(
        "spapi",
        "call",
        "GET",
        "/sellers/v1/marketplaceParticipations",
        "--config",
        str(cfg),
        "--profile",
        "seller",
        "--json",
    )
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["code"] == "Unauthorized" and doc["status"] == 403 and doc["request_id"]
    assert doc["rate_limit"] is None or doc["rate_limit"] > 0


def test_call_bad_input_and_wrong_api(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp, refresh_token=EU_REFRESH)
    bad = run_cli(
        "spapi", "call", "GET", "/x", "--param", "novalue", "--config", str(cfg), "--profile", "seller"
    )
    assert bad.returncode == 2
    other = run_cli("spapi", "call", "GET", "/x", "--config", str(cfg), "--profile", "other")
    assert other.returncode == 2


def test_grantless_call(tmp_path: Path, sp: Any) -> None:
    cfg = _profiles(tmp_path, sp)
    p = run_cli(
        "spapi", "call", "GET", "/notifications/v1/destinations",
        "--grantless", "sellingpartnerapi::notifications", "--config", str(cfg), "--profile", "seller",
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"payload": []}
    rows = [r for r in sp.sandbox.requests() if r["path"] == "/auth/o2/token"]
    assert [r["grant_type"] for r in rows] == ["client_credentials"]


def test_authorize_manual_mode_human_output(tmp_path: Path, sp: Any) -> None:
    """Headless, with a redirect URI on another host: paste the URL the browser landed on."""
    cfg = _profiles(tmp_path, sp, redirect_uri="https://example.com/amazon/callback")
    run = Running("spapi", "authorize", "--config", str(cfg), "--profile", "seller", "--manual", stdin=True)
    location = confirm_consent(run.url())
    assert location.startswith("https://example.com/amazon/callback?")
    assert run.proc.stdin is not None
    run.proc.stdin.write(location + "\n")
    run.proc.stdin.close()
    code, out, err = run.finish()
    assert code == 0, err
    assert f"selling partner  {NA_SELLER}" in out and "Atzr|…" in out
    assert f'refresh_token = "stored:{NA_SELLER}"' in out
    assert "Paste the full URL" in err
