"""Self-authorization of a private app (issue 19, class 6) and the kept-value warning (class 7).

The seller generates a refresh token on the sandbox's Seller Central page, as in Seller Central,
and pastes it into `amzauth spapi self-authorize`, which checks app, region and seller and stores it
like `spapi authorize`. Everything goes over HTTP to the sandbox.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import httpx

from amzauth.spapi.storage import default_token_file
from tests.spapi._support import APP_ID, EU_REFRESH, NA_SELLER, app_values, write_profiles
from tests.support import register_secret, run_cli

SELF_URL = "https://sellercentral.amazon.com/apps/authorize/self"


def generate_token(sandbox_url: str, seller: str = NA_SELLER, application_id: str = APP_ID) -> str:
    """Act as the seller on the "Authorize app" page: pick the account, generate, copy the token."""
    base = f"{sandbox_url}/sellercentral.amazon.com/apps/authorize/self"
    page = httpx.get(base, params={"application_id": application_id})
    assert page.status_code == 200, page.text[:500]
    r = httpx.post(base, data={"application_id": application_id, "selling_partner_id": seller})
    assert r.status_code == 200, r.text[:500]
    m = re.search(r'<code id="refresh-token">([^<]+)</code>', r.text)
    assert m
    token = html.unescape(m.group(1))
    register_secret(token)
    return token


def _cfg(tmp_path: Path, sp: Any, **changes: Any) -> Path:
    values = app_values(sp.url, sp.redirect_uri, **changes)
    return write_profiles(tmp_path / "profiles.toml", {"seller": values})


def _self_auth(cfg: Path, token: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    return run_cli("spapi", "self-authorize", "--config", str(cfg), "--profile", "seller", "--json",
                   "--store", "file", "--selling-partner-id", NA_SELLER, "--refresh-token-from", "-", *extra,
                   stdin=token + "\n", env=env)


def test_self_authorize_checks_and_stores_the_token(tmp_path: Path, sp: Any) -> None:
    token = generate_token(sp.url)
    cfg = _cfg(tmp_path, sp)
    p = _self_auth(cfg, token)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["selling_partner_id"] == NA_SELLER and doc["region"] == "na" and doc["warnings"] == []
    assert token not in p.stdout + p.stderr
    assert default_token_file().exists() and token in default_token_file().read_text()
    assert f'refresh_token = "{doc["reference"]}"' in cfg.read_text()
    # and the profile now works end to end
    call = run_cli("spapi", "call", "GET", "/sellers/v1/marketplaceParticipations", "--config", str(cfg),
                   "--profile", "seller")
    assert call.returncode == 0, call.stderr


def test_token_of_another_region_is_named(tmp_path: Path, sp: Any) -> None:
    cfg = _cfg(tmp_path, sp)
    p = _self_auth(cfg, EU_REFRESH)
    assert p.returncode == 1, p.stdout
    d = json.loads(p.stdout)["diagnosis"]
    assert (d["cause"], d["field"], d["suggested_value"]) == ("spapi-wrong-region", "region", "eu")
    assert not default_token_file().exists()


def test_cut_token_is_not_blamed_on_another_app(tmp_path: Path, sp: Any) -> None:
    token = generate_token(sp.url)
    p = _self_auth(_cfg(tmp_path, sp), token[:40])
    assert p.returncode == 1
    d = json.loads(p.stdout)["diagnosis"]
    assert (d["code"], d["cause"], d["field"]) == ("invalid_grant", "malformed-refresh-token", "refresh_token")


def test_published_app_cannot_be_self_authorized(sp: Any) -> None:
    r = httpx.get(f"{sp.url}/sellercentral.amazon.com/apps/authorize/self",
                  params={"application_id": "amzn1.sp.solution.5a4db0x0-demo-4d2a-8f00-000000000002"})
    assert r.status_code == 400 and "SELF_AUTH_PUBLISHED" in r.text


def test_env_refresh_token_left_in_place_is_reported(tmp_path: Path, sp: Any) -> None:
    """`spapi authorize`/`self-authorize` store the new token; a profile reading env:... keeps the old one."""
    old = generate_token(sp.url)
    new = generate_token(sp.url)
    cfg = _cfg(tmp_path, sp, refresh_token="env:SELLER_REFRESH_TOKEN")
    p = _self_auth(cfg, new, env={"SELLER_REFRESH_TOKEN": old})
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["profile_updated"] is None
    assert len(doc["warnings"]) == 1 and "SELLER_REFRESH_TOKEN" in doc["warnings"][0]
    assert doc["reference"] in doc["warnings"][0]
    assert "SELLER_REFRESH_TOKEN" in p.stderr


def test_authorize_says_where_it_listens_and_how_long(tmp_path: Path, sp: Any) -> None:
    cfg = write_profiles(tmp_path / "p.toml", {"seller": app_values(sp.url, sp.redirect_uri)})
    p = run_cli("spapi", "authorize", "--config", str(cfg), "--profile", "seller", "--json", "--timeout", "0.5",
                "--no-browser")
    assert p.returncode == 1 and json.loads(p.stdout)["code"] == "timeout"
    assert "Waiting up to 0.5 s" in p.stderr and sp.redirect_uri in p.stderr
