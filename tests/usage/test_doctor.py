"""The doctor's report gains the usage record's figures (additive fields), and a throttling
diagnosis says whether the daily quota is spent or the calls came too fast (a burst)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amzauth.config import load_profile
from amzauth.creators import CreatorsClient
from amzauth.doctor.run import FIELD_KEYS, run_doctor
from tests.creators._world import catalogue, toml_profile

NEW = (
    "quota_used_today",
    "quota_daily",
    "quota_left_today",
    "last_429",
    "last_429_retry_after",
    "throttle_kind",
)


def _config(sb: Any, tmp_path: Path, **extra: Any) -> str:
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(toml_profile(sb.url, cache_dir=str(tmp_path / "cache"), **extra), encoding="utf-8")
    return str(cfg)


def _spend(cfg: str, n: int) -> None:
    with CreatorsClient.from_profile("default", cfg, rate=50, burst=n) as c:
        for i in range(n):
            c.search_items(f"{catalogue('www.amazon.com')[i].title.split()[0]}", use_cache=False)


def test_healthy_report_keeps_every_field_and_adds_todays_quota(sb: Any, tmp_path: Path) -> None:
    cfg = _config(sb, tmp_path)
    _spend(cfg, 2)
    doc = run_doctor(load_profile("default", cfg)).doc
    assert doc["ok"] and set(FIELD_KEYS) <= set(doc["fields"])
    f = doc["fields"]
    assert f["quota_used_today"] == 2 and f["quota_left_today"] == f["quota_daily"] - 2
    assert f["last_429"] is None and f["throttle_kind"] is None


def test_throttled_with_quota_left_is_a_burst(sb: Any, tmp_path: Path) -> None:
    world = sb.world()
    world["limits"].update(creators_rate=0.001, creators_burst=1)
    sb.set_world(world)
    cfg = _config(sb, tmp_path)
    _spend(cfg, 1)  # takes the world's one-request burst
    doc = run_doctor(load_profile("default", cfg)).doc
    assert doc["diagnosis"]["cause"] == "rate-limit-exceeded"
    assert doc["fields"]["throttle_kind"] == "burst" and doc["fields"]["quota_used_today"] == 1
    assert "a burst" in doc["diagnosis"]["summary"] and "1 of " in doc["diagnosis"]["summary"]


def test_throttled_with_the_days_quota_spent_says_so(sb: Any, tmp_path: Path) -> None:
    world = sb.world()
    world["limits"].update(creators_daily=2)
    sb.set_world(world)
    cfg = _config(sb, tmp_path, creators_daily=2)
    _spend(cfg, 2)
    doc = run_doctor(load_profile("default", cfg)).doc
    assert doc["fields"]["throttle_kind"] == "daily-quota", doc["diagnosis"]
    assert doc["fields"]["quota_left_today"] == 0
    assert "daily quota is spent" in doc["diagnosis"]["summary"]
    assert set(NEW) <= set(doc["fields"])
