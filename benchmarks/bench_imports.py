"""Import cost of the Creators client path against ``import httpx, pydantic``, in fresh processes.

Target (issue 17): ``python -c "from amzauth.creators import CreatorsClient"`` at most 1.3x
``python -c "import httpx, pydantic"``. The two commands run in interleaved blocks (CPU is shared:
the ratio is the median of block ratios, in wall time and in the children's CPU time), with
bytecode cached in a temporary ``PYTHONPYCACHEPREFIX`` as for an installed package.
For where the time goes: ``python -X importtime -c "from amzauth.creators import CreatorsClient"``.
Run: ``python benchmarks/bench_imports.py [--quick]``.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys

from _common import figure, quick
from bench_doctor import child_env

CANDIDATE = "from amzauth.creators import CreatorsClient"
BASELINE = "import httpx, pydantic"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -c code``."""
    import time

    c0, t0 = _children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - t0, _children_cpu() - c0


def main() -> None:
    env = child_env({})
    for code in (CANDIDATE, BASELINE):
        run(code, env)  # write the bytecode once
    wall: list[float] = []
    cpu: list[float] = []
    walls: dict[str, list[float]] = {CANDIDATE: [], BASELINE: []}
    for b in range(6 if quick() else 20):
        order = (CANDIDATE, BASELINE) if b % 2 == 0 else (BASELINE, CANDIDATE)
        got = {code: run(code, env) for code in order}
        wall.append(got[CANDIDATE][0] / got[BASELINE][0])
        cpu.append(got[CANDIDATE][1] / got[BASELINE][1])
        for code in order:
            walls[code].append(got[code][0])
    note = (
        f"CPU-time ratio {statistics.median(cpu):.2f}; medians {statistics.median(walls[CANDIDATE]) * 1e3:.0f} ms "
        f"vs {statistics.median(walls[BASELINE]) * 1e3:.0f} ms"
    )
    figure(
        'import CreatorsClient / "import httpx, pydantic" (wall)',
        statistics.median(wall),
        "x",
        target=1.3,
        note=note,
    )


if __name__ == "__main__":
    main()
