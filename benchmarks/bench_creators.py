"""Creators client figures: cached search latency (memory, SQLite) against an uncached sandbox search,
and 1,000 ASINs through ``amzauth items --file`` (wall time, request count).

Run: ``python benchmarks/bench_creators.py`` (prints figures; nothing here asserts a time).
It starts its own sandbox (``amzauth sandbox --port 0`` in a subprocess, so client and server do
not share a GIL), loads the demo world plus 1,000 generated US items, and raises the world's
Creators rate so the run is quick (the client's limiter is raised to match through
``AMZAUTH_CREATORS_RATE``). Targets (issue 6): a cached search at most 200 us from SQLite and at
most 20 us from memory; 1,000 ASINs in 100 requests.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import start_sandbox

N_ITEMS = 1000
RATE, BURST = 200.0, 20


def bench_world() -> dict[str, Any]:
    """The demo world, plus 1,000 US items, with a Creators rate high enough for a quick run."""
    from amzauth.sandbox.world import demo_world

    world = demo_world().model_dump(mode="json")
    world["limits"].update(creators_rate=RATE * 2, creators_burst=BURST * 2, creators_daily=10_000_000)
    for n in range(N_ITEMS):
        world["catalog"].append(
            {
                "asin": f"B1BENCH{n:03d}",
                "marketplace": "www.amazon.com",
                "title": f"Benchwork Widget model {n} with a long enough title to look like Amazon's",
                "brand": "Benchwork",
                "price": 10 + n % 90 + 0.99,
                "currency": "USD",
                "savings_percent": n % 30,
                "rating": 3.5 + (n % 15) / 10,
                "review_count": 100 + n,
                "image": f"https://m.media-amazon.com/images/I/B1BENCH{n:03d}.jpg",
                "search_index": "Electronics",
            }
        )
    return world


def profile_values(url: str) -> dict[str, str]:
    from amzauth.sandbox.world import demo_world

    cred = next(
        c for c in demo_world().creators_credentials if c.version == "3.1" and c.eligible and c.enabled
    )
    return {
        "api": "creators",
        "credential_version": cred.version,
        "client_id": cred.client_id,
        "client_secret": cred.client_secret,
        "marketplace": "www.amazon.com",
        "partner_tag": cred.partner_tags["www.amazon.com"][0],
        "sandbox": url,
    }


def timed(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t) / 1000)
    return out


def fmt(samples: list[float]) -> str:
    samples = sorted(samples)
    p90 = samples[int(len(samples) * 0.9)]
    return f"median {statistics.median(samples):9.1f} us   p90 {p90:9.1f} us   (n={len(samples)})"


def bench_search(url: str, tmp: Path) -> None:
    from amzauth.config import profile_from_mapping
    from amzauth.creators import CreatorsClient, SQLiteResultStore

    profile = profile_from_mapping(profile_values(url))
    db = tmp / "search.sqlite3"
    kw = {"rate": RATE, "burst": BURST}
    words = "benchwork widget"
    with CreatorsClient(profile, store=SQLiteResultStore(db), **kw) as client:
        client.manager.get_token()
        first = client.search_items(words)
        assert len(first.items) == 10, len(first.items)
        uncached = timed(lambda: client.search_items(words, use_cache=False), 100)
        memory = timed(lambda: client.search_items(words), 20000)
        assert client.search_items(words).cached
    with CreatorsClient(profile, store=SQLiteResultStore(db), memory_size=0, **kw) as client:
        sqlite = timed(lambda: client.search_items(words), 3000)
        assert client.stats.store_hits >= 3000 and client.stats.requests == 0
    print("searchItems, 10 items per page (default resources: title, brand, offers, reviews, image)")
    print(f"  uncached (sandbox over HTTP)  {fmt(uncached)}")
    print(f"  cached, SQLite                {fmt(sqlite)}   target <= 200 us")
    print(f"  cached, memory                {fmt(memory)}   target <= 20 us")
    print(
        f"  speed-up over an uncached call: SQLite x{statistics.median(uncached) / statistics.median(sqlite):.0f}, "
        f"memory x{statistics.median(uncached) / statistics.median(memory):.0f}"
    )


def bench_items_file(url: str, handle: Any, tmp: Path) -> None:
    from amzauth.sandbox.server import SandboxHandle

    assert isinstance(handle, SandboxHandle)
    cfg = tmp / "amzauth.toml"
    cfg.write_text(
        "[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in profile_values(url).items()),
        encoding="utf-8",
    )
    asins = tmp / "asins.txt"
    asins.write_text("".join(f"B1BENCH{n:03d}\n" for n in range(N_ITEMS)), encoding="utf-8")
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "AMZAUTH_CREATORS_RATE": str(RATE),
        "AMZAUTH_CREATORS_BURST": str(BURST),
        "NO_COLOR": "1",
    }
    print(
        f"\namzauth items --file ({N_ITEMS} ASINs; limiter {RATE:g} req/s burst {BURST}, world {RATE * 2:g})"
    )
    for label in ("cold cache", "warm cache"):
        handle.clear_requests()
        t = time.perf_counter()
        p = subprocess.run(
            [sys.executable, "-m", "amzauth", "items", "--file", str(asins), "--json", "--config", str(cfg)],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - t
        if p.returncode != 0:
            raise SystemExit(f"items failed ({p.returncode}): {p.stderr[-500:]}")
        doc = json.loads(p.stdout)
        log = handle.requests(host="creatorsapi.amazon", path="/catalog/v1/getItems")
        statuses = sorted({r["status"] for r in log})
        print(
            f"  {label:10}  wall {wall:6.2f} s   items {len(doc['items']):4}   errors {len(doc['errors'])}   "
            f"getItems requests {len(log):3} (client says {doc['requests']}, statuses {statuses})"
        )


def main() -> None:
    from amzauth.sandbox.server import SandboxHandle

    proc, url = start_sandbox()
    try:
        handle = SandboxHandle(url)
        handle.set_world(bench_world())
        with tempfile.TemporaryDirectory() as d:
            os.environ["XDG_CACHE_HOME"] = str(Path(d) / "xdg")  # keep the user's real cache out of it
            bench_search(url, Path(d))
            bench_items_file(url, handle, Path(d))
        handle.close()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
