"""One token request per credential across processes: 8 processes x 16 threads, SQLite and Redis.

Processes are started with multiprocessing's spawn (no fork-inherited state) and released
together by a barrier; the sandbox log is the referee.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.engine import AmazonAuth, SQLiteTokenStore, TokenManager
from amzauth.engine.redis_store import RedisTokenStore
from tests.engine import workers
from tests.engine._profiles import CREATORS_31, plan
from tests.engine.helpers import assert_token_requests, token_requests
from tests.workers_common import run_processes, store_spec

PROCS = 8
THREADS = 16
pytestmark = pytest.mark.slow


def _spec(kind: str, tmp_path: Path, redis: Any = None) -> dict[str, Any]:
    shared = tmp_path / "shared" / "tokens.sqlite3"
    return store_spec(kind, shared, redis, fallback=tmp_path / "fallback" / "tokens.sqlite3", prefix="fan")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_cold_start_8_processes_x_16_threads(
    fresh_sandbox: Any, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    spec = _spec(kind, tmp_path, request.getfixturevalue("redis") if kind == "redis" else None)
    results = run_processes(
        workers.cold_start, lambda ctx: (spec, fresh_sandbox.url, THREADS, ctx.Barrier(PROCS)), PROCS
    )
    assert [r["errors"] for r in results] == [[]] * PROCS
    tokens = {t for r in results for t in r["tokens"]}
    assert len(tokens) == 1, "callers saw different tokens"
    sources = [s for r in results for s in r["sources"]]
    assert len(sources) == PROCS * THREADS
    assert sources.count("network") == 1
    assert_token_requests(fresh_sandbox, 1)


def test_expiry_under_load_across_processes_costs_exactly_one_more(
    roomy_sandbox: Any, tmp_path: Path
) -> None:
    sb = roomy_sandbox
    spec = _spec("sqlite", tmp_path)
    procs, threads = 4, 8
    holder: dict[str, Any] = {}

    def args(ctx: Any) -> tuple[Any, ...]:
        if "ready" not in holder:
            holder["ready"] = ctx.Barrier(procs + 1)
            holder["expired"] = ctx.Event()
        return (spec, sb.url, threads, holder["ready"], holder["expired"])

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    plist = [ctx.Process(target=workers.api_load, args=(*args(ctx), out, 3, 6)) for _ in range(procs)]
    for p in plist:
        p.start()
    try:
        holder["ready"].wait(90)  # every process made its first calls with the shared token
        assert_token_requests(sb, 1)
        sb.expire_tokens()
        holder["expired"].set()
        results = [out.get(timeout=90) for _ in plist]
    finally:
        for p in plist:
            p.join(30)
            if p.is_alive():
                p.kill()
    statuses = [s for r in results for s in r["statuses"]]
    assert statuses == [200] * (procs * threads * 9)
    assert_token_requests(sb, 2)
    rejected = [r for r in sb.requests(host="creatorsapi.amazon") if r["status"] == 401]
    assert rejected and all(r["error"] == "TokenExpired" for r in rejected)


@pytest.mark.redis
def test_redis_killed_mid_run_and_callers_are_still_served(
    roomy_sandbox: Any, tmp_path: Path, redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sb = roomy_sandbox
    if redis.proc is None:
        redis.start()
    store = RedisTokenStore(
        redis.url,
        namespace=f"kill{secrets.token_hex(4)}",
        fallback=SQLiteTokenStore(tmp_path / "fb" / "tokens.sqlite3"),
        socket_timeout=0.3,
        retry_interval=0.5,
    )
    m = TokenManager(plan(CREATORS_31, sb.url), CREATORS_31["client_secret"], store=store)
    auth = AmazonAuth(m)
    url = plan(CREATORS_31, sb.url).api_base_url + "/catalog/v1/searchItems"
    body = {"keywords": "kettle", "partnerTag": "demo-20", "itemCount": 1}
    caplog.set_level(logging.WARNING, logger="amzauth")
    statuses: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker() -> None:
        with httpx.Client(auth=auth, timeout=30) as client:
            while not stop.is_set():
                try:
                    statuses.append(
                        client.post(url, json=body, headers={"x-marketplace": "www.amazon.com"}).status_code
                    )
                except BaseException as exc:
                    errors.append(exc)
                    return

    def wait_for(cond: Any, what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    pool = [threading.Thread(target=worker) for _ in range(8)]
    try:
        for t in pool:
            t.start()
        wait_for(lambda: len(statuses) >= 16, "the first calls")
        assert store.available
        redis.kill()
        sb.expire_tokens()  # a refresh must now happen with Redis gone
        wait_for(
            lambda: len(token_requests(sb)) == 2 and store.fallback.load(m.key) is not None,
            "the refresh after expiry, served from the fallback",
        )
        served = store.fallback.load(m.key)
        assert served is not None and served.source == "sqlite"
        current = m.cached()
        assert current is not None
        m.invalidate(current.access_token)  # and another: store reads and writes hit the dead Redis
        wait_for(lambda: len(token_requests(sb)) == 3, "the forced refresh")
        calls = len(statuses)
        wait_for(lambda: len(statuses) >= calls + 16, "calls after the forced refresh")
        stop.set()
        for t in pool:
            t.join(30)
    finally:
        stop.set()
        redis.start()
    assert not errors, errors[:3]
    assert statuses and set(statuses) == {200}
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "redis" in r.getMessage().lower()
    ]
    assert len(warnings) == 1
    assert_token_requests(sb, 3)  # cold start, the expiry, the forced refresh
    # Redis back: the store serves from it again
    time.sleep(0.6)
    m.invalidate()
    assert m.get_token().source == "network"
    assert store.load(m.key) is not None and store.available
