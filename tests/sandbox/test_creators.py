"""Creators API: header forms, every error row of docs/reference/wire.md, operations, resources, SDK models."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from creatorsapi_python_sdk import models as sdk

from tests.sandbox._wire import (
    CREATORS,
    assert_common_headers,
    assert_creators_error,
    creators_auth,
    creators_token,
    cred,
    fresh_world,
    world,
)

US = "www.amazon.com"
TAG = "demo-20"
SEARCH = {"keywords": "earbuds", "partnerTag": TAG}


def _call(client: httpx.Client, op: str, body: Any, *, version: str = "3.1", marketplace: str | None = US,
          token: str | None = None, auth: str | None = None) -> httpx.Response:  # fmt: skip
    c = cred(version)
    headers: dict[str, str] = {}
    if auth is None:
        auth = creators_auth(token or creators_token(client, c), c)
    if auth:
        headers["Authorization"] = auth
    if marketplace is not None:
        headers["x-marketplace"] = marketplace
    return client.post(f"{CREATORS}/{op}", json=body, headers=headers)


# ---------------------------------------------------------------- Authorization header forms


@pytest.mark.parametrize("version", ["2.1", "2.2", "2.3", "3.1", "3.2", "3.3"])
def test_every_version_gets_results_in_its_marketplace(client: httpx.Client, version: str) -> None:
    c = cred(version)
    mp = c.marketplaces[0]
    tag = c.partner_tags[mp][0]
    r = _call(client, "getItems", {"itemIds": [next(i.asin for i in world().catalog if i.marketplace == mp)],
                                   "partnerTag": tag}, version=version, marketplace=mp)  # fmt: skip
    assert_common_headers(r)
    assert r.status_code == 200, r.text
    assert len(r.json()["itemsResult"]["items"]) == 1


def test_cognito_token_without_version_is_invalid_token(client: httpx.Client) -> None:
    c = cred("2.1")
    token = creators_token(client, c)
    doc = assert_creators_error(_call(client, "searchItems", SEARCH, version="2.1", auth=f"Bearer {token}"),
                                401, "UnauthorizedException", "InvalidToken")  # fmt: skip
    assert "Version 2.1" in doc["message"]


def test_cognito_token_with_wrong_version_is_invalid_token(client: httpx.Client) -> None:
    token = creators_token(client, cred("2.1"))
    doc = assert_creators_error(_call(client, "searchItems", SEARCH, version="2.1",
                                      auth=f"Bearer {token}, Version 2.2"),
                                401, "UnauthorizedException", "InvalidToken")  # fmt: skip
    assert "Version 2.1" in doc["message"]


def test_lwa_token_with_version_suffix_is_invalid_token(client: httpx.Client) -> None:
    token = creators_token(client, cred("3.1"))
    doc = assert_creators_error(_call(client, "searchItems", SEARCH, auth=f"Bearer {token}, Version 3.1"),
                                401, "UnauthorizedException", "InvalidToken")  # fmt: skip
    assert "without a Version" in doc["message"]


def test_unknown_token_is_invalid_token(client: httpx.Client) -> None:
    assert_creators_error(_call(client, "searchItems", SEARCH, auth="Bearer Atza|IwEBnot-a-token"),
                          401, "UnauthorizedException", "InvalidToken",
                          "The authentication token is invalid or malformed")  # fmt: skip


def test_missing_authorization_is_missing_credential(client: httpx.Client) -> None:
    assert_creators_error(_call(client, "searchItems", SEARCH, auth=""), 401, "UnauthorizedException",
                          "MissingCredential")  # fmt: skip


def test_expired_token_is_token_expired(sb: Any, client: httpx.Client) -> None:
    token = creators_token(client, cred("3.1"))
    sb.expire_tokens()
    assert_creators_error(_call(client, "searchItems", SEARCH, token=token), 401, "UnauthorizedException",
                          "TokenExpired")  # fmt: skip


def test_token_expires_with_the_clock(sb: Any, client: httpx.Client) -> None:
    token = creators_token(client, cred("3.1"))
    assert _call(client, "searchItems", SEARCH, token=token).status_code == 200
    sb.set_clock(world().limits.token_lifetime + 1)
    assert_creators_error(_call(client, "searchItems", SEARCH, token=token), 401, "UnauthorizedException",
                          "TokenExpired")  # fmt: skip


def test_spapi_token_is_not_a_creators_token(client: httpx.Client) -> None:
    from tests.sandbox._wire import spapi_token

    token = spapi_token(client)
    assert_creators_error(_call(client, "searchItems", SEARCH, auth=f"Bearer {token}"), 401,
                          "UnauthorizedException", "InvalidToken")  # fmt: skip


# ---------------------------------------------------------------- 403


def test_associate_not_eligible(client: httpx.Client) -> None:
    c = cred("3.1", eligible=False)
    token = creators_token(client, c)
    body = {"keywords": "earbuds", "partnerTag": c.partner_tags[US][0]}
    assert_creators_error(_call(client, "searchItems", body, auth=f"Bearer {token}"), 403, "AccessDeniedException",
                          "AssociateNotEligible",
                          "Your account does not currently meet the eligibility requirements.")  # fmt: skip


def test_marketplace_not_approved_is_authorization_failed(client: httpx.Client) -> None:
    assert_creators_error(_call(client, "searchItems", SEARCH, marketplace="www.amazon.de"), 403,
                          "AccessDeniedException", "AuthorizationFailed")  # fmt: skip


# ---------------------------------------------------------------- 400


def test_unknown_partner_tag(client: httpx.Client) -> None:
    assert_creators_error(_call(client, "searchItems", {**SEARCH, "partnerTag": "nobody-20"}), 400,
                          "ValidationException", "InvalidPartnerTag")  # fmt: skip


def test_partner_tag_of_another_marketplace_is_invalid_associate(client: httpx.Client) -> None:
    c = cred("3.1")
    ca_tag = c.partner_tags["www.amazon.ca"][0]
    assert_creators_error(_call(client, "searchItems", {**SEARCH, "partnerTag": ca_tag}), 400,
                          "ValidationException", "InvalidAssociate")  # fmt: skip


def test_unknown_operation(client: httpx.Client) -> None:
    assert_creators_error(
        _call(client, "searchEverything", SEARCH), 400, "ValidationException", "UnknownOperation"
    )


def test_malformed_json_cannot_parse(client: httpx.Client) -> None:
    c = cred("3.1")
    token = creators_token(client, c)
    r = client.post(f"{CREATORS}/searchItems", content=b'{"keywords": "x",',
                    headers={"Authorization": f"Bearer {token}", "x-marketplace": US,
                             "Content-Type": "application/json"})  # fmt: skip
    assert_creators_error(r, 400, "ValidationException", "CannotParse")


def test_wrong_content_type_cannot_parse(client: httpx.Client) -> None:
    token = creators_token(client, cred("3.1"))
    r = client.post(f"{CREATORS}/searchItems", data={"keywords": "x"},
                    headers={"Authorization": f"Bearer {token}", "x-marketplace": US})  # fmt: skip
    assert_creators_error(r, 400, "ValidationException", "CannotParse")


@pytest.mark.parametrize(
    ("op", "body", "field"),
    [
        ("getItems", {"itemIds": [f"B0SBXUS{i:03d}" for i in range(11)], "partnerTag": TAG}, "itemIds"),
        ("getItems", {"partnerTag": TAG}, "itemIds"),
        ("searchItems", {**SEARCH, "itemCount": 11}, "itemCount"),
        ("searchItems", {**SEARCH, "itemCount": 0}, "itemCount"),
        ("searchItems", {**SEARCH, "itemPage": 11}, "itemPage"),
        ("searchItems", {**SEARCH, "resources": ["offersV2.listings.nonsense"]}, "resources"),
        ("searchItems", {"partnerTag": TAG}, "keywords"),
        ("searchItems", {"keywords": "earbuds"}, "partnerTag"),
        ("searchItems", {**SEARCH, "sortBy": "Cheapest"}, "sortBy"),
    ],
)
def test_field_validation_failed_names_the_field(client: httpx.Client, op: str, body: dict[str, Any],
                                                 field: str) -> None:  # fmt: skip
    doc = assert_creators_error(_call(client, op, body), 400, "ValidationException", "FieldValidationFailed")
    assert [f["name"] for f in doc["fieldList"]] == [field]
    sdk.ValidationExceptionResponseContent.from_dict(doc)


def test_missing_marketplace_header(client: httpx.Client) -> None:
    doc = assert_creators_error(_call(client, "searchItems", SEARCH, marketplace=None), 400, "ValidationException",
                                "FieldValidationFailed")  # fmt: skip
    assert doc["fieldList"][0]["name"] == "x-marketplace"


# ---------------------------------------------------------------- 429 / 404 / 500


def test_throttle_token_bucket(sb: Any, client: httpx.Client) -> None:
    w = fresh_world()
    w.limits.creators_rate = 0.001
    w.limits.creators_burst = 2
    sb.set_world(w)
    token = creators_token(client, cred("3.1"))
    assert _call(client, "searchItems", SEARCH, token=token).status_code == 200
    assert _call(client, "searchItems", SEARCH, token=token).status_code == 200
    doc = assert_creators_error(_call(client, "searchItems", SEARCH, token=token), 429, "ThrottleException", None,
                                "Request rate limit exceeded.")  # fmt: skip
    sdk.ThrottleExceptionResponseContent.from_dict(doc)
    # Another credential has its own bucket.
    assert _call(client, "searchItems", SEARCH, version="2.1").status_code == 200


def test_daily_quota(sb: Any, client: httpx.Client) -> None:
    w = fresh_world()
    w.limits.creators_daily = 2
    w.limits.creators_rate = 1000
    w.limits.creators_burst = 1000
    sb.set_world(w)
    token = creators_token(client, cred("3.1"))
    for _ in range(2):
        assert _call(client, "searchItems", SEARCH, token=token).status_code == 200
    assert_creators_error(_call(client, "searchItems", SEARCH, token=token), 429, "ThrottleException", None)
    sb.set_clock(86400)  # the next day (token lifetime aside: get a new one)
    assert _call(client, "searchItems", SEARCH).status_code == 200


def test_unknown_feed_is_resource_not_found(client: httpx.Client) -> None:
    doc = assert_creators_error(_call(client, "getFeed", {"feedName": "nope.csv"}), 404,
                                "ResourceNotFoundException", None)  # fmt: skip
    sdk.ResourceNotFoundExceptionResponseContent.from_dict(doc)


def test_internal_server_error_on_demand(sb: Any, client: httpx.Client) -> None:
    token = creators_token(client, cred("3.1"))
    sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems", status=500)
    doc = assert_creators_error(_call(client, "searchItems", SEARCH, token=token), 500, "InternalServerException",
                                None)  # fmt: skip
    sdk.InternalServerExceptionResponseContent.from_dict(doc)


# ---------------------------------------------------------------- operations and SDK models

ALL_SEARCH = [r.value for r in sdk.SearchItemsResource]
ALL_GET = [r.value for r in sdk.GetItemsResource]
ALL_VAR = [r.value for r in sdk.GetVariationsResource]


def test_search_items_validates_against_sdk_model(client: httpx.Client) -> None:
    r = _call(client, "searchItems", {**SEARCH, "resources": ALL_SEARCH})
    assert r.status_code == 200
    model = sdk.SearchItemsResponseContent.from_dict(r.json())
    assert model is not None and model.search_result is not None and model.search_result.items
    item = model.search_result.items[0]
    assert item.offers_v2 and item.offers_v2.listings and item.offers_v2.listings[0].price
    assert item.item_info and item.item_info.title and "Earbuds" in str(item.item_info.title.display_value)
    assert model.search_result.total_result_count == len(model.search_result.items)


def test_get_items_validates_and_reports_unknown_asins(client: httpx.Client) -> None:
    r = _call(client, "getItems", {"itemIds": ["B0SBXUS004", "B0SBXZZ999", "bad"], "partnerTag": TAG,
                                   "resources": ALL_GET})  # fmt: skip
    model = sdk.GetItemsResponseContent.from_dict(r.json())
    assert model is not None and model.items_result and model.items_result.items
    assert [i.asin for i in model.items_result.items] == ["B0SBXUS004"]
    assert model.errors and [e.code for e in model.errors] == ["ItemNotAccessible", "InvalidParameterValue"]
    assert "B0SBXZZ999" in model.errors[0].message


def test_get_variations_validates(client: httpx.Client) -> None:
    r = _call(client, "getVariations", {"asin": "B0SBXUS002", "partnerTag": TAG, "resources": ALL_VAR})
    model = sdk.GetVariationsResponseContent.from_dict(r.json())
    assert model is not None and model.variations_result
    family = [i for i in world().catalog if i.marketplace == US and i.parent_asin == "B0SBXUS000"]
    assert [i.asin for i in model.variations_result.items or []] == [i.asin for i in family]
    summary = model.variations_result.variation_summary
    assert summary and summary.variation_count == len(family)
    assert summary.price and summary.price.lowest_price and summary.price.highest_price
    assert summary.price.lowest_price.amount == min(i.price for i in family)
    for item in model.variations_result.items or []:
        assert item.variation_attributes and item.variation_attributes[0].name == "color"


def test_get_variations_of_a_lone_item_has_no_results(client: httpx.Client) -> None:
    r = _call(client, "getVariations", {"asin": "B0SBXUS004", "partnerTag": TAG})
    assert r.status_code == 200 and r.json()["errors"][0]["code"] == "NoResults"


def test_get_browse_nodes_validates(client: httpx.Client) -> None:
    r = _call(client, "getBrowseNodes", {"browseNodeIds": ["172541"], "partnerTag": TAG,
                                         "resources": ["browseNodes.ancestor", "browseNodes.children"]})  # fmt: skip
    model = sdk.GetBrowseNodesResponseContent.from_dict(r.json())
    assert model is not None and model.browse_nodes_result and model.browse_nodes_result.browse_nodes
    node = model.browse_nodes_result.browse_nodes[0]
    assert node.ancestor and node.ancestor.id == "172282"
    assert node.children and "12097479011" in [c.id for c in node.children]


def test_default_resources_give_asin_and_url_only(client: httpx.Client) -> None:
    item = _call(client, "getItems", {"itemIds": ["B0SBXUS004"], "partnerTag": TAG}).json()["itemsResult"][
        "items"
    ][0]
    assert set(item) == {"asin", "detailPageURL"}
    assert "tag=demo-20" in item["detailPageURL"] and item["detailPageURL"].startswith(
        "https://www.amazon.com/"
    )


def test_offers_only_when_asked(client: httpx.Client) -> None:
    body = {
        "itemIds": ["B0SBXUS004"],
        "partnerTag": TAG,
        "resources": ["itemInfo.title", "images.primary.small"],
    }
    item = _call(client, "getItems", body).json()["itemsResult"]["items"][0]
    assert "offersV2" not in item and set(item["images"]["primary"]) == {"small"}
    body["resources"] = ["offersV2.listings.price"]
    item = _call(client, "getItems", body).json()["itemsResult"]["items"][0]
    assert set(item["offersV2"]["listings"][0]) == {"price"}
    assert item["offersV2"]["listings"][0]["price"]["money"]["currency"] == "USD"


def test_search_sort_and_filters(client: httpx.Client) -> None:
    base = {"keywords": "a", "partnerTag": TAG, "resources": ["offersV2.listings.price"]}
    r = _call(client, "searchItems", {**base, "sortBy": "Price:LowToHigh"}).json()
    prices = [i["offersV2"]["listings"][0]["price"]["money"]["amount"] for i in r["searchResult"]["items"]]
    assert prices == sorted(prices)
    r = _call(client, "searchItems", {**base, "maxPrice": 3000, "itemCount": 10}).json()
    assert all(
        i["offersV2"]["listings"][0]["price"]["money"]["amount"] <= 30 for i in r["searchResult"]["items"]
    )


def test_search_pagination(client: httpx.Client) -> None:
    p1 = _call(client, "searchItems", {"keywords": "a", "partnerTag": TAG, "itemCount": 3}).json()[
        "searchResult"
    ]
    p2 = _call(
        client, "searchItems", {"keywords": "a", "partnerTag": TAG, "itemCount": 3, "itemPage": 2}
    ).json()
    assert p1["totalResultCount"] > 3
    assert {i["asin"] for i in p1["items"]}.isdisjoint(i["asin"] for i in p2["searchResult"]["items"])


def test_out_of_stock_hidden_unless_asked(client: httpx.Client) -> None:
    oos = next(i for i in world().catalog if i.availability == "OUT_OF_STOCK" and i.marketplace == US)
    words = oos.title.split()[0]
    found = _call(client, "searchItems", {"keywords": words, "partnerTag": TAG}).json()
    assert oos.asin not in {i["asin"] for i in found.get("searchResult", {}).get("items", [])}
    found = _call(client, "searchItems", {"keywords": words, "partnerTag": TAG,
                                          "availability": "IncludeOutOfStock"}).json()  # fmt: skip
    assert oos.asin in {i["asin"] for i in found["searchResult"]["items"]}


def test_no_results(client: httpx.Client) -> None:
    r = _call(client, "searchItems", {"keywords": "zzzz-nothing-matches", "partnerTag": TAG})
    assert r.status_code == 200
    assert r.json() == {"errors": [{"code": "NoResults", "message": "No results found for your request."}]}
    sdk.SearchItemsResponseContent.from_dict(r.json())


@pytest.mark.parametrize(("version", "mp"), [("3.2", "www.amazon.co.uk"), ("3.2", "www.amazon.de"),
                                             ("3.3", "www.amazon.co.jp"), ("3.1", "www.amazon.ca")])  # fmt: skip
def test_local_currency_per_marketplace(client: httpx.Client, version: str, mp: str) -> None:
    c = cred(version)
    r = _call(
        client,
        "searchItems",
        {"keywords": "a", "partnerTag": c.partner_tags[mp][0], "resources": ["offersV2.listings.price"]},
        version=version,
        marketplace=mp,
    )
    model = sdk.SearchItemsResponseContent.from_dict(r.json())
    assert model and model.search_result and model.search_result.items
    cur = {
        "www.amazon.co.uk": "GBP",
        "www.amazon.de": "EUR",
        "www.amazon.co.jp": "JPY",
        "www.amazon.ca": "CAD",
    }[mp]
    for item in model.search_result.items:
        assert item.offers_v2 and item.offers_v2.listings
        money = item.offers_v2.listings[0].price.money  # type: ignore[union-attr]
        assert money and money.currency == cur


def test_feeds_and_reports(client: httpx.Client) -> None:
    feeds = sdk.ListFeedsResponseContent.from_dict(_call(client, "listFeeds", {}).json())
    assert feeds and feeds.feeds
    got = sdk.GetFeedResponseContent.from_dict(
        _call(client, "getFeed", {"feedName": feeds.feeds[0].feed_name}).json()
    )
    assert got and got.url.startswith("https://")
    token = creators_token(client, cred("3.1"))
    r = client.post("/creatorsapi.amazon/reports/v1/listReports", json={},
                    headers={"Authorization": f"Bearer {token}", "x-marketplace": US})  # fmt: skip
    assert sdk.ListReportsResponseContent.from_dict(r.json())
