"""The fault matrix: one row per fault, run against the sandbox over HTTP with real stores.

Each row injects its fault (sandbox control API faults, clock offset, token expiry; a SQLite file
locked by another process, corrupt or unwritable; redis-server killed, restarted or paused), then
checks the expected outcome: served, retried, or a clean typed error that names the cause. The test
around every row also checks that entries seeded in the token and result stores survive, that no
secret or unredacted token reaches the logs or the error text, and that the row ends within its
bound. ``conftest.py`` writes the table to docs/reliability.md.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Final, TypeVar

import httpx
import pytest

from amzauth.core.tokens import MAX_LIFETIME, Token
from amzauth.creators import (
    AccessDenied,
    AssociateNotEligible,
    CreatorsClient,
    CreatorsServerError,
    LocalThrottle,
)
from amzauth.creators import RedisResultStore as ResultRedisStore
from amzauth.creators import SQLiteResultStore as ResultSQLiteStore
from amzauth.engine import (
    MemoryTokenStore,
    RedisTokenStore,
    SQLiteStore,
    SQLiteTokenStore,
    TokenManager,
    TokenStore,
)
from amzauth.errors import AmzAuthError, NetworkError, TokenError
from tests.console.test_slow_clients import slow_vs_normal
from tests.console.test_two_consoles import (
    EDITS,
    KILLED_SECRET,
    concurrent_creates,
    kill_mid_save,
    two_console_processes,
)
from tests.engine.test_lock_liveness import SERVED_WITHIN, kill_holder_then_serve
from tests.leakscan import scan_text
from tests.reliability._env import (
    BYSTANDER_RESULT,
    Ctx,
    creators_profile,
    spapi_profile,
    sqlite_writer_lock,
    token_body,
    world,
)
from tests.reliability.matrix import ROWS, Recorder, row
from tests.support import register_secret
from tests.workers_common import store_spec

LWA: Final = "api.amazon.com"
LWA_PATH: Final = "/auth/o2/token"
CREATORS: Final = "creatorsapi.amazon"
SEARCH: Final = "/catalog/v1/searchItems"
HTML_503: Final = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
HTML_200: Final = "<!doctype html><html><body><h1>Sign in to the hotel Wi-Fi</h1></body></html>"


def log_statuses(entries: list[dict[str, Any]]) -> str:
    return ", ".join("dropped" if e.get("dropped") else str(e["status"]) for e in entries)


def clean(exc: BaseException, *names: str) -> str:
    """Assert a typed error is clean (no secret or token in its text) and names the cause; describe it."""
    text = f"{exc} {exc!r}"
    assert not scan_text(text, "error text"), scan_text(text, "error text")
    assert isinstance(exc, AmzAuthError), f"not a typed amzauth error: {type(exc).__name__}"
    for n in names:
        assert n.lower() in str(exc).lower(), f"{n!r} not named in: {exc}"
    return f"{type(exc).__name__}"


E = TypeVar("E", bound=BaseException)


def raised(exc_type: type[E], call: Callable[[], object]) -> E:
    """Run ``call``, assert it raises ``exc_type``; the error."""
    with pytest.raises(exc_type) as ei:
        call()
    return ei.value


def lwa_fault(ctx: Ctx, **fault: Any) -> None:
    ctx.sb.add_fault(host=LWA, path=LWA_PATH, **fault)


def token_fails(ctx: Ctx, exc_type: type[E], **manager: Any) -> E:
    """A fresh manager's get_token() raises ``exc_type``; the error."""
    return raised(exc_type, ctx.manager(creators_profile(ctx.sb.url), **manager).get_token)


def served_token(ctx: Ctx, **manager: Any) -> tuple[TokenManager, Token]:
    """A fresh manager serves a token (kept for the leak scan); the manager and the token."""
    m = ctx.manager(creators_profile(ctx.sb.url), **manager)
    return m, ctx.keep(m.get_token())


def served_after(ctx: Ctx, statuses: str, **fault: Any) -> tuple[TokenManager, Token, str]:
    """Inject ``fault`` on the token endpoint; a fresh manager is served once its token requests answered
    ``statuses`` (as :func:`log_statuses` writes them). The manager, the token and the statuses."""
    lwa_fault(ctx, **fault)
    m, tok = served_token(ctx)
    log = log_statuses(ctx.token_log())
    assert log == statuses, log
    return m, tok, log


def saved(ctx: Ctx, m: TokenManager) -> Token:
    """What the SQLite token store holds for ``m`` (asserted present)."""
    stored = ctx.token_store.load(m.key)
    assert stored is not None
    return stored


def api_statuses(ctx: Ctx) -> list[Any]:
    return [e["status"] for e in ctx.api_log()]


def saved_results(ctx: Ctx) -> int:
    """Entries in the SQLite result store besides the seeded bystander (read from the file itself)."""
    with sqlite3.connect(ctx.result_store.path) as db:
        n = db.execute("SELECT count(*) FROM results WHERE key != ?", (BYSTANDER_RESULT,)).fetchone()[0]
    return int(n)


def items(n: int) -> str:
    return f"{n} item{'' if n == 1 else 's'}"


def drain() -> None:
    """Let the sandbox finish requests a delay fault still holds (they are logged when they end),
    so they cannot land in the next row's log."""
    time.sleep(1.6)


def keywords(i: int) -> str:
    """Distinct search keywords that the demo catalogue answers (titles' first words)."""
    words = list(
        dict.fromkeys(
            it.title.split()[0].lower()
            for it in world().catalog
            if it.marketplace == "www.amazon.com" and len(it.title.split()[0]) > 3
        )
    )
    return words[i % len(words)]


# ---- token endpoint ------------------------------------------------------------------------------------
@row(
    "token-500",
    area="Token endpoint",
    fault="HTTP 500 `server_error` once",
    expected="retried after a short backoff, served; the token is saved in the SQLite store",
)
def _token_500(ctx: Ctx) -> str:
    m, tok, log = served_after(ctx, "500, 200", status=500, times=1)
    assert saved(ctx, m).access_token == tok.access_token
    return f"served after 2 token requests ({log}); token saved in the store"


@row(
    "token-503-retry-after",
    area="Token endpoint",
    fault="HTTP 503 `temporarily_unavailable` with `Retry-After: 1`, twice",
    expected="retried twice, each time after exactly the Retry-After (1 s), served",
)
def _token_503(ctx: Ctx) -> str:
    _m, _tok, log = served_after(ctx, "503, 503, 200", status=503, retry_after=1, times=2)
    assert ctx.sleep.calls == [1.0, 1.0], ctx.sleep.calls
    return f"served on the 3rd request ({log}); waits {ctx.sleep.calls} s"


@row(
    "token-429",
    area="Token endpoint",
    fault="HTTP 429 (a front-end throttle: JSON without OAuth `error`) with `Retry-After: 1`, once",
    expected="retried after the Retry-After, served",
)
def _token_429(ctx: Ctx) -> str:
    _m, _tok, log = served_after(
        ctx,
        "429, 200",
        status=429,
        body='{"message": "Rate exceeded"}',
        content_type="application/json",
        retry_after=1,
        times=1,
    )
    assert ctx.sleep.calls == [1.0]
    return f"served on the 2nd request ({log}); waited {ctx.sleep.calls[0]:g} s"


def _fails_twice(ctx: Ctx) -> tuple[TokenError, TokenError]:
    """A first caller gets a TokenError; a second one (a new manager: another worker) gets it replayed
    from the store."""
    first = token_fails(ctx, TokenError)
    again = token_fails(ctx, TokenError)
    assert again.cached_until is not None
    return first, again


@row(
    "token-429-long-retry-after",
    area="Token endpoint",
    fault="HTTP 429 with `Retry-After: 120` (beyond the 5 s retry cap), always",
    expected="no retry: a TokenError (HTTP 429, retry_after 120) at once; a second caller fails fast "
    "from the remembered failure without asking Amazon",
)
def _token_429_long(ctx: Ctx) -> str:
    lwa_fault(ctx, status=429, body='{"message": "Rate exceeded"}', retry_after=120, times=-1)
    first, _second = _fails_twice(ctx)
    assert first.status == 429 and first.retry_after == 120 and first.retryable
    assert len(ctx.token_log()) == 1
    return (
        f"{clean(first, '429')} (HTTP 429, retry_after 120 s) after 1 request; second caller: "
        "the same error replayed from the store, 0 requests"
    )


@row(
    "token-timeout-once",
    area="Token endpoint",
    fault="answer delayed 1.5 s (timeout 0.5 s), once",
    expected="the request times out, is retried, served",
)
def _token_timeout_once(ctx: Ctx) -> str:
    lwa_fault(ctx, delay_ms=1500, times=1)
    served_token(ctx, timeout=0.5)
    assert len(ctx.sleep.calls) == 1
    drain()
    return f"served by the 2nd request after a 0.5 s timeout ({len(ctx.sleep.calls)} backoff)"


@row(
    "token-timeout-always",
    area="Token endpoint",
    fault="every answer delayed 1.5 s (timeout 0.5 s)",
    expected="3 attempts, then NetworkError(kind=timeout) naming the URL and the timeout",
)
def _token_timeout_always(ctx: Ctx) -> str:
    lwa_fault(ctx, delay_ms=1500, times=-1)
    err = token_fails(ctx, NetworkError, timeout=0.5)
    assert err.kind == "timeout" and err.attempts == 3
    drain()
    return f"{clean(err, 'timed out', LWA)}(kind=timeout, attempts=3): {err}"


@row(
    "token-drop-once",
    area="Token endpoint",
    fault="connection dropped without an answer, once",
    expected="retried, served",
)
def _token_drop_once(ctx: Ctx) -> str:
    _m, _tok, log = served_after(ctx, "dropped, 200", drop=True, times=1)
    return f"served on the 2nd request ({log})"


@row(
    "token-drop-always",
    area="Token endpoint",
    fault="every connection dropped",
    expected="3 attempts, then NetworkError(kind=dropped)",
)
def _token_drop_always(ctx: Ctx) -> str:
    lwa_fault(ctx, drop=True, times=-1)
    err = token_fails(ctx, NetworkError)
    assert err.kind == "dropped" and err.attempts == 3
    assert len(ctx.token_log()) == 3
    return f"{clean(err, 'dropped')}(kind=dropped, attempts=3): {err}"


@row(
    "token-malformed-json",
    area="Token endpoint",
    fault='HTTP 200 with truncated JSON (`{"access_token": "Atza|…` cut off)',
    expected="a TokenError saying the body is not JSON, without echoing the body; not retried",
)
def _token_malformed(ctx: Ctx) -> str:
    partial_token = "Atza|IwEBtruncatedtokenfromabrokenproxy0000000000000000000001"
    lwa_fault(ctx, status=200, body='{"access_token": "' + partial_token, times=-1)
    err = token_fails(ctx, TokenError)
    assert partial_token not in str(err) and "partial" not in repr(err)
    assert len(ctx.token_log()) == 1
    return f"{clean(err, 'not JSON')} after 1 request: {err}"


@row(
    "token-html-503",
    area="Token endpoint",
    fault="HTTP 503 with nginx's HTML error page, once",
    expected="recognised as an HTML page (retryable 503), retried, served",
)
def _token_html_503(ctx: Ctx) -> str:
    _m, _tok, log = served_after(
        ctx, "503, 200", status=503, body=HTML_503, content_type="text/html", times=1
    )
    return f"served on the 2nd request ({log})"


@row(
    "token-html-200",
    area="Token endpoint",
    fault="HTTP 200 with an HTML page (captive portal, wrong URL)",
    expected="a TokenError naming the HTML page and its likely causes; not retried",
)
def _token_html_200(ctx: Ctx) -> str:
    lwa_fault(ctx, status=200, body=HTML_200, content_type="text/html", times=-1)
    err = token_fails(ctx, TokenError)
    assert len(ctx.token_log()) == 1
    return f"{clean(err, 'HTML')} after 1 request: {err}"


@row(
    "token-no-access-token",
    area="Token endpoint",
    fault="HTTP 200 JSON without `access_token`",
    expected="a TokenError (code invalid_token_response), not retried, remembered ~30 s so other "
    "callers fail fast",
)
def _token_no_access(ctx: Ctx) -> str:
    lwa_fault(ctx, status=200, body='{"token_type": "bearer", "expires_in": 3600}', times=-1)
    first, _again = _fails_twice(ctx)
    assert first.code == "invalid_token_response"
    assert len(ctx.token_log()) == 1
    return f"{clean(first, 'access_token')}(code {first.code}) after 1 request; 2nd caller: 0 requests"


@row(
    "token-expires-string",
    area="Token endpoint",
    fault='`expires_in` as a string (`"3600"`)',
    expected="accepted as 3600 s, served",
)
def _expires_string(ctx: Ctx) -> str:
    body = token_body("Atza|IwEBfaultexpiresstring0000000000000000000001", "3600")
    lwa_fault(ctx, status=200, body=body, times=1)
    _m, tok = served_token(ctx)
    assert tok.lifetime == 3600
    return f"served, lifetime {tok.lifetime:g} s"


def _expired_on_arrival(ctx: Ctx, value: int) -> str:
    body = token_body(f"Atza|IwEBfaultexpiresin{abs(value)}000000000000000000000001", value)
    lwa_fault(ctx, status=200, body=body, times=-1)
    err = token_fails(ctx, TokenError)
    assert err.code == "expired_token" and len(ctx.token_log()) == 1
    return f"{clean(err, 'expired')}(code expired_token) after 1 request: {err}"


for _rid, _value, _expected in (
    (
        "token-expires-zero",
        0,
        "refused: TokenError (code expired_token), never handed to a caller; not retried",
    ),
    ("token-expires-negative", -5, "refused: TokenError (code expired_token); not retried"),
):
    row(_rid, area="Token endpoint", fault=f"`expires_in: {_value}`", expected=_expected)(
        partial(_expired_on_arrival, value=_value)
    )


@row(
    "token-expires-huge",
    area="Token endpoint",
    fault="`expires_in: 1000000000000`",
    expected="served with the lifetime clamped to 24 h, so a bogus value cannot pin a token for years",
)
def _expires_huge(ctx: Ctx) -> str:
    body = token_body("Atza|IwEBfaultexpireshuge000000000000000000000001", 10**12)
    lwa_fault(ctx, status=200, body=body, times=1)
    m, tok = served_token(ctx)
    assert tok.lifetime == MAX_LIFETIME
    assert saved(ctx, m).expires_at == tok.expires_at
    return f"served, lifetime clamped to {tok.lifetime:g} s (stored the same)"


def _refreshed_once(ctx: Ctx, client: CreatorsClient, k: int, reject: Callable[[], object]) -> str:
    """A search, then ``reject`` makes Amazon refuse the token: the next search refreshes once and
    retries once."""
    client.search_items(keywords(k))
    reject()
    res = client.search_items(keywords(k + 1))
    assert res.items
    api = api_statuses(ctx)
    assert api == [200, 401, 200], api
    assert len(ctx.token_log()) == 2
    return f"served; API answers {api}, token requests 2"


def _stale_after(ctx: Ctx, k: int, client: dict[str, Any], **fault: Any) -> Any:
    """Search once, let the entry go stale (past its 60 s TTL, inside the stale window), inject ``fault``
    into searchItems and search again: the cached copy comes back, marked stale."""
    offset = [0.0]
    c = ctx.creators(
        creators_profile(ctx.sb.url), clock=lambda: time.time() + offset[0], search_ttl=60, **client
    )
    fresh = c.search_items(keywords(k))
    offset[0] = 120.0
    ctx.sb.clear_requests()
    ctx.sb.add_fault(host=CREATORS, path=SEARCH, **fault)
    got = c.search_items(keywords(k))
    assert got.stale and [i.asin for i in got.items] == [i.asin for i in fresh.items]
    return got


# ---- Creators API --------------------------------------------------------------------------------------
@row(
    "api-401-token-expired",
    area="Creators API",
    fault="every token expired mid-run (`POST /_sandbox/tokens/expire`): 401 `TokenExpired`",
    expected="AmazonAuth refreshes once and retries once; served",
)
def _api_401(ctx: Ctx) -> str:
    client = ctx.creators(creators_profile(ctx.sb.url))
    observed = _refreshed_once(ctx, client, 0, ctx.sb.expire_tokens)
    ctx.keep(client.manager.get_token())
    return observed


@row(
    "api-403",
    area="Creators API",
    fault="403 `AssociateNotEligible` (an ineligible account)",
    expected="a typed AssociateNotEligible error with the request id; no retry, no token refresh",
)
def _api_403(ctx: Ctx) -> str:
    client = ctx.creators(creators_profile(ctx.sb.url, eligible=False))
    err = raised(AssociateNotEligible, lambda: client.search_items(keywords(0)))
    assert isinstance(err, AccessDenied) and err.status == 403 and err.request_id
    assert len(ctx.api_log()) == 1 and len(ctx.token_log()) == 1
    return f"{clean(err, 'eligib')} (403, request id kept) after 1 API request; token requests 1"


@row(
    "api-429-burst",
    area="Creators API",
    fault="a burst of three 429 `ThrottleException`",
    expected="backoff and retry within the budget (the shared limiter is penalised); served",
)
def _api_429(ctx: Ctx) -> str:
    ctx.sb.add_fault(host=CREATORS, path=SEARCH, status=429, times=3)
    client = ctx.creators(creators_profile(ctx.sb.url))
    res = client.search_items(keywords(2))
    assert res.items and not res.stale
    api = api_statuses(ctx)
    assert api == [429, 429, 429, 200], api
    assert client.stats.throttled == 3 and client.stats.retries == 3
    return f"served on the 4th request ({api}); throttled 3, retries 3"


@row(
    "api-5xx-stale",
    area="Creators API",
    fault="HTTP 500 on every call, with an expired (stale) copy in the result cache",
    expected="stale-if-error: the cached copy is served marked stale, at once (no retries); the "
    "entry stays in the store",
)
def _api_5xx_stale(ctx: Ctx) -> str:
    got = _stale_after(ctx, 3, {}, status=500, times=-1)
    assert got.cached
    assert api_statuses(ctx) == [500]
    assert saved_results(ctx) >= 1, "the stale entry was dropped"
    return f"served {items(len(got.items))} from the cache, marked stale, after 1 request (500)"


@row(
    "api-5xx-no-cache",
    area="Creators API",
    fault="HTTP 503 on every call, nothing cached",
    expected="retried within the budget (5 attempts), then a typed CreatorsServerError",
)
def _api_5xx(ctx: Ctx) -> str:
    ctx.sb.add_fault(host=CREATORS, path=SEARCH, status=503, times=-1)
    client = ctx.creators(creators_profile(ctx.sb.url))
    err = raised(CreatorsServerError, lambda: client.search_items(keywords(4)))
    assert len(ctx.api_log()) == 5
    return f"{clean(err)} (HTTP 503) after 5 requests"


@row(
    "api-slow",
    area="Creators API",
    fault="every answer 300 ms slow (timeout 5 s)",
    expected="served (slow, not failed)",
)
def _api_slow(ctx: Ctx) -> str:
    ctx.sb.add_fault(host=CREATORS, path=SEARCH, delay_ms=300, times=-1)
    client = ctx.creators(creators_profile(ctx.sb.url))
    res = client.search_items(keywords(5))
    assert res.items and len(ctx.api_log()) == 1
    return f"served {items(len(res.items))} after 1 slow request"


@row(
    "api-slow-past-timeout",
    area="Creators API",
    fault="every answer 1.5 s slow with a 0.5 s timeout, a stale copy cached",
    expected="the timeout counts as an outage: the stale copy is served, marked stale",
)
def _api_timeout_stale(ctx: Ctx) -> str:
    got = _stale_after(ctx, 6, {"timeout": 0.5}, delay_ms=1500, times=-1)
    drain()
    return f"served {items(len(got.items))} from the cache, marked stale, after 1 timed-out request"


# ---- SP-API ---------------------------------------------------------------------------------------------
@row(
    "spapi-403-expired",
    area="SP-API",
    fault='every token expired mid-run: 403 `Unauthorized` "The access token you provided is revoked, '
    'malformed or invalid."',
    expected="AmazonAuth refreshes once (refresh_token grant) and retries once; served",
)
def _spapi_403(ctx: Ctx) -> str:
    m = ctx.manager(spapi_profile(ctx.sb.url))
    http = ctx.spapi_http(m)
    assert http.get("/sellers/v1/marketplaceParticipations").status_code == 200
    ctx.sb.expire_tokens()
    r = http.get("/sellers/v1/marketplaceParticipations")
    assert r.status_code == 200, r.text
    ctx.keep(m.get_token())
    api = [e["status"] for e in ctx.sb.requests(path="/sellers/v1/marketplaceParticipations")]
    assert api == [200, 403, 200], api
    assert len(ctx.token_log()) == 2
    return f"served; API answers {api}, token requests 2"


@row(
    "spapi-stored-token-moved",
    area="SP-API",
    fault="a profile using a stored refresh token (`stored:<seller>`) is pointed at another `sandbox` "
    "URL after the seller authorized",
    expected="refused before any request: a config error naming `sandbox` and the fix; the token is "
    "never sent; the unchanged profile still gets its token",
)
def _stored_token_moved(ctx: Ctx) -> str:
    from amzauth.config import ConfigError
    from amzauth.config.endpoints import stored_token_endpoint
    from amzauth.config.profiles import resolve_stored
    from amzauth.config.storage import save_refresh_token

    p = spapi_profile(ctx.sb.url)
    rt = p.secret("refresh_token") or ""
    ref = save_refresh_token(
        str(p.get("client_id")), "na", "A1MATRIXSELLER", rt, prefer="file",
        endpoint=stored_token_endpoint(p),
    ).reference
    moved = p.replace(refresh_token=ref, sandbox=ctx.sb.url.replace("127.0.0.1", "localhost"))
    exc = raised(ConfigError, lambda: ctx.manager(resolve_stored(moved)).get_token())
    assert exc.key == "sandbox" and "authorize again" in (exc.fix or ""), exc
    assert ctx.token_log() == []
    ctx.keep(ctx.manager(resolve_stored(p.replace(refresh_token=ref))).get_token())
    assert len(ctx.token_log()) == 1
    return "ConfigError naming sandbox, 0 token requests; the unchanged profile: 1 token request, served"


@row(
    "spapi-503",
    area="SP-API",
    fault="HTTP 503 `ServiceUnavailable` from an SP-API operation",
    expected="passed to the caller as the 503 answer (AmazonAuth only retries rejected tokens); no token "
    "refresh",
)
def _spapi_503(ctx: Ctx) -> str:
    ctx.sb.add_fault(host="sellingpartnerapi-na.amazon.com", path="/sellers/v1/*", status=503, times=1)
    m = ctx.manager(spapi_profile(ctx.sb.url))
    r = ctx.spapi_http(m).get("/sellers/v1/marketplaceParticipations")
    assert r.status_code == 503 and r.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert len(ctx.token_log()) == 1
    return "the caller got the 503 answer; token requests 1"


# ---- stores -------------------------------------------------------------------------------------------
@row(
    "sqlite-locked-briefly",
    area="Stores",
    fault="another process holds the SQLite write lock for 1.5 s",
    expected="callers wait for the lock (busy timeout 10 s), then served; the token is saved",
)
def _sqlite_locked_briefly(ctx: Ctx) -> str:
    p = creators_profile(ctx.sb.url)
    with sqlite_writer_lock(ctx.token_store.path, hold=1.5):
        m = ctx.manager(p)
        t0 = time.monotonic()
        tok = ctx.keep(m.get_token())
        waited = time.monotonic() - t0
    assert saved(ctx, m).access_token == tok.access_token
    assert waited > 0.5, "the lock was not in force"
    return "served once the lock was released; token saved; 1 token request"


@row(
    "sqlite-locked-long",
    area="Stores",
    fault="another process holds the SQLite write lock of both stores for longer than the busy "
    "timeout (0.5 s here)",
    expected="the store is skipped, tokens and results served from the network and memory; nothing hangs "
    "past the busy timeout",
)
def _sqlite_locked_long(ctx: Ctx) -> str:
    p = creators_profile(ctx.sb.url)
    tstore = SQLiteTokenStore(ctx.token_store.path, busy_timeout=0.5)
    rstore = ResultSQLiteStore(ctx.result_store.path, busy_timeout=0.5)
    try:
        with (
            sqlite_writer_lock(ctx.token_store.path, hold=30),
            sqlite_writer_lock(ctx.result_store.path, hold=30),
        ):
            m = ctx.manager(p, store=tstore)
            tok = ctx.keep(m.get_token())
            client = ctx.creators(p, manager=m, store=rstore)
            res = client.search_items(keywords(7))
            again = client.search_items(keywords(7))
            assert res.items and again.cached  # from the memory front
            assert m.get_token().access_token == tok.access_token
    finally:
        tstore.close()
        rstore.close()
    assert len(ctx.token_log()) == 1 and len(ctx.api_log()) == 1
    return "served from the network (1 token request, 1 API call); repeat calls from memory"


@row(
    "sqlite-corrupt",
    area="Stores",
    fault="both SQLite files overwritten with garbage",
    expected="the stores are skipped; tokens and results served; the file is left for the user to "
    "inspect (never deleted)",
    keeps_caches=False,
)
def _sqlite_corrupt(ctx: Ctx) -> str:
    garbage = b"this is not a database\x00" * 300
    for path in (ctx.token_store.path, ctx.result_store.path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(garbage)
        path.chmod(0o600)
    m, _tok = served_token(ctx)
    res = ctx.creators(creators_profile(ctx.sb.url), manager=m).search_items(keywords(8))
    assert res.items
    assert ctx.token_store.path.read_bytes() == garbage
    return f"served (1 token request, {items(len(res.items))}); corrupt files untouched"


@row(
    "sqlite-unwritable",
    area="Stores",
    fault="the cache directory cannot be created (`cache_dir` under a regular file)",
    expected="the stores are skipped; tokens and results served from memory",
    keeps_caches=False,
)
def _sqlite_unwritable(ctx: Ctx) -> str:
    blocker = ctx.tmp / "not-a-dir"
    blocker.write_text("x")
    p = creators_profile(ctx.sb.url, cache_dir=str(blocker / "cache"))
    from amzauth.engine import manager_for_profile

    m = manager_for_profile(p, policy=ctx.manager(p).policy, timeout=1.0)
    tok = ctx.keep(m.get_token())
    client = ctx.creators(p, manager=m, store=None)
    res = client.search_items(keywords(9))
    assert res.items and m.get_token().access_token == tok.access_token
    assert not (blocker / "cache").exists()
    return f"served (1 token request, {items(len(res.items))}) without a store"


def _redis_store(ctx: Ctx, fallback: TokenStore | None = None) -> RedisTokenStore:
    """A Redis token store on the row's redis-server; its fallback is the SQLite token store unless named."""
    return RedisTokenStore(
        ctx.redis.url, namespace="reliability", fallback=fallback or ctx.token_store, retry_interval=0.5
    )


@row(
    "redis-down",
    area="Stores",
    fault="redis-server killed before the first call",
    expected="one warning, tokens served through the SQLite fallback (saved there); no outage",
    redis=True,
)
def _redis_down(ctx: Ctx) -> str:
    store = _redis_store(ctx)
    ctx.redis.kill()
    try:
        m, tok = served_token(ctx, store=store)
        assert not store.available
        warned = [r for r in ctx.caplog.records if "unreachable" in r.getMessage()]
        assert len(warned) == 1, [r.getMessage() for r in warned]
        assert saved(ctx, m).access_token == tok.access_token
    finally:
        ctx.redis.start()
        store.close()
    return "served; 1 warning; token saved in the SQLite fallback; 1 token request"


@row(
    "redis-restarted",
    area="Stores",
    fault="redis-server restarted (empty) between two callers",
    expected="the caller holding the token in memory keeps serving with no request; a new caller "
    "fetches exactly one new token",
    redis=True,
)
def _redis_restarted(ctx: Ctx) -> str:
    p = creators_profile(ctx.sb.url)
    store = _redis_store(ctx)
    try:
        first = ctx.manager(p, store=store)
        tok = ctx.keep(first.get_token())
        ctx.redis.kill()
        ctx.redis.start()
        assert first.get_token().access_token == tok.access_token
        n_before = len(ctx.token_log())
        served_token(ctx, store=_redis_store(ctx, MemoryTokenStore()))
        assert len(ctx.token_log()) == n_before + 1 == 2
    finally:
        store.close()
    return "memory kept serving (0 requests); the new caller made 1 token request"


@row(
    "redis-slow",
    area="Stores",
    fault="redis-server stalls for 3 s (`CLIENT PAUSE 3000 ALL`; `DEBUG SLEEP` is disabled in Redis 7)",
    expected="the 0.5 s socket timeout trips, tokens served through the SQLite fallback within ~1 s",
    redis=True,
)
def _redis_slow(ctx: Ctx) -> str:
    import redis as redis_lib

    store = _redis_store(ctx)
    admin = redis_lib.Redis.from_url(ctx.redis.url)
    try:
        stall = "DEBUG SLEEP" if _debug_enabled(admin) else "CLIENT PAUSE"
        if stall == "DEBUG SLEEP":
            threading.Thread(target=lambda: admin.execute_command("DEBUG", "SLEEP", "3"), daemon=True).start()
        else:
            admin.execute_command("CLIENT", "PAUSE", "3000", "ALL")
        time.sleep(0.05)
        t0 = time.monotonic()
        served_token(ctx, store=store)
        took = time.monotonic() - t0
        assert took < 2.5, f"waited {took:.1f} s on a stalled redis"
    finally:
        store.close()
        admin.close()
    return f"served through the fallback while redis stalled ({stall}); 1 token request"


def _holder_killed(ctx: Ctx, kind: str) -> str:
    spec = store_spec(
        kind, ctx.token_store.path, ctx.redis, fallback=ctx.tmp / "fb" / "tokens.sqlite3", prefix="kill9"
    )
    waits = kill_holder_then_serve(ctx.sb, spec)
    assert max(waits) < SERVED_WITHIN, waits
    return f"{len(waits)} survivor processes served; worst wait {max(waits):.2f} s"


for _kind, _redis, _how in (
    ("sqlite", False, "the holder's pid and start time are checked on this host"),
    ("redis", True, "same-host pid check, else the 3 s lease the holder renews lapses"),
):
    row(
        f"lock-holder-killed-{_kind}",
        area="Stores",
        fault=f"the process holding the refresh lock ({_kind}) killed with SIGKILL mid-request",
        expected=f"survivor processes served within {SERVED_WITHIN:.0f} s ({_how}), not after ~95 s",
        bound=60.0,
        redis=_redis,
    )(partial(_holder_killed, kind=_kind))


@row(
    "store-file-symlink",
    area="Stores",
    fault="`tokens.sqlite3` is a symlink to another file (planted by another user)",
    expected="the link is not followed (O_NOFOLLOW): one warning naming the path, token served, the "
    "target untouched",
)
def _store_symlink(ctx: Ctx) -> str:
    victim = ctx.tmp / "victim.txt"
    victim.write_text("not ours\n")
    victim.chmod(0o644)
    cache = ctx.tmp / "planted"
    cache.mkdir(mode=0o700)
    (cache / "tokens.sqlite3").symlink_to(victim)
    served_token(ctx, store=SQLiteStore(cache / "tokens.sqlite3"))
    assert victim.read_text() == "not ours\n" and victim.stat().st_mode & 0o777 == 0o644
    warned = [r.getMessage() for r in ctx.caplog.records if "refusing to use" in r.getMessage()]
    assert len(warned) == 1 and str(cache / "tokens.sqlite3") in warned[0], warned
    return "served without the store; 1 warning naming the link; target unchanged (content, mode 644)"


@row(
    "cache-dir-open",
    area="Stores",
    fault="the cache directory is writable by other users (mode 777)",
    expected="refused with one warning naming the directory; token served; nothing written there",
)
def _cache_dir_open(ctx: Ctx) -> str:
    cache = ctx.tmp / "open-cache"
    cache.mkdir()
    cache.chmod(0o777)
    served_token(ctx, store=SQLiteStore(cache / "tokens.sqlite3"))
    warned = [r.getMessage() for r in ctx.caplog.records if "writable by other users" in r.getMessage()]
    assert len(warned) == 1 and str(cache) in warned[0], warned
    assert list(cache.iterdir()) == []
    return "served without the store; 1 warning naming the directory; no file written in it"


@row(
    "tiny-own-rate",
    area="Creators API",
    fault="one caller of the credential runs with `creators_rate = 0.001` (AMZAUTH_CREATORS_RATE)",
    expected="that caller alone is slowed (its next call refused locally, nothing sent); another caller "
    "sharing the limiter is served at the credential's pace",
)
def _tiny_own_rate(ctx: Ctx) -> str:
    p = creators_profile(ctx.sb.url)
    slow = ctx.creators(p, rate=0.001, burst=1, sleep=time.sleep)
    normal = ctx.creators(p, sleep=time.sleep)
    assert slow.search_items(keywords(0)).items
    t0 = time.monotonic()
    assert normal.search_items(keywords(1)).items
    waited = time.monotonic() - t0
    assert waited < 3.0, waited
    exc = raised(LocalThrottle, lambda: slow.search_items(keywords(2)))
    assert "own rate" in str(exc)
    assert len(ctx.api_log()) == 2
    return f"the other caller served after {waited:.1f} s; the slow caller's next call refused locally (LocalThrottle)"


@row(
    "console-two-processes",
    area="Console",
    fault="two console processes edit one profiles file at once (100 new profiles from 4 threads)",
    expected="every acknowledged edit is in the file (inter-process lock, version check inside it)",
    bound=120.0,
)
def _two_consoles(ctx: Ctx) -> str:
    cfg = ctx.tmp / "amzauth.toml"
    with two_console_processes(cfg) as urls:
        acknowledged, lost = concurrent_creates(urls, cfg)
    assert lost == 0 and acknowledged == EDITS, (acknowledged, lost)
    return f"{acknowledged} of {EDITS} edits acknowledged, {lost} lost"


@row(
    "console-killed-mid-save",
    area="Console",
    fault="a profile save killed with SIGKILL between writing its temp file (every secret) and renaming it",
    expected="the profiles file stays the old, valid one; the next save removes the temp file",
)
def _killed_mid_save(ctx: Ctx) -> str:
    from amzauth.console.profiles_file import ProfilesFile
    from tests.console.conftest import creators_profile as console_profile
    from tests.console.conftest import write_profiles

    cfg = ctx.tmp / "killed" / "amzauth.toml"
    cfg.parent.mkdir(mode=0o700)
    write_profiles(cfg, {"shop": console_profile(ctx.sb.url)})
    before = cfg.read_text()
    leftover = kill_mid_save(cfg)
    assert leftover.exists() and cfg.read_text() == before
    ProfilesFile(cfg).update("next", console_profile(ctx.sb.url, partner_tag="next-20"))
    assert not leftover.exists() and not list(cfg.parent.glob(".amzauth.toml.*.tmp"))
    assert KILLED_SECRET not in cfg.read_text()
    return "old file intact after the kill; the next save removed the temp file (0 left); file valid"


@row(
    "console-slow-clients",
    area="Console",
    fault="600 connections that never finish their request head (slowloris), connection cap 256",
    expected="normal requests still answered in under 1 s; the 3 s head timeout closes every slow one",
    bound=60.0,
)
def _slow_clients(ctx: Ctx) -> str:
    worst = slow_vs_normal(ctx.tmp / "amzauth.toml", 256)
    assert worst < 1.0, worst
    return f"40 normal requests, worst {worst:.2f} s; all 600 slow connections closed"


def _debug_enabled(admin: Any) -> bool:
    try:
        return admin.config_get("enable-debug-command").get("enable-debug-command") in ("yes", "local")
    except Exception:
        return False


@row(
    "redis-down-results",
    area="Stores",
    fault="redis-server killed under a Creators client whose result store is Redis",
    expected="results and limiter fall back to the SQLite file; searches served",
    redis=True,
)
def _redis_down_results(ctx: Ctx) -> str:
    p = creators_profile(ctx.sb.url)
    rstore = ResultRedisStore(ctx.redis.url, namespace="reliability", fallback=ctx.result_store)
    try:
        client = ctx.creators(p, store=rstore)
        first = client.search_items(keywords(10))
        ctx.redis.kill()
        client.core.memory.clear()
        res = client.search_items(keywords(11))
        assert first.items and res.items
        assert saved_results(ctx) >= 1, "the result was not saved in the fallback"
    finally:
        ctx.redis.start()
        rstore.close()
    return f"served {items(len(res.items))} through the SQLite fallback after redis died; result saved there"


# ---- clock ----------------------------------------------------------------------------------------------
def _clock_row(ctx: Ctx, offset: int) -> str:
    ctx.sb.set_clock(offset)
    m, tok = served_token(ctx)
    skew = m.last_clock_skew
    assert skew is not None and abs(skew - offset) < 3, skew
    assert tok.lifetime == world().limits.token_lifetime
    res = ctx.creators(creators_profile(ctx.sb.url), manager=m).search_items(keywords(12))
    assert res.items and len(ctx.token_log()) == 1
    return (
        f"served; skew measured {offset:+d} s within 2 s; token lifetime {tok.lifetime:g} s counted on our "
        "clock; 1 token request"
    )


for _rid, _offset, _fault, _expected in (
    (
        "clock-ahead-20min",
        1200,
        "Amazon's clock 20 minutes ahead (sandbox clock +1200 s)",
        "served; the skew is measured from the Date header; expiry counts from our own send time",
    ),
    (
        "clock-behind-20min",
        -1200,
        "Amazon's clock 20 minutes behind (sandbox clock -1200 s)",
        "served; the skew is measured; no early or late expiry",
    ),
):
    row(_rid, area="Clock", fault=_fault, expected=_expected)(partial(_clock_row, offset=_offset))


@row(
    "clock-jump-past-expiry",
    area="Clock",
    fault="Amazon's clock jumps 61 minutes ahead mid-run (our token looks fresh to us, expired to Amazon)",
    expected="401 TokenExpired, refresh once, retry once; served",
)
def _clock_jump(ctx: Ctx) -> str:
    return _refreshed_once(
        ctx, ctx.creators(creators_profile(ctx.sb.url)), 13, lambda: ctx.sb.set_clock(3660)
    )


# ---- the SP-API callback server ---------------------------------------------------------------------------
def _callback_world(ctx: Ctx) -> tuple[str, Any]:
    """Register a loopback redirect URI on a free port for the demo draft app; its profile."""
    from tests.spapi._support import make_profile, world_with
    from tests.support import free_port

    uri = f"http://127.0.0.1:{free_port()}/callback"
    ctx.sb.set_world(world_with(ctx.sb.world(), app={"redirect_uris": [uri]}))
    ctx.sb.clear_requests()
    return uri, make_profile(ctx.sb.url, uri)


def _code_exchanges(ctx: Ctx) -> list[dict[str, Any]]:
    return [r for r in ctx.token_log() if r.get("grant_type") == "authorization_code"]


@row(
    "callback-wrong-state",
    area="SP-API callback server",
    fault="a callback with a forged `state` (a stale tab, or someone else's redirect)",
    expected="refused with StateMismatch before anything else; the code is never exchanged; the browser "
    "gets an error page",
)
def _callback_wrong_state(ctx: Ctx) -> str:
    from amzauth.spapi import authorize as authorize_mod
    from amzauth.spapi.errors import StateMismatch

    uri, profile = _callback_world(ctx)
    got: dict[str, Any] = {}

    def deliver(_consent_url: str) -> None:
        def go() -> None:
            forged = (
                f"{uri}?state=forged&spapi_oauth_code=stolencode000000&selling_partner_id=A1SANDBOXDEMONA"
            )
            got["status"] = httpx.get(forged, timeout=15).status_code

        got["thread"] = threading.Thread(target=go, daemon=True)
        got["thread"].start()

    with pytest.raises(StateMismatch) as ei:
        authorize_mod.authorize(
            profile, open_browser=False, on_url=deliver, timeout=10, preflight=False, keep=False
        )
    got["thread"].join(15)
    assert got.get("status") == 400 and _code_exchanges(ctx) == []
    return f"{clean(ei.value, 'state')}; browser got HTTP 400; 0 code exchanges"


@row(
    "callback-replayed-code",
    area="SP-API callback server",
    fault="the same callback (same `spapi_oauth_code`) delivered again after a successful authorization",
    expected="the one-shot server is gone (connection refused); exchanging the code again is refused by "
    "Amazon and diagnosed as the single-use rule",
)
def _callback_replay(ctx: Ctx) -> str:
    from amzauth.spapi import authorize as authorize_mod
    from amzauth.spapi.consent import build_consent
    from amzauth.spapi.errors import CodeExchangeError
    from amzauth.spapi.exchange import exchange_callback
    from tests.spapi._support import Robot, confirm_consent

    _uri, profile = _callback_world(ctx)
    robot = Robot()
    result = authorize_mod.authorize(
        profile, open_browser=False, on_url=robot, timeout=20, preflight=False, keep=False
    )
    robot.join()
    register_secret(result.refresh_token.reveal(), result.authorization.access_token.reveal())
    assert robot.callback_status == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(robot.location, timeout=5)
    consent = build_consent(profile)
    location = confirm_consent(consent.url)
    auth = exchange_callback(location, consent, source=profile)
    register_secret(auth.refresh_token.reveal(), auth.access_token.reveal())
    with pytest.raises(CodeExchangeError) as ei:
        exchange_callback(location, consent, source=profile)
    assert ei.value.code == "invalid_grant"
    statuses = [r["status"] for r in _code_exchanges(ctx)]
    assert statuses == [200, 200, 400], statuses
    return (
        f"replayed callback: connection refused; replayed exchange: {clean(ei.value, 'once')} "
        f"(invalid_grant, single-use rule named); code exchanges {statuses}"
    )


@row(
    "callback-non-loopback",
    area="SP-API callback server",
    fault="a callback from another machine (the server listens on 0.0.0.0, the client is not loopback)",
    expected="HTTP 403, the request is not handed to the waiting flow, the address is recorded",
)
def _callback_remote(ctx: Ctx) -> str:
    from amzauth.spapi.callback import CallbackServer, callback_target
    from tests.spapi.test_authorize import _non_loopback_ip  # one copy of the address probe
    from tests.support import free_port

    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    port = free_port()
    target = callback_target(f"http://127.0.0.1:{port}/callback", listen="0.0.0.0")
    with CallbackServer(target) as server:
        r = httpx.get(
            f"http://{ip}:{port}/callback?state=x&spapi_oauth_code=y&selling_partner_id=z", timeout=10
        )
        assert r.status_code == 403 and server.refused == [ip]
        assert server.next_callback(0.05) is None
    return "HTTP 403 for the remote client; nothing queued; refused address recorded"


# ---- the test around every row -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "rid", [pytest.param(k, id=k, marks=[pytest.mark.redis] if ROWS[k].redis else []) for k in ROWS]
)
def test_fault(
    rid: str,
    matrix: Recorder,
    sb: Any,
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> None:
    r = ROWS[rid]
    redis = request.getfixturevalue("redis") if r.redis else None
    caplog.set_level(logging.DEBUG, logger="amzauth")
    ctx = Ctx(sb, tmp_path, redis)
    ctx.caplog = caplog
    observed = "did not finish"
    passed = False
    t0 = time.monotonic()
    try:
        if r.keeps_caches:
            ctx.seed()
        observed = r.run(ctx).replace(sb.url, "http://SANDBOX")
        took = time.monotonic() - t0
        assert took < r.bound, f"took {took:.1f} s, bound {r.bound:g} s"
        if r.keeps_caches:
            assert ctx.seeded_intact(), (
                "an entry seeded in the token or result store before the fault was lost"
            )
        leaks = scan_text(caplog.text + "\n" + observed, f"logs of {rid}")
        assert not leaks, leaks
        passed = True
    except pytest.skip.Exception as exc:
        observed, passed = f"skipped: {exc}", True
        raise
    except BaseException as exc:
        observed = f"{observed}; FAILED: {type(exc).__name__}: {str(exc)[:300]}"
        raise
    finally:
        if scan_text(observed, "observed"):
            observed = "[observed text withheld: it held a secret]"
        matrix.record(r, observed, passed)
        ctx.close()


def test_matrix_is_complete() -> None:
    """Every area of issue 9 has rows (a guard against a row being dropped silently)."""
    areas = {r.area for r in ROWS.values()}
    assert areas == {
        "Token endpoint",
        "Creators API",
        "SP-API",
        "Stores",
        "Clock",
        "SP-API callback server",
        "Console",
    }
    assert len(ROWS) >= 30
