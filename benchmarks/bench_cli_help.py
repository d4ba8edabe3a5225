"""Wall time of `amzauth --help` (median of N runs), against `python -c pass` in the same run.

Target: at most 250 ms. Run: .venv/bin/python benchmarks/bench_cli_help.py [N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import figure


def median_ms(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="Wall time of `amzauth --help`, median of N runs.")
    parser.add_argument("runs", nargs="?", type=int, default=21, help="runs per command (default 21)")
    runs = max(1, parser.parse_args().runs)
    exe = [str(Path(sys.executable).with_name("amzauth")), "--help"]
    mod_cmd = [sys.executable, "-m", "amzauth", "--help"]
    if subprocess.run(exe, capture_output=True).returncode != 0:  # a script installed for another checkout
        exe = mod_cmd
    baseline = median_ms([sys.executable, "-c", "pass"], runs)
    helpt = median_ms(exe, runs)
    mod = median_ms(mod_cmd, runs)
    figure(
        "amzauth --help, as a process"
        + (" (python -m: the amzauth script fails here)" if exe is mod_cmd else ""),
        helpt,
        "ms",
        target=250.0,
        baseline=baseline,
        baseline_name="python -c pass",
        note=f"python -m amzauth --help {mod:.1f} ms; median of {runs}",
    )


if __name__ == "__main__":
    main()
