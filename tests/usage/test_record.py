"""The usage record: the store contract on memory, SQLite and Redis; what the Creators client and
the token engine write into it (against the sandbox over HTTP); exit flushing; the CLI."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from amzauth.core.plan import build_plan
from amzauth.creators import CreatorsClient, SQLiteStore
from amzauth.engine.usage import (
    DAY,
    KEEP_DAYS,
    KEEP_MINUTES,
    MINUTE,
    MemoryUsageStore,
    SQLiteUsageStore,
    UsageStore,
    _redis_usage,
    build_report,
    by_part,
    day_of,
    minute_of,
    total,
    usage_key,
    usage_store_beside,
)
from tests.creators._world import catalogue, profile, toml_profile
from tests.support import run_cli

US = "www.amazon.com"


def _store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> UsageStore:
    if kind == "memory":
        return MemoryUsageStore()
    if kind == "sqlite":
        return SQLiteUsageStore(tmp_path / "usage.sqlite3")
    redis = request.getfixturevalue("redis")
    if redis.proc is None:
        redis.start()
    return _redis_usage(redis.url, f"u{secrets.token_hex(4)}", MemoryUsageStore())


@pytest.mark.parametrize("kind", ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_store_sums_per_minute_and_day_merges_limits_and_prunes(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    store = _store(kind, tmp_path, request)
    now = time.time()
    old = now - KEEP_MINUTES - 5 * MINUTE  # a day ago: its minute is pruned, its day kept
    store.add([("c", "req:searchItems:200", 3)], {"c": {"daily": 100, "last_429": old}}, old)
    store.add([("c", "req:searchItems:200", 2), ("c", "req:searchItems:429", 1)], {}, now)
    store.add([("c", "hit:search", 4), ("other", "req:getItems:200", 9)], {"c": {"last_429": old - 1}}, now)
    r = store.read("c", now)
    assert r.minutes == {
        minute_of(now): {"req:searchItems:200": 2, "req:searchItems:429": 1, "hit:search": 4}
    }
    assert r.days[day_of(now)] == {
        "req:searchItems:200": 2 + (3 if day_of(old) == day_of(now) else 0),
        "req:searchItems:429": 1,
        "hit:search": 4,
    }
    assert r.days[day_of(old)]["req:searchItems:200"] >= 3
    assert r.meta == {"daily": 100, "last_429": old}  # the last 429 only moves forward
    assert store.read("other", now).days[day_of(now)] == {"req:getItems:200": 9}  # per credential
    far = now + KEEP_DAYS * DAY
    store.add([("c", "req:getItems:200", 1)], {}, far)
    assert set(store.read("c", far).days) == {day_of(far)}  # older days pruned
    store.close()


def test_report_is_dense_and_sums_what_the_charts_draw() -> None:
    store = MemoryUsageStore()
    now = 1_800_000_000.0
    store.add(
        [
            ("c", "req:searchItems:200", 5),
            ("c", "req:getItems:429", 2),
            ("c", "hit:items", 6),
            ("c", "miss:search", 2),
            ("c", "token:ok", 1),
        ],
        {"c": {"daily": 10}},
        now - 120,
    )
    rep = build_report(store.read("c", now), "c", now, hours=1)
    assert len(rep.minutes) == 60 and len(rep.days) == KEEP_DAYS
    assert [(p.requests, p.throttled, p.hits, p.misses) for p in rep.minutes if p.requests] == [(7, 2, 6, 2)]
    assert rep.minutes[-3].start == minute_of(now - 120)
    assert (rep.requests_today, rep.throttled_today, rep.quota_left, rep.hit_ratio_today) == (7, 2, 3, 0.75)
    doc = rep.as_dict()
    assert doc["today"]["tokens"] == {"ok": 1}
    assert doc["today"]["requests_by_operation_status"] == {"getItems:429": 2, "searchItems:200": 5}
    json.dumps(doc)


def _read(client: CreatorsClient) -> dict[str, int]:
    client.close()
    store = usage_store_beside(client.store)
    now = time.time()
    return build_report(store.read(usage_key(client.plan), now), "", now).today


def test_client_records_429s_with_their_time_and_the_errors_code(sb: Any, tmp_path: Path) -> None:
    world = sb.world()
    world["limits"].update(creators_rate=0.2, creators_burst=1)
    sb.set_world(world)
    word = catalogue(US)[0].title.split()[0]
    store = SQLiteStore(tmp_path / "creators.sqlite3")
    client = CreatorsClient(profile(sb.url), store=store, rate=50, burst=5, retry=None)
    before = time.time()
    errors = 0
    for i in range(3):
        try:
            client.search_items(f"{word} {i}", use_cache=False)
        except Exception:
            errors += 1
    today = _read(client)
    reqs = by_part(today, "req:")
    assert reqs.get("searchItems:429", 0) >= 1 and reqs.get("searchItems:200", 0) >= 1
    assert total(today, "req:") == client.stats.requests
    assert total(today, "retry:") == client.stats.retries
    assert by_part(today, "err:")  # the throttle's code, as the catalogue knows it
    meta = usage_store_beside(store).read(usage_key(client.plan), time.time()).meta
    assert meta["last_429"] >= before and meta["daily"] and meta["rate"] == 50
    assert errors == 0 or errors <= reqs["searchItems:429"]


def test_token_requests_and_their_outcome_are_recorded(sb: Any, tmp_path: Path) -> None:
    from amzauth.engine import SQLiteStore as TokenSQLite
    from amzauth.engine import TokenManager

    prof = profile(sb.url)
    plan = build_plan(prof)
    good = TokenManager(plan, prof.secret("client_secret") or "", store=TokenSQLite(tmp_path / "t.sqlite3"))
    good.get_token()
    good.get_token()  # cached: no second request
    bad = TokenManager(
        plan, "amzn1.oa2-cs.v1.not-the-secret-0000", store=TokenSQLite(tmp_path / "t2.sqlite3")
    )
    with pytest.raises(Exception) as info:
        bad.get_token()
    store = usage_store_beside(good.store)
    from amzauth.engine.usage import flush_all

    flush_all()
    today = build_report(store.read(usage_key(plan), time.time()), "", time.time()).today
    assert by_part(today, "token:") == {"ok": 1, getattr(info.value, "code", "?"): 1}
    assert by_part(today, "err:") == {getattr(info.value, "code", "?"): 1}


def test_usage_off_records_nothing(sb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLiteStore(tmp_path / "creators.sqlite3")
    client = CreatorsClient(profile(sb.url), store=store, usage=False)
    client.search_items(catalogue(US)[0].title.split()[0])
    assert _read(client) == {}
    monkeypatch.setenv("AMZAUTH_USAGE", "off")
    client = CreatorsClient(profile(sb.url), store=store)
    client.search_items(catalogue(US)[1].title.split()[0])
    assert _read(client) == {}


def test_a_process_that_never_closes_its_client_is_flushed_at_exit(sb: Any, tmp_path: Path) -> None:
    code = f"""
import sys
sys.path[:0] = {sys.path!r}
from amzauth.creators import CreatorsClient, SQLiteStore
from tests.creators._world import profile
c = CreatorsClient(profile({sb.url!r}), store=SQLiteStore({str(tmp_path / "creators.sqlite3")!r}))
c.search_items({catalogue(US)[0].title.split()[0]!r})
c.search_items({catalogue(US)[0].title.split()[0]!r})
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=tmp_path)
    store = usage_store_beside(SQLiteStore(tmp_path / "creators.sqlite3"))
    plan = build_plan(profile(sb.url))
    today = build_report(store.read(usage_key(plan), time.time()), "", time.time()).today
    assert (total(today, "req:"), total(today, "hit:"), total(today, "miss:")) == (1, 1, 1)


def test_cli_usage_json_and_human_view(sb: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(toml_profile(sb.url, cache_dir=str(tmp_path / "cache")), encoding="utf-8")
    word = catalogue(US)[0].title.split()[0]
    assert run_cli("search", word, "--json", "--config", str(cfg)).returncode == 0
    assert run_cli("search", word, "--json", "--config", str(cfg)).returncode == 0
    p = run_cli("usage", "--json", "--config", str(cfg))
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["schema"] == "amzauth.usage/1" and doc["profile"] == "default"
    assert doc["quota"]["used_today"] == 1 and doc["quota"]["daily"] == doc["quota"]["left_today"] + 1
    assert doc["today"]["cache_hits"] == {"search": 1} and doc["today"]["cache_misses"] == {"search": 1}
    assert doc["today"]["tokens"] == {"ok": 1}
    assert doc["last_429"] is None
    assert sum(row[1] for row in doc["minutes"]) == 1
    h = run_cli("usage", "--hours", "1", "--config", str(cfg))
    assert h.returncode == 0, h.stderr
    assert f"1 / {doc['quota']['daily']} used" in h.stdout and "hits 1 / misses 1 (50% hits)" in h.stdout
    assert "requests per 5 min (peak 1)" in h.stdout and "█" in h.stdout
    bad = run_cli("usage", "--json", "--config", str(cfg), "--profile", "nope")
    assert bad.returncode == 2 and "nope" in json.loads(bad.stdout)["error"]


def test_recorder_counts_exactly_while_threads_come_and_go_and_the_flusher_runs() -> None:
    import threading

    from amzauth.engine.usage import Recorder, Tally

    store = MemoryUsageStore()
    rec = Recorder(store)
    tally = Tally(rec, "c")
    per_thread, waves, width = 20_000, 3, 8

    def work() -> None:
        for i in range(per_thread):
            tally.count("memory_hits", 1, "searchItems")
            if i % 1000 == 0:
                tally.count("misses", 3, "getItems")

    for _ in range(waves):  # threads end between waves, so their dicts are written and dropped
        pool = [threading.Thread(target=work) for _ in range(width)]
        for t in pool:
            t.start()
        for _ in range(5):
            rec.flush()  # concurrent with the counting threads
        for t in pool:
            t.join()
    rec.flush()
    rec.flush()
    today = store.read("c", time.time()).days[day_of(time.time())]
    assert today == {"hit:search": per_thread * waves * width, "miss:items": 3 * 20 * waves * width}
    assert rec._counts == []  # every ended thread's totals written, its dict dropped


def test_spapi_calls_and_their_token_are_recorded_per_operation(fresh_sandbox: Any, tmp_path: Path) -> None:
    from amzauth.engine import SQLiteStore as TokenSQLite
    from amzauth.spapi import SPAPIClient
    from tests.spapi._support import make_profile
    from tests.spapi.test_client import CB, NA_REFRESH

    prof = make_profile(fresh_sandbox.url, CB, refresh_token=NA_REFRESH)
    fresh_sandbox.clear_requests()
    with SPAPIClient(prof, store=TokenSQLite(tmp_path / "tokens.sqlite3")) as sp:
        sp.marketplace_participations()
        sp.get_catalog_item("B0SBXUS001")
        sp.get_catalog_item("B0SBXUS001")
        store = usage_store_beside(sp.manager.store)
        plan = sp.plan
    today = build_report(store.read(usage_key(plan), time.time()), "", time.time()).today
    api = [r for r in fresh_sandbox.requests() if r["path"] != "/auth/o2/token"]
    assert total(today, "req:") == len(api) == 3
    assert by_part(today, "req:") == {
        "GET /sellers/v1/marketplaceParticipations:200": 1,
        "GET /catalog/2022-04-01/items:200": 2,  # the ASIN is not part of the operation's name
    }
    assert by_part(today, "token:") == {"ok": 1}


def test_a_broken_store_keeps_the_counts_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from amzauth.engine.usage import Recorder

    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    broken = SQLiteUsageStore(blocker / "usage.sqlite3")
    rec = Recorder(broken)
    rec.add("c", "hit:search", 2)
    with caplog.at_level("WARNING", logger="amzauth.usage"):
        assert rec.flush() == 0
        rec.add("c", "hit:search", 1)
        assert rec.flush() == 0
    assert len([r for r in caplog.records if "failed" in r.getMessage()]) == 1
    rec.store = good = MemoryUsageStore()  # the store is back: nothing counted meanwhile is lost
    assert rec.flush() == 3
    assert good.read("c", time.time()).days[day_of(time.time())] == {"hit:search": 3}
