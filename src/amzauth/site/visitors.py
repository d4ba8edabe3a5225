"""Per-visitor request limits for the site kit's public endpoints, fleet-wide.

A token bucket per visitor (``visitor_rate`` a second, ``visitor_burst`` at once) kept in the
client's shared store, the same store and the same GCRA decision (``ResultStore.acquire``) as the
Creators limiter: SQLite for the processes of one host, Redis for a fleet. So N workers let a
visitor through at the configured rate overall, not N times it, and a visitor flooding ``/search``
gets a polite 429 page long before their requests could spend the site's Amazon quota.

The store never sees an address: the key is a keyed BLAKE2b digest of it (``visitor_key``), and a
bucket is forgotten once it is full again (SQLite sweep; Redis expiry). A small in-process front
remembers refusals until the moment the shared answer said to come back, so a flood costs a dict
lookup, not a store transaction. Behind a proxy, name the header that carries the client IP
(``visitor_header="CF-Connecting-IP"``); only the first address of the header is used, and only when
the header is configured (a visitor cannot pick their own key).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Final

from amzauth.creators.limiter import LimitSpec
from amzauth.creators.store import EPHEMERAL_PREFIX, MemoryResultStore, ResultStore

__all__ = ["VisitorLimiter", "client_key", "visitor_key"]

MAX_REFUSED: Final = 50_000  # refusals remembered in process at most (expired ones go first)
_PERSON: Final = b"amzauth-visitor"


def visitor_key(address: str) -> str:
    """A visitor's name in the store: a digest of the address, never the address itself."""
    return hashlib.blake2b(address.encode("utf-8", "replace"), digest_size=16, person=_PERSON).hexdigest()


class VisitorLimiter:
    """Token buckets by visitor in a shared store (thread-safe). ``take`` says whether one more may go."""

    def __init__(
        self,
        rate: float,
        burst: int,
        store: ResultStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rate = rate
        self.spec = LimitSpec(rate=rate, burst=burst, daily=None, margin=0.0) if rate > 0 else None
        self.store: ResultStore = store if store is not None else MemoryResultStore()
        self.clock = clock
        self._refused: dict[str, float] = {}  # visitor key -> wall time the shared answer said to wait for
        self._mu = threading.Lock()
        self.refused = 0
        self.asked = 0  # decisions taken by the shared store (the rest came from the front)

    def key_for(self, address: str) -> str:
        """The visitor's bucket in the store; sites with other limits on one store keep their own."""
        return f"{EPHEMERAL_PREFIX}visitor:{self.rate!r}:{self.spec.burst if self.spec else 0}:{visitor_key(address)}"

    def take(self, address: str) -> float:
        """0.0 when the request may go, else the seconds until it could."""
        if self.spec is None:
            return 0.0
        key = self.key_for(address)
        now = self.clock()
        until = self._refused.get(key)
        if until is not None and now < until:  # the shared schedule only moves forward: still refused
            self.refused += 1
            return until - now
        self.asked += 1
        answer = self.store.acquire(key, self.spec, now)
        if answer.granted:
            if until is not None:
                self._refused.pop(key, None)
            return 0.0
        with self._mu:
            self.refused += 1
            self._refused[key] = now + answer.wait
            if len(self._refused) > MAX_REFUSED:
                for k in [k for k, t in self._refused.items() if t <= now]:
                    del self._refused[k]
                while len(self._refused) > MAX_REFUSED:  # still full: forget the oldest refusals
                    del self._refused[next(iter(self._refused))]
        return answer.wait


def client_key(headers: dict[str, str] | None, peer: str | None, header: str | None) -> str:
    """The visitor's address: the configured proxy header's first address, else the socket's peer."""
    if header and headers:
        value = headers.get(header.lower())
        if value:
            return value.split(",")[0].strip()[:64]
    return peer or "unknown"
