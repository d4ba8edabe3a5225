"""What the usage record costs a search: cached (memory and SQLite hits) and uncached (over HTTP to
the sandbox), with the record on against the same calls with it off (``usage=False``).

Run: ``python benchmarks/bench_usage.py`` (prints figures; nothing here asserts a time).
Candidate and baseline run in interleaved blocks (on, off, off, on, ...) so drift on a shared
machine hits both alike; each figure is the median over blocks of the mean time per call, and the
ratio is on/off. The record's writes happen on its background thread (flushed every second), so
the cost on the calling thread is one dict update per event (each thread keeps its own totals).
The baseline is ``usage=False``: the hooks still run but end at once (the no-op tally), which is
what a user who turns the record off gets.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import start_sandbox
from bench_creators import BURST, RATE, bench_world, profile_values


def per_call_us(fn: Callable[[], Any], n: int) -> float:
    t = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t) / n / 1000


def interleaved(on: Callable[[], Any], off: Callable[[], Any], n: int, blocks: int) -> tuple[float, float]:
    """Median (over blocks) of the mean µs per call, for on and off, in ABBA order."""
    a, b = [], []
    for i in range(blocks):
        if i % 2 == 0:
            a.append(per_call_us(on, n))
            b.append(per_call_us(off, n))
        else:
            b.append(per_call_us(off, n))
            a.append(per_call_us(on, n))
    return statistics.median(a), statistics.median(b)


def line(label: str, on: float, off: float) -> str:
    return f"  {label:34} on {on:9.2f} us   off {off:9.2f} us   ratio on/off {on / off:5.3f}   (+{on - off:7.2f} us)"


def main() -> None:
    from amzauth.config import profile_from_mapping
    from amzauth.creators import CreatorsClient, SQLiteStore
    from amzauth.engine.usage import OFF, flush_all
    from amzauth.sandbox.server import SandboxHandle

    proc, url = start_sandbox()
    try:
        handle = SandboxHandle(url)
        handle.set_world(bench_world())
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            os.environ["XDG_CACHE_HOME"] = str(tmp / "xdg")
            profile = profile_from_mapping(profile_values(url))
            kw: dict[str, Any] = {"rate": RATE, "burst": BURST}
            words = "benchwork widget"
            clients = {
                mode: CreatorsClient(
                    profile, store=SQLiteStore(tmp / f"{mode}.sqlite3"), usage=(mode == "on"), **kw
                )
                for mode in ("on", "off")
            }
            stores = {
                mode: CreatorsClient(
                    profile,
                    store=SQLiteStore(tmp / f"{mode}.sqlite3"),
                    usage=(mode == "on"),
                    memory_size=0,
                    **kw,
                )
                for mode in ("on", "off")
            }
            for c in clients.values():
                c.manager.get_token()
                c.search_items(words)  # fills the memory front and the SQLite file
            print("searchItems through CreatorsClient, usage record on vs off (usage=False)")
            on, off = interleaved(
                lambda: clients["on"].search_items(words),
                lambda: clients["off"].search_items(words),
                20000,
                10,
            )
            print(line("cached, memory hit", on, off))
            on, off = interleaved(
                lambda: stores["on"].search_items(words), lambda: stores["off"].search_items(words), 2000, 10
            )
            print(line("cached, SQLite hit (memory off)", on, off))
            on, off = interleaved(
                lambda: clients["on"].search_items(words, use_cache=False),
                lambda: clients["off"].search_items(words, use_cache=False),
                40,
                10,
            )
            print(line("uncached (sandbox over HTTP)", on, off))
            tally = clients["on"].core.stats.sink
            on, off = interleaved(
                lambda: tally.count("memory_hits", 1, "searchItems"),
                lambda: OFF.count("memory_hits", 1, "searchItems"),
                200000,
                10,
            )
            print(line("one cache event alone (Tally.count)", on, off))
            t = time.perf_counter()
            n = flush_all()
            print(
                f"  a final flush of {n} pending events took {(time.perf_counter() - t) * 1000:.1f} ms (background thread)"
            )
            for c in (*clients.values(), *stores.values()):
                c.close()
        handle.close()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
