"""The Usage page in Debian's chromium: figures, charts with text alternatives, 375 px, axe-core.

axe-core comes from npm (package.json pins it; ``npm ci`` installs it). Screenshots go to
test-artifacts/usage/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import REPO
from tests.support import IN_CI

pytestmark = pytest.mark.browser
ARTIFACTS = REPO / "test-artifacts" / "usage"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture()
def config_path(used_config: Path) -> Path:
    """The console edits the file the fixture spent from."""
    return used_config


def _shot(pg: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _axe_serious(pg: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        if IN_CI:
            raise AssertionError("axe-core missing: run `npm ci`")
        pytest.skip("axe-core not installed (npm ci)")
    pg.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = pg.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in json.loads(result)
        if v["impact"] in ("serious", "critical")
    ]


def test_usage_page_shows_the_figures_as_charts_and_tables(page: Any) -> None:
    page.goto("/profiles")
    page.click("a[href='/profiles/default/usage']")
    page.wait_for_url("**/profiles/default/usage")
    assert page.inner_text("h1") == "Usage: default"
    assert page.inner_text("[data-figure=used]") == "2"  # one search and one getItems reached Amazon
    daily = int(page.inner_text("[data-figure=daily]"))
    assert page.inner_text("[data-figure=left]") == str(daily - 2)
    # one search hit; misses: the first search and the two items
    assert page.inner_text("[data-figure=ratio]") == f"{1 / (1 + 3):.0%}"
    assert page.inner_text("[data-figure=last429]") == "none recorded"
    svgs = page.locator("svg[role=img]")
    assert svgs.count() == 5  # quota + requests + 429s + cache + days
    for i in range(svgs.count()):
        assert svgs.nth(i).get_attribute("aria-label") or svgs.nth(i).get_attribute("aria-labelledby")
    assert "Quota today: 2 of" in (page.get_attribute("svg.quota", "aria-label") or "")
    page.click("#chart-requests summary")
    rows = page.locator("#chart-requests tbody tr")
    assert rows.count() == 1 and rows.nth(0).locator("td").nth(1).inner_text() == "2"
    _shot(page, "01-usage-desktop")
    assert _axe_serious(page) == []


def test_usage_page_reads_at_375_px_and_without_colour(page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/profiles/default/usage?hours=3")
    assert page.get_attribute("nav[aria-label='Time span'] a[aria-current=page]", "href") == "?hours=3"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    _shot(page, "02-usage-375px")
    assert _axe_serious(page) == []
    # Forced colours (Windows high contrast) replace every colour: the hatching and labels still tell.
    page.emulate_media(forced_colors="active")
    _shot(page, "03-usage-375px-forced-colours")
    assert page.locator("pattern").count() >= 1  # 429s and the used quota are hatched, not only coloured


def test_unknown_profile_is_a_404_page(page: Any) -> None:
    resp = page.goto("/profiles/nope/usage")
    assert resp is not None and resp.status == 404
    assert "nope" in page.inner_text("main")
