"""Serving an ASGI app with uvicorn on a socket bound here: shared by the sandbox and the console.

Binding the socket ourselves makes the URL known before uvicorn starts (port 0 gives a free
port). uvicorn is imported only when a server is made, so importing this module stays light.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["bind_socket", "make_server", "serve_foreground", "serve_in_thread", "socket_url"]


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
    **options: Any,
) -> Any:
    """A uvicorn Server for ``app`` whose ``on_started`` runs once it accepts connections.

    ``options`` go to ``uvicorn.Config`` as they are (http, ssl files, keep-alive, ...).
    """
    import uvicorn

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
