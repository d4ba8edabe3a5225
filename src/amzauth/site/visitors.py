"""Per-visitor request limits for the site kit's public endpoints.

A token bucket per client IP (``visitor_rate`` a second, ``visitor_burst`` at once), kept in
process memory: a visitor flooding ``/search`` gets a polite 429 page long before their requests
could spend the site's Amazon quota, and other visitors are untouched. Behind a proxy, name the
header that carries the client IP (``visitor_header="CF-Connecting-IP"``); only the first address
of the header is used, and only when the header is configured (a visitor cannot pick their own key).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

__all__ = ["VisitorLimiter", "client_key"]

MAX_VISITORS: Final = 50_000


class VisitorLimiter:
    """Token buckets by visitor key (thread-safe). ``take`` says whether one more request may go."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._mu = threading.Lock()
        self.refused = 0

    def take(self, key: str) -> float:
        """0.0 when the request may go, else the seconds until it could."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self._mu:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > MAX_VISITORS:  # forget full buckets first: they hold no state
                full = [k for k, (t, _) in self._buckets.items() if t >= self.burst - 1]
                for k in full[: MAX_VISITORS // 2]:
                    del self._buckets[k]
            self.refused += 1
            return (1.0 - tokens) / self.rate


def client_key(headers: dict[str, str] | None, peer: str | None, header: str | None) -> str:
    """The visitor's key: the configured proxy header's first address, else the socket's peer."""
    if header and headers:
        value = headers.get(header.lower())
        if value:
            return value.split(",")[0].strip()[:64]
    return peer or "unknown"
