"""Multi-process fan-out plumbing shared by the tests' worker modules and the benchmarks.

The parent side (``run_processes``) starts spawn processes and collects one result each; the child
side (``release_together``, ``run_threads``, ``reported``) runs threads inside a worker process.
It imports nothing from amzauth or pytest, so spawned children stay cheap to start.
"""

from __future__ import annotations

import multiprocessing as mp
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def reported(errors: list[str]) -> Iterator[None]:
    """Record an exception as ``"Type: message"`` instead of letting it kill the thread, for the test to fail on."""
    try:
        yield
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")


def run_threads(threads: int, target: Callable[[], None], join: float = 60) -> None:
    """Start ``threads`` threads on ``target`` and wait up to ``join`` seconds for each."""
    pool = [threading.Thread(target=target) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(join)


def release_together(
    threads: int,
    work: Callable[[], None],
    barrier: Any,
    *,
    join: float = 60,
    start_timeout: float | None = None,
) -> None:
    """Once every process reached ``barrier``, run ``work`` on ``threads`` threads released at one instant."""
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait(start_timeout)
        work()

    barrier.wait(60)
    run_threads(threads, run, join)


def run_processes(
    target: Any, args_for: Callable[[Any], tuple[Any, ...]], n: int, timeout: float = 90
) -> list[Any]:
    """Run ``target(*args_for(ctx), out)`` in ``n`` spawn processes; one result each from the queue ``out``.

    ``args_for`` is called once, with the spawn context, so it can make shared barriers and events.
    Processes still alive at ``timeout`` are killed; every process must exit with 0.
    """
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    args = args_for(ctx)
    procs = [ctx.Process(target=target, args=(*args, out)) for _ in range(n)]
    for p in procs:
        p.start()
    results = []
    deadline = time.monotonic() + timeout
    try:
        for _ in procs:
            results.append(out.get(timeout=max(1.0, deadline - time.monotonic())))
    finally:
        for p in procs:
            p.join(max(1.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return results


def store_spec(kind: str, path: Path, redis: Any = None, *, fallback: Path, prefix: str) -> dict[str, Any]:
    """What a worker's ``build_store`` opens: SQLite at ``path``, or Redis in a fresh namespace (started if needed)."""
    if kind == "sqlite":
        return {"kind": "sqlite", "path": str(path)}
    if redis.proc is None:
        redis.start()
    return {
        "kind": "redis",
        "url": redis.url,
        "namespace": f"{prefix}{secrets.token_hex(4)}",
        "fallback": str(fallback),
    }
