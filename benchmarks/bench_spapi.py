"""SP-API figures: consent URL building, the whole authorization, code exchange, call overhead, fan-out, quota.

Run: ``python benchmarks/bench_spapi.py [--quick]`` (prints figures; nothing here asserts a time). The client
and raw httpx are timed in interleaved blocks (median of block ratios): CPU is shared, so a ratio of
two runs one after the other swings with the load.
It starts its own sandbox (``amzauth sandbox --port 0`` in a subprocess, so client and server do not
share a GIL) and keeps every file it writes in a temporary home (XDG_* variables).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import shutil
import statistics
import tempfile
import threading
import time
from typing import Any

from _common import figure, interleave, print_figures, quick, release_together, start_sandbox

APP = {
    "api": "spapi",
    "region": "na",
    "client_id": "amzn1.application-oa2-client.5a4db0xsp01draft000000000000001",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0xsp01draftsecretnotreal0000000000000000001",
    "application_id": "amzn1.sp.solution.5a4db0x0-demo-4d2a-8f00-000000000001",
    "draft": True,
    "marketplace": "ATVPDKIKX0DER",
}
PROCS, THREADS = 4, 8


def _confirm(url: str) -> str:
    import httpx

    with httpx.Client(timeout=15) as http:
        page = http.get(url).text
        cid = re.search(r'name="consent_id" value="([^"]+)"', page)
        seller = re.search(r'name="selling_partner_id" value="([^"]+)"', page)
        assert cid and seller, page[:500]
        r = http.post(
            url.split("?")[0], data={"consent_id": cid.group(1), "selling_partner_id": seller.group(1)}
        )
        return str(r.headers["location"])


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def _fan_worker(values: dict[str, Any], threads: int, barrier: Any, out: Any) -> None:
    from amzauth.config import profile_from_mapping
    from amzauth.spapi import SPAPIClient

    client = SPAPIClient(profile_from_mapping(values, name="bench"))
    ok: list[int] = []

    def run() -> None:
        ok.append(len(client.marketplace_participations()))

    release_together(threads, run, barrier, start_timeout=60)
    out.put(len(ok))


def main() -> None:
    home = tempfile.mkdtemp(prefix="amzauth-bench-spapi-")
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        os.environ[var] = os.path.join(home, var.lower())
    proc, url = start_sandbox()
    try:
        _run(url, home)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(home, ignore_errors=True)


def _run(url: str, home: str) -> None:
    import httpx
    from tests.support import free_port

    from amzauth.config import profile_from_mapping
    from amzauth.engine import MemoryStore
    from amzauth.spapi import SPAPIClient, build_consent, exchange_callback, parse_callback
    from amzauth.spapi.authorize import authorize

    port = free_port()
    redirect = f"http://127.0.0.1:{port}/callback"
    world = httpx.get(f"{url}/_sandbox/world", timeout=10).json()
    for app in world["spapi_apps"]:
        if app["client_id"] == APP["client_id"]:
            app["redirect_uris"] = [redirect]
    world["limits"].update(spapi_rate=100000.0, spapi_burst=100000)
    httpx.post(f"{url}/_sandbox/world", content=json.dumps(world), timeout=10).raise_for_status()
    prof = profile_from_mapping({**APP, "redirect_uri": redirect, "sandbox": url}, name="bench")
    figures: dict[str, str] = {}
    q = quick()

    n = 500 if q else 5000
    t0 = time.perf_counter()
    for _ in range(n):
        c = build_consent(prof)
    figures["build_consent (checks + state)"] = _us((time.perf_counter() - t0) / n)
    t0 = time.perf_counter()
    for _ in range(n):
        build_consent(prof, pkce=True)
    figures["build_consent with PKCE"] = _us((time.perf_counter() - t0) / n)
    query = f"state={c.state}&selling_partner_id=A1&spapi_oauth_code=ANcode"
    t0 = time.perf_counter()
    for _ in range(n):
        parse_callback(query, c.state)
    figures["parse_callback (state first)"] = _us((time.perf_counter() - t0) / n)

    exch: list[float] = []
    for _ in range(5 if q else 20):
        c = build_consent(prof)
        loc = _confirm(c.url)
        t0 = time.perf_counter()
        exchange_callback(loc, c, source=prof)
        exch.append(time.perf_counter() - t0)
    figures[f"code exchange (median of {len(exch)})"] = _ms(statistics.median(exch))

    whole: list[float] = []

    def robot(consent_url: str, done: threading.Event) -> None:
        def go() -> None:
            httpx.get(_confirm(consent_url), timeout=30)
            done.set()

        threading.Thread(target=go, daemon=True).start()

    for _ in range(3 if q else 10):
        done = threading.Event()
        t0 = time.perf_counter()
        result = authorize(
            prof,
            open_browser=False,
            on_url=lambda u, d=done: robot(u, d),
            timeout=30,
            store="file",
            save_profile=False,
        )
        whole.append(time.perf_counter() - t0)
        done.wait(10)
    figures[f"authorize end to end, robot seller (median of {len(whole)})"] = _ms(statistics.median(whole))

    seller = prof.replace(refresh_token=result.refresh_token.reveal())
    target = f"{url}/sellingpartnerapi-na.amazon.com/sellers/v1/marketplaceParticipations"
    with SPAPIClient(seller, store=MemoryStore()) as sp, httpx.Client(timeout=10) as http:
        sp.marketplace_participations()
        token = sp.token().access_token
        # Interleaved blocks: both sides see the same load, so the ratio no longer swings with it.
        blocks, per = (4, 10) if q else (20, 50)
        r = interleave(
            sp.marketplace_participations,
            lambda: http.get(target, headers={"x-amz-access-token": token}).json(),
            blocks=blocks,
            per_block=per,
        )
    figure(
        f"SPAPIClient call, warm token / raw httpx+json ({blocks * per} each)",
        r["ratio"],
        "x",
        note=f"client {r['candidate'] * 1e3:.2f} ms, raw {r['baseline'] * 1e3:.2f} ms",
    )

    stored = result.reference or ""
    httpx.delete(f"{url}/_sandbox/requests", timeout=10)
    values = {
        **APP,
        "redirect_uri": redirect,
        "sandbox": url,
        "refresh_token": stored,
        "cache_dir": os.path.join(home, "fan"),
    }
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    barrier = ctx.Barrier(PROCS)
    procs = [ctx.Process(target=_fan_worker, args=(values, THREADS, barrier, out)) for _ in range(PROCS)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    calls = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
    log = httpx.get(f"{url}/_sandbox/requests", timeout=10).json()
    token_reqs = sum(1 for r in log if r["path"] == "/auth/o2/token")
    figures[f"fan-out {PROCS} procs x {THREADS} threads"] = (
        f"{calls} calls, {token_reqs} token request(s), {time.perf_counter() - t0:.2f} s incl. process start"
    )

    world = httpx.get(f"{url}/_sandbox/world", timeout=10).json()  # keeps the authorizations made above
    world["limits"].update(spapi_rate=10.0, spapi_burst=5)
    httpx.post(f"{url}/_sandbox/world", content=json.dumps(world), timeout=10).raise_for_status()
    httpx.delete(f"{url}/_sandbox/requests", timeout=10)
    with SPAPIClient(seller, store=MemoryStore()) as sp:
        t0 = time.perf_counter()
        for _ in range(30):
            sp.marketplace_participations()
        spent = time.perf_counter() - t0
    log = httpx.get(f"{url}/_sandbox/requests", timeout=10).json()
    quota = sum(1 for r in log if r["status"] == 429)
    figures["30 calls at 10 req/s, burst 5"] = (
        f"{spent:.2f} s (ideal 2.50 s), {quota} QuotaExceeded answers retried"
    )

    print_figures(figures)


if __name__ == "__main__":
    main()
