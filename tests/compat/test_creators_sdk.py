"""amazon-creatorsapi-python-sdk 1.2.0 (Amazon's own SDK) against the sandbox: only host and auth_endpoint set."""

from __future__ import annotations

from typing import Any

import pytest
from creatorsapi_python_sdk.api.default_api import DefaultApi
from creatorsapi_python_sdk.api_client import ApiClient
from creatorsapi_python_sdk.models import (
    GetItemsRequestContent,
    GetItemsResource,
    SearchItemsRequestContent,
    SearchItemsResource,
)

from amzauth.sandbox.world import demo_world

ENDPOINTS = {
    "2.1": "/creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
    "3.1": "/api.amazon.com/auth/o2/token",
}


def _client(sb: Any, version: str, secret: str | None = None) -> tuple[DefaultApi, str]:
    c = next(
        c for c in demo_world().creators_credentials if c.version == version and c.eligible and c.enabled
    )
    api_client = ApiClient(credential_id=c.client_id, credential_secret=secret or c.client_secret, version=version,
                           host=f"{sb.url}/creatorsapi.amazon", auth_endpoint=sb.url + ENDPOINTS[version])  # fmt: skip
    return DefaultApi(api_client), c.partner_tags["www.amazon.com"][0]


@pytest.mark.parametrize("version", ["2.1", "3.1"])
def test_token_search_and_get_items(fresh_sandbox: Any, version: str) -> None:
    api, tag = _client(fresh_sandbox, version)
    found = api.search_items(
        x_marketplace="www.amazon.com",
        search_items_request_content=SearchItemsRequestContent(
            keywords="coffee maker", partner_tag=tag, item_count=5, resources=list(SearchItemsResource)
        ),
    )
    assert found.search_result is not None and found.search_result.items
    first = found.search_result.items[0]
    assert (
        first.item_info
        and first.item_info.title
        and "Coffee Maker" in str(first.item_info.title.display_value)
    )
    assert first.offers_v2 and first.offers_v2.listings and first.offers_v2.listings[0].price
    got = api.get_items(
        x_marketplace="www.amazon.com",
        get_items_request_content=GetItemsRequestContent(
            item_ids=[str(first.asin), "B0SBXUS004"], partner_tag=tag, resources=list(GetItemsResource)
        ),
    )
    assert got.items_result and [i.asin for i in got.items_result.items or []] == [first.asin, "B0SBXUS004"]
    log = fresh_sandbox.requests()
    token_path = "/" + ENDPOINTS[version].split("/", 2)[2]
    assert [e["path"] for e in log] == [token_path, "/catalog/v1/searchItems", "/catalog/v1/getItems"]
    assert all(e["status"] == 200 for e in log)


def test_wrong_secret_gives_the_documented_cognito_error(fresh_sandbox: Any) -> None:
    api, tag = _client(fresh_sandbox, "2.1", secret="not-the-secret")
    with pytest.raises(Exception, match=r'status 400: \{"error":"invalid_client"\}'):
        api.search_items(
            x_marketplace="www.amazon.com",
            search_items_request_content=SearchItemsRequestContent(keywords="a", partner_tag=tag),
        )


def test_wrong_secret_gives_the_documented_lwa_error(fresh_sandbox: Any) -> None:
    api, tag = _client(fresh_sandbox, "3.1", secret="amzn1.oa2-cs.v1.not-the-secret")
    with pytest.raises(Exception, match=r"status 401: .*\"error\":\"invalid_client\"") as exc:
        api.search_items(
            x_marketplace="www.amazon.com",
            search_items_request_content=SearchItemsRequestContent(keywords="a", partner_tag=tag),
        )
    assert "Client authentication failed" in str(exc.value)
