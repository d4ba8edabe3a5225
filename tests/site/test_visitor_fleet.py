"""Per-visitor limits hold fleet-wide: two site worker processes share one store (SQLite, Redis).

One visitor floods both workers in turn and is served at the single configured budget overall (not
twice it); another visitor is still served; the sandbox's log shows Amazon requests only for the
searches that were let through.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.creators import SQLiteResultStore
from amzauth.creators.limiter import LimitSpec
from amzauth.site.visitors import VisitorLimiter
from tests.site.conftest import api_calls

REPO = Path(__file__).resolve().parents[2]
BURST = 6
RATE = 0.01  # one more request per 100 s: nothing refills during the test


def _worker(sandbox_url: str, store: str, *extra: str) -> tuple[subprocess.Popen[str], str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO), env.get("PYTHONPATH", "")])
    cmd = [
        sys.executable,
        "-m",
        "tests.site._fleet_worker",
        sandbox_url,
        store,
        str(RATE),
        str(BURST),
        *extra,
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise AssertionError(f"worker did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, line.removeprefix("listening on ")


@pytest.fixture(params=["sqlite", "redis"])
def fleet(
    request: pytest.FixtureRequest, fresh_sandbox: Any, tmp_path: Path
) -> Iterator[tuple[list[str], Any]]:
    """Two workers on one store; yields their URLs and a function listing the store's limiter keys."""
    db = tmp_path / "creators.sqlite3"
    keys: Any
    if request.param == "redis":
        url, namespace = request.getfixturevalue("redis").url, f"fleet-{tmp_path.name}"
        store, extra = url, (str(db), namespace)

        def keys() -> list[str]:
            import redis

            with redis.Redis.from_url(url) as r:
                return [k.decode().split(":rl:", 1)[1] for k in r.keys(f"{namespace}:*rl:*")]
    else:
        store, extra = str(db), ()

        def keys() -> list[str]:
            with sqlite3.connect(db) as c:
                return [k for (k,) in c.execute("SELECT key FROM limiter")]

    procs = [_worker(fresh_sandbox.url, store, *extra) for _ in range(2)]
    try:
        yield [url for _, url in procs], keys
    finally:
        for p, _ in procs:
            p.terminate()
        for p, _ in procs:
            p.wait(timeout=10)
        fresh_sandbox.reset()


def test_a_visitor_flooding_two_workers_gets_one_budget(
    fleet: tuple[list[str], Any], fresh_sandbox: Any
) -> None:
    urls, limiter_keys = fleet
    flooder, other = {"CF-Connecting-IP": "198.51.100.9"}, {"CF-Connecting-IP": "198.51.100.10"}
    codes: list[int] = []
    with httpx.Client(timeout=30) as http:
        for i in range(40):  # alternate between the two workers, each search new to the cache
            r = http.get(
                f"{urls[i % 2]}/search", params={"q": f"flood {i}", "format": "json"}, headers=flooder
            )
            codes.append(r.status_code)
        ok = http.get(f"{urls[1]}/search", params={"q": "acme", "format": "json"}, headers=other)
    served = [i for i, c in enumerate(codes) if c == 200]
    assert set(codes) == {200, 429}
    # One budget across the fleet: BURST answers overall (a per-process limit would give 2 * BURST).
    assert len(served) == BURST and served == list(range(BURST)), codes
    assert ok.status_code == 200 and ok.json()["items"]
    # Amazon saw exactly the searches that were let through: the flooder's BURST and the other's one.
    searched = [r for r in api_calls(fresh_sandbox, "searchItems")]
    assert len(searched) == BURST + 1
    # The shared store holds digests of the visitors' addresses, never the addresses.
    stored = limiter_keys()
    limiter = VisitorLimiter(RATE, BURST)  # the workers' settings: the same keys in the store
    assert {limiter.key_for("198.51.100.9"), limiter.key_for("198.51.100.10")} <= set(stored)
    assert not any("198.51.100" in k for k in stored)


def test_the_front_answers_a_flood_without_the_store(tmp_path: Path) -> None:
    """Two limiters (two workers' worth) on one SQLite file: one budget, and after its first refusal
    each worker refuses the flooder from memory until the shared answer's wait is over."""
    store = SQLiteResultStore(tmp_path / "creators.sqlite3")
    try:
        a, b = VisitorLimiter(RATE, 3, store), VisitorLimiter(RATE, 3, store)
        waits = [(a if i % 2 else b).take("198.51.100.9") for i in range(50)]
        assert [w == 0.0 for w in waits].count(True) == 3 and waits[:3] == [0.0] * 3
        assert all(90 < w <= 100 for w in waits[3:])  # about one interval (100 s) to the next slot
        assert a.asked + b.asked == 3 + 2  # 3 grants, then one refusal per worker from the store
        assert a.take("198.51.100.10") == 0.0  # another visitor has their own budget
        assert VisitorLimiter(RATE, 50, store).take("198.51.100.9") == 0.0  # a site with other limits too
    finally:
        store.close()


def test_full_visitor_buckets_are_swept_from_the_sqlite_store(tmp_path: Path) -> None:
    store = SQLiteResultStore(tmp_path / "creators.sqlite3")
    try:
        visitor, credential = LimitSpec(rate=100, burst=1, daily=None, margin=0.0), LimitSpec()
        assert store.acquire("cred", credential, 1_000.0).granted
        one, two = (VisitorLimiter(100, 1).key_for(a) for a in ("192.0.2.1", "192.0.2.2"))
        assert store.acquire(one, visitor, 1_000.0).granted
        assert store.acquire(two, visitor, 1_400.0).granted  # sweeps (> 300 s later)
        with sqlite3.connect(tmp_path / "creators.sqlite3") as c:
            rows = {k for (k,) in c.execute("SELECT key FROM limiter")}
        assert rows == {"cred", two}  # the credential's state is never swept
    finally:
        store.close()
