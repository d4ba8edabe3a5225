"""Client-side rate limiting per credential, as pure decisions over a tiny shared state.

Amazon gives a new Creators API account 1 request per second and 8,640 per day, per credential,
however many workers share it. The limiter is a GCRA (generic cell rate algorithm, the virtual
scheduling form of a token bucket): the shared state is one number, the theoretical arrival time
``tat`` of the next request, plus the day's request count. A caller asks the limiter atomically
(SQLite transaction or Redis script) at the moment it would send: a conforming request takes its
slot and goes; any other is told how long to wait and asks again then. ``margin`` seconds are added
to every interval because requests reach Amazon with jitter: two requests sent exactly 1/rate apart
can arrive closer than that and be throttled.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final, Literal

DEFAULT_RATE: Final = 1.0  # requests per second (Amazon's limit for a new account)
DEFAULT_BURST: Final = 1
DEFAULT_DAILY: Final = 8640  # requests per day (Amazon's limit for a new account)
DEFAULT_MARGIN: Final = 0.1  # seconds added to each interval to absorb arrival jitter (burst 1 has no slack)
MAX_MARGIN_SHARE: Final = 0.5  # ... but never more than half an interval (fast credentials keep their pace)
DEFAULT_MAX_WAIT: Final = 600.0  # never queue a caller longer than this; refuse instead
FLOOR_RATE: Final = DEFAULT_RATE  # Amazon grants no credential less: the slowest the shared state may run


@dataclass(frozen=True, slots=True)
class LimitSpec:
    """A credential's limits as we enforce them (set them to what Amazon grants your account)."""

    rate: float = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    daily: int | None = DEFAULT_DAILY
    margin: float | None = None  # None: DEFAULT_MARGIN, at most half an interval
    max_wait: float = DEFAULT_MAX_WAIT

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ValueError("rate must be a positive number of requests per second")
        if not (isinstance(self.burst, int) and self.burst >= 1):
            raise ValueError("burst must be a whole number >= 1")
        if self.daily is not None and not (isinstance(self.daily, int) and self.daily >= 1):
            raise ValueError("daily must be a whole number >= 1 (or None for no daily quota)")
        if self.margin is not None and not (math.isfinite(self.margin) and self.margin >= 0):
            raise ValueError("margin must be >= 0 seconds")
        if not (math.isfinite(self.max_wait) and self.max_wait >= 0):
            raise ValueError("max_wait must be >= 0 seconds")

    @property
    def slack(self) -> float:
        """The jitter margin in use (seconds added to each interval)."""
        if self.margin is not None:
            return self.margin
        return min(DEFAULT_MARGIN, MAX_MARGIN_SHARE / self.rate)

    @property
    def interval(self) -> float:
        """Seconds between two requests at the sustained rate (with the jitter margin)."""
        return 1.0 / self.rate + self.slack

    def shared(self) -> LimitSpec:
        """The limits this caller writes into the credential's shared state: never slower than
        FLOOR_RATE, so one caller's tiny rate cannot hold back every other caller of the credential
        (a slower caller keeps its own pace under its own key, see ``own_key``)."""
        return self if self.rate >= FLOOR_RATE else replace(self, rate=FLOOR_RATE)

    def own_key(self, key: str) -> str | None:
        """Where a caller slower than the shared state keeps its own pace (shared by callers with
        the same setting, in every process); None when the shared state already paces it."""
        return None if self.rate >= FLOOR_RATE else f"{key}:own:{self.rate!r}:{self.burst}"

    @property
    def tolerance(self) -> float:
        """How far ahead of schedule a request may go: room for ``burst - 1`` extra requests."""
        return (self.burst - 1) * self.interval


@dataclass(frozen=True, slots=True)
class Decision:
    """The limiter's answer: ``granted`` (send now, counted), or wait ``wait`` seconds and ask again."""

    wait: float = 0.0
    refused: Literal["daily"] | None = None
    used_today: int = 0

    @property
    def granted(self) -> bool:
        return self.refused is None and self.wait <= 0.0


def utc_day(now: float) -> str:
    """The quota day (UTC, as the sandbox and, we assume, Amazon count it)."""
    return _day_name(int(now // 86400))


@functools.lru_cache(maxsize=4)
def _day_name(day: int) -> str:
    """Day ``day`` since the epoch as YYYY-MM-DD (memoised: every limiter decision asks for it)."""
    return datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")


def acquire(
    tat: float, day: str, count: int, now: float, spec: LimitSpec
) -> tuple[Decision, float, str, int]:
    """One GCRA decision at the moment of sending: ``(answer, new_tat, new_day, new_count)``. Pure.

    A request conforms when ``now >= tat - tolerance``; it is then counted and the next theoretical
    arrival moves one interval past the later of ``tat`` and ``now``. A request that does not conform
    is told how long to wait and changes nothing: slots are taken only by requests that go at once,
    so a caller that wakes late (a busy host) never makes the next request follow it too closely.
    """
    today = utc_day(now)
    if day != today:
        day, count = today, 0
    if spec.daily is not None and count >= spec.daily:
        return Decision(refused="daily", used_today=count), tat, day, count
    wait = (tat - spec.tolerance) - now
    if wait > 0:
        return Decision(wait=wait, used_today=count), tat, day, count
    new_tat = max(tat, now) + spec.interval
    return Decision(used_today=count + 1), new_tat, day, count + 1


def penalize(tat: float, now: float, delay: float) -> float:
    """After a 429, push the shared schedule back so every worker of the fleet slows down. Pure."""
    return max(tat, now + max(0.0, delay))
