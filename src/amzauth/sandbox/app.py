"""The ASGI shell: bytes in, ``Req`` to a handler, ``Resp`` back to bytes, plus faults and the log.

A plain ASGI callable rather than a framework router: one dict lookup on the first path segment
picks the Amazon host, which keeps a token request well under a millisecond on one uvicorn worker.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from typing import Any, Final

from amzauth.config.redact import redact_mapping
from amzauth.sandbox import consent, control, creators, lwa_web, oauth, spapi
from amzauth.sandbox.faults import fault_response
from amzauth.sandbox.hosts import host_kind
from amzauth.sandbox.messages import Req, Resp, json_resp
from amzauth.sandbox.state import Fault, SandboxState
from amzauth.sandbox.world import World, demo_world
from amzauth.serving import is_loopback

__all__ = ["MAX_BODY", "SandboxApp", "create_app"]

log = logging.getLogger("amzauth.sandbox")

MAX_BODY = 1024 * 1024  # bodies over 1 MiB: 413

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HANDLERS: dict[str, Callable[[SandboxState, Req], Resp]] = {
    "cognito": oauth.cognito_token,
    "lwa": oauth.lwa_token,
    "creators": creators.handle,
    "spapi": spapi.handle,
    "consent": consent.handle,
    "lwa_web": lwa_web.handle,
}
_SAFE_INFO_SKIP = frozenset({"error", "grant_type", "client_id"})


class _TooLarge(Exception):
    pass


class SandboxApp:
    """ASGI application serving every Amazon host under ``/<host>/<path>`` and the control API."""

    def __init__(self, world: World | None = None, *, bind_host: str = "127.0.0.1") -> None:
        self.state = SandboxState(world if world is not None else demo_world())
        self.bind_host = bind_host.strip("[]").lower()
        self._date_sec = -1
        self._date = ""

    # -- ASGI entry --------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    def _date_header(self, now: float) -> str:
        sec = int(now)
        if sec != self._date_sec:
            self._date_sec = sec
            self._date = formatdate(sec, usegmt=True)
        return self._date

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        method: str = scope["method"]
        path: str = scope["path"]
        parts = path.split("/", 2)
        host = parts[1].lower() if len(parts) > 1 else ""
        rest = "/" + parts[2] if len(parts) > 2 else "/"
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            name = k.decode("latin-1").lower()
            val = v.decode("latin-1")
            headers[name] = f"{headers[name]}, {val}" if name in headers else val
        query = scope.get("query_string", b"").decode("latin-1")
        now = state.now()
        rid = str(uuid.uuid4())
        req = Req(method, host, rest, query, headers, b"", rid, now, state.generation)
        fault: Fault | None = None
        if state.faults and host != "_sandbox":
            fault = self._match_fault(method, host, rest)
        try:
            req.body = await self._read_body(headers, receive)
        except _TooLarge:
            resp = json_resp(
                413,
                {"message": f"Request entity too large: the limit is {MAX_BODY} bytes"},
                error="RequestEntityTooLarge",
            )
            await self._respond(send, req, resp, fault, keep_alive=False)
            return
        if fault is not None:
            if fault.delay_ms > 0:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.drop:
                self._log(req, None, fault)
                await _drop(send, receive)
                return
            if fault.status is not None or fault.body is not None:
                await self._respond(send, req, fault_response(fault, req, host_kind(host)), fault)
                return
        try:
            resp = self._dispatch(req)
        except Exception as exc:  # a sandbox bug must never take the server down or leak a traceback
            log.exception("sandbox handler failed for %s %s/%s", method, host, rest)
            resp = json_resp(
                500,
                {"message": "The sandbox failed to handle this request.", "type": type(exc).__name__},
                error="SandboxBug",
            )
        await self._respond(send, req, resp, fault)

    def _control_refused(self, req: Req) -> Resp | None:
        """The control API hands out every secret of the world: on a loopback sandbox only loopback
        Host names reach it (no DNS rebinding), and no control POST comes as a form or plain text
        (what a cross-site page can send without the sandbox's consent)."""
        if is_loopback(self.bind_host):
            h = req.headers.get("host", "").strip().lower()
            name = h[1 : h.find("]")] if h.startswith("[") else h.rsplit(":", 1)[0]
            if not is_loopback(name):
                return json_resp(
                    403,
                    {
                        "error": "forbidden_host",
                        "message": "the control API answers loopback Host names only",
                    },
                    error="forbidden_host",
                )
        ctype = req.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if req.method == "POST" and ctype in _SIMPLE_TYPES:
            return json_resp(
                415,
                {
                    "error": "unsupported_media_type",
                    "message": "send control requests as application/json (or application/toml for the world)",
                },
                error="unsupported_media_type",
            )
        return None

    def _dispatch(self, req: Req) -> Resp:
        if req.host == "_sandbox":
            refused = self._control_refused(req)
            return refused if refused is not None else control.handle(self.state, req)
        kind = host_kind(req.host)
        if kind is None:
            return json_resp(
                404,
                {
                    "message": f"Unknown host {req.host!r}: the sandbox serves Amazon hosts as "
                    "/<amazon host>/<path>, e.g. /api.amazon.com/auth/o2/token"
                },
                error="NotFound",
            )
        return _HANDLERS[kind](self.state, req)

    def _match_fault(self, method: str, host: str, path: str) -> Fault | None:
        for f in self.state.faults:
            if f.matches(method, host, path):
                f.hits += 1
                if f.times > 0:
                    f.times -= 1
                return f
        return None

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        cl = headers.get("content-length")
        if cl is not None and cl.isdigit() and int(cl) > MAX_BODY:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                break
            chunk = msg.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > MAX_BODY:
                    raise _TooLarge
                chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        return b"".join(chunks) if len(chunks) != 1 else chunks[0]

    async def _respond(
        self, send: Send, req: Req, resp: Resp, fault: Fault | None, *, keep_alive: bool = True
    ) -> None:
        raw: list[tuple[bytes, bytes]] = [(b"date", self._date_header(req.now).encode())]
        have_rid = False
        for k, v in resp.headers:
            if k.lower() == "x-amzn-requestid":
                have_rid = True
            raw.append((k.encode("latin-1", "replace"), v.encode("latin-1", "replace")))
        if not have_rid:
            raw.append((b"x-amzn-RequestId", req.request_id.encode()))
        if resp.content_type is not None and resp.body:
            raw.append((b"content-type", resp.content_type.encode()))
        raw.append((b"content-length", str(len(resp.body)).encode()))
        if not keep_alive:
            raw.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": resp.status, "headers": raw})
        await send({"type": "http.response.body", "body": resp.body})
        self._log(req, resp, fault)

    def _log(self, req: Req, resp: Resp | None, fault: Fault | None) -> None:
        if req.host == "_sandbox" or req.generation != self.state.generation:
            return
        info = resp.info if resp is not None else {}
        entry: dict[str, Any] = {
            "time": None,  # ISO text filled in when the log is read (keeps the hot path cheap)
            "ts": req.now,
            "method": req.method,
            "host": req.host,
            "path": req.path,
            "status": resp.status if resp is not None else None,
            "error": info.get("error"),
            "grant_type": info.get("grant_type"),
            "client_id": info.get("client_id"),
            "request_id": req.request_id,
            "query": redact_mapping(req.query_params()) if req.query else {},
            "fault": fault.id if fault is not None else None,
            "dropped": resp is None,
        }
        if info:
            extra = redact_mapping({k: v for k, v in info.items() if k not in _SAFE_INFO_SKIP})
            for k, v in extra.items():
                entry.setdefault(k, v)
        self.state.requests.append(entry)


async def _drop(send: Send, receive: Receive) -> None:
    """Close the connection without any answer (uvicorn: reach the transport through ``send``)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "close"):
        transport.close()
        # Wait for uvicorn to notice the disconnect so it does not try to answer 500 on our behalf.
        for _ in range(100):
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
        return
    # Another server: start an answer that promises a body we never send, then fail.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("sandbox fault: connection dropped")


def create_app(world: World | None = None, *, bind_host: str = "127.0.0.1") -> SandboxApp:
    """Build the sandbox ASGI app for ``world`` (the built-in demo world when None)."""
    return SandboxApp(world, bind_host=bind_host)


_SIMPLE_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(8)
