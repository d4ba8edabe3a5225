"""Slow and many clients (issue 16, finding 6): connections that dribble a request head are held
while normal requests are still answered under 1 s, the head timeout closes them, and past the
connection cap the oldest slow one makes room; the log stays bounded.
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

SLOW = 600
FIGURES: dict[str, float] = {}


def _slow_connections(url: str, n: int) -> list[socket.socket]:
    parts = urlsplit(url)
    socks = []
    for _ in range(n):
        s = socket.create_connection((parts.hostname, parts.port), timeout=5)
        s.sendall(b"GET /profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
        socks.append(s)
    return socks


def _closed_by_server(socks: list[socket.socket]) -> int:
    """How many of ``socks`` the server closed (readable with nothing to read: EOF), at one instant."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    try:
        return len(sel.select(timeout=0))
    finally:
        sel.close()


def slow_vs_normal(config_path: Path, cap: int, slow: int = SLOW) -> float:
    """Hold ``slow`` connections that never finish their head on a console with connection cap
    ``cap``; the worst time of 40 normal requests meanwhile (each also asserted 200). Checks that
    all slow connections stay open below the cap and that the head timeout closes them all."""
    from amzauth.console import run_console

    with run_console(config_path, no_auth=True, header_timeout=3.0, max_connections=cap) as h:
        socks = _slow_connections(h.url, slow)
        try:
            if cap > slow:
                assert _closed_by_server(socks) == 0  # all held open while we measure
            worst = 0.0
            with httpx.Client(base_url=h.url, timeout=10) as c:
                for _ in range(20):
                    t0 = time.monotonic()
                    assert c.get("/profiles").status_code == 200
                    worst = max(worst, time.monotonic() - t0)
                    with httpx.Client(base_url=h.url, timeout=10) as fresh:  # a new connection each time
                        t0 = time.monotonic()
                        assert fresh.get("/profiles").status_code == 200
                        worst = max(worst, time.monotonic() - t0)
            if cap > slow:
                assert _closed_by_server(socks) == 0  # still all held after the normal requests
            deadline = time.monotonic() + 15
            while _closed_by_server(socks) < slow:
                assert time.monotonic() < deadline, "slow connections were not closed by the head timeout"
                time.sleep(0.2)
        finally:
            for s in socks:
                s.close()
    return worst


@pytest.mark.parametrize("cap", [1000, 256])  # all slow ones held; more than the cap (oldest make room)
def test_slow_connections_do_not_starve_normal_requests(
    config_path: Path, caplog: pytest.LogCaptureFixture, cap: int
) -> None:
    caplog.set_level(logging.INFO)
    worst = slow_vs_normal(config_path, cap)
    FIGURES[f"cap {cap}"] = worst
    print(f"\n{SLOW} slow connections (cap {cap}); worst normal request {worst:.3f} s")
    assert worst < 1.0
    lines = [r for r in caplog.records if r.name.startswith(("uvicorn", "asyncio"))]
    assert len(lines) < 10, [r.getMessage() for r in lines[:10]]  # bounded: one line per kind
    assert not any(r.exc_info for r in lines)
