"""Who may use the console and how a page protects itself.

Decisions are small pure functions (may this bind start, is this host allowed, which headers go
on every answer); :class:`Sessions` keeps server-side sessions in memory so the cookie carries
only a random id. The session cookie is ``SameSite=Lax``, not Strict, on purpose: the SP-API
consent redirect comes back from Seller Central as a cross-site top-level GET and must find the
session that started it; every state-changing request is a POST that also needs the CSRF token.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Final

COOKIE: Final = "amzauth_console"
SESSION_TTL: Final = 12 * 3600.0
MAX_SESSIONS: Final = 5000
LOGIN_WINDOW: Final = 60.0
LOGIN_MAX_FAILURES: Final = 5
LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.", "ip6-localhost"})

CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cache-Control": "no-store",
}


class BindRefused(ValueError):
    """A non-loopback bind without a password or access token."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost names (the only binds allowed without a password)."""
    h = host.strip().strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, password: str | None, token: str | None, no_auth: bool = False) -> None:
    """Refuse to serve beyond this machine unless a password or access token protects the console
    (``no_auth``, the explicit opt-out, is for loopback only)."""
    if is_loopback(host) and (no_auth or not (password or token)):
        return
    if not (password or token):
        raise BindRefused(
            f"refusing to bind the console to {host}: it would let anyone who can reach this machine "
            "read and change your profiles; pass --password or --token (or bind to 127.0.0.1)"
        )
    for name, value in (("password", password), ("token", token)):
        if value is not None and len(value) < 8:
            raise BindRefused(f"the {name} must have at least 8 characters when binding to {host}")


def access_token(host: str, *, password: str | None, token: str | None, no_auth: bool = False) -> str | None:
    """The access token the console runs with: the given one, or, for a loopback console started
    without a password or token, a fresh random one (every local user can reach loopback, so the
    console is never open unless ``no_auth`` says so). Raises BindRefused when the bind is unsafe."""
    check_bind(host, password=password, token=token, no_auth=no_auth)
    if token or password or no_auth:
        return token
    return secrets.token_urlsafe(24)


def host_allowed(host_header: str | None, *, bind_host: str, auth_required: bool) -> bool:
    """Guard a loopback console against DNS rebinding: only loopback Host headers are served.

    With a password or token the session protects the pages, so any Host is accepted.
    """
    if auth_required:
        return True
    if not host_header:
        return False
    h = host_header.strip().lower()
    if h.startswith("["):
        name = h[1 : h.find("]")] if "]" in h else h
    else:
        name = h.rsplit(":", 1)[0] if h.count(":") == 1 else h
    return is_loopback(name) or name == bind_host.lower()


def same_secret(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class Session:
    """Server-side session state; the cookie only names it."""

    id: str
    csrf: str
    created: float
    authed: bool = False
    last_seen: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)


class Sessions:
    """In-memory sessions, bounded and expiring (the console is one process for one person or team)."""

    def __init__(self, ttl: float = SESSION_TTL, max_sessions: int = MAX_SESSIONS) -> None:
        self.ttl = ttl
        self.max = max_sessions
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        now = time.time()
        with self._lock:
            s = self._items.get(sid)
            if s is None:
                return None
            if now - s.created > self.ttl:
                del self._items[sid]
                return None
            s.last_seen = now
            self._items.move_to_end(sid)
            return s

    def new(self) -> Session:
        now = time.time()
        s = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), created=now, last_seen=now)
        with self._lock:
            self._items[s.id] = s
            if len(self._items) > self.max:
                # Anonymous sessions are cheap to create: drop those first, so a flood of them
                # cannot push a signed-in user out.
                anon = [k for k, v in self._items.items() if not v.authed and k != s.id]
                for k in anon[: len(self._items) - self.max]:
                    del self._items[k]
                while len(self._items) > self.max:
                    self._items.popitem(last=False)
        return s

    def rotate(self, old: Session) -> Session:
        """A fresh id and CSRF token after login (no session fixation); data carried over."""
        s = self.new()
        s.data = dict(old.data)
        with self._lock:
            self._items.pop(old.id, None)
        return s

    def drop(self, sid: str) -> None:
        with self._lock:
            self._items.pop(sid, None)


class LoginThrottle:
    """At most LOGIN_MAX_FAILURES failed logins per client address per minute."""

    def __init__(self) -> None:
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, addr: str) -> bool:
        now = time.monotonic()
        with self._lock:
            q = self._fails.get(addr)
            if not q:
                return False
            while q and now - q[0] > LOGIN_WINDOW:
                q.popleft()
            return len(q) >= LOGIN_MAX_FAILURES

    def failed(self, addr: str) -> None:
        with self._lock:
            self._fails.setdefault(addr, deque()).append(time.monotonic())

    def succeeded(self, addr: str) -> None:
        with self._lock:
            self._fails.pop(addr, None)
