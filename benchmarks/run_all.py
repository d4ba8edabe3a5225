"""Run every benchmark script and print one table of every figure, with its target and verdict.

    python benchmarks/run_all.py            # what ``make bench`` runs
    python benchmarks/run_all.py --quick    # fewer rounds, same code paths (the smoke test runs this)
    python benchmarks/run_all.py bench_creators bench_doctor   # some scripts only

Each script prints its own figures as it goes and appends them, one JSON line each, to the file
named by ``AMZAUTH_BENCH_OUT`` (see ``_common.figure``); this runner collects them. The soak
(``bench_soak.py``) is a long fault-injection run and is left out unless ``--soak`` is given.
Nothing here asserts a time: the exit status is 1 only when a script fails. The machine's CPU may be
shared, so the figures that matter are ratios from interleaved blocks, each beside its baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_imports",
    "bench_cli_help",
    "bench_doctor",
    "bench_creators",
    "bench_tokens",
    "bench_spapi",
    "bench_sandbox",
)
QUICK_ARGS = {"bench_cli_help": ["5"], "bench_sandbox": ["--seconds", "1"], "bench_soak": ["--seconds", "10"]}


def _value(doc: dict[str, Any]) -> str:
    v = doc["value"]
    if isinstance(v, float):
        return f"{v:.3g} {doc['unit']}".strip() if abs(v) < 1000 else f"{v:.0f} {doc['unit']}".strip()
    return f"{v} {doc['unit']}".strip()


def table(figures: list[dict[str, Any]]) -> str:
    rows = [("script", "figure", "value", "baseline", "target", "verdict")]
    for d in figures:
        base = (
            ""
            if d.get("baseline") is None
            else f"{d['baseline']:.3g} {d['unit']} ({d.get('baseline_name') or ''})"
        )
        target = "" if d.get("target") is None else f"<= {d['target']:g} {d['unit']}".strip()
        verdict = "" if d.get("ok") is None else ("PASS" if d["ok"] else "FAIL")
        rows.append((d["script"].removesuffix(".py"), d["name"], _value(d), base, target, verdict))
    widths = [min(max(len(r[i]) for r in rows), 70) for i in range(6)]
    lines = ["  ".join(c[: widths[i]].ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("scripts", nargs="*", help="script names (default: all but the soak)")
    ap.add_argument("--quick", action="store_true", help="fewer rounds in every script")
    ap.add_argument("--soak", action="store_true", help="also run bench_soak.py")
    ap.add_argument("--json", metavar="PATH", help="also write every figure to PATH (a JSON list)")
    args = ap.parse_args()
    names = [s.removesuffix(".py") for s in args.scripts] or [
        *SCRIPTS,
        *(["bench_soak"] if args.soak else []),
    ]
    unknown = [n for n in names if not (HERE / f"{n}.py").exists()]
    if unknown:
        ap.error(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(SCRIPTS)}, bench_soak)")
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="amzauth-bench-") as d:
        out = Path(d) / "figures.jsonl"
        env = {**os.environ, "AMZAUTH_BENCH_OUT": str(out)}
        if args.quick:
            env["AMZAUTH_BENCH_QUICK"] = "1"
        for name in names:
            cmd = [
                sys.executable,
                str(HERE / f"{name}.py"),
                *(QUICK_ARGS.get(name, []) if args.quick else []),
            ]
            print(f"== {name}", flush=True)
            t0 = time.perf_counter()
            rc = subprocess.run(cmd, env=env).returncode
            print(f"   ({time.perf_counter() - t0:.1f} s, exit {rc})", flush=True)
            if rc != 0:
                failed.append(name)
        figures = (
            [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            if out.exists()
            else []
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print()
    print(table(figures))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
