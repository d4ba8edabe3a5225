"""A block never breaks its page: every failure Amazon can give, against the sandbox over HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from amzauth.creators import CreatorsClient
from amzauth.site import SiteKit
from tests.creators import _world
from tests.site.conftest import Clock, _fast_retry, api_calls
from tests.support import register_secret

CREATORS = "creatorsapi.amazon"
HOUR = 3600.0


def _json(kit: SiteKit, asin: str) -> dict[str, Any]:
    return kit.views([asin])[0].as_json()


def _warnings(caplog: pytest.LogCaptureFixture, code: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "amzauth.site" and f"[code={code}]" in r.getMessage()
    ]


def _fallback_ok(kit: SiteKit, asin: str) -> None:
    doc = _json(kit, asin)
    assert doc["fallback"] is True and doc["price"] is None and doc["title"] is None
    assert doc["url"] == f"https://www.amazon.com/dp/{asin}?tag=demo-20"
    html = kit.box(asin)
    assert 'data-fallback="true"' in html and 'rel="sponsored nofollow noopener"' in html


@pytest.mark.parametrize(
    "asin",
    ["B0ZZZZZZZZ", "B0SBXDE001"],  # unknown everywhere; sold on amazon.de only
    ids=["unknown", "not-in-marketplace"],
)
def test_item_amazon_does_not_offer_here_is_a_tagged_link_logged_once(
    kit: SiteKit, sb: Any, caplog: pytest.LogCaptureFixture, asin: str
) -> None:
    caplog.set_level(logging.WARNING, "amzauth.site")
    _fallback_ok(kit, asin)
    _fallback_ok(kit, asin)
    assert len(_warnings(caplog, "ItemNotAccessible")) == 1
    assert len(api_calls(sb)) == 1  # the per-item error is cached too


def test_quota_exhausted_serves_the_stale_copy_else_a_link(
    kit: SiteKit, sb: Any, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "amzauth.site")
    kit.warm(["B0SBXUS004"])
    sb.add_fault(host=CREATORS, path="/catalog/v1/getItems", status=429, times=-1)
    clock.offset = 2 * HOUR  # past the items TTL: Amazon must be asked, and says no
    doc = _json(kit, "B0SBXUS004")
    assert doc["stale"] is True and doc["fallback"] is False and doc["price"] == 79.99
    _fallback_ok(kit, "B0SBXUS005")  # nothing cached for this one
    assert _warnings(caplog, "ThrottleException")


def test_network_down_leaves_links(kit: SiteKit, sb: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "amzauth.site")
    sb.add_fault(host=CREATORS, path="/catalog/v1/getItems", drop=True, times=-1)
    _fallback_ok(kit, "B0SBXUS006")
    assert _warnings(caplog, "network")


def test_bad_credentials_leave_links_with_the_diagnosis_code(
    make_kit: Callable[..., SiteKit], sb: Any, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "amzauth.site")
    wrong = "amzn1.oa2-cs.v1." + "5a4db0x31wrongsecretnotreal".ljust(64, "0")
    register_secret(wrong)
    client = CreatorsClient(_world.profile(sb.url, client_secret=wrong), store=store, retry=_fast_retry())
    kit = make_kit(client)
    _fallback_ok(kit, "B0SBXUS007")
    _fallback_ok(kit, "B0SBXUS007")
    assert len(_warnings(caplog, "invalid_client")) == 1
    assert api_calls(sb) == []  # the token was refused: nothing reached the API


def test_a_25_hour_old_entry_shows_no_price_but_keeps_title_and_link(
    make_kit: Callable[..., SiteKit], sb: Any, store: Any, clock: Clock
) -> None:
    client = _world.make_client(sb, store, clock=clock, retry=_fast_retry(), stale_ttl=3 * 24 * HOUR)
    kit = make_kit(client)
    kit.warm(["B0SBXUS009"])
    sb.add_fault(host=CREATORS, path="/catalog/v1/getItems", status=500, times=-1)
    clock.offset = 25 * HOUR
    doc = _json(kit, "B0SBXUS009")
    assert doc["title"] == _world.item("www.amazon.com", "B0SBXUS009").title
    assert doc["price"] is None and doc["price_as_of"] is None and doc["stale"] is True
    html = kit.box("B0SBXUS009")
    assert "$59.99" not in html and "Price as of" not in html and "tag=demo-20" in html
    sb.clear_faults()
    doc = _json(kit, "B0SBXUS009")  # Amazon answers again: a fresh price
    assert doc["price"] == 59.99 and doc["stale"] is False


def test_slow_amazon_costs_at_most_the_budget_and_the_fetch_finishes_behind(
    make_kit: Callable[..., SiteKit], sb: Any
) -> None:
    kit = make_kit(budget_ms=200)
    sb.add_fault(host=CREATORS, path="/catalog/v1/getItems", delay_ms=1500, times=1)
    t0 = time.monotonic()
    html = kit.box("B0SBXUS010")
    assert time.monotonic() - t0 < 1.0
    assert 'data-fallback="true"' in html
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _json(kit, "B0SBXUS010")["fallback"]:
        time.sleep(0.1)
    assert _json(kit, "B0SBXUS010")["price"] == 99.99
    assert len(api_calls(sb)) == 1  # the background fetch filled the cache; views made no more requests


def test_aging_entries_are_refreshed_in_the_background(kit: SiteKit, sb: Any, clock: Clock) -> None:
    kit.warm(["B0SBXUS011", "B0SBXUS012"])
    first = _json(kit, "B0SBXUS011")["price_as_of"]
    clock.offset = 0.995 * HOUR  # still fresh, past refresh_ahead (80 %) of the TTL and near its deadline
    views = kit.views(["B0SBXUS011", "B0SBXUS012"])  # one page with both
    assert [v.stale or v.fallback for v in views] == [False, False]  # served at once from the cache
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(api_calls(sb)) < 2:
        time.sleep(0.05)
    time.sleep(0.2)
    assert len(api_calls(sb)) == 2  # one refresh request for both aging ASINs
    assert _json(kit, "B0SBXUS011")["price_as_of"] != first


def test_a_failed_search_list_shows_only_its_tagged_more_link(kit: SiteKit, sb: Any) -> None:
    sb.add_fault(host=CREATORS, path="/catalog/v1/searchItems", status=503, times=-1)
    html = kit.product_list(keywords="acme audio", count=3)
    assert "No products found" not in html and "<li" not in html
    assert "https://www.amazon.com/s?k=acme+audio&amp;tag=demo-20" in html
    assert 'rel="sponsored nofollow noopener"' in html
