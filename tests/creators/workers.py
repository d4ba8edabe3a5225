"""Process entry points for the fleet tests (importable, so multiprocessing's spawn can run them)."""

from __future__ import annotations

from typing import Any

from tests.workers_common import release_together, reported


def build_store(spec: dict[str, Any]) -> Any:
    from amzauth.creators import RedisResultStore, SQLiteResultStore

    if spec["kind"] == "sqlite":
        return SQLiteResultStore(spec["path"])
    return RedisResultStore(spec["url"], namespace=spec["namespace"], fallback=SQLiteResultStore(spec["fallback"]))


def _client(spec: dict[str, Any], sandbox_url: str, **kw: Any) -> Any:
    from amzauth.creators import CreatorsClient
    from tests.creators._world import profile

    return CreatorsClient(profile(sandbox_url), store=build_store(spec), **kw)


def paced_calls(
    spec: dict[str, Any],
    sandbox_url: str,
    threads: int,
    calls: int,
    rate: float,
    burst: int,
    margin: float | None,
    keywords: str,
    barrier: Any,
    out: Any,
) -> None:
    """``threads`` threads each make ``calls`` uncached searches through one shared limiter
    (``margin``: the limiter's jitter margin; None for the default)."""
    client = _client(spec, sandbox_url, rate=rate, burst=burst, margin=margin)
    client.manager.get_token()  # the token is not what this test measures
    errors: list[str] = []
    done: list[int] = []

    def worker() -> None:
        for _ in range(calls):
            with reported(errors):
                client.search_items(keywords, use_cache=False)
                done.append(1)

    release_together(threads, worker, barrier, join=120)
    out.put(
        {"done": len(done), "errors": errors, "retries": client.stats.retries, "waited": client.stats.waited}
    )
    client.close()


def same_search(
    spec: dict[str, Any], sandbox_url: str, threads: int, keywords: str, barrier: Any, out: Any
) -> None:
    """``threads`` threads search the same words at the same moment, with the cache."""
    client = _client(spec, sandbox_url, rate=10, burst=10)
    client.manager.get_token()
    results: list[tuple[bool, tuple[str, ...]]] = []
    errors: list[str] = []

    def worker() -> None:
        with reported(errors):
            r = client.search_items(keywords)
            results.append((r.cached, tuple(i.asin for i in r.items)))

    release_together(threads, worker, barrier)
    out.put({"results": results, "errors": errors, "requests": client.stats.requests})
    client.close()
