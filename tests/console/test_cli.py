"""``amzauth console`` as a user starts it: a real process that prints its URL and serves pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.console.conftest import creators_profile, write_profiles


def test_console_command_serves_and_stops(config_path: Path) -> None:
    write_profiles(config_path, {"shop": creators_profile("http://127.0.0.1:9")})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "amzauth",
            "console",
            "--port",
            "0",
            "--no-auth",
            "--config",
            str(config_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("console listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        r = httpx.get(url + "/profiles", timeout=10)
        assert r.status_code == 200 and 'data-profile="shop"' in r.text
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "Traceback" not in err


def test_console_command_rejects_bad_options(tmp_path: Path) -> None:
    from tests.support import run_cli

    assert run_cli("console", "--port", "70000").returncode == 2
    r = run_cli("console", "--ssl-certfile", "x.pem")
    assert r.returncode == 2 and "go together" in r.stderr
    r = run_cli("console", "--config", str(tmp_path / "missing-dir" / "a.toml"))
    assert r.returncode == 2 and "does not exist" in r.stderr
