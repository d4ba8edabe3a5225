"""``amzauth search`` and ``amzauth items`` as a user runs them (subprocess, sandbox over HTTP).

``run_cli`` fails on any traceback and on any known secret in the output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.creators import _world
from tests.creators._world import api_log, catalogue
from tests.support import free_port, run_cli

US = "www.amazon.com"
ITEM_KEYS = {"asin", "title", "url", "price", "currency", "brand", "savings", "availability", "prime", "rating",
             "review_count", "image", "cached", "stale"}  # fmt: skip


@pytest.fixture()
def cfg(sb: Any, tmp_path: Path) -> str:
    path = tmp_path / "amzauth.toml"
    path.write_text(_world.toml_profile(sb.url), encoding="utf-8")
    return str(path)


def _json(proc: Any) -> Any:
    return json.loads(proc.stdout)


def test_search_json_shape_and_values(sb: Any, cfg: str) -> None:
    target = catalogue(US)[4]
    word = target.title.split()[0]
    p = run_cli("search", word, "--json", "--config", cfg)
    assert p.returncode == 0, p.stderr
    doc = _json(p)
    assert {"items", "total", "cached"} <= set(doc)
    assert doc["cached"] is False and doc["total"] >= 1
    item = next(i for i in doc["items"] if i["asin"] == target.asin)
    assert set(item) >= ITEM_KEYS
    assert (item["title"], item["price"], item["currency"]) == (target.title, target.price, target.currency)
    assert target.asin in item["url"] and "tag=" in item["url"]
    again = run_cli("search", word.upper(), "--json", "--config", cfg)
    assert _json(again)["cached"] is True
    assert len(api_log(sb, "searchItems")) == 1  # the second process read the SQLite cache


def test_search_index_count_page(sb: Any, cfg: str) -> None:
    word = catalogue(US)[0].title.split()[0]
    p = run_cli("search", word, "--count", "1", "--page", "2", "--index", "All", "--json", "--config", cfg)
    assert p.returncode == 0, p.stderr
    doc = _json(p)
    assert len(doc["items"]) == 1 and doc["total"] >= 2


def test_search_human_table(sb: Any, cfg: str) -> None:
    target = catalogue(US)[5]
    p = run_cli("search", *target.title.split()[:2], "--config", cfg)
    assert p.returncode == 0, p.stderr
    assert target.asin in p.stdout and target.title.split()[0] in p.stdout
    assert "results" in p.stdout


def test_items_json_keeps_order_and_lists_errors(sb: Any, cfg: str) -> None:
    known = [it.asin for it in catalogue(US)][:3]
    asked = [known[2], "B00NOTREAL", known[0]]
    p = run_cli("items", *asked, "--json", "--config", cfg)
    assert p.returncode == 0, p.stderr
    doc = _json(p)
    assert set(doc) >= {"items", "errors"}
    assert [i["asin"] for i in doc["items"]] == [known[2], known[0]]
    assert [(e["asin"], e["code"]) for e in doc["errors"]] == [("B00NOTREAL", "ItemNotAccessible")]
    assert all(set(i) >= ITEM_KEYS for i in doc["items"])
    assert doc["requests"] == 1


def test_items_file_batches_by_ten_with_a_progress_bar(sb: Any, cfg: str, tmp_path: Path) -> None:
    asins = [it.asin for it in catalogue(US)]
    unknown = [f"B0NOPE{n:04d}" for n in range(25 - len(asins))]
    lines = ["# ASINs to check", *asins[:5], "", *unknown, *asins[5:], asins[0]]  # a duplicate, a comment
    f = tmp_path / "asins.txt"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = run_cli("items", "--file", str(f), "--json", "--config", cfg, env={"AMZAUTH_CREATORS_RATE": "10"})
    assert p.returncode == 0, p.stderr
    doc = _json(p)
    assert [i["asin"] for i in doc["items"]] == asins[:5] + asins[5:]
    assert sorted(e["asin"] for e in doc["errors"]) == sorted(unknown)
    assert doc["requests"] == 3 and len(api_log(sb, "getItems")) == 3  # 25 ASINs -> 3 requests
    assert "25/25" in p.stderr  # the progress bar, on stderr only


def test_items_human_output(sb: Any, cfg: str) -> None:
    it = catalogue(US)[1]
    p = run_cli("items", it.asin, "B00NOTREAL", "--config", cfg)
    assert p.returncode == 0, p.stderr
    assert it.asin in p.stdout and "ItemNotAccessible" in p.stdout
    only_bad = run_cli("items", "B00NOTREAL", "--json", "--config", cfg)
    assert only_bad.returncode == 1 and _json(only_bad)["items"] == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["items", "B0SBXUS00"], "asins"),
        (["items", "b0sbxus004"], "asins"),
        (["items"], "asins"),
        (["search"], "keywords"),
        (["search", " "], "keywords"),
        (["search", "kettle", "--count", "11"], "item_count"),
        (["search", "kettle", "--count", "0"], "item_count"),
        (["search", "kettle", "--page", "11"], "item_page"),
        (["search", "kettle", "--marketplace", "Narnia"], "marketplace"),
        (["items", "B0SBXUS004", "--marketplace", "XX"], "marketplace"),
    ],
)
def test_bad_input_exits_2_before_any_request(sb: Any, cfg: str, args: list[str], field: str) -> None:
    sb.clear_requests()
    p = run_cli(*args, "--json", "--config", cfg)
    assert p.returncode == 2, (p.stdout, p.stderr)
    doc = _json(p)
    assert doc["field"] == field and field in doc["error"]
    assert "error:" in p.stderr and field in p.stderr
    assert sb.requests() == []


def test_bad_line_in_file_is_named(sb: Any, cfg: str, tmp_path: Path) -> None:
    f = tmp_path / "asins.txt"
    f.write_text(f"{catalogue(US)[0].asin}\nnot-an-asin\n", encoding="utf-8")
    p = run_cli("items", "--file", str(f), "--config", cfg)
    assert p.returncode == 2 and "line 2" in p.stderr
    missing = run_cli("items", "--file", str(tmp_path / "nope.txt"), "--config", cfg)
    assert missing.returncode == 2 and "nope.txt" in missing.stderr
    assert sb.requests() == []


def test_amazon_says_no_exits_1_with_reason_and_explain_hint(sb: Any, tmp_path: Path) -> None:
    path = tmp_path / "amzauth.toml"
    path.write_text(_world.toml_profile(sb.url, partner_tag="nobody-20"), encoding="utf-8")
    p = run_cli("items", catalogue(US)[0].asin, "--config", str(path))
    assert p.returncode == 1
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "InvalidPartnerTag" in lines[0]
    assert "amzauth explain InvalidPartnerTag" in lines[0]
    pj = run_cli("search", "kettle", "--json", "--config", str(path))
    assert pj.returncode == 1
    doc = _json(pj)
    assert doc["code"] == "InvalidPartnerTag" and doc["request_id"] and doc["explain"]


def test_ineligible_account_exits_1(sb: Any, tmp_path: Path) -> None:
    path = tmp_path / "amzauth.toml"
    path.write_text(_world.toml_profile(sb.url, eligible=False), encoding="utf-8")
    p = run_cli("search", "kettle", "--json", "--config", str(path))
    assert p.returncode == 1 and _json(p)["code"] == "AssociateNotEligible"


def test_unreachable_endpoint_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "amzauth.toml"
    path.write_text(_world.toml_profile(f"http://127.0.0.1:{free_port()}"), encoding="utf-8")
    p = run_cli("search", "kettle", "--json", "--config", str(path))
    assert p.returncode == 3, p.stderr
    assert _json(p)["code"] == "network"


def test_bad_profile_exits_2(tmp_path: Path) -> None:
    p = run_cli("search", "kettle", "--config", str(tmp_path / "missing.toml"))
    assert p.returncode == 2 and "missing.toml" in p.stderr
    path = tmp_path / "amzauth.toml"
    path.write_text('[profiles.default]\napi = "creators"\n', encoding="utf-8")
    p = run_cli("items", "B0SBXUS004", "--json", "--config", str(path))
    assert p.returncode == 2 and _json(p)["key"]


def test_stale_answer_is_flagged_in_json(sb: Any, cfg: str) -> None:
    word = catalogue(US)[2].title.split()[0]
    first = run_cli("search", word, "--json", "--config", cfg)
    assert first.returncode == 0
    sb.add_fault(host="creatorsapi.amazon", path="/catalog/v1/searchItems", status=503, times=-1)
    # AMZAUTH_SEARCH_TTL=0: every cached search is already past its freshness, still inside its stale window
    p = run_cli("search", word, "--json", "--config", cfg, env={"AMZAUTH_SEARCH_TTL": "0"})
    assert p.returncode == 0, p.stderr
    doc = _json(p)
    assert doc["stale"] is True and doc["cached"] is True
    assert [i["asin"] for i in doc["items"]] == [i["asin"] for i in _json(first)["items"]]
