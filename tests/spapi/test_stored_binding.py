"""A stored refresh token goes only to the token endpoint it was obtained from (issue 16, finding 1).

The token is stored by the library's self-authorization against the sandbox; the profile is then
pointed elsewhere (another ``sandbox`` URL, an ``auth_endpoint`` override, an ``AMZAUTH_SANDBOX``
variable). Every surface that resolves ``stored:<seller>`` (the library, ``amzauth spapi call``,
the console's Test Connection) refuses before any request, naming the key that changed: the
sandbox's request log shows no token request at all. Records stored before endpoints were recorded
keep working.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.config import ConfigError, load_profile
from amzauth.config.storage import FileTokenStorage, default_token_file, save_refresh_token, stored_entry
from amzauth.spapi import SPAPIClient
from amzauth.spapi.selfauth import self_authorize
from tests.spapi._support import CLIENT_ID, NA_SELLER, app_values, make_profile, write_profiles
from tests.spapi.test_self_authorize import generate_token
from tests.support import assert_no_secrets, run_cli


def _other_sandbox(url: str) -> str:
    """The same sandbox under another name: a different token URL whose requests we can still see."""
    return url.replace("127.0.0.1", "localhost")


def _store(sp: Any) -> str:
    token = generate_token(sp.url)
    self_authorize(make_profile(sp.url, sp.redirect_uri), token, NA_SELLER, prefer="file", save_profile=False)
    sp.sandbox.clear_requests()
    return token


def _token_requests(sp: Any) -> list[dict[str, Any]]:
    return [r for r in sp.sandbox.requests() if "/o2/token" in r["path"]]


def test_the_stored_record_names_its_token_endpoint(sp: Any) -> None:
    _store(sp)
    entry = stored_entry(CLIENT_ID, "na", NA_SELLER)
    assert entry is not None
    assert entry["token_endpoint"] == f"{sp.url}/api.amazon.com/auth/o2/token"
    assert entry["sandbox"] == sp.url and entry["auth_endpoint"] == "https://api.amazon.com/auth/o2/token"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"sandbox": "other"}, "sandbox"),
        ({"auth_endpoint": "https://collector.example/auth/o2/token"}, "auth_endpoint"),
    ],
)
def test_a_changed_endpoint_is_refused_before_anything_is_sent(
    tmp_path: Path, sp: Any, change: dict[str, str], key: str
) -> None:
    token = _store(sp)
    changes = {k: (_other_sandbox(sp.url) if v == "other" else v) for k, v in change.items()}
    cfg = write_profiles(
        tmp_path / "profiles.toml",
        {"seller": app_values(sp.url, sp.redirect_uri, refresh_token=f"stored:{NA_SELLER}", **changes)},
    )
    # the library
    with pytest.raises(ConfigError) as ei:
        load_profile("seller", str(cfg))
    err = ei.value
    assert (err.key, err.profile, err.file) == (key, "seller", str(cfg))
    assert "authorize again" in (err.fix or "") and str(default_token_file()) in (err.fix or "")
    assert_no_secrets(str(err), [token])
    unresolved = make_profile(sp.url, sp.redirect_uri, refresh_token=f"stored:{NA_SELLER}", **changes)
    with pytest.raises(ConfigError) as ei, SPAPIClient(unresolved) as client:
        client.marketplace_participations()
    assert ei.value.key == key
    # the CLI
    p = run_cli("spapi", "call", "GET", "/sellers/v1/marketplaceParticipations", "--config", str(cfg),
                "--profile", "seller", "--json")
    assert p.returncode == 2, p.stdout + p.stderr
    assert key in p.stdout + p.stderr and token not in p.stdout + p.stderr
    assert _token_requests(sp) == [] and sp.sandbox.requests() == []


def test_an_environment_variable_moving_the_sandbox_is_named(tmp_path: Path, sp: Any) -> None:
    token = _store(sp)
    cfg = write_profiles(
        tmp_path / "profiles.toml",
        {"seller": app_values(sp.url, sp.redirect_uri, refresh_token=f"stored:{NA_SELLER}")},
    )
    p = run_cli("doctor", "--config", str(cfg), "--profile", "seller", "--json",
                env={"AMZAUTH_SANDBOX": _other_sandbox(sp.url)})
    out = p.stdout + p.stderr
    assert p.returncode != 0 and "sandbox" in out and "AMZAUTH_SANDBOX" in out and token not in out
    assert _token_requests(sp) == []


def test_the_same_endpoint_still_works(tmp_path: Path, sp: Any) -> None:
    _store(sp)
    cfg = write_profiles(
        tmp_path / "profiles.toml",
        {"seller": app_values(sp.url + "/", sp.redirect_uri, refresh_token=f"stored:{NA_SELLER}")},
    )
    with SPAPIClient(load_profile("seller", str(cfg))) as client:
        assert client.marketplace_participations()
    assert [r["status"] for r in _token_requests(sp)] == [200]


def test_a_record_stored_before_endpoints_were_recorded_keeps_working(tmp_path: Path, sp: Any) -> None:
    token = generate_token(sp.url)
    save_refresh_token(CLIENT_ID, "na", NA_SELLER, token, prefer="file")  # no endpoint: an old record
    entry = FileTokenStorage().entry(f"{CLIENT_ID}|na|{NA_SELLER}")
    assert entry is not None and "token_endpoint" not in entry
    cfg = write_profiles(
        tmp_path / "profiles.toml",
        {"seller": app_values(sp.url, sp.redirect_uri, refresh_token=f"stored:{NA_SELLER}")},
    )
    assert load_profile("seller", str(cfg)).secret("refresh_token") == token


def test_console_test_connection_uses_the_same_check(tmp_path: Path, sp: Any) -> None:
    """Test Connection on a profile whose sandbox moved after the token was stored sends nothing."""
    from amzauth.console import run_console

    token = _store(sp)
    cfg = write_profiles(
        tmp_path / "profiles.toml",
        {"seller": app_values(_other_sandbox(sp.url), sp.redirect_uri, refresh_token=f"stored:{NA_SELLER}")},
    )
    with run_console(cfg, no_auth=True) as handle, httpx.Client(base_url=handle.url, timeout=30) as c:
        form = c.get("/profiles/seller/test")
        m = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert form.status_code == 200 and m
        r = c.post("/profiles/seller/test", data={"csrf_token": m.group(1)}, follow_redirects=True)
    assert r.status_code == 200 and "obtained from" in html.unescape(r.text) and token not in r.text
    assert "sandbox" in r.text
    assert _token_requests(sp) == [] and sp.sandbox.requests() == []
