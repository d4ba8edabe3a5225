"""The profile editor and the pages behind it, over HTTP: what is written, kept, flushed and shown."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import httpx

from amzauth.config import load_profile
from tests.console.conftest import (
    C31_ID,
    C31_SECRET,
    creators_profile,
    csrf_of,
    spapi_profile,
    write_profiles,
)
from tests.console.test_first_run import register_console_callback


def _form(**over: str) -> dict[str, str]:
    base = {
        "name": "shop",
        "api": "creators",
        "credential_version": "3.1",
        "client_id": C31_ID,
        "client_secret": C31_SECRET,
        "marketplace": "www.amazon.com",
        "partner_tag": "demo-20",
    }
    return {**base, **over}


def _version(html: str) -> str:
    import re

    m = re.search(r'name="version" value="([^"]*)"', html)
    assert m
    return m.group(1)


def test_create_writes_a_private_file_and_keeps_other_profiles(
    client: httpx.Client, config_path: Path
) -> None:
    write_profiles(
        config_path,
        {
            "other": {
                "api": "spapi",
                "region": "eu",
                "client_id": "amzn1.application-oa2-client.x",
                "client_secret": "env:OTHER_SECRET",
                "draft": True,
                "timeout": 12.5,
            }
        },
    )
    config_path.chmod(0o644)
    csrf = csrf_of(client.get("/profiles/new").text)
    r = client.post(
        "/profiles/new", data={**_form(), "csrf_token": csrf, "region": "na", "refresh_token": "x"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/profiles/shop?saved=1"
    assert stat.S_IMODE(os.stat(config_path).st_mode) == 0o600
    doc = tomllib.loads(config_path.read_text())["profiles"]
    assert doc["other"] == {
        "api": "spapi",
        "region": "eu",
        "client_id": "amzn1.application-oa2-client.x",
        "client_secret": "env:OTHER_SECRET",
        "draft": True,
        "timeout": 12.5,
    }
    # SP-API keys sent with api = creators are not saved.
    assert doc["shop"] == {
        "api": "creators",
        "credential_version": "3.1",
        "client_id": C31_ID,
        "client_secret": C31_SECRET,
        "marketplace": "www.amazon.com",
        "partner_tag": "demo-20",
    }
    assert load_profile("shop", str(config_path)).secret("client_secret") == C31_SECRET
    assert not list(config_path.parent.glob(".amzauth.toml.*.tmp"))  # no temp file left behind
    page = client.get("/profiles/other").text
    assert "read from env:OTHER_SECRET" in page


def test_blank_secret_keeps_the_stored_one_and_other_values_change(
    client: httpx.Client, config_path: Path
) -> None:
    write_profiles(config_path, {"shop": creators_profile("http://127.0.0.1:9")})
    page = client.get("/profiles/shop").text
    assert C31_SECRET not in page and "current: amzn1.oa2-cs.v1.…0031" in page
    r = client.post(
        "/profiles/shop",
        data={
            **_form(client_secret="", partner_tag="new-20", sandbox=""),
            "csrf_token": csrf_of(page),
            "version": _version(page),
        },
    )
    assert r.status_code == 303
    doc = tomllib.loads(config_path.read_text())["profiles"]["shop"]
    assert doc["client_secret"] == C31_SECRET and doc["partner_tag"] == "new-20"
    assert "sandbox" not in doc  # a blank field removes the key: derived values apply again


def test_validation_errors_beside_fields_and_typed_secret_kept_server_side(
    client: httpx.Client, config_path: Path
) -> None:
    page = client.get("/profiles/new").text
    csrf = csrf_of(page)
    r = client.post("/profiles/new", data={**_form(client_id=""), "csrf_token": csrf})
    assert r.status_code == 400
    assert 'data-key="client_id"' in r.text and "missing required key &#39;client_id&#39;" in r.text
    field_html = r.text.split('data-key="client_id"', 1)[1].split('data-key="client_secret"', 1)[0]
    assert "missing required key" in field_html  # the message sits beside the field it is about
    assert C31_SECRET not in r.text and "A new value was typed (not shown)" in r.text
    import re

    draft = re.search(r'name="draft_id" value="([^"]+)"', r.text)
    assert draft
    r = client.post(
        "/profiles/new", data={**_form(client_secret=""), "csrf_token": csrf, "draft_id": draft.group(1)}
    )
    assert r.status_code == 303
    assert tomllib.loads(config_path.read_text())["profiles"]["shop"]["client_secret"] == C31_SECRET
    # Names are checked, duplicates refused.
    r = client.post("/profiles/new", data={**_form(name="bad name!"), "csrf_token": csrf})
    assert r.status_code == 400 and "Use 1-64 letters" in r.text
    r = client.post("/profiles/new", data={**_form(), "csrf_token": csrf})
    assert r.status_code == 400 and "already exists" in r.text
    r = client.post("/profiles/new", data={**_form(name="v", credential_version="9.x"), "csrf_token": csrf})
    assert r.status_code == 400 and 'data-key="credential_version"' in r.text
    assert "[profiles.v]" not in config_path.read_text()


def test_findings_from_inspect_profile_beside_fields(client: httpx.Client, config_path: Path) -> None:
    table = creators_profile("http://127.0.0.1:9", credential_version="2.1", client_id=" " + C31_ID)
    del table["partner_tag"]
    write_profiles(config_path, {"shop": table})
    html = client.get("/profiles/shop").text
    for key, words in (
        ("credential_version", "3.x (Login with Amazon) secret"),
        ("client_id", "leading or trailing whitespace"),
        ("partner_tag", "no partner_tag"),
    ):
        block = html.split(f'data-key="{key}"', 1)[1].split('data-key="', 1)[0]
        assert words in block, key
    assert 'value=" amzn1.application' in html  # shown as written: padding is not silently trimmed


def test_concurrent_edit_is_refused(client: httpx.Client, config_path: Path) -> None:
    write_profiles(config_path, {"shop": creators_profile("http://127.0.0.1:9")})
    page = client.get("/profiles/shop").text
    write_profiles(config_path, {"shop": creators_profile("http://127.0.0.1:9", partner_tag="changed-20")})
    r = client.post(
        "/profiles/shop",
        data={**_form(partner_tag="mine-20"), "csrf_token": csrf_of(page), "version": _version(page)},
    )
    assert r.status_code == 400 and "changed elsewhere" in r.text
    assert tomllib.loads(config_path.read_text())["profiles"]["shop"]["partner_tag"] == "changed-20"


def test_saving_flushes_the_profiles_cached_token(
    client: httpx.Client, fresh_sandbox: Any, config_path: Path
) -> None:
    from amzauth.engine import manager_for_profile

    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url)})
    prof = load_profile("shop", str(config_path))
    mgr = manager_for_profile(prof)
    mgr.get_token()
    assert mgr.store.load(mgr.key) is not None
    page = client.get("/profiles/shop").text
    r = client.post(
        "/profiles/shop",
        data={
            **_form(client_secret="", partner_tag="demo-20", sandbox=fresh_sandbox.url),
            "csrf_token": csrf_of(page),
            "version": _version(page),
        },
    )
    assert r.status_code == 303
    assert mgr.store.load(mgr.key) is None
    assert "flushed" in client.get(r.headers["location"]).text


def test_delete_profile(client: httpx.Client, config_path: Path) -> None:
    write_profiles(
        config_path,
        {"a": creators_profile("http://127.0.0.1:9"), "b": creators_profile("http://127.0.0.1:9")},
    )
    csrf = csrf_of(client.get("/profiles/new").text)
    r = client.post("/profiles/a/delete", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert sorted(tomllib.loads(config_path.read_text())["profiles"]) == ["b"]
    assert client.post("/profiles/a/delete", data={"csrf_token": csrf}).status_code == 404


def test_profiles_list_badges_and_unreadable_profiles(
    client: httpx.Client, fresh_sandbox: Any, config_path: Path
) -> None:
    write_profiles(
        config_path,
        {
            "ok": creators_profile(fresh_sandbox.url),
            "noenv": creators_profile(fresh_sandbox.url, client_secret="env:AMZAUTH_TEST_UNSET_VAR"),
            "seller": spapi_profile(fresh_sandbox.url),
        },
    )
    html = client.get("/profiles").text
    assert html.count('data-health="unknown"') == 2 and "cannot be read" in html
    assert "environment variable AMZAUTH_TEST_UNSET_VAR is not set" in html
    csrf = csrf_of(client.get("/profiles/new").text)
    client.post("/profiles/ok/test", data={"csrf_token": csrf})
    html = client.get("/profiles").text
    row = html.split('data-profile="ok"', 1)[1].split("</tr>", 1)[0]
    assert 'data-health="ok"' in row and "passing" in row


def test_apply_refuses_a_stale_or_forged_suggestion(
    client: httpx.Client, fresh_sandbox: Any, config_path: Path
) -> None:
    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url, credential_version="2.1")})
    csrf = csrf_of(client.get("/profiles/new").text)
    assert (
        client.post(
            "/profiles/shop/apply", data={"csrf_token": csrf, "field": "credential_version", "value": "3.1"}
        ).status_code
        == 409
    )  # no report yet
    client.post("/profiles/shop/test", data={"csrf_token": csrf})
    r = client.post(
        "/profiles/shop/apply", data={"csrf_token": csrf, "field": "sandbox", "value": "http://evil"}
    )
    assert r.status_code == 409
    r = client.post(
        "/profiles/shop/apply", data={"csrf_token": csrf, "field": "credential_version", "value": "3.1"}
    )
    assert r.status_code == 303
    assert tomllib.loads(config_path.read_text())["profiles"]["shop"]["credential_version"] == "3.1"
    assert 'data-ok="true"' in client.get("/profiles/shop/test").text


def test_spapi_callback_refuses_unknown_state_and_other_sessions(
    console: Any, client: httpx.Client, sandbox: Any, config_path: Path
) -> None:
    register_console_callback(sandbox, console.url)  # the console pre-checks MD5101, as Amazon would
    write_profiles(config_path, {"seller": spapi_profile(sandbox.url)})
    r = client.get(
        "/spapi/callback", params={"state": "forged", "selling_partner_id": "A1", "spapi_oauth_code": "c"}
    )
    assert r.status_code == 400 and "state_mismatch" in r.text
    csrf = csrf_of(client.get("/spapi/authorize").text)
    r = client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "seller"})
    assert r.status_code == 200 and 'id="consent-link"' in r.text
    (state,) = list(console.app.state.console.flows._pending)
    with httpx.Client(base_url=console.url, timeout=30) as other:
        r = other.get(
            "/spapi/callback",
            params={"state": state, "selling_partner_id": "A1SANDBOXDEMONA", "spapi_oauth_code": "whatever"},
        )
        assert r.status_code == 400 and "another browser session" in r.text
    # The state was used up by that attempt: replaying it in the right session is refused too.
    r = client.get(
        "/spapi/callback",
        params={"state": state, "selling_partner_id": "A1SANDBOXDEMONA", "spapi_oauth_code": "whatever"},
    )
    assert r.status_code == 400 and "state_mismatch" in r.text


def test_search_errors_are_explained(client: httpx.Client, fresh_sandbox: Any, config_path: Path) -> None:
    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url, partner_tag="nobody-20")})
    csrf = csrf_of(client.get("/search").text)
    r = client.post("/search", data={"csrf_token": csrf, "profile": "shop", "keywords": "kindle"})
    assert r.status_code == 502
    assert 'href="/explain/InvalidPartnerTag"' in r.text
    r = client.post("/search", data={"csrf_token": csrf, "profile": "shop", "keywords": "  "})
    assert r.status_code == 400 and "Type some keywords" in r.text


def test_test_connection_names_a_missing_stored_seller(
    client: httpx.Client, sandbox: Any, config_path: Path
) -> None:
    write_profiles(config_path, {"seller": spapi_profile(sandbox.url, refresh_token="stored:A9NOBODYHERE")})
    csrf = csrf_of(client.get("/profiles/new").text)
    html = client.post("/profiles/seller/test", data={"csrf_token": csrf}, follow_redirects=True).text
    assert 'data-ok="false"' in html
    assert '<code id="diagnosis-field">refresh_token</code>' in html
    assert "no stored refresh token for selling partner &#39;A9NOBODYHERE&#39;" in html


def test_health_badges_survive_a_console_restart(
    fresh_sandbox: Any, config_path: Path, tmp_path: Path
) -> None:
    from amzauth.console import run_console

    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url)})
    with run_console(config_path, no_auth=True) as h, httpx.Client(base_url=h.url) as c:
        c.post("/profiles/shop/test", data={"csrf_token": csrf_of(c.get("/profiles/new").text)})
    with run_console(config_path, no_auth=True) as h, httpx.Client(base_url=h.url) as c:
        html = c.get("/profiles").text
        assert 'data-health="ok"' in html
        assert 'data-ok="true"' in c.get("/profiles/shop/test").text


def test_authorize_problems_are_reported_before_leaving(
    console: Any, client: httpx.Client, sandbox: Any, config_path: Path
) -> None:
    register_console_callback(sandbox, console.url)  # the console pre-checks MD5101, as Amazon would
    no_app = spapi_profile(sandbox.url)
    del no_app["application_id"]
    write_profiles(config_path, {"noapp": no_app, "seller": spapi_profile(sandbox.url)})
    csrf = csrf_of(client.get("/spapi/authorize").text)
    r = client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "noapp"})
    assert r.status_code == 400 and "application_id" in r.text and 'id="consent-link"' not in r.text
    r = client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "nosuch"})
    assert r.status_code == 400 and "Choose an SP-API profile" in r.text
    # The seller pressed Cancel: Amazon redirects with an OAuth error instead of a code.
    client.post("/spapi/authorize", data={"csrf_token": csrf, "profile": "seller"})
    (state,) = list(console.app.state.console.flows._pending)
    r = client.get("/spapi/callback", params={"state": state, "error": "access_denied"})
    assert r.status_code == 400 and "access_denied" in r.text
    assert "refresh_token" not in (config_path.read_text().split("[profiles.seller]")[1])


def test_anonymous_sessions_cannot_evict_a_signed_in_one() -> None:
    from amzauth.console.security import Sessions

    s = Sessions(max_sessions=3)
    user = s.new()
    user.authed = True
    for _ in range(10):
        s.new()
    assert s.get(user.id) is user
