"""AsyncCreatorsClient: the same decisions as the sync client, on asyncio (sandbox over HTTP)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from amzauth.creators import AsyncCreatorsClient, InvalidInput, InvalidPartnerTag, SQLiteResultStore
from tests.creators import _world
from tests.creators._world import api_log, catalogue

US = "www.amazon.com"


def _client(sb: Any, store: Any, **kw: Any) -> AsyncCreatorsClient:
    limits = _world.world().limits
    kw.setdefault("rate", limits.creators_rate)
    kw.setdefault("burst", limits.creators_burst)
    return AsyncCreatorsClient(_world.profile(sb.url), store=store, **kw)


async def test_async_results_match_the_sync_ones(sb: Any, store: SQLiteResultStore) -> None:
    asins = [it.asin for it in catalogue(US)]
    async with _client(sb, store) as client:
        items = await client.get_items(asins)
        word = catalogue(US)[4].title.split()[0]
        found = await client.search_items(word)
    assert [i.asin for i in items.items] == asins
    for got in items.items:
        want = _world.item(US, got.asin)
        price, currency = (want.price, want.currency) if want.offers else (None, None)
        assert (got.title, got.price, got.currency) == (want.title, price, currency)
    assert catalogue(US)[4].asin in {i.asin for i in found.items}
    with _world.make_client(sb, store) as sync_client:  # the async client's cache serves the sync one
        again = sync_client.get_items(asins)
    assert again.cached and again.requests == 0
    assert [i.model_dump(exclude={"cached"}) for i in again.items] == [
        i.model_dump(exclude={"cached"}) for i in items.items
    ]


async def test_concurrent_identical_searches_send_one_request(sb: Any, store: SQLiteResultStore) -> None:
    async with _client(sb, store) as client:
        word = catalogue(US)[6].title.split()[0]
        results = await asyncio.gather(*(client.search_items(word) for _ in range(25)))
    assert len({tuple(i.asin for i in r.items) for r in results}) == 1
    assert sum(not r.cached for r in results) == 1
    assert len(api_log(sb, "searchItems")) == 1


async def test_async_stale_if_error_and_typed_errors(sb: Any, store: SQLiteResultStore) -> None:
    now = [3_000_000.0]
    async with _client(sb, store, clock=lambda: now[0]) as client:
        fresh = await client.search_items("skillet")
        now[0] += 3600
        sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems", status=429, times=-1)
        stale = await client.search_items("skillet")
        assert stale.stale and [i.asin for i in stale.items] == [i.asin for i in fresh.items]
        sb.clear_faults()
        with pytest.raises(InvalidPartnerTag) as ei:
            await client.get_items([catalogue(US)[0].asin], partner_tag="nobody-20")
        assert ei.value.request_id
        sb.clear_requests()
        with pytest.raises(InvalidInput):
            await client.get_items(["nope"])
    assert api_log(sb) == []


async def test_async_memory_store_and_variations(sb: Any) -> None:
    from amzauth.creators import MemoryResultStore

    child = next(it for it in catalogue(US) if it.parent_asin)
    async with _client(sb, MemoryResultStore()) as client:
        v1 = await client.get_variations(child.asin)
        v2 = await client.get_variations(child.asin)
        nodes = await client.get_browse_nodes([child.browse_nodes[0]])
    assert v2.cached and not v1.cached and v1.items
    assert nodes.nodes[0].id == child.browse_nodes[0]
    assert len(api_log(sb, "getVariations")) == 1
