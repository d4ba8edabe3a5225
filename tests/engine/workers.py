"""Process entry points for the fan-out tests (importable, so multiprocessing's spawn can run them)."""

from __future__ import annotations

import threading
from typing import Any

from tests.workers_common import release_together, reported, run_threads


def build_store(spec: dict[str, Any]) -> Any:
    from amzauth.engine import MemoryTokenStore, SQLiteTokenStore
    from amzauth.engine.redis_store import RedisTokenStore

    if spec["kind"] == "sqlite":
        return SQLiteTokenStore(spec["path"])
    if spec["kind"] == "redis":
        return RedisTokenStore(spec["url"], namespace=spec["namespace"], fallback=SQLiteTokenStore(spec["fallback"]))
    return MemoryTokenStore()


def cold_start(spec: dict[str, Any], sandbox_url: str, threads: int, barrier: Any, out: Any) -> None:
    """Open a manager, wait for every process, then hit get_token from ``threads`` threads at once."""
    from amzauth.engine import TokenManager
    from tests.engine._profiles import CREATORS_31, plan

    manager = TokenManager(
        plan(CREATORS_31, sandbox_url), CREATORS_31["client_secret"], store=build_store(spec)
    )
    results: list[tuple[str, str]] = []
    errors: list[str] = []

    def worker() -> None:
        with reported(errors):
            t = manager.get_token()
            results.append((t.access_token, t.source))

    release_together(threads, worker, barrier)
    out.put({"tokens": sorted({a for a, _ in results}), "sources": [s for _, s in results], "errors": errors})


def api_load(
    spec: dict[str, Any],
    sandbox_url: str,
    threads: int,
    ready: Any,
    expired: Any,
    out: Any,
    calls_before: int,
    calls_after: int,
) -> None:
    """Make API calls through AmazonAuth; the test expires every token half-way through."""
    import httpx

    from amzauth.engine import AmazonAuth, TokenManager
    from tests.engine._profiles import CREATORS_31, plan

    p = plan(CREATORS_31, sandbox_url)
    manager = TokenManager(p, CREATORS_31["client_secret"], store=build_store(spec))
    auth = AmazonAuth(manager)
    url = p.api_base_url + "/catalog/v1/searchItems"
    body = {"keywords": "kettle", "partnerTag": "demo-20", "itemCount": 1}
    statuses: list[int] = []
    local = threading.Barrier(threads, action=lambda: ready.wait(60))

    def worker() -> None:
        with httpx.Client(auth=auth, timeout=30) as client:
            for i in range(calls_before + calls_after):
                if i == calls_before:
                    local.wait(60)
                    expired.wait(60)
                r = client.post(url, json=body, headers={"x-marketplace": "www.amazon.com"})
                statuses.append(r.status_code)

    run_threads(threads, worker, join=120)
    out.put({"statuses": statuses})


def hold_and_hang(spec: dict[str, Any], sandbox_url: str, out: Any) -> None:
    """Ask for a token while the token endpoint hangs: this process holds the refresh lock until killed."""
    from amzauth.engine import TokenManager
    from tests.engine._profiles import CREATORS_31, plan

    manager = TokenManager(
        plan(CREATORS_31, sandbox_url), CREATORS_31["client_secret"], store=build_store(spec), timeout=60
    )
    out.put({"pid": __import__("os").getpid()})
    manager.get_token()


def timed_token(spec: dict[str, Any], sandbox_url: str, barrier: Any, out: Any) -> None:
    """Released with the other survivors, get a token; report how long it took (seconds) or the error."""
    import time

    from amzauth.engine import TokenManager
    from tests.engine._profiles import CREATORS_31, plan

    manager = TokenManager(
        plan(CREATORS_31, sandbox_url), CREATORS_31["client_secret"], store=build_store(spec)
    )
    barrier.wait(60)
    started = time.monotonic()
    errors: list[str] = []
    with reported(errors):
        manager.get_token()
    out.put({"seconds": time.monotonic() - started, "errors": errors})
