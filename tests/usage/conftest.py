"""Usage fixtures: the session sandbox reset per test (and again afterwards, so a changed world never leaks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import chromium, console, page  # noqa: F401  (the console's browser fixtures)


@pytest.fixture()
def sb(fresh_sandbox: Any) -> Iterator[Any]:
    yield fresh_sandbox
    fresh_sandbox.reset()


@pytest.fixture()
def used_config(sb: Any, tmp_path: Path) -> Path:
    """A profiles file whose profile has spent something: a cache miss then hit, two items, a token."""
    from amzauth.creators import CreatorsClient
    from tests.creators._world import catalogue, toml_profile

    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(toml_profile(sb.url, cache_dir=str(tmp_path / "cache")), encoding="utf-8")
    items = catalogue("www.amazon.com")
    with CreatorsClient.from_profile("default", str(cfg)) as c:
        c.search_items(items[0].title.split()[0])
        c.search_items(items[0].title.split()[0])
        c.get_items([items[1].asin, items[2].asin])
    return cfg
