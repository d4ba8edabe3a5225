"""Localised links and the embed's endpoints, through the ASGI app against the sandbox."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest

from amzauth.creators.errors import InvalidInput
from amzauth.site import SiteKit, SiteSettings
from amzauth.site.asgi import EMBED_JS, create_app
from amzauth.site.localise import pick_marketplace
from tests.support import assert_no_secrets

TAGS = ("www.amazon.de=demode-21", "www.amazon.co.uk=demouk-21")


def _client(kit: SiteKit) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(kit)), base_url="http://site.test")


@pytest.mark.parametrize(
    ("country", "accept", "want"),
    [
        ("DE", None, "www.amazon.de"),
        ("de", "en-US", "www.amazon.de"),
        (None, "de-DE,de;q=0.9,en;q=0.5", "www.amazon.de"),
        (None, "fr-FR;q=0.9, en-GB;q=0.8", "www.amazon.co.uk"),  # no French tag: the next choice
        ("AT", None, "www.amazon.de"),
        ("FR", "fr", "www.amazon.com"),  # no tag for France: the site's own store
        ("XX", "tlh", "www.amazon.com"),
        (None, None, "www.amazon.com"),
    ],
)
def test_pick_marketplace(country: str | None, accept: str | None, want: str) -> None:
    tags = {"www.amazon.de": "demode-21", "www.amazon.co.uk": "demouk-21"}
    assert pick_marketplace(country, accept, tags, "www.amazon.com") == want


def test_partner_tags_are_checked() -> None:
    with pytest.raises(InvalidInput) as e:
        SiteSettings(partner_tags=("amazon.de=x",))
    assert e.value.field == "partner_tags"
    assert SiteSettings.from_env(
        {"AMZAUTH_SITE_LOCALISE": "1", "AMZAUTH_SITE_PARTNER_TAGS": ",".join(TAGS)}
    ) == (SiteSettings(localise=True, partner_tags=TAGS))


async def test_visitor_from_germany_goes_to_amazon_de_with_the_german_tag(make_kit: Any) -> None:
    kit = make_kit(localise=True, partner_tags=TAGS)
    async with _client(kit) as c:
        de = await c.get("/box/B0SBXUS001", params={"format": "json"}, headers={"CF-IPCountry": "DE"})
        home = await c.get("/box/B0SBXUS001", params={"format": "json"}, headers={"CF-IPCountry": "US"})
        page = await c.get("/search", params={"q": "acme"}, headers={"Accept-Language": "de-DE,de"})
    d, h = de.json(), home.json()
    assert d["url"].startswith("https://www.amazon.de/s?") and "tag=demode-21" in d["url"]
    assert d["price"] is None and d["price_as_of"] is None  # the price is .com's: not shown in .de
    assert h["url"].startswith("https://www.amazon.com/") and "tag=demo-20" in h["url"] and h["price"]
    assert "CF-IPCountry" in de.headers["vary"]
    assert "www.amazon.de" in page.text and "tag=demode-21" in page.text and "tag=demo-20" not in page.text


async def test_localisation_is_off_by_default(kit: SiteKit) -> None:
    async with _client(kit) as c:
        r = await c.get("/box/B0SBXUS001", params={"format": "json"}, headers={"CF-IPCountry": "DE"})
    assert "tag=demo-20" in r.json()["url"] and "vary" not in r.headers


async def test_visitors_cannot_choose_the_tag_nor_see_credentials(kit: SiteKit) -> None:
    async with _client(kit) as c:
        bodies = [
            (await c.get("/box/B0SBXUS001", params={"tag": "evil-20", "partner_tag": "evil-20"})).text,
            (await c.get("/search", params={"q": "acme", "tag": "evil-20", "format": "json"})).text,
            (await c.get("/category/172282", params={"partner_tag": "evil-20"})).text,
            (await c.get("/embed.js")).text,
        ]
    for text in bodies:
        assert "evil-20" not in text
        assert_no_secrets(text)  # every demo credential secret is registered by the fixtures


async def test_embed_is_small_and_knows_the_search_box(kit: SiteKit) -> None:
    assert len(gzip.compress(EMBED_JS.encode())) < 10 * 1024
    async with _client(kit) as c:
        r = await c.get("/search", params={"q": "acme", "format": "fragment"})
    assert r.status_code == 200 and 'class="amz-search-results"' in r.text and 'data-pages="' in r.text
    assert "<html" not in r.text and "tag=demo-20" in r.text
    assert "data-amazon-search" in EMBED_JS and "data-amazon-category" in EMBED_JS


async def test_a_store_of_the_same_region_shows_its_own_item_and_price(
    make_kit: Any, sb: Any, store: Any, clock: Any
) -> None:
    """UK site, German visitor: an item also sold on amazon.de links to it there, with the German
    price (once fetched in the background); an item not sold there stays a tagged title search."""
    import asyncio

    from amzauth.sandbox.world import demo_world
    from tests.creators import _world
    from tests.site.conftest import _fast_retry

    world = demo_world().model_dump(mode="json")
    uk = next(
        i for i in world["catalog"] if i["asin"] == "B0SBXUK001" and i["marketplace"] == "www.amazon.co.uk"
    )
    world["catalog"].append({**uk, "marketplace": "www.amazon.de", "price": 59.99, "currency": "EUR"})
    sb.set_world(world)
    client = _world.make_client(sb, store, "3.2", "www.amazon.co.uk", clock=clock, retry=_fast_retry())
    kit = make_kit(client, localise=True, partner_tags=("www.amazon.de=demode-21",), visitor_rate=0)
    de = {"CF-IPCountry": "DE"}
    async with _client(kit) as c:
        first = (await c.get("/box/B0SBXUK001", params={"format": "json"}, headers=de)).json()
        assert first["url"].startswith("https://www.amazon.de/s?") and "tag=demode-21" in first["url"]
        assert first["price"] is None
        for _ in range(100):  # the background fetch of the German copy
            doc = (await c.get("/box/B0SBXUK001", params={"format": "json"}, headers=de)).json()
            if doc["price"] is not None:
                break
            await asyncio.sleep(0.1)
        assert (doc["price"], doc["currency"]) == (59.99, "EUR") and doc["price_as_of"]
        assert "www.amazon.de" in doc["url"] and "tag=demode-21" in doc["url"]
        home = (await c.get("/box/B0SBXUK001", params={"format": "json"})).json()
        assert home["currency"] == "GBP" and "tag=demouk-21" in home["url"]
        for _ in range(30):
            other = (await c.get("/box/B0SBXUK002", params={"format": "json"}, headers=de)).json()
            await asyncio.sleep(0.1)
        assert other["url"].startswith("https://www.amazon.de/s?") and other["price"] is None
