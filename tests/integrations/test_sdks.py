"""Each SDK in its own virtual environment, against the sandbox, with and without amzauth's integration.

The venvs (``.venv-integrations/<sdk>``, git-ignored) are made once by ``setup_venvs.sh``: the
pinned SDK plus this checkout of amzauth, editable. ``sdk_script.py`` runs inside a venv as a
subprocess; the sandbox log is the referee for token requests. The fan-out figures of both runs
are written to ``test-artifacts/integrations-fanout.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from amzauth.sandbox.world import demo_world
from tests.engine.helpers import token_requests
from tests.integrations.conftest import HERE, ROOT, SDKS
from tests.support import assert_no_secrets

PROCS, THREADS = 8, 16
SDK_ERROR = {
    "creators_sdk": "builtins.Exception",  # the SDK raises a bare Exception for a failed token request
    "paapi": "amazon_creatorsapi.errors.AuthenticationError",
    "python_sp_api": "sp_api.auth.exceptions.AuthorizationError",
    "amzn_sp_api": "spapi.auth.lwa_exception.LwaException",
}
WRONG_SECRET = "amzn1.oa2-cs.v1.wrongsecretnotreal00000000000000000000000000009"
FIGURES: dict[str, dict[str, int]] = {}
pytestmark = pytest.mark.slow


@pytest.fixture()
def roomy(fresh_sandbox: Any) -> Any:
    """The demo world with API rate limits lifted: the fan-outs measure tokens, not throttling."""
    _lift_limits(fresh_sandbox)
    return fresh_sandbox


def _lift_limits(sb: Any) -> None:
    world = sb.world()
    world.setdefault("limits", {}).update(
        creators_rate=100000.0, creators_burst=100000, creators_daily=10_000_000, spapi_rate=100000.0,
        spapi_burst=100000,
    )  # fmt: skip
    sb.set_world(world)


def _run(venvs: Path, sdk: str, mode: str, cfg: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    proc = subprocess.run(
        [str(venvs / sdk / "bin" / "python"), str(HERE / "sdk_script.py"), sdk, mode, json.dumps(cfg)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # the venv's own amzauth
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_no_secrets(proc.stdout + proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _record(sdk: str, without: int, with_: int) -> None:
    FIGURES[sdk] = {"without": without, "with": with_, "procs": PROCS, "threads": THREADS}
    out = ROOT / "test-artifacts" / "integrations-fanout.json"
    out.parent.mkdir(exist_ok=True)
    known = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**known, **FIGURES}, indent=2) + "\n")


@pytest.mark.parametrize("sdk", SDKS)
def test_cold_fanout_8x16_makes_one_token_request_with_the_integration(
    venvs: Path, roomy: Any, sdk: str
) -> None:
    cfg = {"sandbox": roomy.url, "procs": PROCS, "threads": THREADS}
    without = _run(venvs, sdk, "fanout-without", cfg)
    assert without["errors"] == [] and without["exitcodes"] == [0] * PROCS, without
    n_without = len(token_requests(roomy))
    roomy.reset()
    _lift_limits(roomy)
    with_ = _run(venvs, sdk, "fanout-with", cfg)
    assert with_["errors"] == [] and with_["exitcodes"] == [0] * PROCS, with_
    n_with = len(token_requests(roomy))
    _record(sdk, n_without, n_with)
    print(f"{sdk}: {PROCS}x{THREADS} cold fan-out token requests: without {n_without}, with {n_with}")
    api_calls = [r for r in roomy.requests() if r["path"] not in ("/auth/o2/token", "/oauth2/token")]
    assert len(api_calls) == PROCS * THREADS and {r["status"] for r in api_calls} == {200}
    assert n_with == 1
    assert n_without > 1  # the SDK's own figure, recorded above


@pytest.mark.parametrize("sdk", SDKS)
def test_normal_calls_work_through_the_integration(venvs: Path, fresh_sandbox: Any, sdk: str) -> None:
    out = _run(venvs, sdk, "calls", {"sandbox": fresh_sandbox.url})
    world = demo_world()
    if sdk in ("creators_sdk", "paapi"):
        expected = [
            i.asin for i in world.catalog if i.marketplace == "www.amazon.com" and "Coffee Maker" in i.title
        ][:3]
    else:
        expected = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]  # Northwind Gadgets' marketplaces (US, CA)
    assert out == {"first": expected, "second": expected}
    assert len(token_requests(fresh_sandbox)) == 1
    assert {r["status"] for r in fresh_sandbox.requests()} == {200}


def test_paapi_401_handling_refreshes_once_through_the_engine(venvs: Path, fresh_sandbox: Any) -> None:
    """python-amazon-paapi clears its token and retries once on a 401: with amzauth, one refresh in all."""
    out = _run(venvs, "paapi", "expiry", {"sandbox": fresh_sandbox.url})
    assert out["after"] == [out["before"], out["before"]] and out["before"]
    api = [r["status"] for r in fresh_sandbox.requests(host="creatorsapi.amazon")]
    assert api == [200, 401, 200, 200]  # the second client already had the new token
    assert len(token_requests(fresh_sandbox)) == 2


@pytest.mark.parametrize("sdk", SDKS)
def test_wrong_secret_raises_the_sdk_error_with_the_diagnosis(
    venvs: Path, fresh_sandbox: Any, sdk: str
) -> None:
    out = _run(
        venvs, sdk, "wrong-secret",
        {"sandbox": fresh_sandbox.url, "secret": WRONG_SECRET, "sdk_error": SDK_ERROR[sdk]},
    )  # fmt: skip
    assert out["is_sdk_type"] is True, out
    diagnosis = out["diagnosis"]
    assert diagnosis["code"] == "invalid_client" and diagnosis["field"] == "client_secret", diagnosis
    assert out["attrs"] == {"code": "invalid_client", "cause": diagnosis["cause"], "field": "client_secret"}
    assert out["fix"] == diagnosis["fix"] and out["fix"]
    for part in ("code=invalid_client", f"cause={diagnosis['cause']}", "field=client_secret", out["fix"][0]):
        assert part in out["message"]
    assert WRONG_SECRET not in out["message"]
    statuses = [(r["path"], r["status"]) for r in fresh_sandbox.requests()]
    assert statuses == [("/auth/o2/token", 401)]  # one refused request, no API call
