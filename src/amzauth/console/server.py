"""Serving the console: in a background thread (tests, notebooks) or in the foreground (the CLI).

The bind is checked before anything listens: every console needs a password or an access token
(a loopback one started without either gets a fresh random token, shown in its sign-in URL),
unless started with ``no_auth`` (loopback only). The socket is bound here, so the URL is known
before uvicorn starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amzauth.console.security import access_token
from amzauth.serving import (
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
    bind_socket,
    make_server,
    serve_foreground,
    serve_in_thread,
)
from amzauth.serving import socket_url as url_of


@dataclass(frozen=True)
class ConsoleHandle:
    """A running console: its base URL, the ASGI app (for tests that look at its state) and the
    access token it runs with (None with a password only, or with ``no_auth``)."""

    url: str
    app: Any
    token: str | None = None

    @property
    def login_url(self) -> str:
        """Opening this URL once signs a browser in (the token is dropped from the address)."""
        return f"{self.url}/?token={self.token}" if self.token else self.url


@contextlib.contextmanager
def run_console(
    config_path: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    password: str | None = None,
    token: str | None = None,
    no_auth: bool = False,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> Iterator[ConsoleHandle]:
    """Serve a console in a background thread; yields once it accepts connections (port 0: a free one).

    ``header_timeout`` and ``max_connections`` are the slow-client defences of
    :func:`amzauth.serving.make_server`."""
    from amzauth.console.app import create_app

    token = access_token(host, password=password, token=token, no_auth=no_auth)
    app = create_app(config_path, password=password, token=token, bind_host=host)
    sock = bind_socket(host, port)

    def make(started: Callable[[], None]) -> Any:
        return make_server(
            app, on_started=started, header_timeout=header_timeout, max_connections=max_connections
        )

    with serve_in_thread(make, sock, name="console"):
        yield ConsoleHandle(url_of(sock), app, token)


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
    no_auth: bool = False,
) -> None:
    """Serve in the foreground until interrupted. Raises BindRefused before binding when unsafe.

    Without a password, token or ``no_auth``, a loopback console makes up a token nobody knows:
    callers that want to show a sign-in URL make one with :func:`access_token` and pass it."""
    from amzauth.console.app import create_app

    token = access_token(host, password=password, token=token, no_auth=no_auth)
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
