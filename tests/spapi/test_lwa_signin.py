"""Login with Amazon sign-in is not SP-API authorization (issue 19, class 6).

Developers in the forum thread used the LwA JS SDK flow (/ap/oa, scope=profile, a code exchanged
with a code_verifier) and sent the token to SP-API. The sandbox reproduces that flow; every surface
must name it: "a Login with Amazon profile token, not a seller authorization; use the website
workflow".
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from amzauth.config import load_profile
from amzauth.doctor import run_doctor
from amzauth.errors import ApiError
from amzauth.spapi import SPAPIClient
from tests.spapi._support import CLIENT_ID, CLIENT_SECRET, app_values, write_profiles
from tests.support import register_secret, run_cli

VERIFIER = "v" * 50


def sign_in(sandbox_url: str, redirect_uri: str) -> str:
    """The browser flow: /ap/oa with scope=profile and a PKCE challenge, Allow, then the code exchange."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    base = f"{sandbox_url}/www.amazon.com/ap/oa"
    q = {"client_id": CLIENT_ID, "scope": "profile", "response_type": "code", "redirect_uri": redirect_uri,
         "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256"}
    assert httpx.get(base, params=q).status_code == 200
    r = httpx.post(base, data={**q, "action": "allow"})
    assert r.status_code == 302
    back = parse_qs(urlsplit(r.headers["location"]).query)
    assert back["state"] == ["s1"] and back["scope"] == ["profile"]
    tok = httpx.post(f"{sandbox_url}/api.amazon.com/auth/o2/token", data={
        "grant_type": "authorization_code", "code": back["code"][0], "redirect_uri": redirect_uri,
        "code_verifier": VERIFIER, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert tok.status_code == 200, tok.text
    doc = tok.json()
    register_secret(doc["refresh_token"], doc["access_token"])
    profile = httpx.get(f"{sandbox_url}/api.amazon.com/user/profile",
                        headers={"Authorization": f"Bearer {doc['access_token']}"})
    assert profile.status_code == 200 and profile.json()["user_id"].startswith("amzn1.account.")
    return str(doc["refresh_token"])


def test_sign_in_scope_other_than_profile_is_refused(sp: Any) -> None:
    r = httpx.get(f"{sp.url}/www.amazon.com/ap/oa", params={
        "client_id": CLIENT_ID, "scope": "sellingpartnerapi::notifications", "response_type": "code",
        "redirect_uri": sp.redirect_uri, "state": "s"})
    assert r.status_code == 302 and "error=invalid_scope" in r.headers["location"]


def test_profile_token_on_spapi_is_named_on_every_surface(tmp_path: Path, sp: Any) -> None:
    refresh = sign_in(sp.url, sp.redirect_uri)
    cfg = write_profiles(tmp_path / "p.toml", {"seller": app_values(sp.url, sp.redirect_uri, refresh_token=refresh)})
    want = ("Unauthorized", "lwa-profile-token", "refresh_token")
    d = run_doctor(load_profile("seller", str(cfg))).doc["diagnosis"]
    assert (d["code"], d["cause"], d["field"]) == want
    text = d["summary"] + " ".join(d["fix"])
    assert "Login with Amazon profile token" in text and "not a seller authorization" in text
    assert "website authorization workflow" in text
    for path, params in (("/sellers/v1/marketplaceParticipations", None),
                         ("/catalog/2022-04-01/items", {"keywords": "kettle", "marketplaceIds": "ATVPDKIKX0DER"})):
        with SPAPIClient(load_profile("seller", str(cfg))) as client, pytest.raises(ApiError) as info:
            client.request("GET", path, params=params)
        d2 = info.value.diagnosis  # type: ignore[attr-defined]
        assert (d2["code"], d2["cause"], d2["field"]) == want
    p = run_cli("spapi", "call", "GET", "/sellers/v1/marketplaceParticipations", "--config", str(cfg),
                "--profile", "seller", "--json")
    assert p.returncode == 1
    d3 = json.loads(p.stdout)["diagnosis"]
    assert (d3["code"], d3["cause"], d3["field"]) == want
