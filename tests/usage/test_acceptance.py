"""Acceptance: a fleet of 4 processes x 8 threads; the usage record agrees exactly with the sandbox's
log (requests by operation) and with the clients' own cache counters. SQLite and Redis.

The issue asks for a minute of load; CI runs ~10 s of it (same shape, 4 x 8, fewer rounds) to keep
the suite short: exactness does not depend on duration, and the 1 s background flush runs many times.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from amzauth.engine.usage import build_report, by_part, total, usage_key, usage_store_beside
from tests.creators._world import api_log, catalogue, profile
from tests.creators.workers import build_store
from tests.usage import workers
from tests.workers_common import run_processes, store_spec

pytestmark = pytest.mark.slow
PROCS = 4
THREADS = 8
# AMZAUTH_TEST_USAGE_ROUNDS=45 gives the full minute (the closing note's figures); CI keeps 3.
ROUNDS = int(os.environ.get("AMZAUTH_TEST_USAGE_ROUNDS", "3"))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_fleet_usage_equals_the_sandbox_log_and_the_clients_counts(
    sb: Any, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    world = sb.world()
    world["limits"].update(creators_rate=100.0, creators_burst=20, creators_daily=1_000_000)
    sb.set_world(world)
    redis = request.getfixturevalue("redis") if kind == "redis" else None
    spec = store_spec(
        kind, tmp_path / "shared" / "creators.sqlite3", redis, fallback=tmp_path / "fb.sqlite3", prefix="use"
    )
    items = catalogue("www.amazon.com")
    words = sorted({it.title.split()[0] for it in items})[:4]
    asins = [it.asin for it in items][:6]
    sb.clear_requests()
    t0 = time.time()
    results = run_processes(
        workers.mixed_calls,
        lambda ctx: (spec, sb.url, THREADS, words, asins, ROUNDS, ctx.Barrier(PROCS)),
        PROCS,
        timeout=120,
    )
    assert [r["errors"] for r in results] == [[]] * PROCS

    store = build_store(spec)
    usage = usage_store_beside(store)
    cred = usage_key(_plan(sb.url))
    now = time.time()
    readout = usage.read(cred, now)
    today = build_report(readout, cred, now).today
    searches, gets = api_log(sb, "searchItems"), api_log(sb, "getItems")
    assert searches and gets
    by_op = by_part(today, "req:")
    assert sum(n for k, n in by_op.items() if k.startswith("searchItems:")) == len(searches)
    assert sum(n for k, n in by_op.items() if k.startswith("getItems:")) == len(gets)
    assert total(today, "req:") == sum(r["requests"] for r in results) == len(searches) + len(gets)
    assert total(today, "hit:") == sum(r["hits"] for r in results)
    assert total(today, "miss:") == sum(r["misses"] for r in results)
    assert total(today, "hit:") > 0 and total(today, "miss:") > 0
    # The per-minute series holds the same requests as the day (the run fits in the 24 h window).
    minutes = sum(
        sum(v for k, v in m.items() if k.startswith("req:"))
        for b, m in readout.minutes.items()
        if b >= t0 - 60
    )
    assert minutes == len(searches) + len(gets)
    assert readout.meta["rate"] == 40 and readout.meta["burst"] == 8
    print(f"\n{kind}: {len(searches) + len(gets)} requests, {total(today, 'hit:')} hits in {now - t0:.1f} s")


def _plan(url: str) -> Any:
    from amzauth.core.plan import build_plan

    return build_plan(profile(url))
