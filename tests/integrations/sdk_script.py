"""Runs inside one SDK's own virtual environment (see setup_venvs.sh); prints one JSON result line.

Usage: python sdk_script.py SDK MODE CONFIG_JSON
  SDK:  creators_sdk | paapi | python_sp_api | amzn_sp_api
  MODE: fanout-with | fanout-without (PROCS processes x THREADS threads, one client and one API call
        per thread, released together), calls (normal calls through the integration), expiry (tokens
        expired server-side between calls), wrong-secret.
Imports nothing from the test suite: only the SDK, amzauth and the standard library.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
import threading
from typing import Any

CREATORS = {
    "client_id": "amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031",
    "version": "3.1",
    "tag": "demo-20",
}
SPAPI = {
    "client_id": "amzn1.application-oa2-client.5a4db0xsp01draft000000000000001",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0xsp01draftsecretnotreal0000000000000000001",
    "refresh_token": "Atzr|IwEBsandbox-demo-na-repricer-000000000000000000000000000001",
}


# ---- one client and one call, per SDK --------------------------------------------------------------
def creators_sdk(sb: str, integrate: bool, secret: str | None = None) -> Any:
    from creatorsapi_python_sdk.api.default_api import DefaultApi
    from creatorsapi_python_sdk.api_client import ApiClient

    client = ApiClient(
        credential_id=CREATORS["client_id"],
        credential_secret=secret or CREATORS["client_secret"],
        version="3.1",
        host=f"{sb}/creatorsapi.amazon",
        auth_endpoint=f"{sb}/api.amazon.com/auth/o2/token",
    )
    if integrate:
        from amzauth.integrations import use_amzauth

        use_amzauth(client)
    return DefaultApi(client)


def creators_sdk_call(api: Any) -> Any:
    from creatorsapi_python_sdk.models import SearchItemsRequestContent

    found = api.search_items(
        "www.amazon.com",
        SearchItemsRequestContent(keywords="coffee maker", partner_tag=CREATORS["tag"], item_count=3),
    )
    return [i.asin for i in found.search_result.items]


def paapi(sb: str, integrate: bool, secret: str | None = None) -> Any:
    from amazon_creatorsapi import AmazonCreatorsApi

    api = AmazonCreatorsApi(
        credential_id=CREATORS["client_id"],
        credential_secret=secret or CREATORS["client_secret"],
        version="3.1",
        tag=CREATORS["tag"],
        country="US",
        throttling=0,
        host=f"{sb}/creatorsapi.amazon",
        auth_endpoint=f"{sb}/api.amazon.com/auth/o2/token",
    )
    if integrate:
        from amzauth.integrations import use_amzauth

        use_amzauth(api)
    return api


def paapi_call(api: Any) -> Any:
    return [i.asin for i in api.search_items(keywords="coffee maker", item_count=3).items]


def python_sp_api(sb: str, integrate: bool, secret: str | None = None) -> Any:
    from sp_api.api import Sellers
    from sp_api.auth import AccessTokenClient

    class SandboxLwa(AccessTokenClient):  # the library's way to change its token URL: a subclass
        scheme = f"{sb}/"

    client = Sellers(
        credentials={"lwa_app_id": SPAPI["client_id"], "lwa_client_secret": secret or SPAPI["client_secret"]},
        refresh_token=SPAPI["refresh_token"],
        auth_token_client_class=SandboxLwa,
    )
    client.endpoint = f"{sb}/sellingpartnerapi-na.amazon.com"
    if integrate:
        from amzauth.integrations import use_amzauth

        use_amzauth(client)
    return client


def python_sp_api_call(client: Any) -> Any:
    return [m["marketplace"]["id"] for m in client.get_marketplace_participation().payload]


def amzn_sp_api(sb: str, integrate: bool, secret: str | None = None) -> Any:
    from spapi.auth.credentials import SPAPIConfig

    config = SPAPIConfig(
        client_id=SPAPI["client_id"],
        client_secret=secret or SPAPI["client_secret"],
        refresh_token=SPAPI["refresh_token"],
        region="NA",
    )
    if integrate:
        from amzauth.integrations.amzn_sp_api import SPAPIClient
    else:
        from spapi import SPAPIClient
    return SPAPIClient(
        config,
        oauth_endpoint=f"{sb}/api.amazon.com/auth/o2/token",
        endpoint=f"{sb}/sellingpartnerapi-na.amazon.com",
    )


def amzn_sp_api_call(client: Any) -> Any:
    from spapi.api.sellers_v1.sellers_api import SellersApi

    got = SellersApi(client.api_client).get_marketplace_participations()
    return [p.marketplace.id for p in got.payload]


# ---- modes ---------------------------------------------------------------------------------------------
def _worker(sdk: str, sb: str, integrate: bool, threads: int, barrier: Any, out: Any) -> None:
    make, call = globals()[sdk], globals()[f"{sdk}_call"]
    errors: list[str] = []
    start = threading.Barrier(threads)

    def run() -> None:
        try:
            start.wait(60)
            call(make(sb, integrate))  # the client is built at the release: a cold start
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:300])

    barrier.wait(120)
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    out.put(errors)


def fanout(sdk: str, sb: str, integrate: bool, procs: int, threads: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    barrier = ctx.Barrier(procs)
    plist = [
        ctx.Process(target=_worker, args=(sdk, sb, integrate, threads, barrier, out)) for _ in range(procs)
    ]
    for p in plist:
        p.start()
    errors = [e for _ in plist for e in out.get(timeout=240)]
    for p in plist:
        p.join(60)
    return {"errors": errors[:5], "error_count": len(errors), "exitcodes": [p.exitcode for p in plist]}


def calls(sdk: str, sb: str) -> dict[str, Any]:
    client = globals()[sdk](sb, True)
    first = globals()[f"{sdk}_call"](client)
    second = globals()[f"{sdk}_call"](client)
    return {"first": first, "second": second}


def expiry(sdk: str, sb: str) -> dict[str, Any]:
    """A call, every token expired server-side (the sandbox's control API), two clients calling again."""
    import urllib.request

    make, call = globals()[sdk], globals()[f"{sdk}_call"]
    first, second = make(sb, True), make(sb, True)
    before = call(first)
    urllib.request.urlopen(urllib.request.Request(f"{sb}/_sandbox/tokens/expire", method="POST"), timeout=10)
    return {"before": before, "after": [call(first), call(second)]}


def wrong_secret(sdk: str, sb: str, secret: str, sdk_error: str) -> dict[str, Any]:
    module, _, name = sdk_error.rpartition(".")
    expected = getattr(__import__(module, fromlist=[name]), name)
    try:
        globals()[f"{sdk}_call"](globals()[sdk](sb, True, secret))
    except Exception as exc:
        return {
            "type": type(exc).__name__,
            "is_sdk_type": isinstance(exc, expected),
            "message": str(exc),
            "diagnosis": getattr(exc, "diagnosis", None),
            "attrs": {k: getattr(exc, k, None) for k in ("code", "cause", "field")},
            "fix": list(getattr(exc, "fix", ()) or ()),
        }
    return {"type": None}


def main() -> None:
    sdk, mode, cfg = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if mode.startswith("fanout-"):
        result = fanout(sdk, cfg["sandbox"], mode == "fanout-with", cfg["procs"], cfg["threads"])
    elif mode == "calls":
        result = calls(sdk, cfg["sandbox"])
    elif mode == "expiry":
        result = expiry(sdk, cfg["sandbox"])
    elif mode == "wrong-secret":
        result = wrong_secret(sdk, cfg["sandbox"], cfg["secret"], cfg["sdk_error"])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
