"""The background refresher sends full batches of 10, or a partial one only when a deadline forces it.

Items come due one by one (each was filled at another moment); the refresh must not cost one
getItems per item, yet no entry may outlive its TTL while its price is shown.
"""

from __future__ import annotations

import time
from typing import Any

from amzauth.site import SiteKit
from amzauth.site.data import send_margin
from tests.creators import _world
from tests.site.conftest import Clock, api_calls

HOUR = 3600.0
STEP = 10.0  # simulated seconds between two items coming due
ASINS = [f"B1RFSH{n:03d}A" for n in range(25)]


def _world_with_items(n: int) -> dict[str, Any]:
    world = _world.world().model_dump(mode="json")
    for i, asin in enumerate(ASINS[:n]):
        world["catalog"].append(
            {
                "asin": asin,
                "marketplace": "www.amazon.com",
                "title": f"Refresh widget {i}",
                "brand": "Refreshwork",
                "price": 10 + i + 0.99,
                "currency": "USD",
                "image": f"https://m.media-amazon.com/images/I/{asin}.jpg",
                "search_index": "Electronics",
            }
        )
    return world


def _wait_for(sb: Any, n: int, seconds: float = 10.0) -> int:
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(api_calls(sb)) < n:
        time.sleep(0.05)
    return len(api_calls(sb))


def test_items_coming_due_one_by_one_are_refreshed_in_tens(kit: SiteKit, sb: Any, clock: Clock) -> None:
    sb.set_world(_world_with_items(len(ASINS)))
    for i, asin in enumerate(ASINS):  # filled STEP apart, so they come due STEP apart
        clock.offset = i * STEP
        kit.warm([asin])
    filled = len(api_calls(sb))
    assert filled == len(ASINS)
    ttl, ahead = kit.data.ttl, kit.settings.refresh_ahead
    assert ttl == HOUR
    # The refresh window: each item becomes due (aging) one STEP after the previous one; every page
    # view shows all 25 from the cache, never waiting.
    for i in range(len(ASINS)):
        clock.offset = i * STEP + ttl * ahead + 1
        views = kit.views(ASINS)
        assert not any(v.fallback or v.stale for v in views)
        assert all(v.price is not None for v in views)
        if i == 4:  # five due, far from their deadlines: real time passing must not send them
            time.sleep(2.5)
            assert len(api_calls(sb)) == filled
        if i == 9:
            assert _wait_for(sb, filled + 1) == filled + 1  # the tenth due ASIN completes a batch
        if i == 19:
            assert _wait_for(sb, filled + 2) == filled + 2
    # The last five wait for more company until the first of them nears its expiry.
    first_of_five = 20 * STEP  # when ASINS[20] was filled
    deadline = first_of_five + ttl - send_margin(ttl, ahead)
    clock.offset = deadline - 5
    time.sleep(1.5)  # longer than the refresher's poll: it had every chance to send early
    assert len(api_calls(sb)) == filled + 2
    clock.offset = deadline + 1  # still inside ASINS[20]'s TTL: its price is still allowed
    assert all(v.price is not None and not v.stale for v in kit.views(ASINS))
    assert _wait_for(sb, filled + 3) == filled + 3
    time.sleep(1.5)
    refreshes = api_calls(sb)[filled:]
    assert len(refreshes) == 3  # 10 + 10 + 5, not 25
    assert kit.data.refreshes == 3
    # Every item was renewed: a view after all the original entries expired still shows prices.
    clock.offset = 24 * STEP + ttl + 1
    assert all(v.price is not None and not v.stale for v in kit.views(ASINS))
    assert len(api_calls(sb)) == filled + 3
