"""Schemathesis against the OpenAPI documents we serve: the sandbox's control API, and the console's.

The sandbox under test is a private instance (the fuzzer replaces worlds, adds faults and shifts
the clock), never the session sandbox other tests share. Examples per operation are bounded so the
whole file stays fast. The property: no 5xx, and answers that match the document. The only 500 the
sandbox may give is LwA's documented query-string 500, which the control API does not serve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from amzauth.sandbox import run_sandbox
from amzauth.sandbox.openapi import control_openapi


@pytest.fixture(scope="module")
def control_sandbox() -> Iterator[Any]:
    with run_sandbox() as sb:
        yield sb


def _operations(doc: dict[str, Any]) -> dict[str, Any]:
    schema = schemathesis.openapi.from_dict(doc)
    ops = (result.ok() for result in schema.get_all_operations())
    return {op.label: op for op in ops}


# The control API document is static (it is built from the same models the API validates with).
CONTROL_OPS = _operations(control_openapi())


@pytest.mark.parametrize("label", sorted(CONTROL_OPS))
def test_control_api_never_500s_and_matches_its_document(label: str, control_sandbox: Any) -> None:
    op = CONTROL_OPS[label]

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=control_sandbox.url, timeout=10)
        assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:300]}"
        # positive_data_acceptance is left out: the document cannot say "at least one of these keys"
        # (faults, revoke) or "a valid world" (world), so the sandbox rightly answers such bodies 400.
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    run()


def test_control_sandbox_still_serves_amazon_after_the_fuzzing(control_sandbox: Any) -> None:
    control_sandbox.reset()
    assert control_sandbox.health()["ok"] is True
    from amzauth.sandbox.world import demo_world

    cred = next(c for c in demo_world().creators_credentials if c.version == "3.1" and c.enabled)
    r = httpx.post(
        control_sandbox.amazon_url("https://api.amazon.com/auth/o2/token"),
        json={
            "grant_type": "client_credentials",
            "client_id": cred.client_id,
            "client_secret": cred.client_secret,
            "scope": "creatorsapi::default",
        },
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["access_token"]


# ---- the console -------------------------------------------------------------------------------------
HOST = "http://127.0.0.1"
_HTTPX_KW = frozenset({"params", "headers", "json", "data", "content", "files"})


@pytest.fixture(scope="module")
def console_app(tmp_path_factory: pytest.TempPathFactory, sandbox: Any) -> Any:
    """A console over a profiles file with one profile pointed at the session sandbox."""
    try:
        from amzauth.console.app import create_app
    except ImportError:
        pytest.skip("the console (amzauth.console.app.create_app) is not there yet")
    from tests.reliability._env import creators_profile

    tmp = tmp_path_factory.mktemp("console")
    p = creators_profile(sandbox.url)
    lines = ["[profiles.default]"] + [
        f"{k} = {json.dumps(p.secret(k) if k == 'client_secret' else p.get(k))}" for k in sorted(p.values)
    ]
    (tmp / "amzauth.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return create_app(tmp / "amzauth.toml", reports_path=tmp / "reports.json")


@pytest.mark.filterwarnings("ignore")
def test_console_never_500s(console_app: Any) -> None:
    """Every operation of the console's document, fuzzed in-process with a valid session and CSRF
    token (so POSTs reach their handlers); no answer may be a 5xx. The console serves no
    /openapi.json (openapi_url=None); FastAPI still builds the document."""
    from starlette.testclient import TestClient

    ops = _operations(console_app.openapi())
    assert ops, "the console's document lists no operations"
    seen: dict[str, set[int]] = {}
    with TestClient(console_app, base_url=HOST, follow_redirects=False) as client:

        def csrf() -> str:
            m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/profiles/new").text)
            assert m, "no CSRF token on the new-profile page"
            return m.group(1)

        for _label, op in sorted(ops.items()):

            @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(case=op.as_strategy(), existing=st.booleans())
            def run(case: Any, existing: bool) -> None:
                if existing and "name" in (case.path_parameters or {}) and not case.path.endswith("/delete"):
                    case.path_parameters["name"] = "default"  # the profile the file holds
                kw = case.as_transport_kwargs(base_url=HOST)
                extra = {k: v for k, v in kw.items() if k in _HTTPX_KW}
                extra["headers"] = {**(extra.get("headers") or {}), "x-csrf-token": csrf()}
                response = client.request(kw["method"], kw["url"], **extra)
                seen.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)
                assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code}"

            run()
    reached = {label for label, codes in seen.items() if codes - {403, 404}}
    assert len(reached) >= len(ops) // 2, seen  # the fuzzing got past CSRF and routing for most
