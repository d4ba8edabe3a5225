"""python-amazon-paapi 7.x (its sync client) against the sandbox, configured through its own host and
auth_endpoint settings, in a subprocess with its private copy of ``creatorsapi_python_sdk`` first on the path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from amzauth.sandbox.world import demo_world

SCRIPT = r"""
import json, sys
cfg = json.loads(sys.argv[1])
import creatorsapi_python_sdk, amazon_creatorsapi
from amazon_creatorsapi import AmazonCreatorsApi
from amazon_creatorsapi.errors import AmazonCreatorsApiError
out = {"sdk_path": creatorsapi_python_sdk.__file__, "lib_path": amazon_creatorsapi.__file__}
def client(secret):
    return AmazonCreatorsApi(credential_id=cfg["client_id"], credential_secret=secret, version=cfg["version"],
                             tag=cfg["tag"], country="US", host=cfg["host"], auth_endpoint=cfg["auth_endpoint"])
with client(cfg["secret"]) as api:
    result = api.search_items(keywords="coffee maker", item_count=5)
    out["search_asins"] = [i.asin for i in result.items]
    out["search_titles"] = [i.item_info.title.display_value for i in result.items]
    out["search_total"] = result.total_result_count
    items = api.get_items(["B0SBXUS004", out["search_asins"][0]])
    out["get_asins"] = [i.asin for i in items]
    out["get_price"] = items[0].offers_v2.listings[0].price.money.amount
try:
    with client(cfg["wrong_secret"]) as api:
        api.search_items(keywords="coffee")
    out["wrong_secret_error"] = None
except AmazonCreatorsApiError as exc:
    out["wrong_secret_error"] = {"type": type(exc).__name__, "message": str(exc)}
print(json.dumps(out))
"""

AUTH = {
    "2.1": "/creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
    "3.1": "/api.amazon.com/auth/o2/token",
}


def _run(paapi_dir: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(paapi_dir), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(cfg)], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("version", ["2.1", "3.1"])
def test_paapi_sync_client(fresh_sandbox: Any, paapi_dir: Path, version: str) -> None:
    c = next(
        c for c in demo_world().creators_credentials if c.version == version and c.eligible and c.enabled
    )
    wrong = "amzn1.oa2-cs.v1.wrong-secret-0000" if version.startswith("3.") else "wrong-secret-0000"
    out = _run(paapi_dir, {"client_id": c.client_id, "secret": c.client_secret, "wrong_secret": wrong,
                           "version": version, "tag": c.partner_tags["www.amazon.com"][0],
                           "host": f"{fresh_sandbox.url}/creatorsapi.amazon",
                           "auth_endpoint": fresh_sandbox.url + AUTH[version]})  # fmt: skip
    assert out["sdk_path"].startswith(str(paapi_dir)), "the private creatorsapi_python_sdk copy must be used"
    expected = [
        i.asin
        for i in demo_world().catalog
        if i.marketplace == "www.amazon.com" and "Coffee Maker" in i.title
    ]
    assert out["search_asins"] == expected and out["search_total"] == len(expected)
    assert out["get_asins"] == ["B0SBXUS004", expected[0]]
    assert out["get_price"] == next(i.price for i in demo_world().catalog if i.asin == "B0SBXUS004")
    err = out["wrong_secret_error"]
    assert err is not None and err["type"] == "AuthenticationError"
    if version == "2.1":
        assert 'status 400: {"error":"invalid_client"}' in err["message"]
    else:
        assert "status 401" in err["message"] and '"error":"invalid_client"' in err["message"]
        assert "Client authentication failed" in err["message"]
    statuses = [(e["path"], e["status"]) for e in fresh_sandbox.requests()]
    assert ("/catalog/v1/searchItems", 200) in statuses and ("/catalog/v1/getItems", 200) in statuses
