"""Serving an ASGI app with uvicorn on a socket bound here: shared by the sandbox and the console.

Binding the socket ourselves makes the URL known before uvicorn starts (port 0 gives a free
port). uvicorn is imported only when a server is made, so importing this module stays light.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

__all__ = [
    "HEADER_TIMEOUT",
    "MAX_CONNECTIONS",
    "bind_socket",
    "is_loopback",
    "make_server",
    "serve_foreground",
    "serve_in_thread",
    "socket_url",
]

HEADER_TIMEOUT: Final = 10.0  # seconds a connection may take to send a request's head (slowloris)
MAX_CONNECTIONS: Final = 1000  # open connections; beyond, the oldest one still sending its head goes
LOG_INTERVAL: Final = 60.0  # at most one log line per kind of error per interval


class OncePerInterval(logging.Filter):
    """Let one record per kind (logger, message template, exception type) through per interval,
    so a flood of bad connections cannot write a traceback each (the next line says how many
    were held back)."""

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[tuple[str, str, str], tuple[float, int]] = {}
        self._mu = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        kind = (record.name, str(record.msg), exc)
        now = time.monotonic()
        with self._mu:
            last, held = self._last.get(kind, (-1e9, 0))
            if now - last < self.interval:
                self._last[kind] = (last, held + 1)
                return False
            if len(self._last) > 1000:
                self._last.clear()
            self._last[kind] = (now, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {self.interval:.0f} s)"
        return True


_FILTER = OncePerInterval()


def _bound_logs() -> None:
    for name in ("uvicorn.error", "asyncio"):
        lg = logging.getLogger(name)
        if _FILTER not in lg.filters:
            lg.addFilter(_FILTER)


def guarded_h11(header_timeout: float, max_connections: int) -> type:
    """uvicorn's h11 protocol with the two defences it lacks: a connection must send each request's
    head within ``header_timeout`` seconds (uvicorn's keep-alive timer stops at the first byte), and
    past ``max_connections`` a new connection closes the oldest one still sending its head, so slow
    clients cannot use up the file descriptors that normal requests need."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11(H11Protocol):
        _head_timer: Any = None
        _since = 0.0
        _dropped = False

        def connection_made(self, transport: Any) -> None:
            if len(self.connections) >= max_connections:
                waiting = [c for c in self.connections if isinstance(c, GuardedH11) and c._head_timer]
                if waiting:
                    min(waiting, key=lambda c: c._since)._drop("connection cap reached; closed a slow one")
            super().connection_made(transport)
            self._watch()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._watch()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            super().connection_lost(exc)

        def _watch(self) -> None:
            """Time the head while the client owes one (h11 is waiting for a request)."""
            waiting = self.conn.their_state is h11.IDLE and not self._dropped
            if waiting and self._head_timer is None:
                self._since = time.monotonic()
                self._head_timer = self.loop.call_later(header_timeout, self._drop, "request head too slow")
            elif not waiting:
                self._cancel()

        def _cancel(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _drop(self, why: str) -> None:
            self._cancel()
            self._dropped = True
            self.logger.info("closing a connection: %s", why)
            if self.transport is not None:
                self.transport.close()

    return GuardedH11


def bind_socket(host: str, port: int, *, backlog: int = 128) -> socket.socket:
    """A listening TCP socket (IPPROTO_TCP so asyncio turns on TCP_NODELAY)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost names."""
    import ipaddress

    h = host.strip().strip("[]").lower()
    if h in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def socket_url(sock: socket.socket, https: bool = False) -> str:
    """The base URL of a bound socket (IPv6 hosts in brackets)."""
    h, p = sock.getsockname()[:2]
    if ":" in h:
        h = f"[{h}]"
    return f"{'https' if https else 'http'}://{h}:{p}"


def make_server(
    app: Any,
    *,
    on_started: Callable[[], None] | None = None,
    access_log: bool = False,
    log_level: str = "warning",
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    **options: Any,
) -> Any:
    """A uvicorn Server for ``app`` whose ``on_started`` runs once it accepts connections.

    Hardened against slow or many clients: a request head must arrive within ``header_timeout``,
    idle keep-alive connections close after 5 s, at most ``max_connections`` stay open (the
    oldest still-slow one is closed for a new one), and uvicorn's and asyncio's logs carry one
    line per kind of error per minute. ``options`` go to ``uvicorn.Config`` as they are (ssl
    files, ...).
    """
    import uvicorn

    _bound_logs()
    options.setdefault("http", guarded_h11(header_timeout, max_connections))
    options.setdefault("timeout_keep_alive", 5)
    options.setdefault("limit_concurrency", max_connections + 64)
    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=access_log,
        log_level=log_level,
        timeout_graceful_shutdown=2,
        server_header=False,
        **options,
    )

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and on_started is not None:
                on_started()

    return _Server(config)


@contextlib.contextmanager
def serve_in_thread(
    make: Callable[[Callable[[], None]], Any], sock: socket.socket, *, name: str
) -> Iterator[None]:
    """Run ``make(on_started)``'s server on ``sock`` in a daemon thread until the block ends.

    Enters only once the server accepts connections (RuntimeError naming ``name`` if it does not
    start within 30 s); on exit the server is asked to stop, joined, and ``sock`` closed.
    """
    started = threading.Event()
    server = make(started.set)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced to the caller below
            errors.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=serve, name=f"amzauth-{name}-{sock.getsockname()[1]}", daemon=True)
    thread.start()
    try:
        if not started.wait(timeout=30) or errors or not server.started:
            raise RuntimeError(f"the {name} did not start: {errors[0] if errors else 'timeout'}")
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_foreground(server: Any, sock: socket.socket) -> None:
    """Run ``server`` on ``sock`` in this thread until it stops; the socket is closed either way."""
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
