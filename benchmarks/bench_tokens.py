"""Token engine figures: cached get_token latency, AmazonAuth overhead, and token requests per fan-out.

Run: ``python benchmarks/bench_tokens.py`` (prints figures; nothing here asserts a time).
It starts its own sandbox (``amzauth sandbox --port 0`` in a subprocess, so client and server do
not share a GIL) and, when Debian's redis-server is installed, its own Redis on a free port.
Targets (issue 4): memory <= 5 us, SQLite in a fresh process <= 1 ms, AmazonAuth/static <= 1.05,
one token request per fan-out. The same cold fan-out is run with amazon-creatorsapi-python-sdk
1.2.0, one ApiClient per thread, pointed at the same sandbox.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import print_figures, release_together, run_threads, start_redis, start_sandbox

CREATORS_31 = {
    "api": "creators",
    "credential_version": "3.1",
    "client_id": "amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031",
    "partner_tag": "demo-20",
}
SEARCH = {"keywords": "kettle", "partnerTag": "demo-20", "itemCount": 1}
MARKET = {"x-marketplace": "www.amazon.com"}
PROCS, THREADS = 8, 16


# ---- helpers shared with the worker processes ---------------------------------------------------
def _plan(sandbox_url: str) -> Any:
    from amzauth.config import profile_from_mapping
    from amzauth.core.plan import build_plan

    return build_plan(profile_from_mapping({**CREATORS_31, "sandbox": sandbox_url}))


def _store(spec: dict[str, Any]) -> Any:
    from amzauth.engine import MemoryTokenStore, SQLiteTokenStore

    if spec["kind"] == "sqlite":
        return SQLiteTokenStore(spec["path"])
    if spec["kind"] == "redis":
        from amzauth.engine.redis_store import RedisTokenStore

        return RedisTokenStore(spec["url"], namespace=spec["namespace"], fallback=MemoryTokenStore())
    return MemoryTokenStore()


def _token_requests(sb: Any) -> int:
    return sum(1 for r in sb.requests() if r["path"] in ("/auth/o2/token", "/oauth2/token"))


# ---- worker processes -----------------------------------------------------------------------------
def w_fanout(spec: dict[str, Any], url: str, barrier: Any, out: Any) -> None:
    from amzauth.engine import TokenManager

    m = TokenManager(_plan(url), CREATORS_31["client_secret"], store=_store(spec))
    errors: list[str] = []

    def run() -> None:
        try:
            m.get_token()
        except Exception as exc:
            errors.append(repr(exc))

    release_together(THREADS, run, barrier)
    out.put(errors)


def w_sdk_fanout(url: str, barrier: Any, out: Any) -> None:
    from creatorsapi_python_sdk.api.default_api import DefaultApi
    from creatorsapi_python_sdk.api_client import ApiClient
    from creatorsapi_python_sdk.models.search_items_request_content import SearchItemsRequestContent

    start = threading.Barrier(THREADS)
    errors: list[str] = []

    def run() -> None:
        client = ApiClient(
            credential_id=CREATORS_31["client_id"],
            credential_secret=CREATORS_31["client_secret"],
            version="3.1",
            host=url + "/creatorsapi.amazon",
            auth_endpoint=url + "/api.amazon.com/auth/o2/token",
        )
        start.wait()
        try:
            DefaultApi(client).search_items(
                "www.amazon.com",
                SearchItemsRequestContent(keywords="kettle", partner_tag="demo-20", item_count=1),
            )
        except Exception as exc:
            errors.append(type(exc).__name__)

    barrier.wait(60)  # each thread makes its own client before the release
    run_threads(THREADS, run)
    out.put(errors)


def w_load(spec: dict[str, Any], url: str, ready: Any, expired: Any, out: Any) -> None:
    import httpx

    from amzauth.engine import AmazonAuth, TokenManager

    p = _plan(url)
    auth = AmazonAuth(TokenManager(p, CREATORS_31["client_secret"], store=_store(spec)))
    statuses: list[int] = []
    threads = 8
    local = threading.Barrier(threads, action=lambda: ready.wait(60))

    def run() -> None:
        with httpx.Client(auth=auth, timeout=30) as c:
            for i in range(10):
                if i == 4:
                    local.wait(60)
                    expired.wait(60)
                statuses.append(
                    c.post(
                        p.api_base_url + "/catalog/v1/searchItems", json=SEARCH, headers=MARKET
                    ).status_code
                )

    run_threads(threads, run, join=120)
    out.put(statuses)


def w_sqlite_fresh(path: str, url: str, out: Any) -> None:
    t0 = time.perf_counter()
    from amzauth.engine import SQLiteTokenStore, TokenManager

    plan = _plan(url)
    store = SQLiteTokenStore(path)
    m = TokenManager(plan, CREATORS_31["client_secret"], store=store)
    t1 = time.perf_counter()
    tok = m.get_token()
    t2 = time.perf_counter()
    assert tok.source == "sqlite", tok.source
    # memory layer empty each time: every get_token is served by SQLite
    samples = []
    for _ in range(300):
        fresh = TokenManager(plan, CREATORS_31["client_secret"], store=store)
        a = time.perf_counter()
        fresh.get_token()
        samples.append(time.perf_counter() - a)
    out.put({"import_s": t1 - t0, "first_us": (t2 - t1) * 1e6, "median_us": statistics.median(samples) * 1e6})


# ---- infrastructure -----------------------------------------------------------------------------------
def run_procs(target: Any, args: tuple[Any, ...], n: int, ctx: Any) -> list[Any]:
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, out)) for _ in range(n)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    return results


# ---- measurements -------------------------------------------------------------------------------------
def bench_memory(url: str) -> float:
    from amzauth.engine import MemoryTokenStore, TokenManager

    m = TokenManager(_plan(url), CREATORS_31["client_secret"], store=MemoryTokenStore())
    m.get_token()
    per_call = []
    for _ in range(201):
        t0 = time.perf_counter_ns()
        for _ in range(1000):
            m.get_token()
        per_call.append((time.perf_counter_ns() - t0) / 1000)
    return statistics.median(per_call) / 1000  # us


def bench_auth_overhead(url: str, total: int = 2000, block: int = 100) -> dict[str, float]:
    import httpx

    from amzauth.engine import AmazonAuth, MemoryTokenStore, TokenManager

    p = _plan(url)
    m = TokenManager(p, CREATORS_31["client_secret"], store=MemoryTokenStore())
    tok = m.get_token().access_token
    endpoint = p.api_base_url + "/catalog/v1/searchItems"
    with (
        httpx.Client(auth=AmazonAuth(m)) as with_auth,
        httpx.Client(headers={"Authorization": f"Bearer {tok}"}) as static,
    ):
        for c in (with_auth, static):  # warm connections
            for _ in range(20):
                c.post(endpoint, json=SEARCH, headers=MARKET)
        t_auth: list[float] = []
        t_static: list[float] = []
        for i in range(total // block):
            order = (with_auth, static) if i % 2 == 0 else (static, with_auth)
            for c in order:
                t0 = time.perf_counter()
                for _ in range(block):
                    r = c.post(endpoint, json=SEARCH, headers=MARKET)
                    if r.status_code != 200:
                        raise SystemExit(f"API call failed: {r.status_code} {r.text[:200]}")
                (t_auth if c is with_auth else t_static).append(time.perf_counter() - t0)
    return {
        "auth_s": sum(t_auth),
        "static_s": sum(t_static),
        "ratio": sum(t_auth) / sum(t_static),
        "ratio_median_block": statistics.median(t_auth) / statistics.median(t_static),
        "per_request_ms": sum(t_static) / total * 1000,
    }


def bench_hook_overhead(url: str, n: int = 200_000) -> float:
    """AmazonAuth's own cost per request, without any network: set the header on a prepared request."""
    import httpx

    from amzauth.engine import AmazonAuth, MemoryTokenStore, TokenManager

    m = TokenManager(_plan(url), CREATORS_31["client_secret"], store=MemoryTokenStore())
    m.get_token()
    auth = AmazonAuth(m)
    req = httpx.Request("POST", "http://127.0.0.1/x", content=b"{}")
    t0 = time.perf_counter()
    for _ in range(n):
        flow = auth.sync_auth_flow(req)
        next(flow)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    from amzauth.sandbox.server import SandboxHandle

    tmp = tempfile.mkdtemp(prefix="amzauth-bench-")
    os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
    sandbox, url = start_sandbox()
    redis = start_redis()
    redis_url = redis.url if redis else None
    sb = SandboxHandle(url)
    ctx = mp.get_context("spawn")
    figures: dict[str, Any] = {}
    try:
        world = sb.world()
        world.setdefault("limits", {}).update(
            creators_rate=1e6, creators_burst=1_000_000, creators_daily=10**9
        )
        sb.set_world(world)

        figures["memory_get_token_median_us"] = round(bench_memory(url), 3)
        figures["auth_hook_cost_us"] = round(bench_hook_overhead(url), 2)

        path = os.path.join(tmp, "warm", "tokens.sqlite3")
        from amzauth.engine import SQLiteTokenStore, TokenManager

        TokenManager(_plan(url), CREATORS_31["client_secret"], store=SQLiteTokenStore(path)).get_token()
        fresh = [run_procs(w_sqlite_fresh, (path, url), 1, ctx)[0] for _ in range(5)]
        figures["sqlite_fresh_process_first_get_token_us"] = round(
            statistics.median(f["first_us"] for f in fresh), 1
        )
        figures["sqlite_get_token_median_us"] = round(statistics.median(f["median_us"] for f in fresh), 1)

        over = bench_auth_overhead(url)
        figures["amazonauth_vs_static_2000_requests"] = {k: round(v, 4) for k, v in over.items()}

        def fanout(spec: dict[str, Any]) -> int:
            sb.reset()
            sb.set_world(world)
            errors = run_procs(w_fanout, (spec, url, ctx.Barrier(PROCS)), PROCS, ctx)
            if any(errors):
                print("errors:", errors, file=sys.stderr)
            return _token_requests(sb)

        figures["fanout_8x16_sqlite_token_requests"] = fanout(
            {"kind": "sqlite", "path": os.path.join(tmp, f"f{secrets.token_hex(3)}.sqlite3")}
        )
        if redis_url:
            figures["fanout_8x16_redis_token_requests"] = fanout(
                {"kind": "redis", "url": redis_url, "namespace": f"b{secrets.token_hex(3)}"}
            )
        else:
            figures["fanout_8x16_redis_token_requests"] = "skipped (no redis-server)"

        sb.reset()
        sb.set_world(world)
        from amzauth.engine import MemoryTokenStore

        m = TokenManager(_plan(url), CREATORS_31["client_secret"], store=MemoryTokenStore())

        async def tasks() -> None:
            await asyncio.gather(*(m.aget_token() for _ in range(1000)))

        asyncio.run(tasks())
        figures["asyncio_1000_tasks_token_requests"] = _token_requests(sb)

        sb.reset()
        sb.set_world(world)
        spec = {"kind": "sqlite", "path": os.path.join(tmp, f"l{secrets.token_hex(3)}.sqlite3")}
        ready, expired = ctx.Barrier(4 + 1), ctx.Event()
        out = ctx.Queue()
        procs = [ctx.Process(target=w_load, args=(spec, url, ready, expired, out)) for _ in range(4)]
        for p in procs:
            p.start()
        ready.wait(120)
        before = _token_requests(sb)
        sb.expire_tokens()
        expired.set()
        statuses = [s for _ in procs for s in out.get(timeout=120)]
        for p in procs:
            p.join(30)
        figures["expiry_under_load_4x8_extra_token_requests"] = _token_requests(sb) - before
        figures["expiry_under_load_non_200"] = sum(1 for s in statuses if s != 200)

        sb.reset()
        sb.set_world(world)
        cfg = Path(tmp) / "amzauth.toml"
        cfg.write_text(
            "[profiles.default]\n"
            + "".join(f"{k} = {json.dumps(v)}\n" for k, v in {**CREATORS_31, "sandbox": url}.items())
        )
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cli-cache")
        clis = [
            subprocess.Popen(
                [sys.executable, "-m", "amzauth", "token", "--json", "--config", str(cfg)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(16)
        ]
        codes = [c.wait(120) for c in clis]
        figures["cli_16_processes_token_requests"] = _token_requests(sb)
        figures["cli_16_processes_exit_codes"] = sorted(set(codes))

        sb.reset()
        sb.set_world(world)
        errs = run_procs(w_sdk_fanout, (url, ctx.Barrier(PROCS)), PROCS, ctx)
        figures["creators_sdk_1_2_0_fanout_8x16_token_requests"] = _token_requests(sb)
        figures["creators_sdk_errors"] = sum(len(e) for e in errs)
    finally:
        sb.close()
        sandbox.terminate()
        sandbox.wait(10)
        if redis is not None:
            redis.stop()
            shutil.rmtree(redis.dir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)

    print_figures(figures)


if __name__ == "__main__":
    main()
