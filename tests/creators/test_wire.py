"""Pure parts: input validation, cache keys, error mapping, response parsing, the limiter decision."""

from __future__ import annotations

import itertools
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amzauth.catalogue import load_catalogue
from amzauth.creators import errors as E
from amzauth.creators import wire
from amzauth.creators.limiter import LimitSpec, acquire, utc_day
from amzauth.creators.models import Item
from amzauth.creators.store import CacheEntry, entry_state

T = wire.Target("https://creatorsapi.amazon", "www.amazon.com", "demo-20")


# -- input validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    ["B0SBXUS00", "B0SBXUS0011", "b0sbxus004", "B0SBXUS00!", "", "  ", "B0SB US004", "B0SBXUS00Ä"],
)
def test_malformed_asins_name_the_field(bad: str) -> None:
    with pytest.raises(E.InvalidInput) as ei:
        wire.check_asins([bad])
    assert ei.value.field == "asins"
    assert repr(bad) in str(ei.value)
    assert ei.value.code == "FieldValidationFailed"
    assert ei.value.catalogue_entry() is not None


def test_lower_case_asin_error_suggests_the_upper_case_form() -> None:
    with pytest.raises(E.InvalidInput, match="B0SBXUS004"):
        wire.check_asin("b0sbxus004")


@pytest.mark.parametrize("good", ["B0SBXUS004", "0306406152", "043942089X", " B0SBXUS004 "])
def test_asins_and_isbn10s_are_accepted(good: str) -> None:
    assert wire.check_asins([good]) == [good.strip()]


def test_asins_keep_input_order_and_drop_duplicates() -> None:
    assert wire.check_asins(["B000000003", "B000000001", "B000000003", "B000000002"]) == [
        "B000000003",
        "B000000001",
        "B000000002",
    ]
    with pytest.raises(E.InvalidInput, match="no ASINs"):
        wire.check_asins([])


@pytest.mark.parametrize("keywords", ["", "   ", [], ["", " "]])
def test_empty_keywords_are_refused(keywords: object) -> None:
    with pytest.raises(E.InvalidInput) as ei:
        wire.search_payload(keywords, partner_tag="demo-20")  # type: ignore[arg-type]
    assert ei.value.field == "keywords"


def test_no_keywords_at_all_is_refused_but_brand_alone_is_a_search() -> None:
    with pytest.raises(E.InvalidInput) as ei:
        wire.search_payload(None, partner_tag="demo-20")
    assert ei.value.field == "keywords"
    assert wire.search_payload(None, partner_tag="demo-20", brand="Acme")["brand"] == "Acme"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("item_count", 0),
        ("item_count", 11),
        ("item_count", True),
        ("item_count", 2.5),
        ("item_page", 0),
        ("item_page", 11),
    ],
)
def test_count_and_page_out_of_range(field: str, value: object) -> None:
    with pytest.raises(E.InvalidInput) as ei:
        wire.search_payload("kettle", partner_tag="demo-20", **{field: value})  # type: ignore[arg-type]
    assert ei.value.field == field
    assert field in str(ei.value)


@pytest.mark.parametrize("value", ["XX", "www.amazon.zz", "amazon", ""])
def test_unknown_marketplace(value: str) -> None:
    with pytest.raises(E.InvalidInput) as ei:
        wire.resolve_marketplace(value)
    assert ei.value.field == "marketplace"


@pytest.mark.parametrize("value", ["DE", "de", "www.amazon.de", "amazon.de", "A1PA6795UKMFR9"])
def test_marketplace_forms(value: str) -> None:
    assert wire.resolve_marketplace(value) == "www.amazon.de"


def test_unknown_resource_and_missing_partner_tag() -> None:
    with pytest.raises(E.InvalidInput) as ei:
        wire.search_payload("kettle", partner_tag="demo-20", resources=["itemInfo.titel"])
    assert ei.value.field == "resources"
    with pytest.raises(E.InvalidInput) as ei:
        wire.search_payload("kettle", partner_tag="")
    assert ei.value.field == "partner_tag"


def test_default_resources_ask_for_offers() -> None:
    body = wire.search_payload("kettle", partner_tag="demo-20")
    assert "offersV2.listings.price" in body["resources"]
    assert body["resources"] == sorted(body["resources"])
    assert body["itemCount"] == 10 and body["itemPage"] == 1


# -- cache keys --------------------------------------------------------------------------------------
def test_equivalent_searches_share_a_key() -> None:
    a = wire.search_payload("USB  C cable", partner_tag="demo-20")
    b = wire.search_payload(["usb", "c", "CABLE"], partner_tag="demo-20", item_count=10, item_page=1)
    c = wire.search_payload(
        "usb c cable", partner_tag="demo-20", resources=list(reversed(wire.DEFAULT_ITEM_RESOURCES))
    )
    d = wire.search_payload("usb c cable", partner_tag="demo-20", search_index="All")
    keys = {wire.cache_key(T, "searchItems", p) for p in (a, b, c, d)}
    assert len(keys) == 1


def test_keys_differ_by_marketplace_tag_endpoint_and_request() -> None:
    p = wire.search_payload("kettle", partner_tag="demo-20")
    base = wire.cache_key(T, "searchItems", p)
    others = {
        wire.cache_key(wire.Target(T.api_base_url, "www.amazon.de", T.partner_tag), "searchItems", p),
        wire.cache_key(wire.Target(T.api_base_url, T.marketplace, "other-20"), "searchItems", p),
        wire.cache_key(
            wire.Target("http://127.0.0.1:1/creatorsapi.amazon", T.marketplace, T.partner_tag),
            "searchItems",
            p,
        ),
        wire.cache_key(T, "searchItems", wire.search_payload("kettle", partner_tag="demo-20", item_page=2)),
        wire.cache_key(
            T, "searchItems", wire.search_payload("kettle", partner_tag="demo-20", search_index="Books")
        ),
    }
    assert base not in others and len(others) == 5


@given(st.lists(st.sampled_from(sorted(wire.ITEM_RESOURCES)), min_size=1, max_size=8))
def test_resource_order_never_changes_the_key(resources: list[str]) -> None:
    a = wire.items_payload(["B0SBXUS004"], partner_tag="demo-20", resources=resources)
    b = wire.items_payload(["B0SBXUS004"], partner_tag="demo-20", resources=list(reversed(resources)) * 2)
    assert wire.item_key_prefix(T, a) == wire.item_key_prefix(T, b)


def test_build_request_carries_marketplace_and_json_body() -> None:
    p = wire.items_payload(["B0SBXUS004"], partner_tag="demo-20")
    req = wire.build_request(T, "getItems", p)
    assert req.url == "https://creatorsapi.amazon/catalog/v1/getItems"
    assert req.headers["x-marketplace"] == "www.amazon.com"
    assert json.loads(req.body)["itemIds"] == ["B0SBXUS004"]
    assert "Authorization" not in req.headers  # AmazonAuth adds it


# -- errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "typ", "reason", "cls"),
    [
        (400, "ValidationException", "InvalidPartnerTag", E.InvalidPartnerTag),
        (400, "ValidationException", "InvalidAssociate", E.InvalidAssociate),
        (400, "ValidationException", "FieldValidationFailed", E.FieldValidationFailed),
        (400, "ValidationException", "CannotParse", E.CannotParse),
        (400, "ValidationException", "UnknownOperation", E.UnknownOperation),
        (400, "ValidationException", "Other", E.CreatorsValidationError),
        (401, "UnauthorizedException", "TokenExpired", E.TokenExpired),
        (401, "UnauthorizedException", "InvalidToken", E.InvalidToken),
        (401, "UnauthorizedException", "MissingCredential", E.Unauthorized),
        (401, "UnauthorizedException", "InvalidClient", E.Unauthorized),
        (403, "AccessDeniedException", "AssociateNotEligible", E.AssociateNotEligible),
        (403, "AccessDeniedException", "AuthorizationFailed", E.AuthorizationFailed),
        (404, "ResourceNotFoundException", None, E.CreatorsNotFound),
        (429, "ThrottleException", None, E.Throttled),
        (500, "InternalServerException", None, E.CreatorsServerError),
    ],
)
def test_error_body_maps_to_a_class_with_a_catalogue_entry(
    status: int, typ: str, reason: str | None, cls: type[E.CreatorsError]
) -> None:
    doc = {"type": typ, "message": "something went wrong"}
    if reason:
        doc["reason"] = reason
    err = E.error_from_response(status, {"x-amzn-RequestId": "rid-123"}, json.dumps(doc).encode())
    assert type(err) is cls
    assert err.status == status and err.request_id == "rid-123" and err.exception_type == typ
    entry = err.catalogue_entry()
    assert entry is not None, err.code
    if reason:
        assert err.code == reason and err.reason == reason
    assert err.retryable == (status in (429, 500))
    assert "rid-123" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and again.to_dict() == err.to_dict()


def test_error_without_a_json_body_uses_status_and_header() -> None:
    err = E.error_from_response(
        503, {"x-amzn-ErrorType": "ServiceUnavailable", "Retry-After": "3"}, b"<html>"
    )
    assert isinstance(err, E.CreatorsServerError) and err.retryable and err.retry_after == 3.0
    err = E.error_from_response(429, {}, b"")
    assert isinstance(err, E.Throttled) and err.catalogue_entry() is not None


def test_field_list_is_kept() -> None:
    body = {
        "type": "ValidationException",
        "reason": "FieldValidationFailed",
        "message": "1 validation error",
        "fieldList": [{"name": "itemCount", "message": "Member must be <= 10"}],
    }
    err = E.error_from_response(400, {}, json.dumps(body).encode())
    assert err.fields == (E.FieldError("itemCount", "Member must be <= 10"),)


# -- parsing ---------------------------------------------------------------------------------------------
def test_item_from_a_sparse_document_never_raises() -> None:
    item = Item.from_raw({"asin": "B0SBXUS004"}, marketplace="www.amazon.com", partner_tag="demo-20")
    assert item.title is None and item.price is None and item.rating is None
    assert item.url is not None and "tag=demo-20" in item.url and "B0SBXUS004" in item.url


def test_parse_items_names_the_asin_of_each_error() -> None:
    body = {
        "errors": [
            {
                "code": "InvalidParameterValue",
                "message": "The ItemId 0000000002 provided in the request is invalid.",
            },
            {"code": "ItemNotAccessible", "message": "The ItemId B000000001 is not accessible."},
        ]
    }
    out = wire.parse_items(200, {}, json.dumps(body).encode(), T, ["B000000001", "0000000002"], 0.0)
    assert not isinstance(out, E.CreatorsError)
    items, errs = out
    assert items == []
    assert {(e.asin, e.code) for e in errs} == {
        ("B000000001", "ItemNotAccessible"),
        ("0000000002", "InvalidParameterValue"),
    }


def test_no_results_is_an_empty_search_not_an_error() -> None:
    body = {"errors": [{"code": "NoResults", "message": "No results found for your request."}]}
    out = wire.parse_search(200, {}, json.dumps(body).encode(), T, {}, 0.0)
    assert not isinstance(out, E.CreatorsError)
    assert out.items == [] and out.total == 0


# -- limiter decision -------------------------------------------------------------------------------------
def _send_when_granted(state: list[object], now: float, spec: LimitSpec) -> float:
    """A caller that asks at ``now`` and, told to wait, asks again then; returns its send time."""
    while True:
        d, *rest = acquire(*state, now, spec)  # type: ignore[arg-type]
        state[:] = rest
        if d.granted:
            return now
        assert d.wait > 0 and d.refused is None
        now += d.wait


def test_gcra_paces_at_the_interval_after_the_burst() -> None:
    spec = LimitSpec(rate=5, burst=3, daily=None, margin=0.0)
    state: list[object] = [0.0, utc_day(100.0), 0]
    sends = [_send_when_granted(state, 100.0, spec) for _ in range(8)]
    assert sends[:3] == [100.0, 100.0, 100.0]  # the burst goes at once
    gaps = [b - a for a, b in itertools.pairwise(sends[2:])]
    assert all(abs(g - spec.interval) < 1e-9 for g in gaps)


@given(
    st.floats(0.1, 50),
    st.integers(1, 5),
    st.floats(0, 0.2),
    st.lists(st.floats(0, 5), min_size=1, max_size=40),
)
def test_gcra_never_exceeds_burst_plus_rate_in_any_window(
    rate: float, burst: int, margin: float, arrivals: list[float]
) -> None:
    spec = LimitSpec(rate=rate, burst=burst, daily=None, margin=margin)
    state: list[object] = [0.0, utc_day(1000.0), 0]
    now = 1000.0
    sends = []
    for dt in arrivals:
        now += dt
        sends.append(_send_when_granted(state, now, spec))
    for i, start in enumerate(sends):
        for j in range(i, len(sends)):
            assert j - i + 1 <= burst + (sends[j] - start) * rate + 1e-6


def test_a_refused_or_deferred_request_changes_nothing() -> None:
    spec = LimitSpec(rate=1, burst=1, daily=2, margin=0.0)
    day = utc_day(10.0)
    d1, tat, day, count = acquire(0.0, day, 0, 10.0, spec)
    d2, tat2, _, count2 = acquire(tat, day, count, 10.5, spec)  # too early: wait, nothing taken
    assert d1.granted and not d2.granted and d2.wait == pytest.approx(0.5)
    assert (tat2, count2) == (tat, count)
    d3, tat, day, count = acquire(tat, day, count, 11.0, spec)
    d4, tat4, _, count4 = acquire(tat, day, count, 50.0, spec)
    assert d3.granted and d4.refused == "daily" and (tat4, count4) == (tat, count)
    d5, *_ = acquire(tat, day, count, 10.0 + 86400, spec)  # a new UTC day resets the count
    assert d5.granted and d5.used_today == 1


def test_a_late_sender_does_not_pull_the_next_one_closer() -> None:
    spec = LimitSpec(rate=5, burst=1, daily=None, margin=0.0)
    state: list[object] = [0.0, utc_day(0.0), 0]
    first = _send_when_granted(state, 0.0, spec)
    late = _send_when_granted(state, 0.9, spec)  # woke long after its slot
    nxt = _send_when_granted(state, 0.9, spec)
    assert (first, late) == (0.0, 0.9)
    assert nxt - late == pytest.approx(spec.interval)


def test_entry_states() -> None:
    e = CacheEntry("{}", 0.0, fresh_until=10.0, stale_until=20.0)
    assert [entry_state(e, t) for t in (5.0, 10.0, 19.9, 20.0)] == ["fresh", "stale", "stale", "dead"]
    assert entry_state(None, 0.0) == "dead"
    # the reader's TTL counts from creation: a stricter reader sees stale data sooner
    assert entry_state(e, 5.0, ttl=2.0, stale_ttl=100.0) == "stale"
    assert entry_state(e, 5.0, ttl=2.0, stale_ttl=1.0) == "dead"
    assert entry_state(e, 15.0, ttl=30.0, stale_ttl=100.0) == "fresh"
    assert entry_state(e, 25.0, ttl=30.0, stale_ttl=100.0) == "dead"  # the entry's own life ended


def test_every_creators_reason_has_a_catalogue_entry() -> None:
    cat = load_catalogue()
    for reason in E.KNOWN_REASONS:
        assert cat.get(reason) is not None, reason
