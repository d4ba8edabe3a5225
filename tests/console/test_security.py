"""Console security over plain HTTP: CSRF, headers, cookies, binds, hosts, login, leaks and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from amzauth.console.security import BindRefused, check_bind, host_allowed, is_loopback
from tests.console.conftest import (
    C31_SECRET,
    SECRETS,
    SP_REFRESH,
    creators_profile,
    csrf_of,
    spapi_profile,
    write_profiles,
)
from tests.support import assert_no_secrets, free_port, run_cli

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def _routes(app: Any, method: str) -> list[str]:
    out = []
    for r in app.routes:
        if method in (getattr(r, "methods", None) or ()):
            out.append(re.sub(r"\{[^}]+\}", "x", r.path))
    return out


# ---- CSRF ----------------------------------------------------------------------------------------


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(console: Any, client: httpx.Client) -> None:
    posts = _routes(console.app, "POST")
    assert {
        "/profiles/new",
        "/profiles/x",
        "/profiles/x/test",
        "/profiles/x/apply",
        "/search",
        "/spapi/authorize",
        "/spapi/use",
        "/login",
        "/logout",
    } <= set(posts)
    page = client.get("/profiles/new?api=creators")
    token = csrf_of(page.text)
    for path in posts:
        assert client.post(path, data={}).status_code == 403, path
        assert client.post(path, data={"csrf_token": token[:-2] + "xx"}).status_code == 403, path


def test_csrf_token_is_bound_to_the_session(console: Any, client: httpx.Client, config_path: Path) -> None:
    theirs = csrf_of(client.get("/profiles/new").text)
    with httpx.Client(base_url=console.url, timeout=30) as other:
        mine = csrf_of(other.get("/profiles/new").text)
        form = {
            "name": "p",
            "api": "creators",
            "credential_version": "3.1",
            "client_id": "cid-1234567890",
            "client_secret": "s3cr3t-value-123",
        }
        assert other.post("/profiles/new", data={**form, "csrf_token": theirs}).status_code == 403
        r = other.post("/profiles/new", data={**form, "csrf_token": mine})
        assert r.status_code == 303, r.text
    # Without the session cookie the token is worth nothing.
    with httpx.Client(base_url=console.url, timeout=30) as fresh:
        assert fresh.post("/profiles/p/delete", data={"csrf_token": mine}).status_code == 403
    assert "[profiles.p]" in config_path.read_text()


def test_every_post_form_carries_the_token(
    client: httpx.Client, fresh_sandbox: Any, config_path: Path
) -> None:
    write_profiles(
        config_path,
        {
            "shop": creators_profile(fresh_sandbox.url),
            "seller": spapi_profile(fresh_sandbox.url, refresh_token=SP_REFRESH),
        },
    )
    token = csrf_of(client.get("/profiles/new").text)
    client.post("/profiles/shop/test", data={"csrf_token": token})
    for url in ("/profiles/new", "/profiles/shop", "/profiles/shop/test", "/search", "/spapi/authorize"):
        html = client.get(url).text
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, re.S | re.I)
        assert forms, url
        for f in forms:
            assert 'name="csrf_token"' in f, (url, f[:200])


# ---- headers and cookies ---------------------------------------------------------------------------


def test_security_headers_on_pages_static_errors_and_redirects(client: httpx.Client) -> None:
    for url in (
        "/profiles",
        "/static/console.js",
        "/static/console.css",
        "/explain?code=x",
        "/nope",
        "/profiles/missing",
        "/",
    ):
        r = client.get(url)
        csp = r.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp, url
        assert r.headers.get("x-frame-options") == "DENY", url
        assert r.headers.get("x-content-type-options") == "nosniff", url
        assert r.headers.get("referrer-policy") == "no-referrer", url
    assert client.get("/nope").status_code == 404


def test_session_cookie_is_httponly_and_samesite() -> None:
    from amzauth.console import run_console

    with run_console(Path("/nonexistent-dir-for-console/amzauth.toml"), no_auth=True) as h:
        r = httpx.get(h.url + "/profiles")
    cookie = r.headers["set-cookie"].lower()
    assert (
        "amzauth_console=" in cookie
        and "httponly" in cookie
        and "samesite=lax" in cookie
        and "path=/" in cookie
    )


def test_wrong_host_header_is_refused_on_loopback(client: httpx.Client) -> None:
    assert client.get("/profiles", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/profiles", headers={"Host": "localhost:8766"}).status_code == 200


# ---- binds and login -----------------------------------------------------------------------------


def test_non_loopback_bind_is_refused_without_password() -> None:
    proc = run_cli("console", "--host", "0.0.0.0", "--port", str(free_port()))
    assert proc.returncode == 2
    assert "refusing to bind" in proc.stderr and "--password" in proc.stderr
    proc = run_cli("console", "--host", "0.0.0.0", "--password", "short")
    assert proc.returncode == 2 and "at least 8" in proc.stderr
    from amzauth.console import run_console

    with pytest.raises(BindRefused), run_console(host="0.0.0.0"):
        pass
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        check_bind(host, password=None, token=None)
        assert is_loopback(host)
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.com"):
        assert not is_loopback(host)
        with pytest.raises(BindRefused):
            check_bind(host, password=None, token=None)
    check_bind("0.0.0.0", password="long enough password", token=None)
    assert not host_allowed("evil.example", bind_host="127.0.0.1", auth_required=False)
    assert host_allowed("[::1]:8766", bind_host="::1", auth_required=False)
    assert host_allowed("anything", bind_host="0.0.0.0", auth_required=True)


@pytest.fixture()
def locked(config_path: Path) -> Iterator[Any]:
    from amzauth.console import run_console

    with run_console(
        config_path, host="0.0.0.0", password="correct horse battery", token="tok-0123456789abcdef"
    ) as h:
        yield h


def test_password_protected_console(locked: Any) -> None:
    port = urlsplit(locked.url).port
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.get("/profiles/new")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        assert c.post("/profiles/new", data={}).status_code == 401
        login = c.get(r.headers["location"])
        assert login.status_code == 200 and 'type="password"' in login.text
        token = csrf_of(login.text)
        before = c.cookies.get("amzauth_console")
        bad = c.post("/login", data={"csrf_token": token, "secret": "wrong", "next": "/profiles/new"})
        assert bad.status_code == 401 and "Wrong password" in bad.text
        ok = c.post(
            "/login", data={"csrf_token": token, "secret": "correct horse battery", "next": "/profiles/new"}
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/profiles/new"
        assert c.cookies.get("amzauth_console") != before  # new session id after login
        assert c.get("/profiles/new").status_code == 200
        # Open redirect refused.
        csrf = csrf_of(c.get("/profiles/new").text)
        c.post("/logout", data={"csrf_token": csrf})
        assert c.get("/profiles").status_code == 303
        token = csrf_of(c.get("/login").text)
        r = c.post(
            "/login", data={"csrf_token": token, "secret": "correct horse battery", "next": "//evil.example/"}
        )
        assert r.headers["location"] == "/profiles"
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.get("/search?token=tok-0123456789abcdef&profile=a")
        assert r.status_code == 303 and r.headers["location"] == "/search?profile=a"
        assert c.get("/search").status_code == 200
    with httpx.Client(base_url=base, timeout=30) as c:
        token = csrf_of(c.get("/login").text)
        codes = [
            c.post("/login", data={"csrf_token": token, "secret": f"guess{i}"}).status_code for i in range(6)
        ]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        r = c.post("/login", data={"csrf_token": token, "secret": "correct horse battery"})
        assert r.status_code == 429  # throttled even with the right password, for a minute


# ---- no secret in any page -------------------------------------------------------------------------


def _crawl(client: httpx.Client, start: list[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    todo = list(start)
    while todo and len(seen) < 200:
        url = todo.pop()
        if url in seen:
            continue
        r = client.get(url)
        seen[url] = r.text
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        for href in re.findall(r'(?:href|src|action)="([^"]+)"', r.text):
            href = href.replace("&amp;", "&")
            target = urljoin(url, href)
            if target.startswith("/") and not target.startswith("//") and "/delete" not in target:
                todo.append(target.split("#")[0])
    return seen


def test_no_secret_in_any_page(
    console: Any, client: httpx.Client, fresh_sandbox: Any, config_path: Path
) -> None:
    from tests.console.test_first_run import register_console_callback

    register_console_callback(fresh_sandbox, console.url)  # the console pre-checks MD5101
    write_profiles(
        config_path,
        {
            "shop": creators_profile(fresh_sandbox.url),
            "broken": creators_profile(fresh_sandbox.url, credential_version="2.1"),
            "seller": spapi_profile(fresh_sandbox.url, refresh_token=SP_REFRESH),
        },
    )
    csrf = csrf_of(client.get("/profiles/new").text)
    posted = []
    for name in ("shop", "broken", "seller"):
        r = client.post(f"/profiles/{name}/test", data={"csrf_token": csrf}, follow_redirects=True)
        posted.append(r.text)
    assert 'data-ok="true"' in posted[0] and 'data-ok="false"' in posted[1] and 'data-ok="true"' in posted[2]
    posted.append(
        client.post("/search", data={"csrf_token": csrf, "profile": "shop", "keywords": "kindle"}).text
    )
    pending = client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "seller"})
    posted.append(pending.text)
    flows = console.app.state.console.flows._pending
    verifier = next(iter(flows.values())).consent.code_verifier
    assert verifier and verifier not in pending.text
    # A failed save with a newly typed secret: the secret is kept server-side, never echoed.
    bad = client.post(
        "/profiles/shop",
        data={
            "csrf_token": csrf,
            "name": "shop",
            "api": "creators",
            "credential_version": "3.1",
            "client_id": "",
            "client_secret": "amzn1.oa2-cs.v1.typedbutnotsaved0000000099",
            "version": "stale",
        },
    )
    assert bad.status_code == 400
    posted.append(bad.text)
    pages = _crawl(client, ["/profiles", "/explain?code=invalid_grant", "/spapi/sellers?profile=seller"])
    assert {
        "/profiles/shop",
        "/profiles/shop/test",
        "/profiles/seller",
        "/profiles/shop/report.json",
        "/search?profile=shop",
        "/spapi/authorize?profile=seller",
        "/static/console.js",
    } <= set(pages)
    for url, text in [*pages.items(), *((f"POST #{i}", t) for i, t in enumerate(posted))]:
        assert_no_secrets(text, [*SECRETS, "amzn1.oa2-cs.v1.typedbutnotsaved0000000099", verifier])
        assert not INLINE_SCRIPT.search(text), url
        assert not INLINE_HANDLER.search(text), url
        assert not STYLE_ATTR.search(text), url
        assert not re.search(r"Atz[ar]\|[A-Za-z0-9-]{9,}", text), url
    report = pages["/profiles/shop/report.json"]
    assert '"schema": "amzauth.doctor/1"' in report and C31_SECRET not in report


# ---- escaping: our catalogue, what users type and what Amazon answers --------------------------------


def test_reflected_input_is_escaped(client: httpx.Client) -> None:
    r = client.get("/explain", params={"code": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    r = client.get("/profiles/new", params={"api": '"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in r.text


def test_amazon_answers_are_escaped(client: httpx.Client, sandbox: Any, config_path: Path) -> None:
    sandbox.reset()
    world = sandbox.world()
    world["catalog"].append(
        {
            "asin": "B0XSSXSS01",
            "marketplace": "www.amazon.com",
            "title": "<script>alert('title')</script> Zyzzyva speaker",
            "brand": "<b onmouseover=alert(1)>Evil</b>",
            "price": 9.99,
            "currency": "USD",
            "rating": 4.0,
            "review_count": 3,
            "image": "javascript:alert(1)",
        }
    )
    sandbox.set_world(world)
    try:
        write_profiles(config_path, {"shop": creators_profile(sandbox.url)})
        csrf = csrf_of(client.get("/search").text)
        r = client.post("/search", data={"csrf_token": csrf, "profile": "shop", "keywords": "Zyzzyva"})
        assert r.status_code == 200, r.text
        assert "B0XSSXSS01" in r.text
        assert "<script>alert('title')" not in r.text and "&lt;script&gt;" in r.text
        assert "<b onmouseover" not in r.text
        assert "javascript:" not in r.text
        sandbox.add_fault(
            host="creatorsapi.amazon",
            path="/catalog/v1/searchItems",
            status=400,
            times=-1,
            content_type="application/json",
            body='{"type": "com.amazon.paapi5#ValidationException", '
            '"message": "<img src=x onerror=alert(3)>", "reason": "InvalidParameterValue"}',
        )
        r = client.post("/search", data={"csrf_token": csrf, "profile": "shop", "keywords": "other words"})
        assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(3)&gt;" in r.text
        sandbox.add_fault(
            host="api.amazon.com",
            path="/auth/o2/token",
            status=401,
            error="invalid_client",
            error_description="<script>alert(2)</script>",
            times=-1,
        )
        r = client.post("/profiles/shop/test", data={"csrf_token": csrf}, follow_redirects=True)
        assert 'data-ok="false"' in r.text
        assert "<script>alert(2)" not in r.text and "&lt;script&gt;alert(2)&lt;/script&gt;" in r.text
    finally:
        sandbox.reset()
