"""`amzauth site warm` and `amzauth site serve` as users run them (subprocesses, real sandbox)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.creators import _world
from tests.site.conftest import api_calls


def _env(tmp_path: Path, sb: Any) -> dict[str, str]:
    cfg = tmp_path / "profiles.toml"
    cfg.write_text(_world.toml_profile(sb.url))
    env = dict(os.environ)
    env["AMZAUTH_CONFIG"] = str(cfg)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2] / "src"), env.get("PYTHONPATH", "")])
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "amzauth", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_warm_json_counts_requests(tmp_path: Path, sb: Any) -> None:
    env = _env(tmp_path, sb)
    asins = [it.asin for it in _world.catalogue("www.amazon.com")][:12]
    listing = tmp_path / "asins.txt"
    listing.write_text(
        "# shop\n" + "\n".join(f"https://www.amazon.com/dp/{a}" for a in asins) + "\nB0ZZZZZZZZ\n"
    )
    r = _cli(env, "site", "warm", "--file", str(listing), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["items"] == 12 and doc["requests"] == 2 == len(api_calls(sb))
    assert [e["asin"] for e in doc["errors"]] == ["B0ZZZZZZZZ"]
    again = json.loads(_cli(env, "site", "warm", *asins[:3], "--json").stdout)
    assert again == {"items": 3, "requests": 0, "errors": []}


def test_warm_bad_input_exits_2(tmp_path: Path, sb: Any) -> None:
    r = _cli(_env(tmp_path, sb), "site", "warm", "https://example.com/x", "--json")
    assert r.returncode == 2
    assert json.loads(r.stdout)["errors"][0]["code"] == "FieldValidationFailed"


def test_serve_announces_its_url_first_and_serves_the_contract(tmp_path: Path, sb: Any) -> None:
    env = _env(tmp_path, sb)
    proc = subprocess.Popen(
        [sys.executable, "-m", "amzauth", "site", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("site listening on http://127.0.0.1:")
        url = line.removeprefix("site listening on ")
        doc = httpx.get(f"{url}/box/B0SBXUS001", params={"format": "json"}, timeout=10).json()
        assert doc["asin"] == "B0SBXUS001" and doc["fallback"] is False
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_warm_with_an_unreadable_file_is_one_json_error(tmp_path: Path) -> None:
    """The same reader as `amzauth items --file`: under --json an unreadable file is a JSON error, exit 2."""
    missing = tmp_path / "no-such-asins.txt"
    done = subprocess.run(
        [sys.executable, "-m", "amzauth", "site", "warm", "--file", str(missing), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    doc = json.loads(done.stdout)
    assert doc["code"] == "input" and str(missing) in doc["error"]
    assert "Traceback" not in done.stderr
