"""TokenManager against the sandbox over loopback: states and windows, faults, negative cache, keys."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from amzauth.core.retry import RetryPolicy
from amzauth.engine import MemoryTokenStore, SQLiteTokenStore, TokenManager, manager_for_profile
from amzauth.errors import NetworkError, TokenError
from tests.engine._profiles import CREATORS_21, CREATORS_31, CREATORS_31_OLD_SECRET, SPAPI_NA, plan, profile
from tests.engine.helpers import FakeClock, RecordingSleep, assert_token_requests, token_requests
from tests.support import assert_no_secrets

LWA = {"host": "api.amazon.com", "path": "/auth/o2/token"}


def _manager(
    sb: Any, base: dict[str, Any] = CREATORS_31, *, secret: str | None = None, **kw: Any
) -> TokenManager:
    p = plan(base, sb.url)
    kw.setdefault("store", MemoryTokenStore())
    refresh = base.get("refresh_token")
    return TokenManager(p, secret or base["client_secret"], refresh_token=refresh, **kw)


# ---- states and windows --------------------------------------------------------------------
def test_cold_then_cached(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox)
    assert m.state() == "expired"
    t1 = m.get_token()
    assert t1.source == "network"
    assert m.state() == "fresh"
    t2 = m.get_token()
    assert t2.source == "memory"
    assert t2.access_token == t1.access_token
    assert_token_requests(fresh_sandbox, 1)
    assert_no_secrets(repr(m) + repr(t1), [t1.access_token, CREATORS_31["client_secret"]])


def test_three_states_and_two_windows(fresh_sandbox: Any) -> None:
    clock = FakeClock()
    m = _manager(fresh_sandbox, clock=clock, advisory=300, mandatory=60)
    t1 = m.get_token()
    assert t1.expires_at == pytest.approx(clock() + 3600, abs=1)
    assert m.state(t1.expires_at - 301) == "fresh"
    assert m.state(t1.expires_at - 299) == "stale"
    assert m.state(t1.expires_at - 59) == "expired"
    # advisory window: the caller refreshes once and gets the new token
    clock.t = t1.expires_at - 200
    t2 = m.get_token()
    assert t2.access_token != t1.access_token and t2.source == "network"
    assert m.state() == "fresh"
    # mandatory window: callers wait for a new token
    clock.t = t2.expires_at - 30
    t3 = m.get_token()
    assert t3.access_token != t2.access_token
    # far past expiry: never handed an expired token
    clock.advance(10_000)
    t4 = m.get_token()
    assert t4.expires_at > clock() + 60
    assert_token_requests(fresh_sandbox, 4)


def test_failed_advisory_refresh_keeps_serving_the_valid_token(
    fresh_sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    m = _manager(fresh_sandbox, clock=clock, sleep=RecordingSleep(clock))
    t1 = m.get_token()
    fresh_sandbox.add_fault(**LWA, status=500, error="server_error", times=-1)
    clock.t = t1.expires_at - 200
    caplog.set_level(logging.WARNING, logger="amzauth")
    assert m.get_token().access_token == t1.access_token
    assert m.get_token().access_token == t1.access_token  # paused: no second attempt right away
    assert_token_requests(fresh_sandbox, 2)
    assert any("still using the current token" in r.getMessage() for r in caplog.records)
    # ...but inside the mandatory window the failure surfaces as a typed error after retries
    clock.t = t1.expires_at - 30
    with pytest.raises(TokenError) as ei:
        m.get_token()
    assert ei.value.error == "server_error" and ei.value.attempts == 3
    fresh_sandbox.clear_faults()
    assert m.get_token().access_token != t1.access_token


@pytest.mark.parametrize(
    ("advisory", "mandatory", "lifetime"),
    [(300, 400, 3600), (3600, 60, 3600), (-1, -2, 3600), (300, -1, 3600)],
)
def test_windows_are_validated(advisory: float, mandatory: float, lifetime: float) -> None:
    with pytest.raises(ValueError):
        TokenManager(
            plan(CREATORS_31),
            "x" * 20,
            advisory=advisory,
            mandatory=mandatory,
            lifetime=lifetime,
            store=MemoryTokenStore(),
        )


def test_short_lived_tokens_shrink_the_windows(fresh_sandbox: Any) -> None:
    original = fresh_sandbox.world()
    world = fresh_sandbox.world()
    world.setdefault("limits", {})["token_lifetime"] = 120
    fresh_sandbox.set_world(world)
    clock = FakeClock()
    m = _manager(fresh_sandbox, clock=clock)
    try:
        t = m.get_token()
    finally:
        fresh_sandbox.set_world(original)  # reset() keeps a replaced world: restore it for later tests
    assert t.lifetime == pytest.approx(120)
    assert m.state() == "fresh"  # not stuck "stale" although advisory (300 s) > lifetime
    assert m.state(t.expires_at - 70) == "fresh"  # advisory shrinks to half the lifetime (60 s)
    assert m.state(t.expires_at - 50) == "stale"  # mandatory to a quarter (30 s)
    assert m.state(t.expires_at - 20) == "expired"


# ---- faults ---------------------------------------------------------------------------------
def test_503_with_retry_after_twice_then_success(fresh_sandbox: Any) -> None:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    fresh_sandbox.add_fault(**LWA, status=503, error="temporarily_unavailable", retry_after=2, times=2)
    m = _manager(fresh_sandbox, clock=clock, sleep=sleep)
    tok = m.get_token()
    assert tok.source == "network"
    assert sleep.calls == [2.0, 2.0]  # the server's Retry-After, honoured exactly
    statuses = [r["status"] for r in token_requests(fresh_sandbox)]
    assert statuses == [503, 503, 200]


def test_retry_after_beyond_the_cap_is_remembered_not_slept(fresh_sandbox: Any) -> None:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    fresh_sandbox.add_fault(**LWA, status=503, error="temporarily_unavailable", retry_after=120, times=1)
    m = _manager(fresh_sandbox, clock=clock, sleep=sleep, policy=RetryPolicy(retry_after_cap=60))
    with pytest.raises(TokenError) as ei:
        m.get_token()
    assert ei.value.retry_after == 120 and ei.value.retryable
    assert sleep.calls == []
    with pytest.raises(TokenError) as again:
        m.get_token()
    assert again.value.cached_until is not None
    assert_token_requests(fresh_sandbox, 1)
    clock.advance(121)
    assert m.get_token().source == "network"


def _early_refresh_turned_away(sb: Any, tmp_path: Path, retry_after: int) -> tuple[Any, RecordingSleep, Any]:
    """One manager on a SQLite store gets a token, then its early (advisory) refresh meets
    503 Retry-After, which the store remembers. The clock is left 1.5 s after that answer, inside
    the mandatory window. Returns the first token, the sleep recorder and
    a factory for another process's manager on the same store."""
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    path = tmp_path / "tokens.sqlite3"
    kw: dict[str, Any] = dict(clock=clock, sleep=sleep, advisory=300, mandatory=60)
    first = _manager(sb, store=SQLiteTokenStore(path), **kw)
    t1 = first.get_token()
    sb.add_fault(**LWA, status=503, error="temporarily_unavailable", retry_after=retry_after, times=1)
    clock.t = t1.expires_at - 61  # stale: one early refresh attempt, which Amazon turns away
    assert first.get_token().access_token == t1.access_token
    assert sleep.calls == []
    clock.t = t1.expires_at - 59.5  # inside the mandatory window

    def other(**more: Any) -> TokenManager:
        return _manager(sb, store=SQLiteTokenStore(path), **kw, **more)

    return t1, sleep, other


def test_a_remembered_retry_after_is_waited_out_by_callers_who_need_a_token(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    """An early (advisory) refresh meets 503 Retry-After: 2 and the fleet remembers it. A caller
    whose token is about to expire, here in another process on the same store, waits the rest of
    it instead of failing with temporarily_unavailable, then asks once and is served."""
    t1, sleep, other = _early_refresh_turned_away(fresh_sandbox, tmp_path, retry_after=2)
    t2 = other().get_token()  # 0.5 s of the Retry-After left
    assert t2.access_token != t1.access_token and t2.source == "network"
    assert sleep.calls == [pytest.approx(0.5)]  # the rest of Amazon's Retry-After, nothing more
    assert [r["status"] for r in token_requests(fresh_sandbox)] == [200, 503, 200]


def test_a_remembered_retry_after_longer_than_the_budget_fails_fast(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    """The wait is bounded by the policy's budget: past it, the caller gets the typed error at once."""
    _, sleep, other = _early_refresh_turned_away(fresh_sandbox, tmp_path, retry_after=5)
    with pytest.raises(TokenError) as ei:  # 3.5 s of Retry-After left, the budget allows 2 s
        other(policy=RetryPolicy(budget=2.0)).get_token()
    assert ei.value.error == "temporarily_unavailable" and ei.value.retryable and ei.value.cached_until
    assert sleep.calls == []
    assert [r["status"] for r in token_requests(fresh_sandbox)] == [200, 503]


def test_invalid_client_fails_fast_for_every_caller(fresh_sandbox: Any, tmp_path: Path) -> None:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    store = SQLiteTokenStore(tmp_path / "tokens.sqlite3")
    bad = CREATORS_31_OLD_SECRET  # a rotated-out secret: LwA says invalid_client
    m = _manager(fresh_sandbox, secret=bad, clock=clock, sleep=sleep, store=store)
    with pytest.raises(TokenError) as ei:
        m.get_token()
    first = ei.value
    assert (first.status, first.error, first.retryable) == (401, "invalid_client", False)
    assert first.request_id
    assert sleep.calls == []  # never retried
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            m.get_token()
        except TokenError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(errors) == 32
    assert all(isinstance(e, TokenError) and e.error == "invalid_client" and e.cached_until for e in errors)
    # another process (another manager on the same store) also fails fast from the store
    other = _manager(fresh_sandbox, secret=bad, clock=clock, store=SQLiteTokenStore(tmp_path / "tokens.sqlite3"))
    with pytest.raises(TokenError) as ei2:
        other.get_token()
    assert ei2.value.cached_until is not None
    assert_token_requests(fresh_sandbox, 1)
    # after the negative-cache period Amazon is asked again
    clock.advance(31)
    with pytest.raises(TokenError):
        m.get_token()
    assert_token_requests(fresh_sandbox, 2)
    assert_no_secrets(" ".join(str(e) for e in errors), [bad])


def test_waiters_share_one_failed_refresh_instead_of_retrying_in_turn(fresh_sandbox: Any) -> None:
    fresh_sandbox.add_fault(**LWA, status=500, error="server_error", times=-1)
    backoffs: list[float] = []

    def slow_backoff(seconds: float) -> None:
        backoffs.append(seconds)
        time.sleep(0.05)  # long enough for every thread to queue behind the refresher

    m = _manager(fresh_sandbox, sleep=slow_backoff)
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def caller() -> None:
        barrier.wait()
        try:
            m.get_token()
        except TokenError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(errors) == 16 and all(e.error == "server_error" for e in errors)  # type: ignore[attr-defined]
    assert_token_requests(fresh_sandbox, 3)  # one refresher's attempts, not 16 x 3
    assert len(backoffs) == 2
    fresh_sandbox.clear_faults()
    assert m.get_token().source == "network"  # a new caller tries again


async def test_async_waiters_share_one_failed_refresh(fresh_sandbox: Any) -> None:
    fresh_sandbox.add_fault(**LWA, drop=True, times=-1)
    m = _manager(fresh_sandbox, sleep=RecordingSleep())
    results = await asyncio.gather(*(m.aget_token() for _ in range(100)), return_exceptions=True)
    assert all(isinstance(r, NetworkError) and r.kind == "dropped" for r in results)
    assert_token_requests(fresh_sandbox, 3)


def test_dropped_connections_are_retried_then_typed(fresh_sandbox: Any) -> None:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    fresh_sandbox.add_fault(**LWA, drop=True, times=2)
    m = _manager(fresh_sandbox, clock=clock, sleep=sleep)
    assert m.get_token().source == "network"
    assert len(sleep.calls) == 2
    fresh_sandbox.reset()
    fresh_sandbox.add_fault(**LWA, drop=True, times=-1)
    m2 = _manager(fresh_sandbox, clock=clock, sleep=sleep)
    with pytest.raises(NetworkError) as ei:
        m2.get_token()
    assert ei.value.kind == "dropped" and ei.value.attempts == 3
    with pytest.raises(NetworkError):  # network failures are not negative-cached
        m2.get_token()


def _drain(sb: Any, expected: int) -> None:
    """The sandbox logs a request when it finishes: wait for abandoned slow ones, so no log is polluted."""
    deadline = time.monotonic() + 20
    while len(token_requests(sb)) < expected:
        assert time.monotonic() < deadline, "slow requests never finished"
        time.sleep(0.05)


def test_timeouts_are_retried_then_typed(fresh_sandbox: Any) -> None:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    fresh_sandbox.add_fault(**LWA, delay_ms=700, times=-1)
    m = _manager(fresh_sandbox, clock=clock, sleep=sleep, timeout=0.2)
    with pytest.raises(NetworkError) as ei:
        m.get_token()
    assert ei.value.kind == "timeout" and ei.value.attempts == 3
    assert len(sleep.calls) == 2
    _drain(fresh_sandbox, 3)
    fresh_sandbox.reset()
    fresh_sandbox.add_fault(**LWA, delay_ms=700, times=1)
    assert _manager(fresh_sandbox, clock=clock, sleep=sleep, timeout=0.2).get_token().source == "network"
    _drain(fresh_sandbox, 2)
    assert_token_requests(fresh_sandbox, 2)


def test_unreachable_endpoint_is_a_network_error() -> None:
    from tests.support import free_port

    m = TokenManager(
        plan(CREATORS_31, f"http://127.0.0.1:{free_port()}"),
        CREATORS_31["client_secret"],
        store=MemoryTokenStore(),
        sleep=RecordingSleep(),
        timeout=1,
    )
    with pytest.raises(NetworkError) as ei:
        m.get_token()
    assert ei.value.kind == "unreachable"


# ---- keys -----------------------------------------------------------------------------------
def test_changed_secret_or_version_never_reuses_the_old_entry(fresh_sandbox: Any, tmp_path: Path) -> None:
    store = SQLiteTokenStore(tmp_path / "tokens.sqlite3")
    first = _manager(fresh_sandbox, store=store).get_token()
    same = _manager(fresh_sandbox, store=store).get_token()
    assert same.access_token == first.access_token and same.source == "sqlite"
    # a rotated secret: a different key, so a new request (which this world refuses)
    with pytest.raises(TokenError):
        _manager(fresh_sandbox, store=store, secret=CREATORS_31_OLD_SECRET).get_token()
    # another version of the same credential family and endpoint: a new key and a new token
    p34 = plan(CREATORS_31, fresh_sandbox.url, credential_version="3.4")
    assert p34.token_endpoint == plan(CREATORS_31, fresh_sandbox.url).token_endpoint
    newer = TokenManager(p34, CREATORS_31["client_secret"], store=store).get_token()
    assert newer.source == "network" and newer.access_token != first.access_token
    assert_token_requests(fresh_sandbox, 3)


def test_keys_never_contain_the_secret(fresh_sandbox: Any, tmp_path: Path) -> None:
    store = SQLiteTokenStore(tmp_path / "tokens.sqlite3")
    m = _manager(fresh_sandbox, store=store)
    m.get_token()
    raw = (tmp_path / "tokens.sqlite3").read_bytes()
    for extra in ("-wal",):
        p = tmp_path / f"tokens.sqlite3{extra}"
        if p.exists():
            raw += p.read_bytes()
    assert_no_secrets(raw, [CREATORS_31["client_secret"]])
    assert CREATORS_31["client_secret"] not in m.key


# ---- invalidate / clear / skew ---------------------------------------------------------------
def test_invalidate_refreshes_once(fresh_sandbox: Any, tmp_path: Path) -> None:
    store = SQLiteTokenStore(tmp_path / "tokens.sqlite3")
    m = _manager(fresh_sandbox, store=store)
    t1 = m.get_token()
    m.invalidate("Atza|not-the-current-token")  # someone else's stale news: nothing happens
    assert m.get_token().access_token == t1.access_token
    m.invalidate(t1.access_token)
    t2 = m.get_token()
    assert t2.access_token != t1.access_token and t2.source == "network"
    # a second manager sharing the store sees the new token, never the rejected one
    other = _manager(fresh_sandbox, store=SQLiteTokenStore(tmp_path / "tokens.sqlite3"))
    assert other.get_token().access_token == t2.access_token
    assert_token_requests(fresh_sandbox, 2)


def test_clear_forgets_memory_and_store(fresh_sandbox: Any, tmp_path: Path) -> None:
    store = SQLiteTokenStore(tmp_path / "tokens.sqlite3")
    m = _manager(fresh_sandbox, store=store)
    m.get_token()
    assert m.clear() == 1
    assert store.load(m.key) is None
    assert m.state() == "expired"
    assert m.get_token().source == "network"


def test_clock_skew_is_estimated_from_the_date_header(fresh_sandbox: Any) -> None:
    fresh_sandbox.set_clock(600)
    m = _manager(fresh_sandbox)
    m.get_token()
    assert m.last_clock_skew is not None and 598 <= m.last_clock_skew <= 602


def test_spapi_keeps_the_refresh_token_the_answer_returned(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox, SPAPI_NA)
    tok = m.get_token()
    assert tok.refresh_token == SPAPI_NA["refresh_token"]
    assert token_requests(fresh_sandbox)[0]["grant_type"] == "refresh_token"
    assert_no_secrets(repr(tok), [SPAPI_NA["refresh_token"], tok.access_token])


def test_cognito_manager(fresh_sandbox: Any) -> None:
    m = _manager(fresh_sandbox, CREATORS_21)
    assert m.get_token().token_type.lower() == "bearer"
    assert token_requests(fresh_sandbox)[0]["host"] == "creatorsapi.auth.us-east-1.amazoncognito.com"


# ---- in-process fan-out -----------------------------------------------------------------------
def test_threads_cold_start_make_one_request(fresh_sandbox: Any, tmp_path: Path) -> None:
    m = _manager(fresh_sandbox, store=SQLiteTokenStore(tmp_path / "tokens.sqlite3"))
    barrier = threading.Barrier(64)
    got: list[str] = []

    def worker() -> None:
        barrier.wait()
        got.append(m.get_token().access_token)

    threads = [threading.Thread(target=worker) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 64 and len(set(got)) == 1
    assert_token_requests(fresh_sandbox, 1)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_thousand_tasks_make_one_request(
    fresh_sandbox: Any, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    if kind == "redis":
        from amzauth.engine.redis_store import RedisTokenStore

        server = request.getfixturevalue("redis")
        if server.proc is None:
            server.start()
        store: Any = RedisTokenStore(server.url, namespace=f"a{id(tmp_path)}", fallback=MemoryTokenStore())
    else:
        store = SQLiteTokenStore(tmp_path / "tokens.sqlite3")
    m = _manager(fresh_sandbox, store=store)
    tokens = await asyncio.gather(*(m.aget_token() for _ in range(1000)))
    assert len({t.access_token for t in tokens}) == 1
    assert sum(t.source == "network" for t in tokens) == 1
    assert_token_requests(fresh_sandbox, 1)


async def test_async_faults_follow_the_same_decisions(fresh_sandbox: Any) -> None:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    fresh_sandbox.add_fault(**LWA, status=503, error="temporarily_unavailable", retry_after=3, times=2)
    m = _manager(fresh_sandbox, clock=clock, sleep=sleep)
    tok = await m.aget_token()
    assert tok.source == "network" and sleep.calls == [3.0, 3.0]
    fresh_sandbox.reset()
    bad = _manager(fresh_sandbox, secret=CREATORS_31_OLD_SECRET, clock=clock, sleep=sleep)
    results = await asyncio.gather(*(bad.aget_token() for _ in range(50)), return_exceptions=True)
    assert all(isinstance(r, TokenError) and r.error == "invalid_client" for r in results)
    assert_token_requests(fresh_sandbox, 1)


async def test_async_advisory_window(fresh_sandbox: Any) -> None:
    clock = FakeClock()
    m = _manager(fresh_sandbox, clock=clock)
    t1 = await m.aget_token()
    clock.t = t1.expires_at - 100
    results = await asyncio.gather(*(m.aget_token() for _ in range(100)))
    assert_token_requests(fresh_sandbox, 2)
    assert {r.access_token for r in results} <= {t1.access_token, m.get_token().access_token}
    assert m.state() == "fresh"


# ---- profiles ---------------------------------------------------------------------------------
def test_manager_for_profile_picks_store_and_timeout(fresh_sandbox: Any, tmp_path: Path) -> None:
    p = profile(CREATORS_31, fresh_sandbox.url, store="memory", timeout="3")
    m = manager_for_profile(p)
    assert m.store.name == "memory" and m.timeout == 3.0
    p2 = profile(CREATORS_31, fresh_sandbox.url, cache_dir=str(tmp_path / "c"))
    m2 = manager_for_profile(p2)
    assert m2.store.name == "sqlite" and str(tmp_path / "c") in repr(m2.store)
    assert m2.get_token().source == "network"
    sp = manager_for_profile(profile(SPAPI_NA, fresh_sandbox.url, store="memory"))
    assert sp.get_token().refresh_token == SPAPI_NA["refresh_token"]
