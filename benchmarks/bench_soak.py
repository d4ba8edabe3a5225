"""Soak: mixed load from several processes with random faults, then an account of every token request.

Run: ``python benchmarks/bench_soak.py [--seconds 20] [--processes 4] [--token-lifetime 10] [--json]``
(600 s by hand for the 10-minute soak of issue 9). Prints figures; asserts nothing itself
(``tests/reliability/test_soak_short.py`` runs a 10 s variant and checks its verdicts).

Setup: a sandbox in its own process (``amzauth sandbox --port 0 --world ...``) with short-lived tokens
(``--token-lifetime``) and roomy rate limits; N worker processes share one SQLite token store and
one SQLite result store, as the processes of one host do. Each worker loops over a random mix of
token gets, Creators searches and getItems (half of them bypassing the cache) and SP-API
``getMarketplaceParticipations`` calls (``SPAPIClient``), through one TokenManager per credential (advisory window
1 s, mandatory 0.5 s). Meanwhile the main process injects random faults through the control API
(token endpoint 500/503+Retry-After/drop/delay past the timeout; Creators 429 bursts, 500s, slow
answers, drops; SP-API 503/429/drops) and expires every token at random moments.

Reported: requests served, errors by kind, p50/p99 latency per operation, RSS at start and end of
each process, leaked secrets (worker logs at DEBUG, error texts, the sandbox log) and the token
account: per credential, successful token requests must equal 1 (cold start) + token lifetimes
elapsed + forced expiries, where every gap between two token requests is either a forced expiry
(the refresh follows the expiry within 2.5 s: a Retry-After may hold it back) or one lifetime elapsing (a gap of lifetime minus the
advisory window, up to the lifetime plus the retry slack): a duplicate refresh or a late one breaks it,
unless the token endpoint failed every attempt in between (reported as ``delayed_by_faults``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import random
import re
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any, Final

import _common

ROOT: Final = Path(__file__).resolve().parent.parent
ADVISORY: Final = 1.0
MANDATORY: Final = 0.5
TOKEN_TIMEOUT: Final = 1.0
TOKEN_PATHS: Final = ("/auth/o2/token", "/oauth2/token")
# A forced expiry must be followed by its refresh within this many seconds: detection takes
# milliseconds, but a token-endpoint 503 with Retry-After 1 s may hold every caller back that long.
EXPIRY_DETECT: Final = 2.5
EXPIRY_SPACING: Final = 3.0  # seconds at least between two forced expiries, so each gets its own refresh
LATE_SLACK: Final = 3.0  # retries and Retry-After waits may push a refresh this far past the lifetime
EARLY_SLACK: Final = 0.5

# Credential-shaped strings, as the test suite's leak scanner defines them.
TOKEN_RE: Final = re.compile(
    r"Atz[ar](?:\||%7C|%7c)[A-Za-z0-9_\-.~+/=]{9,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r"|amzn1\.oa2-cs\.v1\.[A-Za-z0-9]{16,}"
)


def rss_kb(pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def soak_world(lifetime: int) -> dict[str, Any]:
    from amzauth.sandbox.world import demo_world

    w = demo_world().model_dump(mode="json")
    w["limits"].update(
        token_lifetime=lifetime,
        creators_rate=500.0,
        creators_burst=100,
        creators_daily=10_000_000,
        spapi_rate=500.0,
        spapi_burst=100,
    )
    return w


def credentials(sandbox_url: str) -> dict[str, dict[str, Any]]:
    """Profile values for the soak's two credentials: Creators 3.1 and an SP-API seller authorization."""
    from amzauth.sandbox.world import demo_world

    w = demo_world()
    c = next(c for c in w.creators_credentials if c.version == "3.1" and c.enabled and c.eligible)
    apps = {a.application_id: a for a in w.spapi_apps}
    seller, auth = next(
        (s, a)
        for s in w.sellers
        if s.region == "na" and s.account_healthy
        for a in s.authorizations
        if not a.revoked and "Product Listing" in apps[a.application_id].roles
    )
    app = apps[auth.application_id]
    return {
        "creators": {
            "api": "creators",
            "credential_version": "3.1",
            "client_id": c.client_id,
            "client_secret": c.client_secret,
            "marketplace": c.marketplaces[0],
            "partner_tag": c.partner_tags[c.marketplaces[0]][0],
            "sandbox": sandbox_url,
        },
        "spapi": {
            "api": "spapi",
            "region": seller.region,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": auth.refresh_token,
            "sandbox": sandbox_url,
        },
    }


def known_secrets() -> set[str]:
    from amzauth.sandbox.world import demo_world

    w = demo_world()
    out = {c.client_secret for c in w.creators_credentials} | {
        s for c in w.creators_credentials for s in c.old_secrets
    }
    out |= {a.client_secret for a in w.spapi_apps}
    out |= {a.refresh_token for s in w.sellers for a in s.authorizations}
    return out


def scan(text: str, secrets: set[str]) -> list[str]:
    hits = [s[:6] + "…" + s[-4:] for s in secrets if len(s) >= 8 and s in text]
    hits += [m.group(0)[:6] + "…" + m.group(0)[-4:] for m in TOKEN_RE.finditer(text)]
    return hits


# ---- a worker process ---------------------------------------------------------------------------------
def worker(idx: int, url: str, cache: str, until: float, seed: int, out: Any) -> None:
    import io
    import logging

    from amzauth.config import profile_from_mapping
    from amzauth.core.retry import RetryPolicy
    from amzauth.creators import CreatorsClient
    from amzauth.creators import SQLiteResultStore as ResultStore
    from amzauth.engine import SQLiteTokenStore, manager_for_profile
    from amzauth.errors import AmzAuthError
    from amzauth.sandbox.world import demo_world
    from amzauth.spapi.client import SPAPIClient
    from amzauth.spapi.wire import RetrySettings

    rng = random.Random(seed * 1000 + idx)
    logbuf = io.StringIO()
    handler = logging.StreamHandler(logbuf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("amzauth")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)

    creds = credentials(url)
    store = SQLiteTokenStore(Path(cache) / "tokens.sqlite3")
    results = ResultStore(Path(cache) / "creators.sqlite3")
    policy = RetryPolicy(attempts=3, base=0.05, cap=0.3, retry_after_cap=2.0, budget=3.0)
    kw = dict(store=store, policy=policy, timeout=TOKEN_TIMEOUT, advisory=ADVISORY, mandatory=MANDATORY)
    pc, ps = profile_from_mapping(creds["creators"]), profile_from_mapping(creds["spapi"])
    mc, ms = manager_for_profile(pc, **kw), manager_for_profile(ps, **kw)
    creators = CreatorsClient(
        pc,
        manager=mc,
        store=results,
        rate=200.0,
        burst=50,
        daily_quota=None,
        timeout=2.0,
        retry=RetryPolicy(attempts=3, base=0.05, cap=0.3, retry_after_cap=2.0, budget=3.0),
    )
    sp = SPAPIClient(ps, manager=ms, timeout=2.0, retry=RetrySettings(attempts=3, budget=2.0, cap=0.5))
    catalog = [it for it in demo_world().catalog if it.marketplace == creds["creators"]["marketplace"]]
    words = sorted({w.lower() for it in catalog for w in it.title.split()[:3] if w.isalpha() and len(w) > 3})
    asins = [it.asin for it in catalog]

    lat: dict[str, array[float]] = {}
    served: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    messages: list[str] = []
    tokens_seen: set[str] = set()

    def op_token() -> None:
        tokens_seen.add(mc.get_token().access_token)
        tokens_seen.add(ms.get_token().access_token)

    def op_search() -> None:
        creators.search_items(rng.choice(words), item_count=rng.randint(1, 10), use_cache=rng.random() < 0.5)

    def op_items() -> None:
        creators.get_items(rng.sample(asins, rng.randint(1, 4)), use_cache=rng.random() < 0.5)

    def op_spapi() -> None:
        sp.marketplace_participations()

    ops = [("token", op_token, 3), ("search", op_search, 3), ("items", op_items, 2), ("spapi", op_spapi, 3)]
    names = [o[0] for o in ops]
    funcs = {o[0]: o[1] for o in ops}
    weights = [o[2] for o in ops]
    rss_start = 0
    started = time.monotonic()
    while time.time() < until:
        name = rng.choices(names, weights)[0]
        t0 = time.perf_counter()
        try:
            funcs[name]()
        except AmzAuthError as exc:
            errors[f"{name}: {type(exc).__name__}({getattr(exc, 'code', '')})"] += 1
            messages.append(f"{exc} {exc!r}")
        except Exception as exc:  # anything untyped is a finding
            errors[f"{name}: UNEXPECTED {type(exc).__name__}"] += 1
            messages.append(f"{exc!r}")
        else:
            served[name] += 1
        lat.setdefault(name, array("d")).append(time.perf_counter() - t0)
        if not rss_start and time.monotonic() - started > 1.0:
            rss_start = rss_kb()
        if len(messages) > 2000:
            messages = messages[-1000:]
    rss_end = rss_kb()
    for t in (mc.cached(), ms.cached()):
        if t is not None:
            tokens_seen.add(t.access_token)
    creators.close()
    sp.close()
    store.close()
    results.close()
    secrets = known_secrets() | tokens_seen
    leaks = scan(logbuf.getvalue() + "\n".join(messages), secrets)
    out.put(
        {
            "idx": idx,
            "served": dict(served),
            "errors": dict(errors),
            "lat": {k: v.tobytes() for k, v in lat.items()},
            "rss_start_kb": rss_start or rss_end,
            "rss_end_kb": rss_end,
            "leaks": leaks[:20],
            "log_lines": logbuf.getvalue().count("\n"),
        }
    )


# ---- faults ------------------------------------------------------------------------------------------------
def fault_menu(token_timeout: float) -> list[tuple[str, dict[str, Any]]]:
    lwa = {"host": "api.amazon.com", "path": "/auth/o2/token"}
    cr = {"host": "creatorsapi.amazon", "path": "/catalog/v1/*"}
    spa = {"host": "sellingpartnerapi-na.amazon.com", "path": "/sellers/v1/*"}
    slow = int((token_timeout + 0.5) * 1000)
    return [
        ("token 500", {**lwa, "status": 500, "times": 1}),
        ("token 503 Retry-After 1", {**lwa, "status": 503, "retry_after": 1, "times": 1}),
        ("token drop", {**lwa, "drop": True, "times": 1}),
        ("token delay past timeout", {**lwa, "delay_ms": slow, "times": 1}),
        ("creators 429 x3", {**cr, "status": 429, "times": 3}),
        ("creators 500 x2", {**cr, "status": 500, "times": 2}),
        ("creators slow x5", {**cr, "delay_ms": 300, "times": 5}),
        ("creators drop", {**cr, "drop": True, "times": 1}),
        ("spapi 503", {**spa, "status": 503, "times": 1}),
        ("spapi 429", {**spa, "status": 429, "times": 2}),
        ("spapi drop", {**spa, "drop": True, "times": 1}),
    ]


def start_sandbox(world: dict[str, Any], tmp: Path) -> tuple[subprocess.Popen[str], str]:
    path = tmp / "world.json"
    path.write_text(json.dumps(world), encoding="utf-8")
    return _common.start_sandbox("--world", str(path))


# ---- the token account -------------------------------------------------------------------------------------
def account(
    entries: list[dict[str, Any]],
    failed: list[float],
    expiries: list[float],
    lifetime: float,
    run_end: float,
) -> dict[str, Any]:
    """Classify each gap between successful token requests of one credential as lifetime or forced.

    ``failed`` holds the times of token attempts the endpoint failed (an injected 5xx, a drop, an answer
    held past the client's timeout). A refresh that comes late because every attempt in between failed
    is the engine doing its job through an outage, not a missed refresh: it is counted in
    ``delayed_by_faults`` instead of being a problem. A late refresh with no failed attempt in between is.
    """
    times = sorted(e["ts"] for e in entries)
    period = lifetime - ADVISORY
    natural = forced = delayed = 0
    problems: list[str] = []

    def failed_between(lo: float, hi: float) -> bool:
        return any(lo <= f < hi for f in failed)

    for a, b in itertools.pairwise(times):
        inside = [e for e in expiries if a < e <= b]
        if inside:
            forced += 1
            if len(inside) > 1:
                problems.append(f"{len(inside)} expiries before one refresh at {b - times[0]:.2f}s")
            if b - inside[-1] > EXPIRY_DETECT and failed_between(inside[-1], b):
                delayed += 1
            elif b - inside[-1] > EXPIRY_DETECT:
                problems.append(
                    f"refresh {b - inside[-1]:.2f}s after the expiry at {inside[-1] - times[0]:.2f}s"
                )
        else:
            natural += 1
            gap = b - a
            if gap < period - EARLY_SLACK:
                problems.append(
                    f"early refresh: gap {gap:.2f}s < {period - EARLY_SLACK:.2f}s at {b - times[0]:.2f}s"
                )
            if gap > lifetime + LATE_SLACK and failed_between(a + period - EARLY_SLACK, b):
                delayed += 1
            elif gap > lifetime + LATE_SLACK:
                problems.append(
                    f"late refresh: gap {gap:.2f}s > {lifetime + LATE_SLACK:.2f}s at {b - times[0]:.2f}s"
                )
    # A forced expiry after the last successful refresh must still have produced one (unless it came
    # too near the end). Expiries before it were judged above, once, with the gap they fall in:
    # judging them again here with a narrower window would contradict that verdict.
    if times:
        for e in expiries:
            if e > times[-1] and e < run_end - EXPIRY_DETECT and not failed_between(e, run_end):
                problems.append(f"no refresh after the expiry at {e - times[0]:.2f}s")
    if (
        times
        and run_end - times[-1] > lifetime + LATE_SLACK
        and not failed_between(times[-1] + period - EARLY_SLACK, run_end)
    ):
        problems.append(f"no refresh in the last {run_end - times[-1]:.1f}s")
    return {
        "token_requests": len(times),
        "cold_start": 1 if times else 0,
        "lifetimes_elapsed": natural,
        "forced_expiries": forced,
        "delayed_by_faults": delayed,
        "equation_holds": bool(times) and len(times) == 1 + natural + forced and not problems,
        "problems": problems,
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--token-lifetime", type=int, default=10)
    ap.add_argument("--fault-every", type=float, default=1.5, help="mean seconds between injected faults")
    ap.add_argument(
        "--expire-every",
        type=float,
        default=None,
        help="mean seconds between forced expiries (default 1.5 token lifetimes, so both kinds of refresh occur)",
    )
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    ap.add_argument(
        "--dump", type=Path, default=None, help="write the raw timeline (sandbox log, faults, expiries) here"
    )
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    if args.expire_every is None:
        args.expire_every = 1.5 * args.token_lifetime
    rng = random.Random(seed)
    sys.path.insert(0, str(ROOT / "src"))
    from amzauth.sandbox.server import SandboxHandle

    tmp = Path(tempfile.mkdtemp(prefix="amzauth-soak-"))
    cache = tmp / "cache"
    cache.mkdir(mode=0o700)
    sandbox, url = start_sandbox(soak_world(args.token_lifetime), tmp)
    sb = SandboxHandle(url)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    injected: Counter[str] = Counter()
    expiries: list[float] = []
    token_log: dict[str, dict[str, Any]] = {}
    api_log: dict[str, dict[str, Any]] = {}  # every other request, only kept for --dump
    fault_times: list[tuple[float, str]] = []

    def poll_tokens() -> None:
        for path in TOKEN_PATHS:
            for e in sb.requests(path=path):
                token_log[e["request_id"]] = e
        if args.dump:
            for e in sb.requests():
                api_log[e["request_id"]] = e

    try:
        sb.clear_requests()
        sandbox_rss_start = rss_kb(sandbox.pid)
        start = time.time() + 1.5  # workers import and connect first
        until = start + args.seconds
        procs = [
            ctx.Process(target=worker, args=(i, url, str(cache), until, seed, out), daemon=True)
            for i in range(args.processes)
        ]
        for p in procs:
            p.start()
        time.sleep(max(0.0, start - time.time()))
        menu = fault_menu(TOKEN_TIMEOUT)
        next_fault = time.time() + rng.expovariate(1 / args.fault_every)
        next_expire = time.time() + rng.uniform(0.5, 1.5) * args.expire_every
        next_poll = time.time() + 2
        while time.time() < until:
            now = time.time()
            if now >= next_fault:
                name, fault = rng.choice(menu)
                sb.add_fault(**fault)
                injected[name] += 1
                fault_times.append((now, name))
                next_fault = now + rng.expovariate(1 / args.fault_every)
            if now >= next_expire and now < until - EXPIRY_DETECT:
                # the sandbox's own moment, on the log's clock: a caller may see the expiry and
                # refresh before this control call even returns
                expiries.append(float(sb.expire_tokens_at()["ts"]))
                next_expire = now + max(EXPIRY_SPACING, rng.uniform(0.5, 1.5) * args.expire_every)
            if now >= next_poll:
                poll_tokens()
                next_poll = now + 2
            time.sleep(0.02)
        results = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        time.sleep(TOKEN_TIMEOUT + 1.0)  # delayed requests finish and get logged
        poll_tokens()
        sb.clear_faults()
        sandbox_rss_end = rss_kb(sandbox.pid)
        sandbox_log_text = json.dumps(sb.requests())
    finally:
        sb.close()
        sandbox.terminate()
        try:
            sandbox.wait(10)
        except subprocess.TimeoutExpired:
            sandbox.kill()

    creds = credentials(url)
    by_client: dict[str, list[dict[str, Any]]] = {}
    for e in token_log.values():
        if e["status"] == 200 and not e.get("fault"):
            by_client.setdefault(e["client_id"], []).append(e)
    failed = [e for e in token_log.values() if e.get("fault") or e["status"] != 200]
    faulted_token = len(failed)

    # Every worker serves both credentials in one loop, as a web worker does, so a token-endpoint
    # outage for one credential holds every worker in its wait: the other credential's callers stop
    # too, and its refresh (or its noticing a forced expiry) waits. Failed attempts of either count.
    failed_ts = [e["ts"] for e in failed]

    accounts = {
        kind: account(
            by_client.get(c["client_id"], []),
            failed_ts,
            expiries,
            args.token_lifetime,
            until,
        )
        for kind, c in creds.items()
    }
    served: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    lat: dict[str, list[float]] = {}
    leaks: list[str] = []
    for r in results:
        served.update(r["served"])
        errors.update(r["errors"])
        leaks += r["leaks"]
        for k, raw in r["lat"].items():
            a = array("d")
            a.frombytes(raw)
            lat.setdefault(k, []).extend(a)
    leaks += scan(sandbox_log_text, known_secrets())
    all_lat = [x for v in lat.values() for x in v]
    report = {
        "seconds": args.seconds,
        "processes": args.processes,
        "token_lifetime": args.token_lifetime,
        "seed": seed,
        "requests_served": sum(served.values()),
        "served_by_op": dict(sorted(served.items())),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors.most_common()),
        "unexpected_errors": sum(v for k, v in errors.items() if "UNEXPECTED" in k),
        "faults_injected": dict(sorted(injected.items())),
        "forced_expiries": len(expiries),
        "token_requests": {
            "successful": sum(a["token_requests"] for a in accounts.values()),
            "faulted_or_failed": faulted_token,
            "by_credential": accounts,
        },
        "token_equation_holds": all(a["equation_holds"] for a in accounts.values()),
        "latency_ms": {
            k: {"n": len(v), "p50": round(pct(v, 0.5) * 1000, 3), "p99": round(pct(v, 0.99) * 1000, 3)}
            for k, v in sorted(lat.items())
        }
        | {
            "all": {
                "n": len(all_lat),
                "p50": round(pct(all_lat, 0.5) * 1000, 3),
                "p99": round(pct(all_lat, 0.99) * 1000, 3),
            }
        },
        "rss_kb": {
            **{
                f"worker{r['idx']}": {
                    "start": r["rss_start_kb"],
                    "end": r["rss_end_kb"],
                    "growth": r["rss_end_kb"] - r["rss_start_kb"],
                }
                for r in sorted(results, key=lambda r: r["idx"])
            },
            "sandbox": {
                "start": sandbox_rss_start,
                "end": sandbox_rss_end,
                "growth": sandbox_rss_end - sandbox_rss_start,
            },
        },
        "leaked_secrets": len(leaks),
        "leaks": leaks[:10],
        "worker_log_lines": sum(r["log_lines"] for r in results),
    }
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    if args.dump:
        timeline = {
            "start": start,
            "until": until,
            "clients": {kind: c["client_id"] for kind, c in creds.items()},
            "expiries": expiries,
            "faults": fault_times,
            "token_log": sorted(token_log.values(), key=lambda e: e["ts"]),
            "requests": sorted(api_log.values(), key=lambda e: e["ts"]),
        }
        args.dump.write_text(json.dumps(timeline, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_human(report)
    return 0


def print_human(r: dict[str, Any]) -> None:
    p = print
    p(
        f"soak: {r['seconds']:g} s, {r['processes']} processes, token lifetime {r['token_lifetime']} s, seed {r['seed']}"
    )
    p(f"requests served: {r['requests_served']}  {r['served_by_op']}")
    p(f"errors: {r['errors']} (unexpected: {r['unexpected_errors']})")
    for k, v in r["errors_by_kind"].items():
        p(f"  {v:6d}  {k}")
    p(
        f"faults injected: {sum(r['faults_injected'].values())}  {r['faults_injected']}; forced expiries: {r['forced_expiries']}"
    )
    t = r["token_requests"]
    p(f"token requests: {t['successful']} successful, {t['faulted_or_failed']} faulted or failed")
    for kind, a in t["by_credential"].items():
        eq = "holds" if a["equation_holds"] else "BROKEN"
        p(
            f"  {kind}: {a['token_requests']} = 1 cold start + {a['lifetimes_elapsed']} lifetimes elapsed "
            f"+ {a['forced_expiries']} forced expiries  ({eq}; {a['delayed_by_faults']} refreshes held back by token-endpoint faults)"
        )
        for prob in a["problems"][:5]:
            p(f"      {prob}")
    p("latency (ms):")
    for k, v in r["latency_ms"].items():
        p(f"  {k:7s} n={v['n']:7d}  p50 {v['p50']:8.3f}  p99 {v['p99']:8.3f}")
    p(
        "RSS (KiB): "
        + ", ".join(f"{k} {v['start']}->{v['end']} ({v['growth']:+d})" for k, v in r["rss_kb"].items())
    )
    p(f"leaked secrets: {r['leaked_secrets']}  (worker log lines scanned: {r['worker_log_lines']})")


if __name__ == "__main__":
    raise SystemExit(main())
