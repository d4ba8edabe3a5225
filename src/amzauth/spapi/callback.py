"""The local callback server of ``amzauth spapi authorize``: catches Amazon's redirect on loopback.

Host, port and path come from the registered redirect URI (``http://127.0.0.1:8765/callback``).
The server binds loopback, answers only loopback clients unless told otherwise, and hands each
callback to the waiting thread, which checks ``state``, exchanges the code and then chooses the page
the browser shows (success, or the diagnosis). Standard library only (``http.server``).
"""

from __future__ import annotations

import html
import ipaddress
import queue
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from amzauth.config.profiles import ConfigError
from amzauth.spapi.consent import is_loopback_host

REPLY_WAIT: Final = 60.0  # how long a browser request waits for the exchange's outcome


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    """Where to listen, derived from a redirect URI."""

    redirect_uri: str
    host: str  # as written in the URI
    bind_host: str  # the address to bind
    port: int
    path: str


def callback_target(
    redirect_uri: str, *, listen: str | None = None, profile: str | None = None
) -> CallbackTarget:
    """The listening address for a redirect URI; ConfigError (key redirect_uri) when a local server can't catch it."""
    fix = (
        "register a loopback redirect URI such as http://127.0.0.1:8765/callback for the app and set it as "
        "redirect_uri, or use --manual to paste the URL the browser lands on"
    )
    try:
        parts = urlsplit(redirect_uri)
    except ValueError:  # e.g. "http://[::1/callback": Invalid IPv6 URL
        raise ConfigError(
            f"redirect_uri {redirect_uri!r} is not a valid URL", key="redirect_uri", profile=profile, fix=fix
        ) from None
    host = parts.hostname or ""
    if parts.scheme != "http":
        raise ConfigError(
            f"redirect_uri {redirect_uri!r} is not a plain http loopback URI, so a local server cannot receive it",
            key="redirect_uri",
            profile=profile,
            fix=fix,
        )
    if not is_loopback_host(host) and listen is None:
        raise ConfigError(
            f"redirect_uri {redirect_uri!r} does not point at this machine (loopback)",
            key="redirect_uri",
            profile=profile,
            fix=fix,
        )
    try:
        port = parts.port or 80
    except ValueError:
        raise ConfigError(
            f"redirect_uri {redirect_uri!r} has a bad port", key="redirect_uri", profile=profile
        ) from None
    bind = listen or ("127.0.0.1" if host.lower() == "localhost" else host.strip("[]"))
    return CallbackTarget(redirect_uri, host, bind, port, parts.path or "/")


def client_allowed(address: str, *, allow_remote: bool = False) -> bool:
    """Whether a client address may deliver the callback (loopback only, unless allowed)."""
    if allow_remote:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@dataclass
class PendingCallback:
    """One callback request waiting for its answer page."""

    params: dict[str, list[str]]
    client: str
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _sent: threading.Event = field(default_factory=threading.Event, repr=False)
    _reply: tuple[int, str] = (500, "")

    def reply(self, status: int, page: str, *, wait: float = 5.0) -> None:
        """Answer the browser, and wait (a little) until the page is written: the process may exit next."""
        self._reply = (status, page)
        self._done.set()
        self._sent.wait(wait)

    def wait_reply(self, timeout: float) -> tuple[int, str]:
        if not self._done.wait(timeout):
            return 504, page("Timed out", "<p>amzauth did not finish in time. Check the terminal.</p>")
        return self._reply


def page(title: str, body: str, *, ok: bool = True) -> str:
    colour = "#067d62" if ok else "#c40000"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:Arial,sans-serif;max-width:40rem;"
        f"margin:3rem auto}}h1{{color:{colour};font-size:1.4rem}}</style></head>\n<body><main>\n"
        f'<h1 id="title">{html.escape(title)}</h1>\n{body}\n</main></body></html>\n'
    )


class CallbackServer:
    """A loopback HTTP server for one authorization; ``next_callback`` blocks until a redirect arrives."""

    def __init__(self, target: CallbackTarget, *, allow_remote: bool = False) -> None:
        self.target = target
        self.allow_remote = allow_remote
        self.refused: list[str] = []  # client addresses turned away (for the user and for tests)
        self._queue: queue.Queue[PendingCallback] = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "amzauth-callback"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: str) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                client = str(self.client_address[0])
                if not client_allowed(client, allow_remote=outer.allow_remote):
                    outer.refused.append(client)
                    self._send(
                        403, page("Refused", "<p>Only this machine may deliver the callback.</p>", ok=False)
                    )
                    return
                parts = urlsplit(self.path)
                if parts.path != outer.target.path:
                    self._send(
                        404, page("Not found", "<p>This is amzauth's authorization callback.</p>", ok=False)
                    )
                    return
                params = parse_qs(parts.query, keep_blank_values=True)
                if not params:
                    self._send(
                        400, page("Waiting", "<p>amzauth is waiting for Amazon's redirect.</p>", ok=False)
                    )
                    return
                pending = PendingCallback(params, client)
                outer._queue.put(pending)
                status, body = pending.wait_reply(REPLY_WAIT)
                try:
                    self._send(status, body)
                finally:
                    pending._sent.set()

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in target.bind_host else socket.AF_INET
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((target.bind_host, target.port), Handler, bind_and_activate=False)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            self._server.server_bind()
            self._server.server_activate()
        except OSError as exc:
            self._server.server_close()
            raise ConfigError(
                f"cannot listen on {self.target.bind_host}:{self.target.port} for the callback ({exc.strerror})",
                key="redirect_uri",
                fix="free that port (another authorize running?) or register another loopback redirect URI",
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll: keep closing fast
            name="amzauth-callback",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def next_callback(self, timeout: float) -> PendingCallback | None:
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> CallbackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
