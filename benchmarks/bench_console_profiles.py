"""``GET /profiles`` with 400 profiles (issue 16): the list page parses the profiles file once.

Run: ``PYTHONPATH=src python benchmarks/bench_console_profiles.py``. Prints the median time of the
page over a few rounds (the baseline before the fix took ~11 s: one parse of the file per profile).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

from amzauth.console import run_console
from amzauth.console.profiles_file import dump_profiles

N = 400


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "amzauth.toml"
        tables = {
            f"p{i:03d}": {
                "api": "creators",
                "credential_version": "3.1",
                "client_id": f"amzn1.application-oa2-client.{i:032d}",
                "client_secret": "env:BENCH_SECRET",
                "marketplace": "www.amazon.com",
                "partner_tag": "demo-20",
            }
            for i in range(N)
        }
        path.write_text(dump_profiles(tables), encoding="utf-8")
        with run_console(path, no_auth=True) as h, httpx.Client(base_url=h.url, timeout=120) as c:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                r = c.get("/profiles")
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200 and r.text.count('data-profile="') == N
        print(f"GET /profiles with {N} profiles: median {statistics.median(times):.3f} s")


if __name__ == "__main__":
    main()
