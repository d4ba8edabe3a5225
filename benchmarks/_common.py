"""Helpers shared by the benchmark scripts: the sandbox and Redis processes, thread fan-out, figures.

Benchmarks run as ``python benchmarks/bench_x.py``, so this directory is on ``sys.path`` (and is
inherited by spawned workers); the repository root is added here so the fan-out plumbing the
tests use (``tests/workers_common.py``) is the one the benchmarks use too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.append(ROOT)

from tests.workers_common import release_together, run_threads  # noqa: E402

if TYPE_CHECKING:
    from tests.support import RedisServer

__all__ = ["print_figures", "release_together", "run_threads", "start_redis", "start_sandbox"]


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
    """One ``name  value`` line per figure, names aligned."""
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"{k:<{width}}  {v}")
