"""Fixtures shared by every test area: isolated user dirs, a real Redis, the sandbox."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.support import RedisServer, redis_server

# Hypothesis runs derandomised everywhere (CI and local), so a run is repeatable: the same examples
# every time, no example database carried between runs. Loaded here, before any test module builds
# its own @settings, which then inherit it. AMZAUTH_HYPOTHESIS_PROFILE=explore searches at random.
settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("AMZAUTH_HYPOTHESIS_PROFILE", "deterministic"))

# Fails a test whose output, logs or written files hold a secret or token (see tests/leakscan.py).
pytest_plugins = ["tests.leakscan"]


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the real ~/.config and ~/.cache (platformdirs honours XDG_*)."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    # Never touch a developer's real OS keyring (tests that need one install an in-memory backend).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in list(os.environ):
        if name.startswith("AMZAUTH_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(base)


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One in-process sandbox for the session; tests reset it through the control API."""
    from amzauth.sandbox import run_sandbox

    with run_sandbox() as handle:
        yield handle


@pytest.fixture()
def fresh_sandbox(sandbox: Any) -> Any:
    """The session sandbox reset to the demo world, with empty log and no faults."""
    sandbox.reset()
    return sandbox


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    return tmp_path
