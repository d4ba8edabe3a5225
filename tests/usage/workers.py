"""Process entry point for the usage acceptance test (importable, so multiprocessing's spawn can run it)."""

from __future__ import annotations

from typing import Any

from tests.workers_common import release_together, reported


def mixed_calls(
    spec: dict[str, Any],
    sandbox_url: str,
    threads: int,
    words: list[str],
    asins: list[str],
    rounds: int,
    barrier: Any,
    out: Any,
) -> None:
    """Each thread: cached searches over ``words`` (repeats hit the cache), one uncached search and a
    cached getItems per round. Reports the client's own counters; the worker closes its client."""
    from amzauth.creators import CreatorsClient
    from tests.creators._world import profile
    from tests.creators.workers import build_store

    client = CreatorsClient(profile(sandbox_url), store=build_store(spec), rate=40, burst=8)
    errors: list[str] = []

    def worker() -> None:
        for r in range(rounds):
            for w in words:
                with reported(errors):
                    client.search_items(w)
            with reported(errors):
                client.search_items(words[r % len(words)], use_cache=False)
            with reported(errors):
                client.get_items(asins[: 2 + r])

    release_together(threads, worker, barrier, join=120)
    s = client.stats
    out.put(
        {
            "errors": errors,
            "requests": s.requests,
            "hits": s.memory_hits + s.store_hits,
            "misses": s.misses,
        }
    )
    client.close()
