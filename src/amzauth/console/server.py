"""Serving the console: in a background thread (tests, notebooks) or in the foreground (the CLI).

The bind is checked before anything listens: beyond loopback the console needs a password or an
access token. The socket is bound here, so the URL is known before uvicorn starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amzauth.console.security import check_bind
from amzauth.serving import bind_socket, make_server, serve_foreground, serve_in_thread
from amzauth.serving import socket_url as url_of


@dataclass(frozen=True)
class ConsoleHandle:
    """A running console: its base URL and the ASGI app (for tests that look at its state)."""

    url: str
    app: Any


@contextlib.contextmanager
def run_console(
    config_path: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    password: str | None = None,
    token: str | None = None,
) -> Iterator[ConsoleHandle]:
    """Serve a console in a background thread; yields once it accepts connections (port 0: a free one)."""
    from amzauth.console.app import create_app

    check_bind(host, password=password, token=token)
    app = create_app(config_path, password=password, token=token, bind_host=host)
    sock = bind_socket(host, port)
    with serve_in_thread(lambda started: make_server(app, on_started=started), sock, name="console"):
        yield ConsoleHandle(url_of(sock), app)


def serve_console(
    config_path: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8766,
    password: str | None = None,
    token: str | None = None,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    access_log: bool = False,
    on_started: Callable[[str], None] | None = None,
) -> None:
    """Serve in the foreground until interrupted. Raises BindRefused before binding when unsafe."""
    from amzauth.console.app import create_app

    check_bind(host, password=password, token=token)
    https = bool(ssl_certfile)
    app = create_app(config_path, password=password, token=token, bind_host=host, https=https)
    sock = bind_socket(host, port)
    url = url_of(sock, https)
    server = make_server(
        app,
        on_started=(lambda: on_started(url)) if on_started else None,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        access_log=access_log,
    )
    serve_foreground(server, sock)
