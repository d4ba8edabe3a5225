"""Search and category pages, the search budget and per-visitor limits, through the ASGI app.

The app talks to the sandbox over real HTTP; the sandbox's request log says what reached Amazon.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from amzauth.site import SiteKit
from amzauth.site.asgi import create_app
from tests.site.conftest import api_calls

CREATORS = "creatorsapi.amazon"


def _client(kit: SiteKit, ip: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(kit), client=(ip, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://site.test")


@pytest.fixture()
async def http(kit: SiteKit) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(kit) as c:
        yield c


async def test_results_page_form_paging_and_tagged_more_link(http: httpx.AsyncClient) -> None:
    r = await http.get("/search", params={"q": "acme", "sort": "Price:LowToHigh"})
    assert r.status_code == 200 and r.headers["x-amzauth-search"] == "ok"
    assert 'role="search"' in r.text and 'value="acme"' in r.text
    assert '<option value="Price:LowToHigh" selected>' in r.text
    assert "tag=demo-20" in r.text and 'rel="sponsored nofollow noopener"' in r.text
    assert "amz-more" in r.text  # the tagged "see more on Amazon" link
    doc = (await http.get("/search", params={"q": "acme", "format": "json"})).json()
    if doc["pages"] > 1:
        assert "?q=acme&amp;page=2&amp;sort=Price%3ALowToHigh" in r.text
        two = (await http.get("/search", params={"q": "acme", "page": 2, "format": "json"})).json()
        assert two["page"] == 2 and two["items"] and two["items"] != doc["items"]


async def test_sort_changes_the_order(http: httpx.AsyncClient) -> None:
    low = (
        await http.get("/search", params={"q": "acme", "sort": "Price:LowToHigh", "format": "json"})
    ).json()
    high = (
        await http.get("/search", params={"q": "acme", "sort": "Price:HighToLow", "format": "json"})
    ).json()
    prices = [i["price"] for i in low["items"] if i["price"] is not None]
    assert prices == sorted(prices) and len(prices) >= 2
    assert [i["asin"] for i in high["items"]] != [i["asin"] for i in low["items"]]


async def test_no_results_is_a_polite_empty_state(http: httpx.AsyncClient) -> None:
    r = await http.get("/search", params={"q": "zzqqxx nothing matches this"})
    assert r.status_code == 200 and "amz-empty" in r.text and "Amazon found no products" in r.text
    assert "amz-more" in r.text
    doc = (await http.get("/search", params={"q": "zzqqxx nothing matches this", "format": "json"})).json()
    assert doc["items"] == [] and doc["pages"] == 0


async def test_bad_input_is_a_page_naming_the_fix_and_sends_nothing(http: httpx.AsyncClient, sb: Any) -> None:
    r = await http.get("/search", params={"q": "x" * 500})
    assert r.status_code == 400 and "1 to 200 characters" in r.text and 'role="search"' in r.text
    r = await http.get("/search", params={"q": "kettle", "sort": "Cheapest"})
    assert r.status_code == 400 and "sort must be one of" in r.text
    r = await http.get("/search", params={"q": "kettle", "category": "<b>x</b>"})
    assert r.status_code == 400 and "<b>x</b>" not in r.text
    r = await http.get("/search")
    assert r.status_code == 200 and 'role="search"' in r.text
    assert api_calls(sb, "searchItems") == []


async def test_quota_spent_cached_queries_answer_new_ones_say_try_again(
    http: httpx.AsyncClient, sb: Any
) -> None:
    first = await http.get("/search", params={"q": "acme audio"})
    assert first.status_code == 200
    sb.add_fault(host=CREATORS, path="/catalog/v1/searchItems", status=429, times=-1)
    try:
        again = await http.get("/search", params={"q": "acme audio", "format": "json"})
        assert again.json()["cached"] is True and again.json()["items"]
        new = await http.get("/search", params={"q": "brand new words"})
        assert new.status_code == 200 and new.headers["x-amzauth-search"] == "busy"
        assert "try again shortly" in new.text and "tag=demo-20" in new.text
    finally:
        sb.clear_faults()


async def test_a_flooding_visitor_gets_429_and_others_are_untouched(make_kit: Any, sb: Any) -> None:
    kit = make_kit(visitor_rate=0.01, visitor_burst=5)
    async with _client(kit, "198.51.100.1") as flood, _client(kit, "198.51.100.2") as other:
        codes = [(await flood.get("/search", params={"q": f"flood {i}", "format": "json"})).status_code
                 for i in range(30)]  # fmt: skip
        assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
        r = await flood.get("/search", params={"q": "flood 99"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "wait a few seconds" in r.text
        assert (await flood.get("/embed.js")).status_code == 200  # the script is never limited
        ok = await other.get("/search", params={"q": "acme", "format": "json"})
        assert ok.status_code == 200 and ok.json()["items"]
    # Amazon saw the flooder's first 5 distinct searches and the other visitor's one: nothing more.
    assert len(api_calls(sb, "searchItems")) == 6


async def test_proxy_header_names_the_visitor_only_when_configured(make_kit: Any) -> None:
    kit = make_kit(visitor_rate=0.01, visitor_burst=1, visitor_header="CF-Connecting-IP")
    async with _client(kit, "10.0.0.1") as proxy:
        a = await proxy.get("/box/B0SBXUS001", headers={"CF-Connecting-IP": "192.0.2.1"})
        b = await proxy.get("/box/B0SBXUS001", headers={"CF-Connecting-IP": "192.0.2.2"})
        a2 = await proxy.get("/box/B0SBXUS001", headers={"CF-Connecting-IP": "192.0.2.1"})
    assert (a.status_code, b.status_code, a2.status_code) == (200, 200, 429)


async def test_category_page_breadcrumbs_children_products(http: httpx.AsyncClient) -> None:
    r = await http.get("/category/12097479011")
    assert r.status_code == 200
    t = r.text
    assert "Earbud Headphones</h1>" in t
    assert t.index(">Electronics</a>") < t.index(">Headphones</a>") < t.index('aria-current="page">Earbud')
    assert 'href="172541"' in t and "tag=demo-20" in t
    doc = (await http.get("/category/172282", params={"format": "json"})).json()
    assert doc["name"] == "Electronics" and doc["ancestors"] == []
    assert {"id": "172541", "name": "Headphones"} in doc["children"]
    assert doc["items"] and all("tag=demo-20" in i["url"] for i in doc["items"])
    bad = await http.get("/category/notanode")
    assert bad.status_code == 400 and "numeric browse node id" in bad.text


async def test_category_block_in_a_template(kit: SiteKit) -> None:
    html = str(kit.category("172541", count=3))
    assert "amz-category" in html and 'href="/category/12097479011"' in html
    assert html.count('<li data-asin="') <= 3


async def test_category_fragment_links_to_the_apps_own_pages(kit: SiteKit) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    outer = Starlette(routes=[Mount("/amazon", app=create_app(kit))])
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://site.test") as c:
        r = await c.get("/amazon/category/172541", params={"format": "fragment"})
    assert r.status_code == 200 and "<html" not in r.text
    assert 'href="/amazon/category/172282"' in r.text and 'href="/amazon/category/12097479011"' in r.text


def test_jinja_category_block_and_search_box(kit: SiteKit) -> None:
    from jinja2 import Environment

    from amzauth.site.jinja import install

    env = install(Environment(autoescape=True), kit)
    html = env.from_string(
        '{{ amazon_search_box(action="/shop/search") }}{{ amazon_category("12097479011", count=2) }}'
    ).render()
    assert 'action="/shop/search"' in html and 'name="q"' in html
    assert 'aria-current="page">Earbud Headphones' in html and 'href="/category/172541"' in html
    assert "tag=demo-20" in html


async def test_daily_quota_spent_in_the_shared_limiter_is_a_polite_state(
    make_kit: Any, sb: Any, store: Any, clock: Any
) -> None:
    from tests.creators import _world
    from tests.site.conftest import _fast_retry

    client = _world.make_client(sb, store, clock=clock, retry=_fast_retry(), daily_quota=2)
    kit = make_kit(client)
    async with _client(kit) as c:
        assert (await c.get("/search", params={"q": "acme"})).headers["x-amzauth-search"] == "ok"
        assert (await c.get("/search", params={"q": "northpeak"})).headers["x-amzauth-search"] == "ok"
        spent = await c.get("/search", params={"q": "glowhaus"})
        cached = await c.get("/search", params={"q": "acme", "format": "json"})
    assert spent.status_code == 200 and spent.headers["x-amzauth-search"] == "busy"
    assert "try again shortly" in spent.text
    assert cached.json()["cached"] is True and cached.json()["items"]
    assert len(api_calls(sb, "searchItems")) == 2  # the limiter sent nothing for the third query
