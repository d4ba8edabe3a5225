"""Site kit figures, each beside a baseline from the same run (nothing here asserts a time).

1. A cached product box rendered in-process (``SiteKit.render_cached``) against a plain Jinja2
   render of the same box's static HTML (target: at most 100 us), interleaved in rounds.
2. The ASGI fragment endpoint (``GET /box/{asin}``, all cache hits) on one uvicorn worker, as
   ``amzauth site serve`` runs it, against a bare Starlette route returning the same bytes on the
   same server setup (target: at least 2,000 requests/s), interleaved.
3. 100,000 page views over 1,000 ASINs from 4 worker processes sharing one SQLite store, with a
   short items TTL so several refresh periods pass; the items are filled one by one over a refresh
   period first (so they come due one by one, as on a live site): getItems requests per refresh
   period in the steady state, after a settle period (target: at most 100, the distinct items / 10,
   whatever the number of views).
4. The search results page (``GET /search?q=...``, cached) on one uvicorn worker, as ``amzauth site
   serve`` runs it (visitor limits off: every request comes from one address), against a bare
   Starlette route returning the same bytes (target: at least 1,500 requests/s), interleaved.
5. 10,000 searches drawn from 200 distinct queries by 4 worker processes sharing one SQLite store:
   searchItems requests that reach the sandbox (target: 200), against the same searches by 4
   processes each with only its own memory cache (no shared store), in the same run.

    python benchmarks/bench_site.py [--seconds 3] [--views 100000] [--ttl 15] [--searches 10000]

It starts its own sandbox in a subprocess (demo world plus 1,000 generated US items, rate limits
raised so the run is quick).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import BENCH_ITEMS, print_figures, profile_values, start_sandbox
from _common import bench_world as _world

N_ITEMS = BENCH_ITEMS
RATE, BURST = 200.0, 20
ASIN = "B1BENCH000"


def bench_world() -> dict[str, Any]:
    return _world(rate=RATE * 2, burst=BURST * 2, daily=10_000_000)


def make_kit(url: str, store_path: Path, **client_kw: Any) -> Any:
    from amzauth.config import profile_from_mapping
    from amzauth.creators import CreatorsClient, SQLiteStore
    from amzauth.site import SiteKit

    client = CreatorsClient(
        profile_from_mapping(profile_values(url)),
        store=SQLiteStore(store_path),
        rate=RATE,
        burst=BURST,
        **client_kw,
    )
    return SiteKit(client, owns_client=True)


# -- 1. in-process render -------------------------------------------------------------------------------
def bench_render(url: str, tmp: Path, rounds: int = 7, n: int = 2000) -> dict[str, Any]:
    from jinja2 import Environment

    from amzauth.site import Box

    kit = make_kit(url, tmp / "render.sqlite3")
    try:
        block = [Box.of(ASIN)]
        html = str(kit.render_many(block, styles=False)[0])
        assert kit.render_cached(block, styles=False) is not None, "not cached"
        static = Environment(autoescape=True).from_string(html.replace("{", "{{ '{' }}"))
        assert static.render() == html
        cand: list[float] = []
        base: list[float] = []
        for _ in range(rounds):  # interleaved rounds: the machine's load hits both alike
            t = time.perf_counter_ns()
            for _ in range(n):
                kit.render_cached(block, styles=False)
            cand.append((time.perf_counter_ns() - t) / n / 1000)
            t = time.perf_counter_ns()
            for _ in range(n):
                static.render()
            base.append((time.perf_counter_ns() - t) / n / 1000)
    finally:
        kit.close()
    c, b = statistics.median(cand), statistics.median(base)
    return {
        "render: cached box (us, median of rounds)": f"{c:.1f}   target <= 100",
        "render: Jinja2 static same HTML (us)": f"{b:.1f}",
        "render: ratio box / static": f"{c / b:.2f}",
    }


# -- 2. ASGI fragment endpoint ----------------------------------------------------------------------------
BASELINE_SERVER = """
import sys
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from amzauth.serving import bind_socket, make_server, serve_foreground, socket_url
body = open(sys.argv[1], encoding="utf-8").read()
async def box(request):
    return HTMLResponse(body)
sock = bind_socket("127.0.0.1", 0)
url = socket_url(sock)
server = make_server(Starlette(routes=[Route("/{path:path}", box)]), on_started=lambda: print(f"site listening on {url}", flush=True))
serve_foreground(server, sock)
"""


def _serve(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("site listening on "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, line.removeprefix("site listening on ")


async def _conn(port: int, req: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            counts[0 if head[9:12] == b"200" else 1] += 1
    finally:
        writer.close()


def _client(port: int, path: str, conns: int, seconds: float, start_at: float, out: Any) -> None:
    async def main() -> list[int]:
        counts = [0, 0]
        while time.time() < start_at:
            await asyncio.sleep(0.005)
        req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_conn(port, req, deadline, counts) for _ in range(conns)))
        return counts

    out.put(asyncio.run(main()))


def drive(port: int, path: str, seconds: float, procs: int = 2, conns: int = 16) -> tuple[float, int]:
    q: Any = mp.Queue()
    start_at = time.time() + 0.3
    ps = [mp.Process(target=_client, args=(port, path, conns, seconds, start_at, q)) for _ in range(procs)]
    for p in ps:
        p.start()
    ok = bad = 0
    for _ in ps:
        a, b = q.get(timeout=seconds + 60)
        ok, bad = ok + a, bad + b
    for p in ps:
        p.join()
    return ok / seconds, bad


def bench_asgi(url: str, tmp: Path, seconds: float) -> dict[str, Any]:
    import httpx

    cfg = tmp / "site.toml"
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in profile_values(url).items()))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "asgi-cache"), "AMZAUTH_CONFIG": str(cfg)}
    site, site_url = _serve([sys.executable, "-m", "amzauth", "site", "serve", "--port", "0"], env)
    base = None
    try:
        body = httpx.get(f"{site_url}/box/{ASIN}", timeout=30).text  # warms the cache
        assert "Benchwork" in body, body[:200]
        (tmp / "body.html").write_text(body, encoding="utf-8")
        base, base_url = _serve([sys.executable, "-c", BASELINE_SERVER, str(tmp / "body.html")], env)
        assert httpx.get(f"{base_url}/box/{ASIN}").text == body
        sp, bp = int(site_url.rsplit(":", 1)[1]), int(base_url.rsplit(":", 1)[1])
        cand: list[float] = []
        basel: list[float] = []
        errors = 0
        for _ in range(2):
            rps, bad = drive(sp, f"/box/{ASIN}", seconds)
            cand.append(rps)
            errors += bad
            rps, bad = drive(bp, f"/box/{ASIN}", seconds)
            basel.append(rps)
            errors += bad
    finally:
        for p in (site, base):
            if p is not None:
                p.terminate()
                p.wait(10)
    c, b = statistics.median(cand), statistics.median(basel)
    return {
        "asgi: GET /box/{asin} cached (req/s, 1 uvicorn worker)": f"{c:,.0f}   target >= 2,000",
        "asgi: static Starlette route, same body (req/s)": f"{b:,.0f}",
        "asgi: ratio site / static": f"{c / b:.2f}",
        "asgi: non-200 answers": errors,
    }


# -- 3. page views from 4 processes sharing a store ---------------------------------------------------------
def _viewer(
    url: str, store: str, ttl: float, views: int, seconds: float, start_at: float, seed: int, out: Any
) -> None:
    from amzauth.site import Box

    kit = make_kit(url, Path(store), items_ttl=ttl)
    rng = random.Random(seed)
    slow = 0
    while time.time() < start_at:
        time.sleep(0.005)
    t0 = time.perf_counter()
    for i in range(views):
        # Pace the views evenly over ``seconds`` so several refresh periods pass.
        ahead = t0 + seconds * i / views - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
        asin = f"B1BENCH{rng.randrange(N_ITEMS):03d}"
        t = time.perf_counter()
        html = kit.render_many([Box.of(asin)], styles=False)[0]
        if time.perf_counter() - t > 0.05:
            slow += 1
        if "data-fallback" in html:
            slow += 0  # counted by the parent through the sandbox log instead
    direct = kit.client.stats.requests
    refreshed = kit.data.refresher().stats.requests
    fetched = kit.data.refresher().stats.misses
    kit.close()
    out.put((slow, direct, refreshed, fetched))


def bench_fleet(url: str, handle: Any, tmp: Path, views: int, ttl: float, periods: int) -> dict[str, Any]:
    """Requests per refresh period in the steady state, the way a live site reaches it.

    The 1,000 items are filled one at a time spread over one refresh period (a real site's items
    were first shown at different moments, so they come due one by one, not in ready-made tens);
    then 4 processes view them for ``periods`` TTLs. Only requests after a settle period of one TTL
    count, so the fill and the first wave of refreshes do not flatter or spoil the figure.
    """
    store = tmp / "fleet.sqlite3"
    cycle = ttl * 0.8  # an item is renewed every refresh_ahead x TTL: that is the refresh period
    kit = make_kit(url, store, items_ttl=ttl)
    t0 = time.perf_counter()
    fill_requests = 0
    for n in range(N_ITEMS):
        ahead = t0 + cycle * n / N_ITEMS - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
        fill_requests += kit.warm([f"B1BENCH{n:03d}"]).requests
    kit.close()
    handle.clear_requests()
    seconds = ttl * periods
    q: Any = mp.Queue()
    start_at = time.time() + 0.2
    per = views // 4
    ps = [
        mp.Process(target=_viewer, args=(url, str(store), ttl, per, seconds, start_at, seed, q))
        for seed in range(4)
    ]
    for p in ps:
        p.start()
    got = [q.get(timeout=seconds + 300) for _ in ps]
    slow = sum(g[0] for g in got)
    direct, refreshed = sum(g[1] for g in got), sum(g[2] for g in got)
    fetched = sum(g[3] for g in got)
    for p in ps:
        p.join()
    log = handle.requests(host="creatorsapi.amazon", path="/catalog/v1/getItems")
    settled = start_at + ttl
    stop = start_at + seconds
    steady = [r for r in log if settled <= r["ts"] < stop]
    buckets = [
        sum(1 for r in steady if settled + i * cycle <= r["ts"] < settled + (i + 1) * cycle)
        for i in range(int((stop - settled) // cycle))
    ]
    return {
        f"fleet: fill, 1,000 ASINs one by one over one refresh period ({cycle:g} s), getItems": fill_requests,
        f"fleet: views (4 processes, {views // 4:,} each, over {seconds:.0f} s)": f"{per * 4:,}",
        f"fleet: getItems per whole refresh period after a {ttl:g} s settle": buckets,
        "fleet: getItems per refresh period, steady state, averaged": (
            f"{len(steady) / max(1e-9, stop - settled) * cycle:.0f}   target <= 100"
        ),
        "fleet: views slower than 50 ms": slow,
        "fleet: requests by page views / by the background refresher (whole run)": f"{direct} / {refreshed}",
        "fleet: ASINs per refresh request": f"{fetched / max(1, refreshed):.1f}",
    }


# -- 4. cached search results page ---------------------------------------------------------------------------
SEARCH_PATH = "/search?q=benchwork+widget&page=2"


def bench_search_page(url: str, tmp: Path, seconds: float) -> dict[str, Any]:
    import httpx

    cfg = tmp / "search.toml"
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in profile_values(url).items()))
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp / "search-cache"),
        "AMZAUTH_CONFIG": str(cfg),
        "AMZAUTH_SITE_VISITOR_RATE": "0",  # the load generator is one address: no per-visitor limit
        "AMZAUTH_SITE_BUDGET_MS": "10000",
    }
    site, site_url = _serve([sys.executable, "-m", "amzauth", "site", "serve", "--port", "0"], env)
    base = None
    try:
        body = httpx.get(site_url + SEARCH_PATH, timeout=30).text  # warms the cache
        assert body.count("<li data-asin=") == 10, body[:300]
        again = httpx.get(site_url + SEARCH_PATH, timeout=30).text
        (tmp / "search.html").write_text(again, encoding="utf-8")
        base, base_url = _serve([sys.executable, "-c", BASELINE_SERVER, str(tmp / "search.html")], env)
        sp, bp = int(site_url.rsplit(":", 1)[1]), int(base_url.rsplit(":", 1)[1])
        cand: list[float] = []
        basel: list[float] = []
        errors = 0
        for _ in range(2):
            rps, bad = drive(sp, SEARCH_PATH, seconds)
            cand.append(rps)
            errors += bad
            rps, bad = drive(bp, SEARCH_PATH, seconds)
            basel.append(rps)
            errors += bad
    finally:
        for p in (site, base):
            if p is not None:
                p.terminate()
                p.wait(10)
    c, b = statistics.median(cand), statistics.median(basel)
    return {
        "search: GET /search results page cached (req/s, 1 uvicorn worker)": f"{c:,.0f}   target >= 1,500",
        "search: static Starlette route, same body (req/s)": f"{b:,.0f}",
        "search: ratio site / static": f"{c / b:.2f}",
        "search: non-200 answers": errors,
    }


# -- 5. searches from 4 processes ---------------------------------------------------------------------------
def _searcher(url: str, store: str | None, queries: list[str], start_at: float, out: Any) -> None:
    from amzauth.site import ProductList

    kit = _search_kit(url, store)
    while time.time() < start_at:
        time.sleep(0.005)
    empty = 0
    for q in queries:
        outcome = kit.search_page(ProductList.of(keywords=q, count=10), 1)
        empty += outcome.state != "ok"
    kit.close()
    out.put(empty)


def _search_kit(url: str, store: str | None) -> Any:
    """A kit on the shared SQLite store, or (the baseline) on this process's memory only."""
    from amzauth.config import profile_from_mapping
    from amzauth.creators import CreatorsClient, SQLiteStore
    from amzauth.creators.store import MemoryResultStore
    from amzauth.site import SiteKit, SiteSettings

    results = SQLiteStore(Path(store)) if store else MemoryResultStore()
    client = CreatorsClient(profile_from_mapping(profile_values(url)), store=results, rate=RATE, burst=BURST)
    return SiteKit(client, SiteSettings(budget_ms=10_000), owns_client=True)


def _search_run(url: str, handle: Any, store: str | None, searches: int) -> tuple[int, int]:
    rng = random.Random(7)
    distinct = [f"benchwork widget model {n}" for n in range(200)]
    drawn = distinct + [rng.choice(distinct) for _ in range(searches - len(distinct))]
    rng.shuffle(drawn)
    handle.clear_requests()
    q: Any = mp.Queue()
    start_at = time.time() + 1.0
    ps = [mp.Process(target=_searcher, args=(url, store, drawn[i::4], start_at, q)) for i in range(4)]
    for p in ps:
        p.start()
    not_ok = sum(q.get(timeout=600) for _ in ps)
    for p in ps:
        p.join()
    return len(handle.requests(host="creatorsapi.amazon", path="/catalog/v1/searchItems")), not_ok


def bench_search_fleet(url: str, handle: Any, tmp: Path, searches: int) -> dict[str, Any]:
    shared, bad_s = _search_run(url, handle, str(tmp / "searches.sqlite3"), searches)
    alone, bad_a = _search_run(url, handle, None, searches)
    return {
        f"searches: {searches:,} from 200 distinct queries, 4 processes, shared store -> searchItems sent": f"{shared}   target 200",
        "searches: same, each process its own memory cache only -> searchItems sent": alone,
        "searches: answers not ok (shared / memory only)": f"{bad_s} / {bad_a}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="seconds per throughput round")
    ap.add_argument("--views", type=int, default=100_000, help="page views for the fleet figure")
    ap.add_argument("--ttl", type=float, default=15.0, help="items TTL (s) for the fleet figure")
    ap.add_argument("--periods", type=int, default=4, help="refresh periods the fleet runs for")
    ap.add_argument("--searches", type=int, default=10_000, help="searches for the search fleet figure")
    ap.add_argument(
        "--only", choices=("render", "asgi", "fleet", "search", "searches"), help="run one figure only"
    )
    args = ap.parse_args()
    if args.seconds <= 0 or args.views < 4 or args.ttl <= 0 or args.periods < 1:
        ap.error("--seconds and --ttl must be > 0, --views >= 4, --periods >= 1")
    from amzauth.sandbox.server import SandboxHandle

    proc, url = start_sandbox()
    figures: dict[str, Any] = {}
    try:
        handle = SandboxHandle(url)
        handle.set_world(bench_world())
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            os.environ["XDG_CACHE_HOME"] = str(tmp / "xdg")
            if args.only in (None, "render"):
                figures.update(bench_render(url, tmp))
            if args.only in (None, "asgi"):
                figures.update(bench_asgi(url, tmp, args.seconds))
            if args.only in (None, "fleet"):
                figures.update(bench_fleet(url, handle, tmp, args.views, args.ttl, args.periods))
            if args.only in (None, "search"):
                figures.update(bench_search_page(url, tmp, args.seconds))
            if args.only in (None, "searches"):
                figures.update(bench_search_fleet(url, handle, tmp, max(200, args.searches)))
        handle.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print_figures(figures)


if __name__ == "__main__":
    main()
