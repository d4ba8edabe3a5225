"""Console hardening (issue 16): secrets bound to their endpoints, sign-in even on loopback, the
``?token=`` throttle, no password in ``ps`` without a warning.

Everything over real HTTP against a console on loopback, or the ``amzauth console`` process.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.conftest import C31_SECRET, creators_profile, csrf_of, write_profiles
from tests.support import register_secret, run_cli


class Listener:
    """A loopback TCP listener that records whether anyone connected (the would-be collector)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.received = b""
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    self.received += conn.recv(65536)

    def close(self) -> None:
        self._stop.set()
        self._t.join(5)
        self.sock.close()


@pytest.fixture()
def collector() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def _version(html: str) -> str:
    m = re.search(r'name="version" value="([^"]*)"', html)
    assert m
    return m.group(1)


def _edit_form(page: str, **over: str) -> dict[str, str]:
    return {
        "name": "shop",
        "api": "creators",
        "credential_version": "3.1",
        "client_id": "amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
        "client_secret": "",
        "marketplace": "www.amazon.com",
        "partner_tag": "demo-20",
        "csrf_token": csrf_of(page),
        "version": _version(page),
        **over,
    }


@pytest.mark.parametrize("key", ["sandbox", "auth_endpoint"])
def test_moving_an_endpoint_needs_the_secret_typed_again(
    client: httpx.Client, config_path: Path, fresh_sandbox: Any, collector: Listener, key: str
) -> None:
    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url)})
    before = config_path.read_text()
    page = client.get("/profiles/shop").text
    target = collector.url + ("/auth/o2/token" if key == "auth_endpoint" else "")
    moved = {"sandbox": fresh_sandbox.url, key: target}
    r = client.post("/profiles/shop", data=_edit_form(page, **moved))
    assert r.status_code == 400
    block = r.text.split('data-key="client_secret"', 1)[1].split('data-key="', 1)[0]
    assert "Type the client secret again" in block and key in block
    assert config_path.read_text() == before  # nothing saved
    # Test Connection runs on the saved profile: nothing reaches the collector.
    client.post("/profiles/shop/test", data={"csrf_token": csrf_of(page)})
    assert C31_SECRET.encode() not in collector.received and not collector.received
    # Typing the secret again is the owner's decision: then it is saved.
    page = client.get("/profiles/shop").text
    r = client.post(
        "/profiles/shop",
        data=_edit_form(page, client_secret=C31_SECRET, **moved),
    )
    assert r.status_code == 303
    assert tomllib.loads(config_path.read_text())["profiles"]["shop"][key] == target


def test_a_loopback_console_asks_for_a_token_unless_opted_out(config_path: Path) -> None:
    from amzauth.console import run_console

    with run_console(config_path) as h, httpx.Client(base_url=h.url, timeout=30) as c:
        assert h.token and len(h.token) >= 24
        r = c.get("/profiles")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert c.get(h.login_url).status_code == 303  # the token signs this browser in once
        assert c.get("/profiles").status_code == 200
    with run_console(config_path, no_auth=True) as h, httpx.Client(base_url=h.url, timeout=30) as c:
        assert h.token is None and c.get("/profiles").status_code == 200


def _start_cli(config_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "amzauth", "console", "--port", "0", "--config", str(config_path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    assert "Traceback" not in err
    return err


def test_console_command_prints_a_sign_in_url_and_warns_about_password_in_ps(config_path: Path) -> None:
    write_profiles(config_path, {"shop": creators_profile("http://127.0.0.1:9")})
    proc = _start_cli(config_path)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        sign_in = proc.stdout.readline()
        assert sign_in.startswith(f"sign in: open {url}/?token="), sign_in
        assert httpx.get(url + "/profiles", timeout=10).status_code == 303
        with httpx.Client(timeout=10) as c:
            assert c.get(sign_in.split()[3]).status_code == 303
            assert c.get(url + "/profiles").status_code == 200
    finally:
        _stop(proc)
    proc = _start_cli(config_path, "--password", "correct horse battery")
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("console listening")
    finally:
        err = _stop(proc)
    assert "--password on the command line is visible" in err and "AMZAUTH_CONSOLE_PASSWORD" in err
    secret_file = config_path.parent / "console-password"
    secret_file.write_text("correct horse battery\n")
    proc = _start_cli(config_path, "--password-file", str(secret_file))
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        with httpx.Client(base_url=url, timeout=10) as c:
            token = csrf_of(c.get("/login").text)
            r = c.post("/login", data={"csrf_token": token, "secret": "correct horse battery"})
            assert r.status_code == 303
    finally:
        err = _stop(proc)
    assert "visible" not in err


def test_token_guesses_in_the_url_are_throttled(config_path: Path) -> None:
    from amzauth.console import run_console

    with (
        run_console(config_path, token="tok-0123456789abcdef") as h,
        httpx.Client(base_url=h.url, timeout=30) as c,
    ):
        codes = [c.get(f"/profiles?token=guess-{i:04d}").status_code for i in range(200)]
        assert codes.count(429) >= 190  # counted like failed logins: 5 a minute
        assert c.get("/profiles?token=tok-0123456789abcdef").status_code == 429  # even the right one


REDIS_PASSWORD = "s3cr3t-redis-passw0rd-4321"
register_secret(REDIS_PASSWORD)


def test_a_redis_password_is_never_printed(client: httpx.Client, config_path: Path) -> None:
    url = f"redis://default:{REDIS_PASSWORD}@127.0.0.1:6390/0"
    write_profiles(
        config_path, {"shop": creators_profile("http://127.0.0.1:9", store="redis", redis_url=url)}
    )
    for args in (("config", "show", "--profile", "shop"), ("config", "show", "--profile", "shop", "--json")):
        p = run_cli(*args, "--config", str(config_path))
        assert p.returncode == 0, p.stderr
        assert REDIS_PASSWORD not in p.stdout + p.stderr and "127.0.0.1:6390" in p.stdout
    page = client.get("/profiles/shop").text
    assert REDIS_PASSWORD not in page and "redis://default:…@127.0.0.1:6390/0" in page
    # Saving the form as shown keeps the stored password (the field is write-only for it).
    r = client.post(
        "/profiles/shop",
        data=_edit_form(
            page, sandbox="http://127.0.0.1:9", store="redis", redis_url="redis://default:…@127.0.0.1:6390/0"
        ),
    )
    assert r.status_code == 303
    assert tomllib.loads(config_path.read_text())["profiles"]["shop"]["redis_url"] == url


@pytest.mark.parametrize("name", ["bückware", "two\r\nlines", 'quo"te'])
def test_report_json_for_any_profile_name(
    client: httpx.Client, config_path: Path, fresh_sandbox: Any, name: str
) -> None:
    write_profiles(config_path, {name: creators_profile(fresh_sandbox.url)})
    from urllib.parse import quote

    path = f"/profiles/{quote(name, safe='')}"
    page = client.get(path + "/test").text
    assert client.post(path + "/test", data={"csrf_token": csrf_of(page)}).status_code == 303
    r = client.get(path + "/report.json")
    assert r.status_code == 200 and r.json()["ok"] is True
    disposition = r.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert f"filename*=UTF-8''{quote('amzauth-doctor-' + name + '.json', safe='')}" in disposition


def test_terminal_escapes_are_not_printed_raw(fresh_sandbox: Any, config_path: Path) -> None:
    evil = "\x1b]0;owned\x07\x1b[2J"
    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url, partner_tag="demo-20" + evil)})
    p = run_cli("config", "show", "--profile", "shop", "--config", str(config_path))
    assert p.returncode == 0 and "\x1b" not in p.stdout + p.stderr and "\\x1b]0;owned" in p.stdout
    fresh_sandbox.add_fault(
        host="api.amazon.com", path="/auth/o2/token", status=400, error="invalid_scope",
        error_description="bad scope" + evil, times=-1,
    )  # fmt: skip
    p = run_cli("token", "--profile", "shop", "--config", str(config_path))
    assert p.returncode != 0 and "\x1b" not in p.stdout + p.stderr and "\x07" not in p.stderr
    assert "bad scope" in p.stderr


# ---- another local user ------------------------------------------------------------------------
OTHER_UID = 65534  # "nobody": a local account that is not the console's owner

# The other user's side, stdlib only (it runs under /usr/bin/python3 as that uid): read every page
# that shows a profile, try to move the sandbox to its own listener and run Test Connection, guess
# the sign-in token in the URL, and open the profiles file directly. Prints what it got as JSON.
_ATTACK = r"""
import http.client, json, re, sys, urllib.parse
base, collector, cfg = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlsplit(base)
out = {"uid": __import__("os").getuid(), "pages": {}, "bodies": ""}
def req(method, path, body=None):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    c.request(method, path, body=urllib.parse.urlencode(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    text = r.read().decode("utf-8", "replace")
    out["pages"][method + " " + path] = r.status
    out["bodies"] += text
    return text
for path in ("/", "/profiles", "/profiles/seller", "/profiles/seller/test", "/profiles/seller/report.json"):
    req("GET", path)
page = req("GET", "/profiles/seller")
m = re.search(r'name="csrf_token" value="([^"]+)"', page)
form = {"csrf_token": m.group(1) if m else "", "name": "seller", "api": "spapi", "sandbox": collector}
req("POST", "/profiles/seller", form)
req("POST", "/profiles/seller/test", {"csrf_token": form["csrf_token"]})
req("GET", "/profiles?token=guess-0123456789abcdef0123")
try:
    out["file"] = open(cfg).read()
except OSError as exc:
    out["file_error"] = type(exc).__name__
print(json.dumps(out))
"""


def _as_other_user(console_url: str, collector_url: str, cfg: Path) -> dict[str, Any]:
    import json

    def drop() -> None:
        os.setgroups([])
        os.setgid(OTHER_UID)
        os.setuid(OTHER_UID)

    p = subprocess.run(
        ["/usr/bin/python3", "-I", "-c", _ATTACK, console_url, collector_url, str(cfg)],
        capture_output=True, text=True, timeout=60, preexec_fn=drop, cwd="/",
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert p.returncode == 0, p.stderr
    doc: dict[str, Any] = json.loads(p.stdout)
    assert doc["uid"] == OTHER_UID
    return doc


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
    reason="needs root to run a second uid (CI runs as root); the same requests without it are "
    "test_a_loopback_console_asks_for_a_token_unless_opted_out",
)
def test_another_local_user_cannot_take_the_owners_secrets(
    config_path: Path, fresh_sandbox: Any, collector: Listener
) -> None:
    """Finding 1's attack, replayed by a real second uid against the owner's loopback console."""
    from amzauth.console import run_console
    from tests.console.conftest import SECRETS, SP_REFRESH, spapi_profile

    write_profiles(config_path, {"seller": spapi_profile(fresh_sandbox.url, refresh_token=SP_REFRESH)})
    before = config_path.read_text()
    fresh_sandbox.clear_requests()
    with run_console(config_path) as h:  # the default: no password given, no opt-out
        got = _as_other_user(h.url, collector.url, config_path)
    for secret in SECRETS:
        assert secret not in got["bodies"] and secret not in got.get("file", "")
    assert "file_error" in got  # the profiles file itself is private to the owner
    pages = got["pages"]
    assert pages["GET /profiles"] == 303 and pages["GET /profiles/seller"] == 303
    assert pages["GET /profiles/seller/report.json"] in (303, 401, 403)
    assert all(code in (303, 401, 403, 429) for code in pages.values()), pages
    assert config_path.read_text() == before  # nothing saved
    assert collector.received == b""  # nothing sent to the other user's listener
    assert fresh_sandbox.requests() == []  # and no token request made on its behalf
    # Control: the same uid does reach a console started with the explicit opt-out, so the refusals
    # above come from the sign-in, not from the harness failing to connect.
    with run_console(config_path, no_auth=True) as h:
        open_doc = _as_other_user(h.url, collector.url, config_path)
    assert open_doc["pages"]["GET /profiles"] == 200
