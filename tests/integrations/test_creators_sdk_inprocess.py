"""Amazon's Creators SDK (in the test extra, so in-process here) through use_amzauth against the sandbox.

Both credential families' header forms, the diagnosed error surviving a pickle round trip (process
pools and queues carry exceptions), and an unreachable token endpoint diagnosed as ``network``.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from creatorsapi_python_sdk.api.default_api import DefaultApi
from creatorsapi_python_sdk.api_client import ApiClient
from creatorsapi_python_sdk.models import SearchItemsRequestContent

from amzauth.integrations import Diagnosed, use_amzauth
from tests.engine._profiles import CREATORS_21, CREATORS_31
from tests.engine.helpers import token_requests
from tests.support import free_port

TOKEN_PATH = {
    "2.1": "/creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
    "3.1": "/api.amazon.com/auth/o2/token",
}


def _api(
    sb_url: str, cred: dict[str, Any], secret: str | None = None, auth_url: str | None = None
) -> DefaultApi:
    version = cred["credential_version"]
    client = ApiClient(
        credential_id=cred["client_id"],
        credential_secret=secret or cred["client_secret"],
        version=version,
        host=f"{sb_url}/creatorsapi.amazon",
        auth_endpoint=auth_url or sb_url + TOKEN_PATH[version],
    )
    use_amzauth(client, timeout=2)
    return DefaultApi(client)


def _search(api: DefaultApi) -> Any:
    return api.search_items(
        "www.amazon.com",
        SearchItemsRequestContent(keywords="coffee maker", partner_tag="demo-20", item_count=2),
    )


@pytest.mark.parametrize("cred", [CREATORS_21, CREATORS_31], ids=["2.1-cognito", "3.1-lwa"])
def test_both_families_search_with_one_token(fresh_sandbox: Any, cred: dict[str, Any]) -> None:
    apis = [_api(fresh_sandbox.url, cred) for _ in range(3)]  # three clients, one credential
    for api in apis:
        assert _search(api).search_result.items
    assert len(token_requests(fresh_sandbox)) == 1
    assert {r["status"] for r in fresh_sandbox.requests()} == {200}


def test_the_diagnosed_error_pickles_with_its_type_and_diagnosis(fresh_sandbox: Any) -> None:
    api = _api(fresh_sandbox.url, CREATORS_21, secret="sandbox21wrongsecretnotreal000000000000000000000009")
    with pytest.raises(Exception) as info:
        _search(api)
    exc = info.value
    assert type(exc).__name__ == "Exception" and isinstance(exc, Diagnosed)
    assert (exc.code, exc.field) == ("invalid_client", "client_secret")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc) and str(back) == str(exc)
    assert (back.diagnosis, back.fix, back.amzauth_error.code) == (exc.diagnosis, exc.fix, "invalid_client")


def test_an_unreachable_token_endpoint_is_diagnosed_as_network(fresh_sandbox: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}/api.amazon.com/auth/o2/token"
    api = _api(fresh_sandbox.url, CREATORS_31, auth_url=dead)
    with pytest.raises(Exception, match=r"code=network cause=\S+ field=network") as info:
        _search(api)
    assert isinstance(info.value, Diagnosed) and info.value.code == "network"
    assert fresh_sandbox.requests() == []  # no API call was made without a token
