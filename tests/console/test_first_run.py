"""Console first-run paths (issue 19): an SP-API profile saved before any seller authorized it, and
the consent page's MD errors caught before the seller is sent there (as the CLI does)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import httpx

from tests.console.conftest import SP_APP_ID, SP_ID, SP_SECRET, csrf_of, spapi_profile, write_profiles


def register_console_callback(sandbox: Any, console_url: str) -> None:
    """Register the console's callback URL for the demo draft app, as its owner would in the portal."""
    world = sandbox.world()
    for app in world["spapi_apps"]:
        if app["application_id"] == SP_APP_ID and f"{console_url}/spapi/callback" not in app["redirect_uris"]:
            app["redirect_uris"] = [f"{console_url}/spapi/callback", *app["redirect_uris"]]
    sandbox.set_world(world)


def test_spapi_profile_saves_without_a_refresh_token(
    console: Any, client: httpx.Client, sandbox: Any, config_path: Path
) -> None:
    register_console_callback(sandbox, console.url)
    write_profiles(config_path, {})
    csrf = csrf_of(client.get("/profiles/new").text)
    r = client.post("/profiles/new", data={
        "csrf_token": csrf, "name": "seller", "api": "spapi", "region": "na", "client_id": SP_ID,
        "client_secret": SP_SECRET, "application_id": SP_APP_ID, "draft": "on", "sandbox": sandbox.url})
    assert r.status_code == 303, r.text[:2000]
    saved = tomllib.loads(config_path.read_text())["profiles"]["seller"]
    assert "refresh_token" not in saved and "scope" not in saved and "grant_type" not in saved
    csrf = csrf_of(client.get("/spapi/authorize").text)
    r = client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "seller"})
    assert r.status_code == 200 and 'id="consent-link"' in r.text


def test_consent_md_errors_are_caught_before_the_seller_leaves(
    console: Any, client: httpx.Client, fresh_sandbox: Any, config_path: Path
) -> None:
    sandbox = fresh_sandbox
    # The console's callback is not a registered redirect URI: Amazon's page would answer MD5101.
    write_profiles(config_path, {"seller": spapi_profile(sandbox.url)})
    csrf = csrf_of(client.get("/spapi/authorize").text)
    r = client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "seller"})
    assert r.status_code == 400 and "MD5101" in r.text and 'id="consent-link"' not in r.text
    # A Draft app saved as published: Amazon's page would answer MD1000 (no version=beta).
    register_console_callback(sandbox, console.url)
    write_profiles(config_path, {"seller": spapi_profile(sandbox.url, draft=False)})
    csrf = csrf_of(client.get("/spapi/authorize").text)
    r = client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "seller"})
    assert r.status_code == 400 and "MD1000" in r.text and 'id="consent-link"' not in r.text
