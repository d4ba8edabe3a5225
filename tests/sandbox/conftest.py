"""Sandbox tests: each test gets the session sandbox reset to the demo world, and a client for it.

Clients are built with ``verify=False`` (plain HTTP on loopback): loading the CA bundle costs about
40 ms per ``httpx.Client``, which is most of a test's time otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest


@pytest.fixture()
def sb(sandbox: Any) -> Any:
    """The session sandbox, reset (world loaded at start, empty log, no faults, clock at zero)."""
    sandbox.reset()
    return sandbox


@pytest.fixture(scope="session")
def _session_client(sandbox: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=30, follow_redirects=False, verify=False) as c:
        yield c


@pytest.fixture()
def client(sb: Any, _session_client: httpx.Client) -> httpx.Client:
    _session_client.cookies.clear()
    return _session_client


@pytest.fixture()
def raw_client(_session_client: httpx.Client) -> httpx.Client:
    """A client on the session sandbox without a reset, for tests that only read answers."""
    return _session_client
