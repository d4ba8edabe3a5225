"""Every benchmark script still runs: ``benchmarks/run_all.py --quick`` (fewer rounds, same code paths).

No figure is judged here (timings belong to ``make bench``, on a quiet machine); the test checks
that each script finishes and reports its figures, so a benchmark cannot rot unnoticed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick", "--json", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=880,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert {f["script"] for f in figures} == {
        "bench_imports.py",
        "bench_cli_help.py",
        "bench_doctor.py",
        "bench_creators.py",
        "bench_tokens.py",
        "bench_spapi.py",
        "bench_sandbox.py",
    }
    judged = [f for f in figures if f["target"] is not None]
    assert judged and all(isinstance(f["value"], int | float) and f["ok"] in (True, False) for f in judged)
