"""``amzauth token`` as a user runs it: JSON shape, redaction, --show, --clear, exit codes, fan-out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine._profiles import CREATORS_31, CREATORS_31_OLD_SECRET, SPAPI_NA
from tests.engine.helpers import assert_token_requests
from tests.support import assert_no_secrets, free_port, run_cli


def _toml(name: str, values: dict[str, Any]) -> str:
    lines = [f"[profiles.{name}]"]
    for k, v in values.items():
        lines.append(f"{k} = {json.dumps(v)}")
    return "\n".join(lines) + "\n"


@pytest.fixture()
def config(fresh_sandbox: Any, tmp_path: Path) -> Path:
    path = tmp_path / "amzauth.toml"
    path.write_text(
        _toml("default", {**CREATORS_31, "sandbox": fresh_sandbox.url})
        + _toml(
            "rotated", {**CREATORS_31, "client_secret": CREATORS_31_OLD_SECRET, "sandbox": fresh_sandbox.url}
        )
        + _toml("seller", {**SPAPI_NA, "sandbox": fresh_sandbox.url})
        + _toml("offline", {**CREATORS_31, "sandbox": f"http://127.0.0.1:{free_port()}", "timeout": 1})
        + _toml("memory", {**CREATORS_31, "sandbox": fresh_sandbox.url, "store": "memory"})
    )
    return path


def test_json_output_is_redacted_and_cached(config: Path, fresh_sandbox: Any) -> None:
    first = run_cli("token", "--json", "--config", str(config))
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert set(doc) == {"token", "token_type", "expires_at", "expires_in", "scope", "source"}
    assert doc["source"] == "network"
    assert doc["token"].startswith("Atza|…") and len(doc["token"]) < 12
    assert 3500 <= doc["expires_in"] <= 3600
    assert doc["scope"] == "creatorsapi::default"
    second = json.loads(run_cli("token", "--json", "--config", str(config)).stdout)
    assert second["source"] == "sqlite"
    assert second["token"] == doc["token"]
    assert_token_requests(fresh_sandbox, 1)


@pytest.mark.parametrize("where", ["under-a-file", "read-only-fs"])
def test_clear_on_a_store_that_cannot_be_written_is_a_json_error(
    where: str, fresh_sandbox: Any, tmp_path: Path
) -> None:
    """--clear on an unusable cache location: one JSON error naming the store and the fix, exit 2,
    no traceback. Made real for root too: a directory under a plain file, or /sys (read-only)."""
    if where == "under-a-file":
        (tmp_path / "plain-file").write_text("not a directory")
        cache_dir = str(tmp_path / "plain-file" / "cache")
    else:
        if not os.path.ismount("/sys"):
            pytest.skip("no /sys (sysfs) mounted here")
        cache_dir = "/sys/amzauth-cache-test"
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(_toml("default", {**CREATORS_31, "sandbox": fresh_sandbox.url, "cache_dir": cache_dir}))
    out = run_cli("token", "--clear", "--json", "--config", str(cfg))
    assert out.returncode == 2, (out.stdout, out.stderr)
    doc = json.loads(out.stdout)
    assert doc["code"] == "storage"
    assert cache_dir in doc["error"] and "cache_dir" in doc["error"]
    assert "Traceback" not in out.stderr and "amzauth bug" not in out.stderr
    assert not os.path.exists(cache_dir)


def test_show_prints_the_full_token_only_when_asked(config: Path) -> None:
    shown = run_cli("token", "--show", "--config", str(config))
    assert shown.returncode == 0
    token = shown.stdout.strip()
    assert token.startswith("Atza|") and "…" not in token and "\n" not in token
    as_json = json.loads(run_cli("token", "--show", "--json", "--config", str(config)).stdout)
    assert as_json["token"] == token
    human = run_cli("token", "--config", str(config))
    assert human.returncode == 0
    assert_no_secrets(human.stdout + human.stderr, [token])
    assert "sqlite" in human.stdout


def test_clear_forgets_the_token(config: Path, fresh_sandbox: Any) -> None:
    run_cli("token", "--json", "--config", str(config))
    cleared = run_cli("token", "--clear", "--json", "--config", str(config))
    assert cleared.returncode == 0
    assert json.loads(cleared.stdout) == {"cleared": 1}
    again = json.loads(run_cli("token", "--json", "--config", str(config)).stdout)
    assert again["source"] == "network"
    assert json.loads(run_cli("token", "--clear", "--json", "--config", str(config)).stdout) == {"cleared": 1}
    assert json.loads(run_cli("token", "--clear", "--json", "--config", str(config)).stdout) == {"cleared": 0}


def test_oauth_error_exits_1_with_the_explain_hint(config: Path) -> None:
    r = run_cli("token", "--profile", "rotated", "--config", str(config))
    assert r.returncode == 1
    assert r.stdout == ""
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1
    assert "invalid_client" in lines[0] and "amzauth explain invalid_client" in lines[0]
    j = run_cli("token", "--profile", "rotated", "--json", "--config", str(config))
    assert j.returncode == 1
    doc = json.loads(j.stdout)
    assert doc["code"] == "invalid_client" and doc["status"] == 401 and doc["request_id"]
    assert_no_secrets(j.stdout + j.stderr, [CREATORS_31_OLD_SECRET])


def test_network_error_exits_3(config: Path) -> None:
    r = run_cli("token", "--profile", "offline", "--json", "--config", str(config))
    assert r.returncode == 3
    doc = json.loads(r.stdout)
    assert doc["code"] == "network" and doc["kind"] == "unreachable"


def test_config_error_exits_2(config: Path, tmp_path: Path) -> None:
    r = run_cli("token", "--profile", "nope", "--config", str(config))
    assert r.returncode == 2
    bad = tmp_path / "bad.toml"
    bad.write_text(_toml("default", {**CREATORS_31, "store": "floppy"}))
    r2 = run_cli("token", "--json", "--config", str(bad))
    assert r2.returncode == 2
    assert json.loads(r2.stdout)["key"] == "store"


def test_spapi_profile(config: Path) -> None:
    r = run_cli("token", "--profile", "seller", "--json", "--config", str(config))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["token_type"].lower() == "bearer"
    assert_no_secrets(r.stdout, [SPAPI_NA["refresh_token"]])


def test_sixteen_concurrent_processes_make_one_request(config: Path, fresh_sandbox: Any) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "amzauth", "token", "--json", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(16)
    ]
    outs = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0] * 16, [e for _, e in outs]
    docs = [json.loads(o) for o, _ in outs]
    for o, e in outs:
        assert "Traceback" not in e
        assert_no_secrets(o + e)
    assert len({d["token"] for d in docs}) == 1
    assert sorted(d["source"] for d in docs).count("network") == 1, [e for _, e in outs if e.strip()]
    assert_token_requests(fresh_sandbox, 1)


@pytest.mark.redis
def test_redis_store_profile(fresh_sandbox: Any, tmp_path: Path, redis: Any) -> None:
    if redis.proc is None:
        redis.start()
    import redis as redis_lib

    # The session's Redis is shared: another area's test may have cached a token for this credential.
    redis_lib.Redis.from_url(redis.url).flushdb()
    cfg = tmp_path / "redis.toml"
    cfg.write_text(
        _toml(
            "default", {**CREATORS_31, "sandbox": fresh_sandbox.url, "store": "redis", "redis_url": redis.url}
        )
    )
    first = json.loads(run_cli("token", "--json", "--config", str(cfg)).stdout)
    second = json.loads(run_cli("token", "--json", "--config", str(cfg)).stdout)
    assert (first["source"], second["source"]) == ("network", "redis")
    assert json.loads(run_cli("token", "--clear", "--json", "--config", str(cfg)).stdout)["cleared"] >= 1
    assert json.loads(run_cli("token", "--json", "--config", str(cfg)).stdout)["source"] == "network"
    run_cli("token", "--clear", "--json", "--config", str(cfg))
