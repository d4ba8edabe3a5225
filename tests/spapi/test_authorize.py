"""The website workflow end to end against the sandbox, through the library: consent, callback, exchange, store, call."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.config import ConfigError
from amzauth.config.profiles import resolve_profile
from amzauth.config.storage import FileTokenStorage, default_token_file
from amzauth.spapi import SPAPIClient
from amzauth.spapi.authorize import authorize
from amzauth.spapi.callback import CallbackServer, callback_target, client_allowed
from amzauth.spapi.consent import build_consent
from amzauth.spapi.errors import AuthorizationTimeout, CodeExchangeError, ConsentError, StateMismatch
from amzauth.spapi.exchange import aexchange_callback, exchange_callback
from tests.spapi._support import NA_SELLER, Robot, confirm_consent, make_profile, replace_param
from tests.support import assert_no_secrets, free_port, register_secret


def _token_requests(sandbox: Any, grant: str | None = None) -> list[dict[str, Any]]:
    rows = [r for r in sandbox.requests() if r["path"] == "/auth/o2/token"]
    return [r for r in rows if grant is None or r["grant_type"] == grant]


def test_authorize_exchange_store_refresh_call(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    robot = Robot()
    result = authorize(prof, open_browser=False, on_url=robot, timeout=30, store="file")
    robot.join()
    register_secret(result.refresh_token.reveal(), result.authorization.access_token.reveal())
    # the seller's browser was told it worked
    assert robot.callback_status == 200 and NA_SELLER in robot.callback_page
    assert_no_secrets(robot.callback_page, [result.refresh_token.reveal()])
    assert result.selling_partner_id == NA_SELLER and result.region == "na"
    assert result.reference == f"stored:{NA_SELLER}"
    # one code exchange, form-encoded, at once
    codes = _token_requests(sp.sandbox, "authorization_code")
    assert len(codes) == 1 and codes[0]["status"] == 200
    # stored privately
    path = default_token_file()
    assert result.stored_in == f"file:{path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # a profile that points at the stored token refreshes it and calls the API
    sp.sandbox.clear_requests()
    stored = make_profile(sp.url, sp.redirect_uri, refresh_token=result.reference, store="memory")
    assert resolve_profile(stored).secret("refresh_token") == result.refresh_token.reveal()
    with SPAPIClient(stored) as client:
        parts = client.marketplace_participations()
    assert {p["marketplace"]["id"] for p in parts} == {"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}
    assert [r["grant_type"] for r in _token_requests(sp.sandbox)] == ["refresh_token"]
    api = sp.sandbox.requests(path="/sellers/v1/marketplaceParticipations")
    assert [r["status"] for r in api] == [200]


def test_second_exchange_of_the_same_code_names_the_single_use_rule(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    consent = build_consent(prof)
    location = confirm_consent(consent.url)
    auth = exchange_callback(location, consent, source=prof)
    register_secret(auth.refresh_token.reveal())
    with pytest.raises(CodeExchangeError) as ei:
        exchange_callback(location, consent, source=prof)
    err = ei.value
    assert err.code == "invalid_grant" and err.cause == "code-reused-or-expired"
    assert "5 minutes" in err.message and "once" in err.message
    assert err.diagnosis is not None and err.diagnosis["field"] == "none"
    assert err.request_id


def test_exchange_after_five_minutes_names_the_rule(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    consent = build_consent(prof)
    location = confirm_consent(consent.url)
    sp.sandbox.set_clock(301)
    with pytest.raises(CodeExchangeError) as ei:
        exchange_callback(location, consent, source=prof)
    assert ei.value.cause == "code-reused-or-expired"
    assert "5 minutes" in ei.value.message
    assert [r["status"] for r in _token_requests(sp.sandbox, "authorization_code")] == [400]


def test_different_redirect_uri_in_the_exchange_is_diagnosed(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    consent = build_consent(prof)
    location = confirm_consent(consent.url)
    with pytest.raises(CodeExchangeError) as ei:
        exchange_callback(location, consent, source=prof, redirect_uri="https://example.com/amazon/callback")
    assert ei.value.cause == "code-redirect-mismatch" and ei.value.field == "redirect_uri"


def test_pkce_verifier_is_sent_and_checked(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    consent = build_consent(prof, pkce=True)
    auth = exchange_callback(confirm_consent(consent.url), consent, source=prof)
    register_secret(auth.refresh_token.reveal())
    assert auth.selling_partner_id == NA_SELLER
    other = build_consent(prof, pkce=True)
    with pytest.raises(CodeExchangeError) as ei:
        exchange_callback(confirm_consent(other.url), other, source=prof, code_verifier="x" * 50)
    assert ei.value.cause == "code-verifier-mismatch"


async def test_async_exchange(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    consent = build_consent(prof)
    location = confirm_consent(consent.url)
    auth = await aexchange_callback(location, consent.state, source=prof)
    register_secret(auth.refresh_token.reveal())
    assert auth.refresh_token.reveal().startswith("Atzr|")
    assert auth.refresh_token.reveal() not in repr(auth)


def test_wrong_state_is_refused_and_the_code_never_exchanged(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    robot = Robot(tamper=lambda loc: replace_param(loc, "state", "forged-state-value"))
    with pytest.raises(StateMismatch) as ei:
        authorize(prof, open_browser=False, on_url=robot, timeout=30, store="file")
    robot.join()
    assert "refused" in ei.value.message
    assert robot.callback_status == 400 and "state_mismatch" in robot.callback_page
    assert _token_requests(sp.sandbox, "authorization_code") == []
    assert not default_token_file().exists()


def test_draft_app_without_beta_fails_before_the_browser_opens(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri, draft=False)
    seen: list[str] = []
    with pytest.raises(ConsentError) as ei:
        authorize(prof, open_browser=False, on_url=seen.append, timeout=30)
    assert ei.value.code == "MD1000" and ei.value.field == "draft" and not ei.value.local
    assert seen == []


def test_timeout_without_a_callback(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    with pytest.raises(AuthorizationTimeout):
        authorize(prof, open_browser=False, on_url=lambda url: None, timeout=0.3)


def test_manual_mode_reads_the_pasted_url(sp: Any) -> None:
    prof = make_profile(sp.url, "https://example.com/amazon/callback")
    urls: list[str] = []
    result = authorize(
        prof,
        open_browser=False,
        on_url=urls.append,
        manual_input=lambda: confirm_consent(urls[0]),
        store="file",
    )
    register_secret(result.refresh_token.reveal())
    assert result.selling_partner_id == NA_SELLER


def test_a_remote_redirect_uri_needs_manual_mode(sp: Any) -> None:
    prof = make_profile(sp.url, "https://example.com/amazon/callback")
    with pytest.raises(ConfigError) as ei:
        authorize(prof, open_browser=False, timeout=1)
    assert ei.value.key == "redirect_uri" and "--manual" in (ei.value.fix or "")


def test_a_busy_port_is_a_clear_error(sp: Any) -> None:
    prof = make_profile(sp.url, sp.redirect_uri)
    port = int(sp.redirect_uri.split(":")[2].split("/")[0])
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        with pytest.raises(ConfigError) as ei:
            authorize(prof, open_browser=False, timeout=1)
    assert str(port) in str(ei.value)


def test_client_allowed_is_loopback_only() -> None:
    for ok in ("127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"):
        assert client_allowed(ok)
    for bad in ("192.0.2.10", "10.0.0.1", "::ffff:10.0.0.1", "fd00::2", "not-an-ip"):
        assert not client_allowed(bad)
    assert client_allowed("192.0.2.10", allow_remote=True)


def _non_loopback_ip() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.123", 9))
            ip = str(s.getsockname()[0])
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_callback_server_refuses_non_loopback_clients() -> None:
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    port = free_port()
    target = callback_target(f"http://127.0.0.1:{port}/callback", listen="0.0.0.0")
    with CallbackServer(target) as server:
        r = httpx.get(
            f"http://{ip}:{port}/callback?state=x&spapi_oauth_code=y&selling_partner_id=z", timeout=10
        )
        assert r.status_code == 403
        assert server.refused == [ip]
        assert server.next_callback(0.05) is None
        ok = httpx.get(f"http://127.0.0.1:{port}/elsewhere", timeout=10)
        assert ok.status_code == 404


def test_token_file_refused_when_others_can_read_it(tmp_path: Path) -> None:
    storage = FileTokenStorage(tmp_path / "amzauth" / "credentials" / "refresh_tokens.json")
    storage.save("k", "Atzr|IwEBtest-token-value-0000000000001", {})
    assert storage.load("k") == "Atzr|IwEBtest-token-value-0000000000001"
    os.chmod(storage.path, 0o644)
    from amzauth.spapi.errors import StorageError

    with pytest.raises(StorageError) as ei:
        storage.load("k")
    assert "chmod 600" in str(ei.value)
    os.chmod(storage.path, 0o600)
    register_secret("Atzr|IwEBtest-token-value-0000000000001")
    assert_no_secrets(str(ei.value))
