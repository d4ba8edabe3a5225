"""Doctor wall time against the sandbox, each figure beside a baseline timed in the same run.

The sandbox runs in its own process (``amzauth sandbox --port 0``), as a user's would. Figures:
``run_doctor()`` in a warm process (target <= 15 ms) against one raw token request, and
``amzauth doctor --json`` as a process (target <= 250 ms) against ``python -c "import httpx"``,
each pair in interleaved blocks (CPU is shared: the medians move with the load, the ratios less).
Child processes may write bytecode (to a temporary ``PYTHONPYCACHEPREFIX``), as an installed
package does. Run: ``python benchmarks/bench_doctor.py [N] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from _common import figure, interleave, quick, start_sandbox

CLIENT_ID = "amzn1.application-oa2-client.5a4db0x31demo00000000000000031"
SECRET = "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031"


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a measured process: bytecode cached (in a temporary prefix), as when installed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), "amzauth-bench-pyc"))
    return {**env, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Doctor wall time against the sandbox, interleaved with baselines."
    )
    parser.add_argument(
        "runs", nargs="?", type=int, default=None, help="runs per figure (default 40, 8 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    runs = max(2, parser.parse_args().runs or (8 if quick() else 40))
    from amzauth.config import profile_from_mapping
    from amzauth.doctor import run_doctor

    proc, url = start_sandbox()
    try:
        values = {
            "api": "creators",
            "credential_version": "3.1",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "partner_tag": "demo-20",
            "sandbox": url,
        }
        profile = profile_from_mapping(values)
        assert run_doctor(profile).ok
        body = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "scope": "creatorsapi::default",
        }
        with httpx.Client() as c:
            r = interleave(
                lambda: run_doctor(profile),
                lambda: c.post(f"{url}/api.amazon.com/auth/o2/token", json=body),
                blocks=runs // 2,
                per_block=2,
            )
        figure(
            "run_doctor() in a warm process",
            r["candidate"] * 1e3,
            "ms",
            target=15.0,
            baseline=r["baseline"] * 1e3,
            baseline_name="one raw token request",
        )
        with tempfile.TemporaryDirectory() as d:
            cfg = Path(d) / "amzauth.toml"
            cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
            exe = [str(Path(sys.executable).with_name("amzauth")), "doctor", "--json"]
            doctor = [sys.executable, "-m", "amzauth", "doctor", "--json"]
            env = child_env({"AMZAUTH_CONFIG": str(cfg)})
            if subprocess.run(exe, env=env, capture_output=True).returncode == 0:
                doctor = exe  # the installed script, when it belongs to this checkout
            base = [sys.executable, "-c", "import httpx"]
            for cmd in (doctor, base):  # write the bytecode once
                subprocess.run(cmd, env=env, capture_output=True, check=True)
            r = interleave(
                lambda: subprocess.run(doctor, env=env, capture_output=True, check=True),
                lambda: subprocess.run(base, env=env, capture_output=True, check=True),
                blocks=runs // 2,
                per_block=2,
            )
        figure(
            "amzauth doctor --json, as a process",
            r["candidate"] * 1e3,
            "ms",
            target=250.0,
            baseline=r["baseline"] * 1e3,
            baseline_name='python -c "import httpx"',
            note=f"ratio {r['ratio']:.2f}",
        )
    finally:
        proc.terminate()
        proc.wait(5)


if __name__ == "__main__":
    main()
