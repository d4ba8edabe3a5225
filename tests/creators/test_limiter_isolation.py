"""A caller's own rate setting slows only that caller: the shared limiter state stays bounded by the
credential's real limits (issue 16, finding 3).

Processes share the default SQLite store, as a user's terminals and workers do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.creators import _world
from tests.creators._world import api_log, catalogue
from tests.support import run_cli

US = "www.amazon.com"


@pytest.fixture()
def cfg(sb: Any, tmp_path: Path) -> str:
    path = tmp_path / "amzauth.toml"
    path.write_text(_world.toml_profile(sb.url), encoding="utf-8")
    return str(path)


def test_a_tiny_rate_slows_only_its_own_caller(sb: Any, cfg: str) -> None:
    words = list(dict.fromkeys(it.title.split()[0] for it in catalogue(US)))[:3]
    slow = {"AMZAUTH_CREATORS_RATE": "0.001"}
    first = run_cli("search", words[0], "--json", "--config", cfg, env=slow)
    assert first.returncode == 0, first.stderr
    # Everyone else keeps the credential's pace (1 request per second), not the tiny caller's 1,000 s.
    normal = run_cli("search", words[1], "--json", "--config", cfg)
    assert normal.returncode == 0, normal.stderr + normal.stdout
    # The tiny caller itself is held to its own rate: its next call is refused locally, nothing sent.
    again = run_cli("search", words[2], "--json", "--config", cfg, env=slow)
    assert again.returncode != 0
    assert "rate" in (again.stdout + again.stderr).lower()
    assert len(api_log(sb, "searchItems")) == 2
