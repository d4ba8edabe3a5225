"""The console in Debian's chromium: the flows a user clicks through, with screenshots as artifacts."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import (
    C31_ID,
    C31_SECRET,
    SECRETS,
    SP_APP_ID,
    creators_profile,
    shot,
    spapi_profile,
    write_profiles,
)
from tests.support import assert_no_secrets

pytestmark = pytest.mark.browser


def test_create_profile_test_connection_break_and_apply_suggestion(
    page: Any, fresh_sandbox: Any, config_path: Path
) -> None:
    page.goto("/profiles")
    shot(page, "01-profiles-empty")
    page.click("#new-creators")
    page.fill("#f-name", "shop")
    page.select_option("#f-credential_version", "3.1")
    page.fill("#f-client_id", C31_ID)
    page.fill("#f-client_secret", C31_SECRET)
    page.fill("#f-marketplace", "www.amazon.com")
    page.fill("#f-partner_tag", "demo-20")
    page.fill("#f-sandbox", fresh_sandbox.url)
    assert page.is_hidden("fieldset[data-group=spapi]")  # progressive: the other API's fields hidden
    shot(page, "02-editor-new")
    page.click("#save")
    page.wait_for_url("**/profiles/shop?saved=1")
    assert "Saved" in page.inner_text("[role=status]")
    assert page.input_value("#f-client_secret") == ""  # write-only: never echoed
    assert "…0031" in page.inner_text("#stored-client_secret")  # shown redacted
    assert_no_secrets(page.content(), SECRETS)

    page.click("text=Test Connection now")
    page.click("#run-test")
    page.wait_for_selector("#result-badge")
    assert page.get_attribute("#result-badge", "data-ok") == "true"
    assert [page.get_attribute(f"li[data-step={s}]", "data-state") for s in ("config", "token", "api")] == [
        "ok",
        "ok",
        "ok",
    ]
    rows = page.eval_on_selector_all("#fields tr[data-field]", "els => els.map(e => e.dataset.field)")
    assert {"credential_version", "token_endpoint", "http_status", "api_status", "latency_ms"} <= set(rows)
    shot(page, "03-test-connection-pass")

    # Break it: a 3.x secret with credential_version 2.1.
    page.goto("/profiles/shop")
    page.select_option("#f-credential_version", "2.1")
    page.click("#save")
    page.wait_for_url("**/profiles/shop?saved=1")
    beside = page.inner_text("div.field[data-key=credential_version]")
    assert "3.x (Login with Amazon) secret" in beside and "suggested: 3.1" in beside
    shot(page, "04-editor-validation")
    page.goto("/profiles/shop/test")
    page.click("#run-test")
    page.wait_for_selector("#diagnosis")
    assert page.get_attribute("#result-badge", "data-ok") == "false"
    assert page.inner_text("#diagnosis-field") == "credential_version"
    assert page.inner_text("#suggested-value") == "3.1"
    assert page.get_attribute("li[data-step=token]", "data-state") == "failed"
    assert page.get_attribute("li[data-step=api]", "data-state") == "skipped"
    report = page.inner_text("#report-json")
    assert '"field": "credential_version"' in report
    assert_no_secrets(report, SECRETS)
    shot(page, "05-test-connection-diagnosis")

    page.click("#apply-suggestion")
    page.wait_for_url("**/profiles/shop/test?applied=*")
    assert page.get_attribute("#result-badge", "data-ok") == "true"
    assert "credential_version = 3.1" in page.inner_text("[role=status]")
    assert tomllib.loads(config_path.read_text())["profiles"]["shop"]["credential_version"] == "3.1"
    shot(page, "06-test-connection-after-apply")

    # Copy for a support ticket: the redacted JSON lands on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#copy-report")
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert '"schema": "amzauth.doctor/1"' in copied and '"ok": true' in copied
    assert_no_secrets(copied, SECRETS)

    page.goto("/profiles")
    assert page.get_attribute("tr[data-profile=shop] .badge", "data-health") == "ok"
    shot(page, "07-profiles-with-badges")


def test_search_shows_product_cards(page: Any, fresh_sandbox: Any, config_path: Path) -> None:
    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url)})
    page.goto("/search")
    page.fill("#s-keywords", "headphones")
    page.fill("#s-count", "6")
    page.click("#search-button")
    page.wait_for_selector("#cards")
    cards = page.query_selector_all("#cards li.product")
    assert 1 <= len(cards) <= 6
    first = cards[0]
    assert first.query_selector("img") is not None
    assert first.inner_text().strip()
    assert "out of 5" in page.inner_text("#cards")
    link = first.query_selector("a.affiliate")
    assert link is not None
    href = link.get_attribute("href") or ""
    assert href.startswith("https://") and "tag=demo-20" in href
    assert "sponsored" in (link.get_attribute("rel") or "")
    shot(page, "08-search-cards")


def test_authorize_seller_through_the_consent_page(
    page: Any, sandbox: Any, console: Any, config_path: Path
) -> None:
    callback = f"{console.url}/spapi/callback"
    world = sandbox.world()
    for app in world["spapi_apps"]:
        if app["application_id"] == SP_APP_ID:
            app["redirect_uris"] = [callback, *app["redirect_uris"]]
    sandbox.reset()
    sandbox.set_world(world)
    try:
        write_profiles(config_path, {"seller": spapi_profile(sandbox.url)})
        page.goto("/spapi/authorize")
        shot(page, "09-authorize-start")
        page.click("#start-authorize")
        page.wait_for_selector("#consent-link")
        assert page.get_attribute("#consent-link", "href").startswith(
            sandbox.url + "/sellercentral.amazon.com/"
        )
        shot(page, "10-authorize-consent-link")
        page.click("#consent-link")
        page.wait_for_selector("#consent-form")
        assert "Repricer" in page.inner_text("#app-name")
        page.check("input[name=selling_partner_id][value=A1SANDBOXDEMONA]")
        shot(page, "11-sandbox-consent-page")
        page.click("#confirm")
        page.wait_for_url("**/spapi/sellers?*")
        assert "A1SANDBOXDEMONA" in page.inner_text("#added")
        row = page.inner_text("tr[data-seller=A1SANDBOXDEMONA]")
        assert "Atzr|…" in row and "in use" in row
        assert_no_secrets(page.content(), SECRETS)
        shot(page, "12-authorized-sellers")
        table = tomllib.loads(config_path.read_text())["profiles"]["seller"]
        assert table["refresh_token"] == "stored:A1SANDBOXDEMONA"
        exchanges = [
            r for r in sandbox.requests(host="api.amazon.com") if r.get("grant_type") == "authorization_code"
        ]
        assert len(exchanges) == 1 and exchanges[0]["status"] == 200
        # The profile now works with the stored seller: Test Connection passes.
        page.goto("/profiles/seller/test")
        page.click("#run-test")
        page.wait_for_selector("#result-badge")
        assert page.get_attribute("#result-badge", "data-ok") == "true"
        assert "marketplaceParticipations answered 200" in page.inner_text("li[data-step=api]")
        assert_no_secrets(page.content(), SECRETS)
        shot(page, "13-seller-test-connection")
    finally:
        sandbox.reset()


def test_explain_page(page: Any) -> None:
    page.goto("/explain")
    page.fill("#e-code", "invalid client")
    page.press("#e-code", "Enter")
    page.wait_for_selector("#entry")
    assert page.get_attribute("#entry", "data-code") == "invalid_client"
    assert page.query_selector("#cause-version-mismatch") is not None
    shot(page, "14-explain")
    page.goto("/explain?code=md511")
    assert page.query_selector("#explain-unknown, #entry") is not None


def test_keyboard_only_profile_form(page: Any, fresh_sandbox: Any, config_path: Path) -> None:
    """Tab reaches every input in order with a visible focus ring; Enter submits the form."""
    page.goto("/profiles")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")  # skip link moves focus to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "new-creators"
    page.keyboard.press("Enter")
    page.wait_for_url("**/profiles/new?api=creators")

    def focus_next(target: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == target:
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"no visible focus on #{target}"
                return
        raise AssertionError(f"Tab never reached #{target}")

    focus_next("f-name")
    page.keyboard.type("kbd")
    focus_next("f-client_id")
    page.keyboard.type(C31_ID)
    focus_next("f-client_secret")
    page.keyboard.type(C31_SECRET)
    focus_next("f-marketplace")
    page.keyboard.type("US")
    focus_next("f-credential_version")
    focus_next("f-partner_tag")
    page.keyboard.type("demo-20")
    focus_next("f-sandbox")  # the hidden SP-API fieldset is skipped entirely
    page.keyboard.type(fresh_sandbox.url)
    page.keyboard.press("Enter")
    page.wait_for_url("**/profiles/kbd?saved=1")
    saved = tomllib.loads(config_path.read_text())["profiles"]["kbd"]
    assert saved["client_secret"] == C31_SECRET and saved["marketplace"] == "US"
    assert saved["credential_version"] == "2.1"  # the select's first option: Tab does not change it

    # The Test Connection button is a real button: focus it from the keyboard and press Enter.
    page.goto("/profiles/kbd/test")
    focus_next("run-test")
    page.keyboard.press("Enter")
    page.wait_for_selector("#diagnosis")
    focus_next("apply-suggestion")
    page.keyboard.press("Enter")
    page.wait_for_url("**/profiles/kbd/test?applied=*")
    assert page.get_attribute("#result-badge", "data-ok") == "true"
