"""Helpers shared by the benchmark scripts: the sandbox and Redis processes, thread fan-out, figures.

Benchmarks run as ``python benchmarks/bench_x.py``, so this directory is on ``sys.path`` (and is
inherited by spawned workers); the repository root is added here so the fan-out plumbing the
tests use (``tests/workers_common.py``) is the one the benchmarks use too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)

from tests.workers_common import release_together, run_threads  # noqa: E402

if TYPE_CHECKING:
    from tests.support import RedisServer

BENCH_ITEMS = 1000  # the "1,000 ASINs" of the Creators and site benchmarks: B1BENCH000 ... B1BENCH999


def bench_world(rate: float, burst: int, daily: int) -> dict[str, Any]:
    """The demo world plus 1,000 US items (B1BENCH000...), with the given Creators limits."""
    from amzauth.sandbox.world import demo_world

    world = demo_world().model_dump(mode="json")
    world["limits"].update(creators_rate=rate, creators_burst=burst, creators_daily=daily)
    for n in range(BENCH_ITEMS):
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
    """A profile for the demo world's eligible 3.1 credential, pointed at the sandbox at ``url``."""
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


__all__ = [
    "figure",
    "interleave",
    "print_figures",
    "quick",
    "release_together",
    "run_threads",
    "start_redis",
    "start_sandbox",
]

OUT_ENV = "AMZAUTH_BENCH_OUT"  # set by run_all.py: each figure is appended there as one JSON line


def quick() -> bool:
    """``--quick`` on the command line (or AMZAUTH_BENCH_QUICK=1): fewer rounds, same code paths."""
    return "--quick" in sys.argv or os.environ.get("AMZAUTH_BENCH_QUICK") == "1"


def interleave(
    candidate: Callable[[], object],
    baseline: Callable[[], object],
    *,
    blocks: int,
    per_block: int,
) -> dict[str, float]:
    """Time candidate and baseline in alternating blocks (the order flips every block), so both see
    the same load on a shared machine; the ratio is the median of the per-block ratios.

    Returns ``ratio`` and the median per-call seconds of each (``candidate``, ``baseline``).
    """
    ratios: list[float] = []
    cand: list[float] = []
    base: list[float] = []

    def block(fn: Callable[[], object]) -> float:
        t0 = time.perf_counter()
        for _ in range(per_block):
            fn()
        return (time.perf_counter() - t0) / per_block

    for b in range(blocks):
        if b % 2:
            tb, tc = block(baseline), block(candidate)
        else:
            tc, tb = block(candidate), block(baseline)
        cand.append(tc)
        base.append(tb)
        ratios.append(tc / tb)
    return {
        "ratio": statistics.median(ratios),
        "candidate": statistics.median(cand),
        "baseline": statistics.median(base),
    }


def figure(
    name: str,
    value: float,
    unit: str,
    *,
    target: float | None = None,
    baseline: float | None = None,
    baseline_name: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Print one figure (and hand it to run_all.py). With a target, ``ok`` says whether value <= target."""
    doc = {
        "script": Path(sys.argv[0]).name,
        "name": name,
        "value": value,
        "unit": unit,
        "target": target,
        "baseline": baseline,
        "baseline_name": baseline_name,
        "ok": None if target is None else value <= target,
        "note": note,
    }
    line = f"{name:<58} {value:10.3f} {unit:<3}"
    if baseline is not None:
        line += f"   baseline {baseline:.3f} {unit} ({baseline_name or 'baseline'})"
    if target is not None:
        line += f"   target <= {target:g}: {'PASS' if doc['ok'] else 'FAIL'}"
    print(line + (f"   {note}" if note else ""), flush=True)
    out = os.environ.get(OUT_ENV)
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(doc) + "\n")
    return doc


def start_sandbox(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``amzauth sandbox --port 0 ARGS`` in its own process, so client and server do not share a GIL; its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "amzauth", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return proc, m.group(1)


def start_redis() -> RedisServer | None:
    """A real redis-server on a free loopback port (stop it, then remove its ``.dir``), or None without one."""
    from tests.support import RedisServer

    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if not binary:
        return None
    server = RedisServer(binary)
    try:
        server.start()
    except RuntimeError:
        server.kill()
        shutil.rmtree(server.dir, ignore_errors=True)
        return None
    return server


def print_figures(figures: dict[str, Any]) -> None:
    """One ``name  value`` line per figure, names aligned (free-form figures, listed by run_all.py too)."""
    width = max(len(k) for k in figures)
    out = os.environ.get(OUT_ENV)
    for k, v in figures.items():
        print(f"{k:<{width}}  {v}")
        if out:
            with open(out, "a", encoding="utf-8") as f:
                doc = {
                    "script": Path(sys.argv[0]).name,
                    "name": k,
                    "value": str(v),
                    "unit": "",
                    "target": None,
                }
                f.write(json.dumps(doc) + "\n")
