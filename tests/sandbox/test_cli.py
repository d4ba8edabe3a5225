"""``amzauth sandbox``: prints its URL once it accepts connections, serves, stops on SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import run_cli

SECRET_31 = "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031"


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "amzauth", "sandbox", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("sandbox listening on http://127.0.0.1:"), line
    return proc, line.removeprefix("sandbox listening on ")


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    return proc.returncode, err


def test_serves_the_demo_world_and_stops_on_sigint() -> None:
    proc, url = _start()
    try:
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        assert httpx.get(f"{url}/_sandbox/health", timeout=10).json()["ok"] is True
        r = httpx.post(f"{url}/api.amazon.com/auth/o2/token", timeout=10, json={
            "grant_type": "client_credentials", "client_id": "amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
            "client_secret": SECRET_31, "scope": "creatorsapi::default"})  # fmt: skip
        assert r.status_code == 200
    finally:
        code, err = _stop(proc)
    assert code == 0
    assert "Traceback" not in err


def test_world_file(tmp_path: Path) -> None:
    world = tmp_path / "w.toml"
    world.write_text(
        '[[creators_credentials]]\nclient_id = "mine"\nclient_secret = "s3cr3t-value"\nversion = "2.2"\n'
    )
    proc, url = _start("--world", str(world))
    try:
        assert httpx.get(f"{url}/_sandbox/health", timeout=10).json()["world"]["creators_credentials"] == 1
    finally:
        _stop(proc)


def test_bad_world_file_exits_2_naming_the_key(tmp_path: Path) -> None:
    world = tmp_path / "w.toml"
    world.write_text("[limits]\ntoken_lifetme = 3\n")
    proc = run_cli("sandbox", "--port", "0", "--world", str(world))
    assert proc.returncode == 2
    assert "limits.token_lifetme" in proc.stderr


def test_missing_world_file_exits_2(tmp_path: Path) -> None:
    proc = run_cli("sandbox", "--port", "0", "--world", str(tmp_path / "nope.toml"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_port_in_use_exits_1() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        proc = run_cli("sandbox", "--port", str(s.getsockname()[1]))
    assert proc.returncode == 1 and "cannot listen" in proc.stderr
