"""Serving the sandbox: in a background thread for tests and the demo, or in the foreground for the CLI.

``run_sandbox()`` binds the socket itself (port 0 gives a free port), so the URL is known before
uvicorn starts, and returns only once the server accepts connections. ``SandboxHandle`` talks to the
control API over HTTP, exactly like any outside test would.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from amzauth import serving
from amzauth.errors import SandboxError
from amzauth.sandbox.world import World, WorldError
from amzauth.serving import socket_url

__all__ = ["SandboxError", "SandboxHandle", "bind_socket", "make_server", "run_sandbox", "socket_url"]


class SandboxHandle:
    """A running sandbox: its base URL and convenience calls to its control API (over HTTP)."""

    def __init__(self, url: str, *, app: Any = None) -> None:
        self.url = url
        self.app = app  # the in-process SandboxApp, when started by run_sandbox (read-only use please)
        self._http = httpx.Client(base_url=url, timeout=30.0)

    def __repr__(self) -> str:
        return f"SandboxHandle({self.url!r})"

    def close(self) -> None:
        self._http.close()

    # -- URLs ------------------------------------------------------------------------------
    def amazon_url(self, amazon_url: str) -> str:
        """``https://HOST/PATH`` -> ``<sandbox>/HOST/PATH`` (the contract's rewrite)."""
        rest = amazon_url.split("://", 1)[-1]
        return f"{self.url}/{rest}"

    def host_url(self, host: str) -> str:
        return f"{self.url}/{host}"

    # -- control API -----------------------------------------------------------------------
    def _call(self, method: str, path: str, **kw: Any) -> Any:
        r = self._http.request(method, f"/_sandbox/{path}", **kw)
        if r.status_code >= 400:
            try:
                doc = r.json()
            except ValueError:
                doc = {"message": r.text}
            raise SandboxError(str(doc.get("message", doc)), status=r.status_code, key=doc.get("key"))
        return r.json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "health")
        return result

    def requests(
        self, host: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[dict[str, Any]]:
        params = {k: str(v) for k, v in (("host", host), ("path", path), ("status", status)) if v is not None}
        result: list[dict[str, Any]] = self._call("GET", "requests", params=params)
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def add_fault(self, **fault: Any) -> str:
        """Add a fault (keys as in ``POST /_sandbox/faults``); returns its id."""
        return str(self._call("POST", "faults", json=fault)["id"])

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "faults")
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def set_clock(self, offset_seconds: float) -> None:
        self._call("POST", "clock", json={"offset_seconds": offset_seconds})

    def set_world(self, world: World | dict[str, Any] | str | Path) -> None:
        """Replace the world with a World, a dict, TOML/JSON text or a file path."""
        if isinstance(world, World):
            body = json.dumps(world.model_dump(mode="json"))
        elif isinstance(world, dict):
            body = json.dumps(world)
        elif isinstance(world, Path) or (
            isinstance(world, str) and "\n" not in world and Path(world).is_file()
        ):
            body = Path(world).read_text(encoding="utf-8")
        else:
            body = world
        try:
            self._call(
                "POST", "world", content=body.encode("utf-8"), headers={"content-type": "application/toml"}
            )
        except SandboxError as exc:
            raise WorldError(exc.key or "", str(exc).split(": ", 1)[-1] if exc.key else str(exc)) from None

    def world(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "world")
        return result

    def expire_tokens(self) -> int:
        return int(self.expire_tokens_at()["expired"])

    def expire_tokens_at(self) -> dict[str, Any]:
        """Expire every token; ``{"expired": n, "ts": t}`` with ``t`` the sandbox-clock moment it
        took effect (the request log's ``ts`` scale), for callers that line events up with the log."""
        result: dict[str, Any] = self._call("POST", "tokens/expire")
        return result

    def revoke(
        self,
        *,
        refresh_token: str | None = None,
        selling_partner_id: str | None = None,
        application_id: str | None = None,
    ) -> int:
        """Revoke matching seller authorizations in place (tokens already issued then fail as revoked)."""
        body = {
            k: v
            for k, v in (
                ("refresh_token", refresh_token),
                ("selling_partner_id", selling_partner_id),
                ("application_id", application_id),
            )
            if v is not None
        }
        return int(self._call("POST", "revoke", json=body)["revoked"])

    def notifications(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "notifications")
        return result

    def clear_notifications(self) -> None:
        self._call("DELETE", "notifications")

    def reset(self) -> None:
        """Back to the loaded world; log, faults, clock, tokens and notifications cleared."""
        self._call("POST", "reset")


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket with a deep backlog (load tests open many connections at once)."""
    return serving.bind_socket(host, port, backlog=2048)


def make_server(
    app: Any,
    *,
    on_started: Callable[[], None] | None = None,
    access_log: bool = False,
    http: str = "h11",
    log_level: str = "warning",
) -> Any:
    """A uvicorn Server for ``app`` whose ``on_started`` runs once it accepts connections."""
    return serving.make_server(
        app,
        on_started=on_started,
        access_log=access_log,
        log_level=log_level,
        http=http,
        timeout_keep_alive=30,
        date_header=False,
    )


@contextlib.contextmanager
def run_sandbox(
    world: World | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[SandboxHandle]:
    """Serve a sandbox in a background thread; yields a ``SandboxHandle`` once it accepts connections.

    >>> with run_sandbox() as sb:  # doctest: +SKIP
    ...     httpx.post(sb.url + "/api.amazon.com/auth/o2/token", json={...})
    """
    from amzauth.sandbox.app import create_app

    app = create_app(world, bind_host=host)
    sock = bind_socket(host, port)
    with serving.serve_in_thread(lambda started: make_server(app, on_started=started), sock, name="sandbox"):
        handle = SandboxHandle(socket_url(sock), app=app)
        try:
            yield handle
        finally:
            handle.close()
