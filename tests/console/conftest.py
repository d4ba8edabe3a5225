"""Console fixtures: a console per test on a free loopback port, one chromium per session, screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import register_secret

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "console"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Demo world credentials (fake, sandbox-only: docs/sandbox.md).
C31_ID = "amzn1.application-oa2-client.5a4db0x31demo00000000000000031"
C31_SECRET = "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031"
SP_APP_ID = "amzn1.sp.solution.5a4db0x0-demo-4d2a-8f00-000000000001"
SP_ID = "amzn1.application-oa2-client.5a4db0xsp01draft000000000000001"
SP_SECRET = "amzn1.oa2-cs.v1.5a4db0xsp01draftsecretnotreal0000000000000000001"
SP_REFRESH = "Atzr|IwEBsandbox-demo-na-repricer-000000000000000000000000000001"
register_secret(C31_SECRET, SP_SECRET, SP_REFRESH)
SECRETS = (C31_SECRET, SP_SECRET, SP_REFRESH)


def creators_profile(sandbox_url: str, **over: Any) -> dict[str, Any]:
    return {
        "api": "creators",
        "credential_version": "3.1",
        "client_id": C31_ID,
        "client_secret": C31_SECRET,
        "marketplace": "www.amazon.com",
        "partner_tag": "demo-20",
        "sandbox": sandbox_url,
        **over,
    }


def spapi_profile(sandbox_url: str, **over: Any) -> dict[str, Any]:
    return {
        "api": "spapi",
        "region": "na",
        "client_id": SP_ID,
        "client_secret": SP_SECRET,
        "application_id": SP_APP_ID,
        "draft": True,
        "sandbox": sandbox_url,
        **over,
    }


def write_profiles(path: Path, profiles: dict[str, dict[str, Any]]) -> None:
    """Write a profiles file the way a user would (the console's own writer is under test elsewhere)."""
    from amzauth.console.profiles_file import dump_profiles

    path.write_text(dump_profiles(profiles), encoding="utf-8")
    path.chmod(0o600)


@pytest.fixture()
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "amzauth.toml"


@pytest.fixture()
def console(config_path: Path) -> Iterator[Any]:
    from amzauth.console import run_console

    with run_console(config_path, no_auth=True) as handle:  # the explicit opt-out: tests sign in nowhere
        yield handle


@pytest.fixture()
def client(console: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, timeout=30) as c:
        yield c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


# ---- browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module: Playwright's sync API keeps an event loop running in this thread while
    it is open, which would break asyncio tests that run later in the session."""
    from tests.support import need_binary

    exe = need_binary("chromium", "/usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(chromium: Any, console: Any) -> Iterator[Any]:
    """A fresh browser context on the console; Amazon's image CDN (unreachable here) gets a placeholder."""
    ctx = chromium.new_context(base_url=console.url, viewport={"width": 1280, "height": 900})
    ctx.route(
        "https://m.media-amazon.com/**",
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=_PLACEHOLDER_SVG),
    )
    errors: list[str] = []
    pg = ctx.new_page()
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.set_default_timeout(15_000)
    try:
        yield pg
    finally:
        ctx.close()
    csp = [e for e in errors if "Content Security Policy" in e]
    assert not csp, f"CSP violations in the browser console: {csp}"


_PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160" viewBox="0 0 160 160">'
    '<rect width="160" height="160" rx="12" fill="#e8eef7"/><path d="M40 110l25-30 20 22 15-16 20 24z" '
    'fill="#9fb3cf"/><circle cx="60" cy="55" r="12" fill="#9fb3cf"/></svg>'
)


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(out), full_page=True)
    return out
