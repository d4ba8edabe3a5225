"""The ASGI app's contract routes, over real HTTP through the app (httpx ASGI transport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from amzauth.site import SiteKit
from amzauth.site.asgi import EMBED_JS, create_app
from tests.creators import _world
from tests.site.conftest import api_calls

BOX_KEYS = {"asin", "title", "price", "currency", "price_as_of", "url", "stale", "fallback"}


@pytest.fixture()
async def http(kit: SiteKit) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(kit))
    async with httpx.AsyncClient(transport=transport, base_url="http://site.test") as c:
        yield c


async def test_box_html_and_contract_json(http: httpx.AsyncClient, sb: Any) -> None:
    r = await http.get("/box/b0sbxus001")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "tag=demo-20" in r.text and 'rel="sponsored nofollow noopener"' in r.text
    r = await http.get("/box/B0SBXUS001", params={"format": "json"})
    doc = r.json()
    assert set(doc) == BOX_KEYS
    want = _world.item("www.amazon.com", "B0SBXUS001")
    assert (doc["title"], doc["price"], doc["currency"]) == (want.title, want.price, want.currency)
    assert doc["price_as_of"].endswith("Z") and doc["stale"] is False and doc["fallback"] is False
    assert len(api_calls(sb)) == 1


async def test_unknown_asin_is_200_fallback(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/box/B0ZZZZZZZZ", params={"format": "json"})).json()
    assert doc["fallback"] is True and doc["price_as_of"] is None and "tag=demo-20" in doc["url"]


async def test_bad_input_is_400_naming_the_field(http: httpx.AsyncClient) -> None:
    r = await http.get("/box/notanasin", params={"format": "json"})
    assert r.status_code == 400 and r.json()["field"] == "asin"
    r = await http.get("/search", params={"q": "x" * 201, "format": "json"})
    assert r.status_code == 400 and r.json()["field"] == "q"
    r = await http.get("/search", params={"q": "kettle", "page": "11", "format": "json"})
    assert r.status_code == 400 and r.json()["field"] == "page"


async def test_search_json_and_results_page(http: httpx.AsyncClient, sb: Any) -> None:
    doc = (await http.get("/search", params={"q": "acme audio", "format": "json"})).json()
    assert set(doc) == {"items", "page", "pages", "cached"}
    assert doc["items"] and all(set(i) == BOX_KEYS for i in doc["items"])
    assert doc["page"] == 1 and doc["pages"] >= 1 and doc["cached"] is False
    again = (await http.get("/search", params={"q": "acme audio", "format": "json"})).json()
    assert again["cached"] is True and again["items"] == doc["items"]
    r = await http.get("/search", params={"q": "<script>acme</script>"})
    assert r.status_code == 200 and "<script>acme" not in r.text and "&lt;script&gt;acme" in r.text
    assert len(api_calls(sb, "searchItems")) == 2


async def test_fragments_and_embed(http: httpx.AsyncClient) -> None:
    r = await http.get("/table", params={"asins": "B0SBXUS001,B0SBXUS004", "theme": "dark"})
    assert r.status_code == 200 and "amz-theme-dark" in r.text and "amz-win" in r.text
    r = await http.get("/list", params={"asins": "B0SBXUS005 B0SBXUS006", "styles": "0"})
    assert r.status_code == 200 and "<style" not in r.text and r.text.count("<li ") == 2
    r = await http.get("/link/B0SBXUS008", params={"text": "read it"})
    assert ">read it</a>" in r.text
    r = await http.get("/embed.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/javascript")
    assert r.text == EMBED_JS and "data-amazon-box" in r.text


async def test_cross_origin_only_for_configured_sites(make_kit: Any) -> None:
    kit = make_kit(cors_origins=("https://blog.example",))
    transport = httpx.ASGITransport(app=create_app(kit))
    async with httpx.AsyncClient(transport=transport, base_url="http://site.test") as c:
        ok = await c.get("/embed.js", headers={"Origin": "https://blog.example"})
        other = await c.get("/embed.js", headers={"Origin": "https://evil.example"})
    assert ok.headers["access-control-allow-origin"] == "https://blog.example"
    assert "access-control-allow-origin" not in other.headers
