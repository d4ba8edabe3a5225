"""Sandbox robustness (issue 16, finding 9): no 500 for a lone surrogate, a non-ASCII Basic
header or deeply nested JSON; the control API refuses foreign Host names and form/plain-text
POSTs (what a cross-site page can send); a non-loopback bind warns.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import free_port, run_cli


def test_a_lone_surrogate_in_a_logged_client_id_does_not_break_the_log(fresh_sandbox: Any) -> None:
    with httpx.Client(base_url=fresh_sandbox.url, timeout=10) as c:
        body = b'{"grant_type":"client_credentials","client_id":"\\ud800abc","client_secret":"x"}'
        r = c.post(
            "/api.amazon.com/auth/o2/token", content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code < 500
        log = c.get("/_sandbox/requests")
        assert log.status_code == 200 and log.json()[-1]["client_id"] == "\ud800abc"


def test_non_ascii_basic_auth_at_cognito_is_invalid_client(fresh_sandbox: Any) -> None:
    with httpx.Client(base_url=fresh_sandbox.url, timeout=10) as c:
        r = c.post(
            "/creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
            content=b"grant_type=client_credentials",
            headers={"authorization": "Basic ïïï".encode("latin-1"),
                     "content-type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert r.status_code == 400 and r.json()["error"] == "invalid_client"


def test_deeply_nested_world_is_a_400(fresh_sandbox: Any) -> None:
    with httpx.Client(base_url=fresh_sandbox.url, timeout=10) as c:
        for body in (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, b"a = " + b"[" * 100_000 + b"]" * 100_000):
            r = c.post("/_sandbox/world", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 400 and r.json()["error"] == "invalid_world", r.text[:200]


def test_control_api_refuses_foreign_hosts_and_cross_site_content_types(fresh_sandbox: Any) -> None:
    with httpx.Client(base_url=fresh_sandbox.url, timeout=10) as c:
        assert c.get("/_sandbox/world", headers={"host": "rebound.example"}).status_code == 403
        assert c.get("/_sandbox/world", headers={"host": "localhost:1234"}).status_code == 200
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            r = c.post("/_sandbox/reset", content=b"{}", headers={"content-type": ctype})
            assert r.status_code == 415, ctype
        assert c.post("/_sandbox/reset", json={}).status_code == 200
        # Amazon's own hosts are not the control API: any Host, any content type.
        r = c.post(
            "/api.amazon.com/auth/o2/token",
            content=b"grant_type=client_credentials",
            headers={"host": "api.amazon.com", "content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 400


def test_binding_beyond_loopback_warns() -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "amzauth", "sandbox", "--host", "0.0.0.0", "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("sandbox listening")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "reachable from other machines" in err and "Traceback" not in err
    assert run_cli("sandbox", "--port", "70000").returncode == 2
