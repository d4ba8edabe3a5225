"""Retry, backoff and negative-cache decisions for token requests, as pure functions.

Classify before retrying: network failures, 408/429/5xx, ``server_error`` and
``temporarily_unavailable`` are worth another try; the five OAuth errors that name a wrong
credential or request never are (amzn-sp-api retries ``invalid_grant`` three times; we don't).
Permanent failures are remembered for a short time (MSAL does this) so that a dead credential
behind a thousand workers costs Amazon one request per period, not one per worker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from amzauth.core.tokens import PERMANENT_ERRORS, RETRYABLE_STATUSES, TRANSIENT_ERRORS
from amzauth.errors import NetworkError, TokenError

PERMANENT_NEGATIVE_TTL: Final = 30.0  # [issue 4] "about 30 s"; MSAL uses 60 s for a 400
MAX_NEGATIVE_TTL: Final = 300.0  # a Retry-After longer than this is believed only this far


def is_retryable(
    error: BaseException | None = None, *, status: int | None = None, oauth_error: str | None = None
) -> bool:
    """Whether asking again, unchanged, can succeed."""
    if isinstance(error, NetworkError):
        return True
    if isinstance(error, TokenError):
        if error.error in PERMANENT_ERRORS:
            return False
        return bool(error.retryable)
    if error is not None:
        return False
    if oauth_error is not None:
        if oauth_error in PERMANENT_ERRORS:
            return False
        if oauth_error in TRANSIENT_ERRORS:
            return True
    return status in RETRYABLE_STATUSES


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped full-jitter exponential backoff that honours Retry-After.

    ``attempts`` counts requests in total (3: the first and two retries, botocore's standard mode).
    The n-th retry waits ``rand * min(cap, base * 2**(n-1))`` seconds, or exactly Retry-After when
    the server sent one. A Retry-After above ``retry_after_cap`` ends the retries (the negative cache
    then remembers it). ``budget`` bounds the total seconds slept for one refresh.
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 20.0
    retry_after_cap: float = 60.0
    budget: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        for name in ("base", "cap", "retry_after_cap", "budget"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0")

    def backoff(self, attempt: int, rand: float) -> float:
        """Full-jitter delay before retry number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * (2.0 ** max(0, attempt - 1)))
        return max(0.0, min(1.0, rand)) * ceiling

    def decide(
        self,
        attempt: int,
        *,
        error: BaseException | None = None,
        status: int | None = None,
        oauth_error: str | None = None,
        retry_after: float | None = None,
        rand: float = 1.0,
        spent: float = 0.0,
    ) -> float | None:
        """Seconds to wait before the next request, or None to give up.

        ``attempt`` is the number of requests already made; ``spent`` the seconds already slept.
        A :class:`TokenError`'s own ``retry_after`` is used when none is given.
        """
        if attempt >= self.attempts:
            return None
        if not is_retryable(error, status=status, oauth_error=oauth_error):
            return None
        if retry_after is None and isinstance(error, TokenError):
            retry_after = error.retry_after
        if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
            if retry_after > self.retry_after_cap:
                return None
            delay = float(retry_after)
        else:
            delay = self.backoff(attempt, rand)
        if spent + delay > self.budget:
            return None
        return delay


def negative_ttl(
    error: BaseException, *, permanent_ttl: float = PERMANENT_NEGATIVE_TTL, max_ttl: float = MAX_NEGATIVE_TTL
) -> float | None:
    """How long to remember a failed refresh so callers fail fast instead of asking again.

    Permanent token errors: ``permanent_ttl`` (about 30 s). Transient errors that carried a
    Retry-After: that long, capped at ``max_ttl``. Anything else (network failures, 5xx without
    Retry-After): not remembered, the next caller tries again after the backoff already spent.
    """
    if isinstance(error, TokenError):
        if not is_retryable(error):
            return permanent_ttl if permanent_ttl > 0 else None
        ra = error.retry_after
        if ra is not None and math.isfinite(ra) and ra > 0:
            return min(ra, max_ttl)
    return None
