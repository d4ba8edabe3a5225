"""Runtime state of one sandbox: the world in force, issued tokens and codes, limits, log, faults.

Everything runs on the server's event loop thread, so no locks: handlers read and mutate this
object directly, and the control API (over HTTP) is the only way in from other threads.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from amzauth.config.marketplaces import Region
from amzauth.sandbox.world import (
    BrowseNodeDef,
    CatalogItem,
    CreatorsCredential,
    Seller,
    SellerAuthorization,
    SpapiApp,
    World,
)

REQUEST_LOG_MAX = 20_000
CODE_LIFETIME = 300.0  # spapi_oauth_code: 5 minutes, once
CONSENT_LIFETIME = 600.0  # the whole website workflow must finish within 10 minutes
SECRET_GRACE = 7 * 86400.0  # the old LwA secret keeps working 7 days after a rotation
SECRET_LIFETIME = 180 * 86400.0  # LwA client secrets expire every 180 days
TOKEN_PRUNE_AT = 200_000

TokenKind = Literal["creators", "spapi", "grantless", "profile"]  # profile: Login with Amazon sign-in


@dataclass(slots=True)
class TokenInfo:
    """What the sandbox remembers about an access token it issued (the token itself is the key)."""

    kind: TokenKind
    family: Literal["cognito", "lwa"]
    version: str | None
    client_id: str
    scope: str
    issued_at: float
    expires_at: float
    seller: str | None = None
    region: Region | None = None
    application_id: str | None = None
    refresh_token: str | None = None
    secret_expires_at: float | None = None
    revoked: bool = False


@dataclass(slots=True)
class AuthCode:
    client_id: str
    application_id: str
    seller: str
    region: Region
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    created_at: float
    used: bool = False
    kind: str = "spapi"  # "profile": a Login with Amazon sign-in code (/ap/oa, scope=profile)


@dataclass(slots=True)
class ConsentSession:
    application_id: str
    host: str
    region: Region
    state: str
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    created_at: float
    done: bool = False


@dataclass(slots=True)
class Bucket:
    tokens: float
    last: float


@dataclass(slots=True)
class Fault:
    id: str
    host: str | None
    path: str | None
    method: str | None
    status: int | None
    error: str | None
    error_description: str | None
    retry_after: int | None
    delay_ms: int
    drop: bool
    times: int  # -1: forever
    body: str | None
    content_type: str | None
    headers: dict[str, str]
    hits: int = 0

    def matches(self, method: str, host: str, path: str) -> bool:
        if self.times == 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.host is not None and self.host != host:
            return False
        if self.path is not None:
            if self.path.endswith("*"):
                return path.startswith(self.path[:-1])
            return self.path == path
        return True

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host": self.host,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "error": self.error,
            "error_description": self.error_description,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "drop": self.drop,
            "times": self.times,
            "hits": self.hits,
            "content_type": self.content_type,
            "has_body": self.body is not None,
        }


@dataclass(slots=True)
class GraceSecret:
    secret: str
    until: float


@dataclass
class Indexes:
    """Lookups derived from the world, rebuilt whenever the world changes."""

    creators: dict[str, CreatorsCredential] = field(default_factory=dict)
    apps_by_client: dict[str, SpapiApp] = field(default_factory=dict)
    apps_by_id: dict[str, SpapiApp] = field(default_factory=dict)
    sellers: dict[str, Seller] = field(default_factory=dict)
    refresh: dict[str, tuple[Seller, SellerAuthorization]] = field(default_factory=dict)
    items: dict[tuple[str, str], CatalogItem] = field(default_factory=dict)  # (marketplace, asin)
    by_marketplace: dict[str, list[CatalogItem]] = field(default_factory=dict)
    families: dict[tuple[str, str], list[CatalogItem]] = field(default_factory=dict)  # (mp, parent)
    nodes: dict[tuple[str, str], BrowseNodeDef] = field(default_factory=dict)
    children: dict[tuple[str, str], list[BrowseNodeDef]] = field(default_factory=dict)
    search_text: dict[tuple[str, str], str] = field(default_factory=dict)


def build_indexes(world: World) -> Indexes:
    ix = Indexes()
    ix.creators = {c.client_id: c for c in world.creators_credentials}
    ix.apps_by_client = {a.client_id: a for a in world.spapi_apps}
    ix.apps_by_id = {a.application_id: a for a in world.spapi_apps}
    ix.sellers = {s.selling_partner_id: s for s in world.sellers}
    for s in world.sellers:
        for auth in s.authorizations:
            ix.refresh[auth.refresh_token] = (s, auth)
            app = ix.apps_by_id.get(auth.application_id)
            if auth.roles is None and app is not None:
                auth.roles = list(app.roles)  # the consent happened with the app as it is now
    for it in world.catalog:
        ix.items[(it.marketplace, it.asin)] = it
        ix.by_marketplace.setdefault(it.marketplace, []).append(it)
        if it.parent_asin:
            ix.families.setdefault((it.marketplace, it.parent_asin), []).append(it)
        words = [
            it.title,
            it.brand,
            it.manufacturer,
            it.color,
            it.size,
            it.model,
            it.product_group,
            *it.features,
        ]
        ix.search_text[(it.marketplace, it.asin)] = " ".join(words).lower()
    for n in world.browse_nodes:
        ix.nodes[(n.marketplace, n.id)] = n
    for n in world.browse_nodes:
        if n.parent:
            ix.children.setdefault((n.marketplace, n.parent), []).append(n)
    return ix


class SandboxState:
    """The mutable state of a running sandbox."""

    def __init__(self, world: World) -> None:
        self.loaded_world = world
        self.clock_offset = 0.0
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_MAX)
        # Bumped by reset(): a request that arrived before a reset (say, one held by a delay fault)
        # is answered but never logged, so the log after a reset holds only what came after it.
        self.generation = 0
        self.faults: list[Fault] = []
        self.fault_seq = 0
        self.notifications: list[dict[str, Any]] = []
        self._install(world.model_copy(deep=True))

    # -- world -----------------------------------------------------------------------------
    def _install(self, world: World) -> None:
        self.world = world
        self.ix = build_indexes(world)
        self.tokens: dict[str, TokenInfo] = {}
        self.codes: dict[str, AuthCode] = {}
        self.consents: dict[str, ConsentSession] = {}
        self.profile_refresh: dict[str, str] = {}  # Login with Amazon sign-in refresh token -> client id
        self.buckets: dict[tuple[str, ...], Bucket] = {}
        self.daily: dict[tuple[str, str], int] = {}
        self.grace: dict[str, list[GraceSecret]] = {}
        self.render_cache: dict[Any, Any] = {}

    def set_world(self, world: World) -> None:
        """Replace the world (and forget tokens, codes and limits that belonged to the old one).

        ``reset()`` still goes back to the world the sandbox started with.
        """
        self._install(world.model_copy(deep=True))

    def reset(self) -> None:
        """Back to the world loaded at start, with an empty log, no faults and no clock offset."""
        self.clock_offset = 0.0
        self.generation += 1
        self.requests.clear()
        self.faults.clear()
        self.notifications.clear()
        self._install(self.loaded_world.model_copy(deep=True))

    def reindex(self) -> None:
        self.ix = build_indexes(self.world)
        self.render_cache.clear()

    # -- clock -----------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- tokens ----------------------------------------------------------------------------
    def add_token(self, token: str, info: TokenInfo) -> None:
        if len(self.tokens) >= TOKEN_PRUNE_AT:
            self.prune_tokens(info.issued_at)
        self.tokens[token] = info

    def prune_tokens(self, now: float) -> None:
        """Forget tokens that expired more than an hour ago (keeps long benchmarks bounded)."""
        cutoff = now - 3600
        for t in [t for t, i in self.tokens.items() if i.expires_at < cutoff]:
            del self.tokens[t]
        if len(self.tokens) >= TOKEN_PRUNE_AT:  # all fresh: drop the oldest half
            for t in list(self.tokens)[: len(self.tokens) // 2]:
                del self.tokens[t]

    def expire_tokens(self, now: float | None = None) -> int:
        """Every token issued so far expires at ``now`` (the sandbox clock; default the present)."""
        now = self.now() if now is None else now
        for info in self.tokens.values():
            info.expires_at = min(info.expires_at, now - 1)
        return len(self.tokens)

    # -- limits ----------------------------------------------------------------------------
    def take(self, key: tuple[str, ...], rate: float, burst: int, now: float) -> bool:
        """Token bucket: True when a request may pass."""
        b = self.buckets.get(key)
        if b is None:
            b = self.buckets[key] = Bucket(float(burst), now)
        else:
            b.tokens = min(float(burst), b.tokens + max(0.0, now - b.last) * rate)
            b.last = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return True
        return False

    def take_daily(self, client_id: str, day: str, limit: int) -> bool:
        key = (client_id, day)
        n = self.daily.get(key, 0)
        if n >= limit:
            return False
        self.daily[key] = n + 1
        return True

    # -- secrets ---------------------------------------------------------------------------
    def app_secret_ok(self, app: SpapiApp, secret: str, now: float) -> tuple[bool, float | None]:
        """(accepted, expiry of the secret used) for an SP-API app's client secret."""
        if secret == app.client_secret:
            exp = app.secret_expires.timestamp() if app.secret_expires else None
            return True, exp
        for g in self.grace.get(app.client_id, []):
            if g.secret == secret and now < g.until:
                return True, g.until
        return False, None
