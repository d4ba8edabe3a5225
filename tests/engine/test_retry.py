"""Retry decisions: classify, back off with full jitter, honour Retry-After, remember failures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amzauth.core.retry import PERMANENT_NEGATIVE_TTL, RetryPolicy, is_retryable, negative_ttl
from amzauth.errors import NetworkError, TokenError


def _tok_err(
    error: str | None, status: int = 400, *, retryable: bool = False, retry_after: float | None = None
) -> TokenError:
    return TokenError("x", status=status, error=error, retryable=retryable, retry_after=retry_after)


@pytest.mark.parametrize(
    "error",
    ["invalid_client", "invalid_grant", "invalid_scope", "unauthorized_client", "unsupported_grant_type"],
)
def test_permanent_oauth_errors_are_never_retried(error: str) -> None:
    policy = RetryPolicy(attempts=10)
    # even if a buggy parser marked it retryable, the OAuth code wins
    assert policy.decide(1, error=_tok_err(error, 500, retryable=True), rand=0.5) is None
    assert policy.decide(1, oauth_error=error, status=503, rand=0.5) is None
    assert negative_ttl(_tok_err(error)) == PERMANENT_NEGATIVE_TTL


def test_network_errors_and_5xx_are_retried_with_full_jitter() -> None:
    policy = RetryPolicy(attempts=4, base=0.5, cap=20.0)
    err = NetworkError("down", kind="dropped")
    assert policy.decide(1, error=err, rand=1.0) == 0.5
    assert policy.decide(2, error=err, rand=1.0) == 1.0
    assert policy.decide(3, error=err, rand=0.5) == 1.0
    assert policy.decide(1, error=err, rand=0.0) == 0.0
    assert policy.decide(4, error=err, rand=0.5) is None  # attempts exhausted
    assert policy.decide(1, status=503, rand=1.0) == 0.5
    assert policy.decide(1, status=429, rand=1.0) == 0.5
    assert policy.decide(1, status=400, rand=1.0) is None
    assert policy.decide(1, error=ValueError("bug"), rand=1.0) is None


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(attempts=50, base=1.0, cap=8.0, budget=1000.0)
    assert policy.backoff(10, 1.0) == 8.0


@given(attempt=st.integers(1, 40), rand=st.floats(0, 1))
def test_backoff_stays_within_bounds(attempt: int, rand: float) -> None:
    policy = RetryPolicy(attempts=100, base=0.5, cap=20.0, budget=10_000.0)
    delay = policy.decide(attempt, status=503, rand=rand)
    assert delay is not None and 0.0 <= delay <= 20.0


def test_retry_after_is_honoured_then_capped() -> None:
    policy = RetryPolicy(attempts=3, retry_after_cap=60.0)
    err = _tok_err("temporarily_unavailable", 503, retryable=True, retry_after=7.0)
    assert policy.decide(1, error=err, rand=0.1) == 7.0
    assert policy.decide(1, status=503, retry_after=3.0, rand=0.1) == 3.0
    too_long = _tok_err("temporarily_unavailable", 503, retryable=True, retry_after=600.0)
    assert policy.decide(1, error=too_long, rand=0.1) is None
    assert negative_ttl(too_long) == 300.0  # remembered, capped
    assert negative_ttl(err) == 7.0


def test_budget_bounds_total_sleep() -> None:
    policy = RetryPolicy(attempts=10, budget=10.0)
    err = _tok_err("server_error", 500, retryable=True, retry_after=4.0)
    assert policy.decide(1, error=err, spent=0.0) == 4.0
    assert policy.decide(2, error=err, spent=4.0) == 4.0
    assert policy.decide(3, error=err, spent=8.0) is None


def test_transient_failures_without_retry_after_are_not_remembered() -> None:
    assert negative_ttl(_tok_err("server_error", 500, retryable=True)) is None
    assert negative_ttl(NetworkError("x")) is None
    assert is_retryable(NetworkError("x"))


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base=-1)
    with pytest.raises(ValueError):
        RetryPolicy(cap=float("inf"))
