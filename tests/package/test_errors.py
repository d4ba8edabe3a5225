"""One error tree: "Amazon cannot be used right now" is one class to catch, whatever the API.

Each outage is made real by a sandbox fault on loopback; the client sees what it would see from Amazon.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import amzauth
from amzauth.config.marketplaces import find_marketplace
from amzauth.core.retry import RetryPolicy
from amzauth.creators.errors import CreatorsNetworkError, CreatorsServerError, Throttled
from amzauth.errors import AmazonUnavailable, AmzAuthError, ConfigError, NetworkError, TokenUnavailable
from amzauth.spapi.errors import QuotaExceeded, SPAPINetworkError, SPAPIServerError

CREATORS = {
    "client_id": "amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031",
    "version": "3.1",
    "marketplace": "US",
    "partner_tag": "demo-20",
}
SELLER = {
    "client_id": "amzn1.application-oa2-client.5a4db0xsp01draft000000000000001",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0xsp01draftsecretnotreal0000000000000000001",
    "region": "eu",
    "marketplace": "UK",
    "refresh_token": "Atzr|IwEBsandbox-demo-eu-repricer-000000000000000000000000000003",
}
NO_RETRY = RetryPolicy(attempts=1)


def _creators(sandbox: Any) -> amzauth.CreatorsClient:
    return amzauth.CreatorsClient(
        **CREATORS, sandbox=sandbox.url, store="memory", retry=NO_RETRY, cache=False
    )


def _creators_failure(sandbox: Any, **fault: Any) -> BaseException:
    sandbox.add_fault(host="creatorsapi.amazon", times=-1, **fault)
    with _creators(sandbox) as client, pytest.raises(AmzAuthError) as info:
        client.get_items(["B0SBXUS001"])
    return info.value


@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        ({"status": 500}, CreatorsServerError),
        ({"status": 503}, CreatorsServerError),
        ({"status": 429}, Throttled),
        ({"drop": True}, CreatorsNetworkError),
    ],
)
def test_every_creators_outage_is_amazon_unavailable_and_a_creators_error(
    fresh_sandbox: Any, fault: dict[str, Any], cls: type[Exception]
) -> None:
    err = _creators_failure(fresh_sandbox, **fault)
    assert type(err) is cls
    assert isinstance(err, amzauth.AmazonUnavailable)
    assert isinstance(err, amzauth.CreatorsError)  # a site's existing `except CreatorsError` still holds


def test_a_creators_network_failure_is_also_a_network_error(fresh_sandbox: Any) -> None:
    err = _creators_failure(fresh_sandbox, drop=True)
    assert isinstance(err, NetworkError)
    assert err.kind == "dropped" and err.code == "network"
    assert err.url and "creatorsapi.amazon" in err.url
    assert "dropped" in str(err)


def test_unreachable_amazon_is_amazon_unavailable() -> None:
    # A port nobody listens on: connection refused, as when Amazon or the network is down.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with (
        amzauth.CreatorsClient(**CREATORS, sandbox=dead, store="memory", retry=NO_RETRY) as client,
        pytest.raises(amzauth.AmazonUnavailable) as info,
    ):
        client.get_items(["B0SBXUS001"])
    assert isinstance(info.value, NetworkError)


def test_a_token_endpoint_outage_is_amazon_unavailable(fresh_sandbox: Any) -> None:
    fresh_sandbox.add_fault(host="api.amazon.com", path="/auth/o2/token", status=503, times=-1)
    with _creators(fresh_sandbox) as client, pytest.raises(amzauth.TokenError) as info:
        client.get_items(["B0SBXUS001"])
    assert isinstance(info.value, TokenUnavailable)
    assert isinstance(info.value, AmazonUnavailable)


def test_a_refused_credential_is_not_unavailability(fresh_sandbox: Any) -> None:
    """Amazon saying no (a wrong secret) must not be mistaken for an outage."""
    with (
        amzauth.CreatorsClient(
            **{
                **CREATORS,
                "client_secret": "amzn1.oa2-cs.v1.5a4db0x31rotatedoutnotreal00000000000000000000031",
            },
            sandbox=fresh_sandbox.url,
            store="memory",
        ) as client,
        pytest.raises(amzauth.TokenError) as info,
    ):
        client.get_items(["B0SBXUS001"])
    assert not isinstance(info.value, AmazonUnavailable)
    assert info.value.code == "invalid_client"


@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        ({"status": 503}, SPAPIServerError),
        ({"status": 429}, QuotaExceeded),
        ({"drop": True}, SPAPINetworkError),
    ],
)
def test_every_spapi_outage_is_amazon_unavailable_and_an_spapi_error(
    fresh_sandbox: Any, fault: dict[str, Any], cls: type[Exception]
) -> None:
    fresh_sandbox.add_fault(host="sellingpartnerapi-eu.amazon.com", times=-1, **fault)
    with (
        amzauth.SPAPIClient(**SELLER, sandbox=fresh_sandbox.url, store="memory", sleep=lambda s: None) as sp,
        pytest.raises(amzauth.AmazonUnavailable) as info,
    ):
        sp.search_catalog("kettle")
    assert type(info.value) is cls
    assert isinstance(info.value, amzauth.SPAPIError)


def test_config_errors_are_amzauth_errors_naming_the_keyword() -> None:
    with pytest.raises(AmzAuthError) as info:
        amzauth.CreatorsClient(**{**CREATORS, "version": "9.9"})
    assert isinstance(info.value, ConfigError)
    assert info.value.key == "version"
    with pytest.raises(ConfigError) as info2:
        amzauth.SPAPIClient(**{**SELLER, "region": "mars"})
    assert info2.value.key == "region"


def test_network_errors_survive_pickling(fresh_sandbox: Any) -> None:
    """Errors cross process boundaries (worker pools) with their fields and classes intact."""
    err = _creators_failure(fresh_sandbox, drop=True)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is CreatorsNetworkError
    assert (back.kind, back.url, str(back)) == (err.kind, err.url, str(err))  # type: ignore[attr-defined]


async def test_async_clients_take_the_same_keywords(fresh_sandbox: Any) -> None:
    async with amzauth.AsyncCreatorsClient(**CREATORS, sandbox=fresh_sandbox.url, store="memory") as client:
        items = (await client.get_items(["B0SBXUS001"])).items
    assert [i.asin for i in items] == ["B0SBXUS001"]
    async with amzauth.AsyncSPAPIClient(**SELLER, sandbox=fresh_sandbox.url, store="memory") as sp:
        participations = await sp.marketplace_participations()
    uk = find_marketplace(SELLER["marketplace"])
    assert uk is not None and uk.marketplace_id in str(participations)


def test_keywords_and_a_source_do_not_mix(fresh_sandbox: Any) -> None:
    """A client is built from a profile (or plan) or from keywords; both at once is refused, naming the keyword."""
    with amzauth.CreatorsClient(**CREATORS, sandbox=fresh_sandbox.url, store="memory") as client:
        plan = client.plan
    with pytest.raises(ConfigError) as info:
        amzauth.CreatorsClient(plan, CREATORS["client_secret"], version="3.1")
    assert info.value.key == "version"
