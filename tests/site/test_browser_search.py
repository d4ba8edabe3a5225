"""Search, categories, localised links and the embed in Debian's chromium, on examples/static_site.

The example is started by its documented command against the test's sandbox (cold cache). Checks:
keyboard-only search, page 2, sort, the empty state, a category page's breadcrumbs, the embed's
search box on a static page, a visitor from Germany sent to amazon.de with the German tag, usable
tagged links with JavaScript off; axe-core 0 serious/critical; screenshots at 375 and 1280 px.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.conftest import _PLACEHOLDER_SVG, chromium  # noqa: F401  (the module's browser)
from tests.site.test_browser import ARTIFACTS, _amazon_links, _axe, _start

pytestmark = pytest.mark.browser


@pytest.fixture()
def site(fresh_sandbox: Any) -> Iterator[tuple[str, Any]]:
    proc, url = _start("static_site", fresh_sandbox.url)
    try:
        yield url, fresh_sandbox
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        fresh_sandbox.reset()


@pytest.fixture()
def browse(chromium: Any) -> Iterator[Any]:  # noqa: F811
    """New page at a width, optional extra headers (a CDN's country) and JavaScript switch."""
    contexts: list[Any] = []

    def go(width: int = 1280, headers: dict[str, str] | None = None, js: bool = True) -> Any:
        ctx = chromium.new_context(
            viewport={"width": width, "height": 900}, extra_http_headers=headers or {}, java_script_enabled=js
        )
        contexts.append(ctx)
        ctx.route(
            "https://m.media-amazon.com/**",
            lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=_PLACEHOLDER_SVG),
        )
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        return page

    yield go
    for c in contexts:
        c.close()


def _tagged(page: Any, tag: str = "demo-20", host: str = "www.amazon.com") -> list[dict[str, str]]:
    links = _amazon_links(page)
    assert links
    for a in links:
        assert f"tag={tag}" in a["href"] and a["href"].startswith(f"https://{host}/"), a
        assert "sponsored" in a["rel"].split(), a
    return links


def _shots(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_keyboard_search_page_two_sort_and_empty_state(site: tuple[str, Any], browse: Any) -> None:
    url, _ = site
    page = browse()
    assert page.goto(url + "/amazon/search").status == 200
    page.keyboard.press("Tab")  # the first focusable element is the keywords box
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("e")
    page.keyboard.press("Enter")
    page.wait_for_url("**/amazon/search?q=e*")
    assert page.locator(".amz-product-list li").count() == 10
    first = page.locator(".amz-product-list li").first.get_attribute("data-asin")
    _tagged(page)
    assert _axe(page) == []
    _shots(page, "static_site-search-1280")
    page.locator("nav.amz-pages a", has_text="2").click()
    page.wait_for_url("**page=2*")
    assert page.locator("nav.amz-pages [aria-current=page]").inner_text() == "2"
    assert page.locator(".amz-product-list li").count() >= 1
    assert page.locator(".amz-product-list li").first.get_attribute("data-asin") != first
    page.select_option("select[name=sort]", "Price:LowToHigh")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**sort=Price%3ALowToHigh*")
    prices = [
        float(p.replace("$", "").replace(",", "")) for p in page.locator(".amz-price").all_inner_texts()
    ]
    assert len(prices) >= 2 and prices == sorted(prices)
    page.goto(url + "/amazon/search?q=zzqqxx+nothing")
    assert "Amazon found no products" in page.inner_text(".amz-empty")
    _tagged(page)  # the "see more on Amazon" link
    assert _axe(page) == []
    narrow = browse(375)
    narrow.goto(url + "/amazon/search?q=e")
    assert narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    _shots(narrow, "static_site-search-375")


def test_category_page_breadcrumbs_lead_up(site: tuple[str, Any], browse: Any) -> None:
    url, _ = site
    page = browse()
    assert page.goto(url + "/amazon/category/12097479011").status == 200
    assert page.locator("h1").inner_text() == "Earbud Headphones"
    crumbs = page.locator("nav.amz-crumbs li").all_inner_texts()
    assert crumbs == ["Electronics", "Headphones", "Earbud Headphones"]
    assert page.locator(".amz-product-list li").count() >= 1
    _tagged(page)
    assert _axe(page) == []
    _shots(page, "static_site-category-1280")
    page.locator("nav.amz-crumbs a", has_text="Headphones").click()
    page.wait_for_url("**/amazon/category/172541")
    assert page.locator("h1").inner_text() == "Headphones"
    narrow = browse(375)
    narrow.goto(url + "/amazon/category/172541")
    _shots(narrow, "static_site-category-375")


def test_embed_on_a_static_page(site: tuple[str, Any], browse: Any) -> None:
    url, _ = site
    page = browse()
    page.goto(url + "/")
    page.wait_for_selector("[data-amazon-box] .amz-box[data-asin=B0SBXUS001] .amz-price")
    page.wait_for_selector("[data-amazon-category] .amz-category .amz-product-list li")
    box = page.locator("[data-amazon-search] input[name=q]")
    box.focus()
    page.keyboard.type("acme")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-amazon-search] .amz-search-results li")
    assert "Acme" in page.inner_text("[data-amazon-search]")
    _tagged(page)
    assert _axe(page) == []
    _shots(page, "static_site-embed-1280")
    narrow = browse(375)
    narrow.goto(url + "/")
    narrow.wait_for_selector("[data-amazon-box] .amz-box")
    assert narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    _shots(narrow, "static_site-embed-375")


def test_visitor_from_germany_goes_to_amazon_de(site: tuple[str, Any], browse: Any) -> None:
    url, _ = site
    page = browse(headers={"CF-IPCountry": "DE"})
    page.goto(url + "/")
    page.wait_for_selector("[data-amazon-box] .amz-box")
    page.goto(url + "/amazon/search?q=acme")
    links = _tagged(page, "demode-21", "www.amazon.de")
    assert len(links) >= 3
    assert page.locator(".amz-price").count() == 0  # .com prices are never shown for amazon.de
    _shots(page, "static_site-germany-1280")


def test_without_javascript_the_links_still_work(site: tuple[str, Any], browse: Any) -> None:
    url, _ = site
    page = browse(js=False)
    page.goto(url + "/")
    hrefs = page.eval_on_selector_all(
        "[data-amazon-box] a, [data-amazon-search] a", "els => els.map(e => e.href)"
    )
    assert any("tag=demo-20" in h for h in hrefs) and any(h.endswith("/amazon/search") for h in hrefs)
    page.locator("[data-amazon-search] a", has_text="the search page").click()
    page.fill("input[name=q]", "acme")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**q=acme*")
    _tagged(page)
    assert page.locator(".amz-product-list li").count() >= 1
