"""CreatorsClient against the sandbox over HTTP: results from the world catalogue, cache, errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from amzauth.config import profile_from_mapping
from amzauth.creators import (
    AssociateNotEligible,
    AuthorizationFailed,
    CreatorsClient,
    InvalidAssociate,
    InvalidInput,
    InvalidPartnerTag,
    MemoryResultStore,
    SQLiteResultStore,
)
from amzauth.sandbox.world import CatalogItem
from tests.creators import _world
from tests.creators._world import api_log, catalogue, make_client

US = "www.amazon.com"


def _check_item(got: Any, want: CatalogItem, tag: str) -> None:
    assert got.asin == want.asin
    assert got.title == want.title
    assert got.brand == (want.brand or None)
    if not want.offers:  # Amazon has no offer for it: no price, currency or availability
        assert (got.price, got.currency, got.availability, got.savings) == (None, None, None, None)
        return
    assert got.price == pytest.approx(want.price)
    assert got.currency == want.currency
    assert got.availability == want.availability
    assert got.rating == pytest.approx(want.rating)
    assert got.review_count == want.review_count
    if want.savings_percent:
        assert got.savings is not None and got.savings.percent == want.savings_percent
        assert got.savings.amount is not None and got.savings.amount > 0
    else:
        assert got.savings is None
    assert got.url is not None and want.asin in got.url and f"tag={tag}" in got.url
    assert got.url.startswith(f"https://{want.marketplace}/")
    assert got.image and got.image.startswith("https://")
    assert got.marketplace == want.marketplace
    assert got.raw["asin"] == want.asin


# -- results match the world ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("version", "marketplace"),
    [
        ("3.1", "www.amazon.com"),
        ("2.1", "www.amazon.com"),
        ("3.2", "www.amazon.de"),
        ("3.3", "www.amazon.co.jp"),
    ],
)
def test_get_items_matches_the_catalogue(
    sb: Any, store: SQLiteResultStore, version: str, marketplace: str
) -> None:
    items = catalogue(marketplace)
    tag = _world.credential(version, marketplace=marketplace).partner_tags[marketplace][0]
    with make_client(sb, store, version, marketplace) as client:
        result = client.get_items([it.asin for it in items])
    assert [i.asin for i in result.items] == [it.asin for it in items]  # input order kept
    assert result.errors == []
    for got, want in zip(result.items, items, strict=True):
        _check_item(got, want, tag)
    n = len(items)
    assert result.requests == (n + 9) // 10  # batches of 10
    assert len(api_log(sb, "getItems")) == (n + 9) // 10


def test_search_finds_the_catalogue_items_whose_text_matches(client: CreatorsClient, sb: Any) -> None:
    target = catalogue(US)[3]
    word = max(target.title.split(), key=len).strip(",.").lower()
    expected = [it for it in catalogue(US) if word in it.title.lower() and it.availability != "OUT_OF_STOCK"]
    result = client.search_items(word)
    assert result.total == len(expected) and not result.cached
    assert {i.asin for i in result.items} == {it.asin for it in expected}
    for got in result.items:
        _check_item(got, _world.item(US, got.asin), _world.profile(sb.url).get("partner_tag"))
    assert result.search_url and "tag=" in result.search_url


def _common_word(min_items: int) -> tuple[str, list[CatalogItem]]:
    """A title word shared by at least ``min_items`` in-stock US items, and those items."""
    stock = [it for it in catalogue(US) if it.availability != "OUT_OF_STOCK"]
    words = {w.strip(",.:").lower() for it in stock for w in it.title.split() if len(w) > 3}
    for w in sorted(words):
        hits = [it for it in stock if w in it.title.lower()]
        if len(hits) >= min_items and len({it.search_index for it in hits}) >= 1:
            return w, hits
    raise LookupError("no shared word")


def test_search_count_page_and_index(client: CreatorsClient) -> None:
    word, hits = _common_word(3)
    seen: list[str] = []
    for page in (1, 2, 3):
        r = client.search_items(word, item_count=1, item_page=page)
        assert len(r.items) == 1 and r.total == len(hits)
        seen.append(r.items[0].asin)
    assert len(set(seen)) == 3 and set(seen) <= {it.asin for it in hits}
    index = hits[0].search_index
    r = client.search_items(word, search_index=index)
    assert {i.asin for i in r.items} == {it.asin for it in hits if it.search_index == index}


def test_prime_is_only_claimed_when_the_search_asked_for_prime(client: CreatorsClient) -> None:
    word = "acme"
    plain = client.search_items(word)
    assert all(i.prime is None for i in plain.items)  # offersV2 has no Prime flag
    prime = client.search_items(word, delivery_flags=["Prime"])
    want = {it.asin for it in catalogue(US) if word in it.title.lower() and it.prime}
    assert {i.asin for i in prime.items} == want and all(i.prime for i in prime.items)


def test_get_items_surfaces_per_item_errors_in_input_order(client: CreatorsClient, sb: Any) -> None:
    known = [it.asin for it in catalogue(US)]
    unknown = ["B00NOTREAL", "0000000000"]
    asked = [unknown[0], known[0], unknown[1], known[1], known[0]]
    result = client.get_items(asked)
    assert [i.asin for i in result.items] == [known[0], known[1]]
    assert [e.asin for e in result.errors] == unknown
    assert all(e.code == "ItemNotAccessible" and e.asin in e.message for e in result.errors)
    assert result.requests == 1 and len(api_log(sb, "getItems")) == 1


def test_items_that_amazon_refuses_are_remembered_briefly(sb: Any, store: SQLiteResultStore) -> None:
    """ItemNotAccessible is cached (at most 15 min), so a dead ASIN does not cost a request per view."""
    import time

    from amzauth.creators.flow import NEGATIVE_TTL

    now = [time.time()]  # a real start: the SQLite store drops entries by the wall clock
    known = catalogue(US)[0].asin
    with make_client(sb, store, clock=lambda: now[0]) as client:
        first = client.get_items([known, "B00NOTREAL"])
        assert [e.code for e in first.errors] == ["ItemNotAccessible"] and first.requests == 1
        again = client.get_items(["B00NOTREAL", known])
        assert again.requests == 0 and again.cached
        assert [(e.asin, e.code) for e in again.errors] == [("B00NOTREAL", "ItemNotAccessible")]
        assert [i.asin for i in again.items] == [known]
    with make_client(sb, store, clock=lambda: now[0]) as other:  # from the store, in a new client
        assert other.get_items(["B00NOTREAL"]).requests == 0
        now[0] += NEGATIVE_TTL + 1  # the item answer (1 h) is still fresh; the refusal is not
        later = other.get_items(["B00NOTREAL", known])
        assert later.requests == 1 and [e.asin for e in later.errors] == ["B00NOTREAL"]
        assert other.get_items(["B00NOTREAL"], use_cache=False).requests == 1
    assert len(api_log(sb, "getItems")) == 3


def test_variations_and_browse_nodes_come_from_the_world(client: CreatorsClient) -> None:
    world = _world.world()
    child = next(it for it in catalogue(US) if it.parent_asin)
    family = [it for it in catalogue(US) if it.parent_asin == child.parent_asin]
    v = client.get_variations(child.asin)
    assert {i.asin for i in v.items} == {it.asin for it in family}
    assert v.variation_count == len(family)
    assert v.lowest_price == pytest.approx(min(it.price for it in family))
    assert v.highest_price == pytest.approx(max(it.price for it in family))
    for name in family[0].variation_attributes:
        assert set(v.dimensions[name]) == {it.variation_attributes[name] for it in family}
    node = next(n for n in world.browse_nodes if n.marketplace == US and n.parent)
    parent = next(n for n in world.browse_nodes if n.marketplace == US and n.id == node.parent)
    r = client.get_browse_nodes([node.id, "999999999"])
    assert [n.id for n in r.nodes] == [node.id]
    assert r.nodes[0].name == node.name and r.nodes[0].ancestors[0].id == parent.id
    assert r.nodes[0].ancestors[0].name == parent.name
    assert [e.node_id for e in r.errors] == ["999999999"]


# -- cache --------------------------------------------------------------------------------------------
def test_a_cache_hit_sends_nothing(client: CreatorsClient, sb: Any, store: SQLiteResultStore) -> None:
    first = client.search_items("Acme  audio")
    assert len(api_log(sb, "searchItems")) == 1
    sb.clear_requests()
    again = client.search_items("acme AUDIO")  # normalised: the same entry (from memory)
    assert again.cached and not first.cached
    assert [i.asin for i in again.items] == [i.asin for i in first.items]
    assert all(i.cached for i in again.items)
    with make_client(sb, store) as other:  # a new client, as another process would, reads the SQLite file
        third = other.search_items("acme audio")
    assert third.cached and third == again
    assert api_log(sb) == []
    items = client.get_items([i.asin for i in first.items])
    assert items.requests == 1 and len(api_log(sb)) == 1
    sb.clear_requests()
    with make_client(sb, store) as other:
        again_items = other.get_items(list(reversed([i.asin for i in items.items])))
    assert again_items.cached and again_items.requests == 0
    assert [i.asin for i in again_items.items] == list(reversed([i.asin for i in items.items]))
    assert api_log(sb) == []


def _json_inside(v: Any) -> bool:
    """Whether any string in a document is itself a JSON object or list."""
    if isinstance(v, dict):
        return any(_json_inside(x) for x in v.values())
    if isinstance(v, list):
        return any(_json_inside(x) for x in v)
    return isinstance(v, str) and v[:1] in ("{", "[")


def test_a_cached_answer_is_one_document_holding_amazons_answer(
    client: CreatorsClient, sb: Any, store: SQLiteResultStore
) -> None:
    """The store keeps one JSON document per answer (no JSON inside JSON) with Amazon's answer as it came;
    another process's hit gives the same results, raw documents included."""
    first = client.search_items("acme audio")
    asins = [i.asin for i in first.items]
    got = client.get_items(asins[:2])
    with sqlite3.connect(store.path) as db:
        rows = dict(db.execute("SELECT key, data FROM results").fetchall())
    docs = {k: json.loads(v) for k, v in rows.items()}
    assert len(docs) == 3 and not any(_json_inside(d) for d in docs.values())
    (search,) = (d for k, d in docs.items() if k.startswith("searchItems:"))
    assert [i["asin"] for i in search["answer"]["searchResult"]["items"]] == asins
    assert search["answer"]["searchResult"]["items"] == [i.raw for i in first.items]
    assert sorted(d["answer"][0]["asin"] for k, d in docs.items() if k.startswith("getItems:")) == sorted(
        asins[:2]
    )
    with make_client(sb, store) as other:  # a new client, as another process would, reads the file
        again = other.search_items("acme audio")
        again_items = other.get_items(asins[:2])
        assert other.stats.store_hits == 3 and other.stats.requests == 0
    assert again.cached and again == client.search_items("acme audio")
    assert [i.raw for i in again.items] == [i.raw for i in first.items]
    assert [i.model_dump(exclude={"cached"}) for i in again.items] == [
        i.model_dump(exclude={"cached"}) for i in first.items
    ]
    assert [i.raw for i in again_items.items] == [i.raw for i in got.items]
    assert again_items.items[0].raw_json == json.dumps(got.items[0].raw, separators=(",", ":"))


def test_list_arguments_are_remembered_and_types_kept_apart(client: CreatorsClient, sb: Any) -> None:
    """resources=[...] and keywords as a list hit the memo like their tuples; True is not taken for 1."""
    res = ["itemInfo.title", "offersV2.listings.price"]
    first = client.search_items(["acme", "audio"], resources=res, item_count=1)
    again = client.search_items(["acme", "audio"], resources=tuple(res), item_count=1)
    assert again.cached and [i.asin for i in again.items] == [i.asin for i in first.items]
    assert client.search_items("acme audio", resources=list(res), item_count=1.0).cached  # 1.0 means 1
    assert len(api_log(sb, "searchItems")) == 1
    with pytest.raises(InvalidInput) as ei:
        client.search_items(["acme", "audio"], resources=res, item_count=True)
    assert ei.value.field == "item_count"
    assert len(api_log(sb, "searchItems")) == 1


def test_cache_expiry_follows_the_ttl(sb: Any, store: SQLiteResultStore) -> None:
    now = [1_000_000.0]
    with make_client(sb, store, clock=lambda: now[0], search_ttl=60) as client:
        client.search_items("keyboard")
        now[0] += 59
        assert client.search_items("keyboard").cached
        now[0] += 2
        fresh = client.search_items("keyboard")
        assert not fresh.cached
    assert len(api_log(sb, "searchItems")) == 2


def test_profile_keys_set_the_ttl_and_limiter(
    sb: Any, store: SQLiteResultStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """search_ttl and creators_* in the profile (or AMZAUTH_<KEY>) configure the client; arguments win."""
    now = [1_000_000.0]
    tuned = _world.profile(sb.url, search_ttl=10, creators_rate=50, creators_burst=5, creators_daily=0)
    with CreatorsClient(tuned, store=store, clock=lambda: now[0]) as client:
        assert (client.search_ttl, client.core.spec.rate, client.core.spec.burst) == (10.0, 50.0, 5)
        assert client.core.spec.daily is None  # 0: no daily cap
        client.search_items("keyboard")
        now[0] += 11
        assert not client.search_items("keyboard").cached
    assert len(api_log(sb, "searchItems")) == 2
    monkeypatch.setenv("AMZAUTH_SEARCH_TTL", "7")
    monkeypatch.setenv("AMZAUTH_CREATORS_DAILY", "100")
    base = _world.profile(sb.url)
    from_env = profile_from_mapping({k: base.get(k) for k in base.values}, env=True)
    with CreatorsClient(from_env, store=store, search_ttl=3) as client:
        assert client.search_ttl == 3.0 and client.core.spec.daily == 100
        assert from_env.sources["search_ttl"] == "AMZAUTH_SEARCH_TTL"


def test_use_cache_false_always_asks(client: CreatorsClient, sb: Any) -> None:
    client.search_items("keyboard")
    r = client.search_items("keyboard", use_cache=False)
    assert not r.cached
    assert len(api_log(sb, "searchItems")) == 2


def test_sqlite_file_is_private(client: CreatorsClient, store: SQLiteResultStore) -> None:
    client.search_items("keyboard")
    assert store.path.stat().st_mode & 0o777 == 0o600
    wal = Path(str(store.path) + "-wal")
    assert wal.exists() and wal.stat().st_mode & 0o077 == 0


# -- stale-if-error ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429},
        {"status": 503},
        {"status": 500, "error": None},
        {"drop": True},
    ],
    ids=["throttled", "unavailable", "internal-error", "connection-dropped"],
)
def test_stale_copy_served_when_amazon_fails(
    sb: Any, store: SQLiteResultStore, fault: dict[str, Any]
) -> None:
    now = [2_000_000.0]
    with make_client(sb, store, clock=lambda: now[0]) as client:
        fresh = client.search_items("bluetooth headphones")
        items = client.get_items([i.asin for i in fresh.items] + ["B00NOTREAL"])
        now[0] += 2 * 3600  # past both TTLs, inside the stale window
        sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/*", times=-1,
                     **{k: v for k, v in fault.items() if v is not None})  # fmt: skip
        sb.clear_requests()
        stale = client.search_items("bluetooth headphones")
        stale_items = client.get_items([i.asin for i in fresh.items] + ["B00NOTREAL"])
    assert stale.stale and stale.cached and all(i.stale for i in stale.items)
    assert [i.asin for i in stale.items] == [i.asin for i in fresh.items]
    assert [i.title for i in stale.items] == [i.title for i in fresh.items]
    assert stale_items.stale and [i.asin for i in stale_items.items] == [i.asin for i in items.items]
    assert [e.asin for e in stale_items.errors] == ["B00NOTREAL"]  # nothing stale for it: an error
    log = api_log(sb)
    assert len(log) == 2, log  # one try each: a stale copy beats retrying a failing API
    assert client.stats.stale_served == 1 + len(items.items)


def test_without_a_stale_copy_a_throttle_is_retried_then_succeeds(client: CreatorsClient, sb: Any) -> None:
    sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems", status=429, times=2)
    r = client.search_items("skillet")
    assert r.items and not r.stale
    statuses = [x["status"] for x in api_log(sb, "searchItems")]
    assert statuses == [429, 429, 200]
    assert client.stats.retries == 2 and client.stats.throttled == 2


def test_without_a_stale_copy_errors_surface_typed(sb: Any, store: SQLiteResultStore) -> None:
    from amzauth.core.retry import RetryPolicy
    from amzauth.creators import CreatorsServerError, Throttled
    from amzauth.errors import NetworkError

    fast = RetryPolicy(attempts=2, base=0.01, cap=0.01, budget=1)
    with make_client(sb, store, retry=fast) as client:
        sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems", status=429, times=-1)
        with pytest.raises(Throttled) as ei:
            client.search_items("skillet")
        assert ei.value.request_id and ei.value.catalogue_entry().code == "ThrottleException"
        sb.clear_faults()
        sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/getItems", status=500, times=-1)
        with pytest.raises(CreatorsServerError):
            client.get_items(["B00NOTREAL"])
        sb.clear_faults()
        sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/getItems", drop=True, times=-1)
        with pytest.raises(NetworkError) as ne:
            client.get_items(["B00NOTREAL"])
        assert ne.value.kind == "dropped"


def test_partial_failure_keeps_the_batches_that_worked(sb: Any, store: SQLiteResultStore) -> None:
    from amzauth.core.retry import RetryPolicy

    asins = [it.asin for it in catalogue(US)]
    assert len(asins) > 10
    fast = RetryPolicy(attempts=1)
    with make_client(sb, store, retry=fast) as client:
        client.get_items(asins[:10])  # the first batch is cached
        sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/getItems", status=503, times=-1)
        r = client.get_items(asins)
    assert [i.asin for i in r.items] == asins[:10]
    assert [e.asin for e in r.errors] == asins[10:]
    assert {e.code for e in r.errors} == {"InternalServerException"}


# -- Amazon says no -------------------------------------------------------------------------------------
def test_typed_errors_from_the_sandbox_link_to_the_catalogue(sb: Any, store: SQLiteResultStore) -> None:
    asin = catalogue(US)[0].asin
    other_tag = next(t for c in _world.world().creators_credentials for mp, tags in c.partner_tags.items()
                     if mp != US for t in tags)  # fmt: skip
    cases: list[tuple[CreatorsClient, dict[str, Any], type[Exception]]] = [
        (make_client(sb, store), {"partner_tag": "nobody-20"}, InvalidPartnerTag),
        (make_client(sb, store), {"partner_tag": other_tag}, InvalidAssociate),
        (make_client(sb, store), {"marketplace": "DE"}, AuthorizationFailed),
        (
            CreatorsClient(_world.profile(sb.url, "3.1", eligible=False), store=store),
            {},
            AssociateNotEligible,
        ),
    ]
    for client, kw, cls in cases:
        with client, pytest.raises(cls) as ei:
            client.get_items([asin], **kw)
        err = ei.value
        assert err.request_id  # type: ignore[attr-defined]
        entry = err.catalogue_entry()  # type: ignore[attr-defined]
        assert entry is not None and entry.code == err.code  # type: ignore[attr-defined]
        assert f"amzauth explain {err.code}" == err.explain  # type: ignore[attr-defined]
    reasons = [r["error"] for r in api_log(sb, "getItems")]
    assert reasons == ["InvalidPartnerTag", "InvalidAssociate", "AuthorizationFailed", "AssociateNotEligible"]


def test_expired_token_is_refreshed_once_by_the_engine(client: CreatorsClient, sb: Any) -> None:
    client.search_items("keyboard")
    sb.expire_tokens()
    r = client.search_items("backpack")
    assert r.items
    statuses = [x["status"] for x in api_log(sb, "searchItems")]
    assert statuses == [200, 401, 200]


# -- bad input never reaches Amazon ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.get_items(["B0SBXUS00"]), "asins"),
        (lambda c: c.get_items(["B0SBXUS004", "not-an-asin"]), "asins"),
        (lambda c: c.get_items([]), "asins"),
        (lambda c: c.search_items(""), "keywords"),
        (lambda c: c.search_items("   "), "keywords"),
        (lambda c: c.search_items("kettle", item_count=0), "item_count"),
        (lambda c: c.search_items("kettle", item_count=11), "item_count"),
        (lambda c: c.search_items("kettle", item_page=11), "item_page"),
        (lambda c: c.search_items("kettle", marketplace="Atlantis"), "marketplace"),
        (lambda c: c.get_items(["B0SBXUS004"], marketplace="XX"), "marketplace"),
        (lambda c: c.get_variations("short"), "asin"),
        (lambda c: c.get_browse_nodes(["abc"]), "browse_node_ids"),
        (lambda c: c.search_items("kettle", sort_by="Cheapest"), "sort_by"),
    ],
)
def test_bad_input_fails_before_any_request(client: CreatorsClient, sb: Any, call: Any, field: str) -> None:
    sb.clear_requests()
    with pytest.raises(InvalidInput) as ei:
        call(client)
    assert ei.value.field == field
    assert isinstance(ei.value, ValueError)
    assert sb.requests() == []


def test_missing_partner_tag_is_bad_input(sb: Any) -> None:
    p = _world.profile(sb.url).replace(partner_tag=None)
    with CreatorsClient(p, store=MemoryResultStore()) as client, pytest.raises(InvalidInput) as ei:
        client.search_items("kettle")
    assert ei.value.field == "partner_tag"
    assert sb.requests() == []


def test_repr_and_errors_hold_no_secret(client: CreatorsClient, sb: Any) -> None:
    from tests.support import assert_no_secrets

    client.search_items("keyboard")
    try:
        client.get_items(["B0SBXUS004"], partner_tag="nobody-20")
    except InvalidPartnerTag as exc:
        text = f"{exc!r} {exc} {exc.to_dict()}"
    assert_no_secrets(f"{client!r} {client.stats} {text} {client.manager!r}")


# -- quota and limiter refusals -----------------------------------------------------------------------
def test_daily_quota_refuses_without_sending_and_serves_stale(sb: Any, store: SQLiteResultStore) -> None:
    from amzauth.creators import DailyQuotaExceeded

    now = [4_000_000.0]
    with make_client(sb, store, daily_quota=2, clock=lambda: now[0]) as client:
        client.search_items("keyboard")
        client.search_items("backpack")
        sb.clear_requests()
        with pytest.raises(DailyQuotaExceeded) as ei:
            client.search_items("skillet")
        assert ei.value.catalogue_entry() is not None and not ei.value.retryable
        now[0] += 3600  # "keyboard" is now stale: the quota refusal serves the stale copy
        stale = client.search_items("keyboard")
        assert stale.stale and stale.items
    assert api_log(sb) == []


def test_max_wait_refuses_instead_of_queueing(sb: Any, store: SQLiteResultStore) -> None:
    from amzauth.creators import LocalThrottle

    with make_client(sb, store, rate=0.05, burst=1, max_wait=0.5) as client:
        client.search_items("keyboard")
        sb.clear_requests()
        with pytest.raises(LocalThrottle):
            client.search_items("backpack")
    assert api_log(sb) == []


def test_token_endpoint_outage_serves_stale(sb: Any, store: SQLiteResultStore) -> None:
    from amzauth.core.plan import build_plan

    now = [5_000_000.0]
    with make_client(sb, store, clock=lambda: now[0]) as client:
        fresh = client.search_items("keyboard")
        now[0] += 3600
        sb.expire_tokens()
        token_host = build_plan(_world.profile(sb.url)).amazon_token_endpoint.split("/")[2]
        sb.add_fault(host=token_host, status=503, times=-1, retry_after=0)
        stale = client.search_items("keyboard")
    assert stale.stale and [i.asin for i in stale.items] == [i.asin for i in fresh.items]


@pytest.mark.redis
def test_redis_profile_shares_results_between_clients(sb: Any, redis: Any) -> None:
    if redis.proc is None:
        redis.start()
    p = _world.profile(sb.url, store="redis", redis_url=redis.url)
    limits = _world.world().limits
    with CreatorsClient(p, rate=limits.creators_rate, burst=limits.creators_burst) as a:
        assert a.store.name == "redis"
        a.clear_cache()
        first = a.search_items("skillet")
    with CreatorsClient(p) as b:
        again = b.search_items("skillet")
    assert again.cached and [i.asin for i in again.items] == [i.asin for i in first.items]
    assert len(api_log(sb, "searchItems")) == 1


# -- construction ----------------------------------------------------------------------------------------
def test_construct_from_plan_and_secret_or_from_profile(
    sb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amzauth.config import ConfigError
    from amzauth.core.plan import build_plan

    profile = _world.profile(sb.url)
    plan = build_plan(profile)
    with CreatorsClient(plan, profile.secret("client_secret"), store=MemoryResultStore()) as client:
        assert client.search_items("keyboard").items
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(
        _world.toml_profile(sb.url).replace("[profiles.default]", "[profiles.shop]"), encoding="utf-8"
    )
    monkeypatch.setenv("AMZAUTH_CREATORS_RATE", "3")
    monkeypatch.setenv("AMZAUTH_ITEMS_TTL", "120")
    with CreatorsClient.from_profile("shop", str(cfg), store="memory") as client:
        assert client.limits.rate == 3 and client.items_ttl == 120 and client.store.name == "memory"
        assert client.plan.profile == "shop"
    with pytest.raises(ValueError):
        CreatorsClient(plan)  # a plan alone has no secret
    spapi = profile_from_mapping(
        {"api": "spapi", "region": "na", "client_id": "amzn1.application-oa2-client.x", "client_secret": "s" * 20,
         "scope": "sellingpartnerapi::notifications"}
    )  # fmt: skip
    with pytest.raises(ConfigError) as ei:
        CreatorsClient(spapi)
    assert ei.value.key == "api"
    with pytest.raises(ConfigError) as ei:
        CreatorsClient(profile, store="floppy")
    assert ei.value.key == "store"


def test_items_read_back_from_the_store_behave_as_fresh_ones(
    client: CreatorsClient, sb: Any, store: SQLiteResultStore
) -> None:
    """A store hit builds each item's fields on first read; before and after that, every way of looking
    at an item (fields, equality both ways, dumps, repr, copies, raw) gives what the fresh item gives."""
    first = client.search_items("acme audio")
    fresh = [i.model_copy(update={"cached": True}) for i in first.items]
    with make_client(sb, store, memory_size=0) as other:
        by_eq = other.search_items("acme audio").items
        by_dump = other.search_items("acme audio").items
        by_field = other.search_items("acme audio").items
        by_copy = other.search_items("acme audio").items
        whole = other.search_items("acme audio")
        assert other.stats.requests == 0 and other.stats.store_hits == 5
    assert [f == i for f, i in zip(fresh, by_eq, strict=True)] == [True] * len(fresh)
    assert [i == f for f, i in zip(fresh, by_eq, strict=True)] == [True] * len(fresh)
    assert [i.model_dump() for i in by_dump] == [f.model_dump() for f in fresh]
    assert [(i.title, i.price, i.savings, i.asin) for i in by_field] == [
        (f.title, f.price, f.savings, f.asin) for f in fresh
    ]
    assert [repr(i) for i in by_field] == [repr(f) for f in fresh]
    assert [i.model_copy() for i in by_copy] == fresh and [i.raw for i in by_copy] == [f.raw for f in fresh]
    assert json.loads(whole.model_dump_json()) == json.loads(
        first.model_copy(update={"cached": True, "items": fresh}).model_dump_json()
    )
    assert [i.summary() for i in whole.items] == [f.summary() for f in fresh]
    assert any(f.savings is not None for f in fresh)  # the rebuilt nested model is covered


def test_items_of_a_fresh_answer_are_lifted_on_first_read(client: CreatorsClient) -> None:
    """An answer's items lift their fields on first read (issue 17: a search page builds ten shells);
    every way of looking at one gives what the eager lift of the same document gives, from any thread."""
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    from amzauth.creators.models import Item

    def eager(page: Any) -> list[Item]:
        return [
            Item.from_raw(
                i.raw, marketplace=page.marketplace, partner_tag="demo-20", fetched_at=page.fetched_at
            )
            for i in page.items
        ]

    pages = [client.search_items("acme audio", use_cache=False) for _ in range(6)]
    assert client.stats.requests == 6 and len(pages[0].items) >= 2
    wants = [eager(p) for p in pages]  # reads only each shell's raw document, never its fields
    want = wants[0]
    assert any(w.savings is not None for w in want) and all(w.url and "tag=demo-20" in w.url for w in want)
    by_eq, by_dump, by_field, by_copy, by_pickle, by_threads = (p.items for p in pages)
    assert [i == w for i, w in zip(by_eq, want, strict=True)] == [True] * len(want)
    assert [i.model_dump() for i in by_dump] == [w.model_dump() for w in wants[1]]
    assert [(i.title, i.price, i.savings, i.url, i.asin, i.fetched_at) for i in by_field] == [
        (w.title, w.price, w.savings, w.url, w.asin, w.fetched_at) for w in wants[2]
    ]
    assert [repr(i) for i in by_field] == [repr(w) for w in wants[2]]
    assert [i.model_copy(update={"cached": True}).cached for i in by_copy] == [True] * len(want)
    assert [i.model_copy() for i in by_copy] == wants[3]
    assert [pickle.loads(pickle.dumps(i)) for i in by_pickle] == wants[4]
    with ThreadPoolExecutor(8) as pool:
        titles = list(pool.map(lambda i: i.title, by_threads * 8))
    assert titles == [w.title for w in want] * 8 and list(by_threads) == wants[5]
