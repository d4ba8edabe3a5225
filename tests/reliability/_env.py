"""What every reliability scenario needs: demo credentials as profiles, real stores in a private dir,
short retry settings, a sleep that records, and small readers of the sandbox log.

Credentials come from the sandbox's demo world (``amzauth.sandbox.world.demo_world()``), never typed here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Final

import httpx

from amzauth.config import Profile, profile_from_mapping
from amzauth.core.plan import build_plan
from amzauth.core.retry import RetryPolicy
from amzauth.core.tokens import Token
from amzauth.creators import CreatorsClient
from amzauth.creators import SQLiteResultStore as ResultSQLiteStore
from amzauth.creators.store import CacheEntry
from amzauth.engine import AmazonAuth, SQLiteTokenStore, TokenManager, TokenStore
from amzauth.sandbox.world import World, demo_world
from tests.support import register_secret

# Short settings so the whole matrix runs in seconds: 3 token requests at most, tiny backoffs.
TOKEN_POLICY: Final = RetryPolicy(attempts=3, base=0.05, cap=0.2, retry_after_cap=5.0, budget=5.0)
API_POLICY: Final = RetryPolicy(attempts=5, base=0.05, cap=0.2, retry_after_cap=5.0, budget=5.0)
TOKEN_TIMEOUT: Final = 1.0
TOKEN_PATHS: Final = ("/auth/o2/token", "/oauth2/token")
BYSTANDER_KEY: Final = "tok:reliability-bystander"
BYSTANDER_TOKEN: Final = "Atza|IwEBreliability-bystander-token-0000000000000000000001"
BYSTANDER_RESULT: Final = "reliability:bystander"
register_secret(BYSTANDER_TOKEN)


@cache
def world() -> World:
    return demo_world()


def creators_profile(
    sandbox_url: str, version: str = "3.1", *, eligible: bool = True, **extra: Any
) -> Profile:
    cred = next(
        c
        for c in world().creators_credentials
        if c.version == version and c.enabled and c.eligible == eligible
    )
    mp = cred.marketplaces[0]
    register_secret(cred.client_secret)
    values = {
        "api": "creators",
        "credential_version": cred.version,
        "client_id": cred.client_id,
        "client_secret": cred.client_secret,
        "marketplace": mp,
        "partner_tag": cred.partner_tags[mp][0],
        "sandbox": sandbox_url,
        **extra,
    }
    return profile_from_mapping(values)


def spapi_profile(sandbox_url: str, **extra: Any) -> Profile:
    """The first healthy, unrevoked NA seller authorization of an app with the Product Listing role."""
    apps = {a.application_id: a for a in world().spapi_apps}
    for seller in world().sellers:
        if seller.region != "na" or not seller.account_healthy:
            continue
        for auth in seller.authorizations:
            app = apps[auth.application_id]
            if auth.revoked or "Product Listing" not in app.roles:
                continue
            register_secret(app.client_secret, auth.refresh_token)
            values = {
                "api": "spapi",
                "region": "na",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "refresh_token": auth.refresh_token,
                "sandbox": sandbox_url,
                **extra,
            }
            return profile_from_mapping(values)
    raise LookupError("no usable SP-API seller authorization in the demo world")


class RecordingSleep:
    """Really sleeps (the sandbox is real) and remembers every backoff the engine asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(round(seconds, 3))
        time.sleep(seconds)


class Ctx:
    """One scenario's world: the sandbox, a private cache dir with a token and a result store."""

    def __init__(self, sb: Any, tmp: Path, redis: Any = None) -> None:
        self.sb = sb
        self.tmp = tmp
        self.redis = redis
        self.cache_dir = tmp / "cache"
        self.token_store = SQLiteTokenStore(self.cache_dir / "tokens.sqlite3")
        self.result_store = ResultSQLiteStore(self.cache_dir / "creators.sqlite3")
        self.sleep = RecordingSleep()
        self.tokens: list[str] = []
        self.caplog: Any = None
        self._closers: list[Any] = []

    # -- engine and clients ------------------------------------------------------------------------
    def manager(self, profile: Profile, store: TokenStore | None = None, **kw: Any) -> TokenManager:
        kw.setdefault("policy", TOKEN_POLICY)
        kw.setdefault("timeout", TOKEN_TIMEOUT)
        kw.setdefault("sleep", self.sleep)
        plan = build_plan(profile)
        refresh = profile.secret("refresh_token") if plan.grant_type == "refresh_token" else None
        secret = profile.secret("client_secret")
        assert secret
        return TokenManager(plan, secret, refresh_token=refresh, store=store or self.token_store, **kw)

    def creators(self, profile: Profile, manager: TokenManager | None = None, **kw: Any) -> CreatorsClient:
        limits = world().limits
        kw.setdefault("store", self.result_store)
        kw.setdefault("retry", API_POLICY)
        kw.setdefault("timeout", 5.0)
        kw.setdefault("rate", limits.creators_rate)
        kw.setdefault("burst", limits.creators_burst)
        kw.setdefault("sleep", self.sleep)
        client = CreatorsClient(profile, manager=manager or self.manager(profile), **kw)
        self._closers.append(client)
        return client

    def spapi_http(self, manager: TokenManager) -> httpx.Client:
        client = httpx.Client(auth=AmazonAuth(manager), timeout=5.0, base_url=manager.plan.api_base_url)
        self._closers.append(client)
        return client

    def keep(self, token: Token) -> Token:
        """Remember a token this scenario got (the leak scanner then looks for it everywhere)."""
        register_secret(token.access_token, token.refresh_token)
        self.tokens.append(token.access_token)
        return token

    def close(self) -> None:
        for c in self._closers:
            c.close()
        self.token_store.close()
        self.result_store.close()

    # -- the sandbox log -------------------------------------------------------------------------------
    def token_log(self) -> list[dict[str, Any]]:
        return [r for r in self.sb.requests() if r["path"] in TOKEN_PATHS]

    def token_statuses(self) -> list[int | None]:
        return [r["status"] for r in self.token_log()]

    def api_log(self, host: str = "creatorsapi.amazon") -> list[dict[str, Any]]:
        return self.sb.requests(host=host)

    # -- caches: seed before the fault, check after ------------------------------------------------------
    def seed(self, token_store: TokenStore | None = None) -> None:
        now = time.time()
        tok = Token(BYSTANDER_TOKEN, "bearer", now + 3000, obtained_at=now)
        (token_store or self.token_store).save(BYSTANDER_KEY, tok, now)
        entry = CacheEntry(
            data='{"seeded": true}', created=now, fresh_until=now + 3000, stale_until=now + 6000
        )
        self.result_store.put_many([(BYSTANDER_RESULT, entry)])

    def seeded_intact(self, token_store: TokenStore | None = None) -> bool:
        store = token_store or self.token_store
        tok = store.load(BYSTANDER_KEY)
        fresh = ResultSQLiteStore(self.result_store.path)  # a new connection: what another process sees
        try:
            entries = fresh.get_many([BYSTANDER_RESULT])
        finally:
            fresh.close()
        return (
            tok is not None
            and tok.access_token == BYSTANDER_TOKEN
            and entries.get(BYSTANDER_RESULT) is not None
            and entries[BYSTANDER_RESULT].data == '{"seeded": true}'
        )


def token_body(access_token: str, expires_in: Any) -> str:
    """A token answer with a chosen expires_in (for faults that replace the endpoint's body)."""
    import json

    register_secret(access_token)
    return json.dumps({"access_token": access_token, "token_type": "bearer", "expires_in": expires_in})


@contextmanager
def sqlite_writer_lock(path: Path, hold: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the write lock (``BEGIN IMMEDIATE``) on a SQLite file for ``hold`` seconds."""
    code = textwrap.dedent(
        f"""
        import sqlite3, sys, time
        db = sqlite3.connect({str(path)!r}, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        time.sleep({hold!r})
        db.execute("COMMIT")
        print("released", flush=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "locked", f"lock holder did not start: {line!r}"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def elapsed_since(t0: float) -> float:
    return time.monotonic() - t0
