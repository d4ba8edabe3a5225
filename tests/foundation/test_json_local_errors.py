"""Local errors under ``--json`` (issue 16, finding 9): a nested-too-deep profiles file and a
malformed ``redis_url`` give a typed error as JSON (exit 2, naming the key or file), never a
bare ``RecursionError``/``ValueError`` line, and the Redis password stays out of it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import register_secret, run_cli

PASSWORD = "pw-secret-redis-0123456789"
register_secret(PASSWORD)


def test_nested_toml_is_a_json_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "deep.toml"
    cfg.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    for args in (("config", "show"), ("token",)):
        p = run_cli(*args, "--config", str(cfg), "--json")
        assert p.returncode == 2, p.stderr
        doc = json.loads(p.stdout)
        assert "nested too deeply" in doc["error"] and doc["file"] == str(cfg)


def test_malformed_redis_url_is_a_json_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "a.toml"
    cfg.write_text(
        '[profiles.default]\napi = "creators"\ncredential_version = "3.1"\n'
        'client_id = "amzn1.application-oa2-client.x"\nclient_secret = "amzn1.oa2-cs.v1.abcdefghijklmnop"\n'
        f'store = "redis"\nredis_url = "redis://:{PASSWORD}@[bad"\n'
    )
    p = run_cli("token", "--config", str(cfg), "--json")
    assert p.returncode == 2, p.stderr
    doc = json.loads(p.stdout)
    assert doc["key"] == "redis_url" and "not a valid Redis URL" in doc["error"]
    assert PASSWORD not in p.stdout + p.stderr
