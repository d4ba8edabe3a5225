"""The console's Widgets page: a block previewed from the sandbox, with its snippets, over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.console.widgets import snippets
from tests.console.conftest import (  # noqa: F401  (chromium, console, config_path, page: fixtures)
    SECRETS,
    chromium,
    config_path,
    console,
    creators_profile,
    page,
    shot,
    write_profiles,
)
from tests.support import assert_no_secrets


@pytest.fixture()
def widgets(tmp_path: Path, fresh_sandbox: Any) -> Iterator[httpx.Client]:
    from amzauth.console import run_console

    cfg = tmp_path / "amzauth.toml"
    write_profiles(cfg, {"shop": creators_profile(fresh_sandbox.url)})
    # The explicit opt-out, as tests/console's fixture: these tests are about the page, not sign-in.
    with run_console(cfg, no_auth=True) as handle, httpx.Client(base_url=handle.url, timeout=30) as c:
        yield c


def test_preview_with_theme_and_snippets(widgets: httpx.Client) -> None:
    r = widgets.get(
        "/widgets", params={"profile": "shop", "kind": "box", "asins": "b0sbxus017", "theme": "dark"}
    )
    assert r.status_code == 200
    preview = re.search(r'<div id="widget-preview">(.*?)</div></section>', r.text, re.S)
    assert preview and "amz-theme-dark" in preview.group(1) and "tag=demo-20" in preview.group(1)
    assert "<script>alert" not in r.text and "&lt;script&gt;alert" in r.text
    assert "{{ amazon_box(&#34;B0SBXUS017&#34;, theme=&#34;dark&#34;) }}" in r.text
    assert "{% amazon_box &#34;B0SBXUS017&#34; theme=&#34;dark&#34; %}" in r.text
    assert "data-amazon-box=&#34;B0SBXUS017&#34;" in r.text
    assert "<style" not in r.text  # the console's CSP: the kit's CSS comes as a stylesheet
    css = widgets.get("/widgets/site.css")
    assert (
        css.status_code == 200
        and css.headers["content-type"].startswith("text/css")
        and "--amz-bg" in css.text
    )
    assert_no_secrets(r.text, SECRETS)


def test_bad_input_names_the_field(widgets: httpx.Client) -> None:
    r = widgets.get("/widgets", params={"profile": "shop", "kind": "table", "asins": "B0SBXUS001"})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text and "2 to 6 distinct ASINs" in r.text


def test_snippets_for_every_block() -> None:
    tag = "https://www.amazon.com/dp/B0SBXUS001?tag=demo-20"
    s = snippets("table", ["B0SBXUS001", "B0SBXUS004"], "", "compact", tag)
    assert s["jinja2"] == '{{ amazon_table("B0SBXUS001,B0SBXUS004", theme="compact") }}'
    assert s["django"] == '{% load amazon %}{% amazon_table "B0SBXUS001,B0SBXUS004" theme="compact" %}'
    assert 'data-amazon-table="B0SBXUS001,B0SBXUS004" data-theme="compact"' in s["html"]
    s = snippets("list", [], 'say "hi"', "light", tag)
    assert s["jinja2"] == '{{ amazon_list(keywords="say \\"hi\\"", count=3) }}'
    assert 'data-amazon-list-keywords="say &quot;hi&quot;"' in s["html"]
    assert 'rel="sponsored nofollow noopener"' in s["html"] and tag in s["html"]


@pytest.mark.browser
def test_widgets_page_in_the_browser_previews_with_styles_under_the_csp(
    page: Any,  # noqa: F811
    fresh_sandbox: Any,
    config_path: Path,  # noqa: F811
) -> None:
    write_profiles(config_path, {"shop": creators_profile(fresh_sandbox.url)})
    page.goto("/widgets")
    page.select_option("#w-kind", "table")
    page.fill("#w-asins", "B0SBXUS001, https://www.amazon.com/dp/B0SBXUS004")
    page.select_option("#w-theme", "dark")
    page.click("#preview-button")
    page.wait_for_selector("#widget-preview .amz-comparison.amz-theme-dark")
    bg = page.eval_on_selector("#widget-preview .amz-block", "el => getComputedStyle(el).backgroundColor")
    assert bg == "rgb(22, 25, 31)"  # the dark theme's --amz-bg: the stylesheet loaded under the CSP
    assert 'amazon_table("B0SBXUS001,B0SBXUS004", theme="dark")' in page.inner_text("#snippet-jinja2")
    assert "data-amazon-table" in page.inner_text("#snippet-html")
    assert page.locator("#widget-preview a[rel~=sponsored][href*='tag=demo-20']").count() >= 4
    shot(page, "site-widgets-table-dark")
