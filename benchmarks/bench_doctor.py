"""Doctor wall time against the sandbox (target: at most 1 s), with a bare token request as baseline.

The sandbox runs in its own process (`amzauth sandbox --port 0`), as a user's would. Prints the
median of N library runs, of N `amzauth doctor --json` processes, and of N raw token requests.
Run: .venv/bin/python benchmarks/bench_doctor.py [N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import start_sandbox

CLIENT_ID = "amzn1.application-oa2-client.5a4db0x31demo00000000000000031"
SECRET = "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031"


def median_ms(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="Doctor wall time against the sandbox, median of N runs.")
    parser.add_argument("runs", nargs="?", type=int, default=15, help="runs per measurement (default 15)")
    runs = max(1, parser.parse_args().runs)
    from amzauth.config import profile_from_mapping
    from amzauth.doctor import run_doctor

    proc, url = start_sandbox()
    try:
        values = {"api": "creators", "credential_version": "3.1", "client_id": CLIENT_ID, "client_secret": SECRET,
                  "partner_tag": "demo-20", "sandbox": url}
        profile = profile_from_mapping(values)
        assert run_doctor(profile).ok
        body = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
                "scope": "creatorsapi::default"}
        with httpx.Client() as c:
            token_ms = median_ms(lambda: c.post(f"{url}/api.amazon.com/auth/o2/token", json=body), runs)
        lib_ms = median_ms(lambda: run_doctor(profile), runs)
        with tempfile.TemporaryDirectory() as d:
            cfg = Path(d) / "amzauth.toml"
            cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
            exe = str(Path(sys.executable).with_name("amzauth"))
            env = {**os.environ, "AMZAUTH_CONFIG": str(cfg)}
            cli_ms = median_ms(lambda: subprocess.run([exe, "doctor", "--json"], env=env, capture_output=True,
                                                      check=True), runs)
        print(f"raw token request (baseline):  {token_ms:8.1f} ms median of {runs}")
        print(f"run_doctor() library:          {lib_ms:8.1f} ms median of {runs}  ({lib_ms / token_ms:.1f}x baseline)")
        print(f"amzauth doctor --json process: {cli_ms:8.1f} ms median of {runs}")
        print(f"target <= 1000 ms: {'PASS' if cli_ms <= 1000 else 'FAIL'}")
    finally:
        proc.terminate()
        proc.wait(5)


if __name__ == "__main__":
    main()
