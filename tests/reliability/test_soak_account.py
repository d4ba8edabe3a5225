"""The soak's token account (a pure function over the sandbox's token log) on hand-made timelines.

The soak itself runs in test_soak_short.py with random faults; these cases pin down the verdicts it
relies on, including the two seen in real soaks: a refresh held back because every token attempt in
the gap failed, and a forced expiry noticed late because the fleet was waiting out the other
credential's outage.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def soak() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_soak_under_test", BENCH / "bench_soak.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


def tokens(*ts: float) -> list[dict[str, Any]]:
    return [{"ts": t} for t in ts]


def test_natural_refreshes_and_a_forced_expiry_balance(soak: ModuleType) -> None:
    # 10 s tokens refresh 9 s apart; an expiry at 20.0 is refreshed at 20.1
    a = soak.account(tokens(0.0, 9.0, 18.0, 20.1, 29.1), [], [20.0], 10, 33.0)
    assert a["equation_holds"], a
    assert (a["lifetimes_elapsed"], a["forced_expiries"], a["delayed_by_faults"]) == (3, 1, 0)


def test_a_duplicate_refresh_breaks_the_account(soak: ModuleType) -> None:
    a = soak.account(tokens(0.0, 9.0, 9.2, 18.2), [], [], 10, 20.0)
    assert not a["equation_holds"]
    assert any("early refresh" in p for p in a["problems"]), a


def test_a_late_refresh_without_faults_breaks_it_and_with_faults_is_held_back(soak: ModuleType) -> None:
    late = soak.account(tokens(0.0, 9.0, 23.0), [], [], 10, 25.0)
    assert not late["equation_holds"] and any("late refresh" in p for p in late["problems"]), late
    held = soak.account(tokens(0.0, 9.0, 23.0), [18.5, 20.0, 21.5], [], 10, 25.0)
    assert held["equation_holds"], held
    assert held["delayed_by_faults"] == 1


def test_an_expiry_noticed_late_during_an_outage_is_judged_once(soak: ModuleType) -> None:
    # expiry at 14.0; the fleet is stuck behind failing token attempts until 16.9, then refreshes
    a = soak.account(tokens(0.0, 9.0, 16.9), [14.6, 15.6, 16.85], [14.0], 10, 20.0)
    assert a["equation_holds"], a
    assert (a["forced_expiries"], a["delayed_by_faults"]) == (1, 1)
    # the same lateness with no failure anywhere is a missed expiry
    b = soak.account(tokens(0.0, 9.0, 16.9), [], [14.0], 10, 20.0)
    assert not b["equation_holds"] and any("after the expiry" in p for p in b["problems"]), b


def test_an_expiry_after_the_last_refresh_must_still_be_answered(soak: ModuleType) -> None:
    a = soak.account(tokens(0.0, 9.0), [], [12.0], 10, 18.0)
    assert not a["equation_holds"]
    assert any("no refresh after the expiry" in p for p in a["problems"]), a
    # too near the end of the run to be judged
    b = soak.account(tokens(0.0, 9.0), [], [17.0], 10, 18.0)
    assert b["problems"] == [], b
