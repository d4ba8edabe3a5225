"""One site worker of a fleet, for tests: the site app over a demo client on a shared store.

``python -m tests.site._fleet_worker SANDBOX_URL STORE RATE BURST [SQLITE NAMESPACE]`` where STORE
is a SQLite file path or a redis:// URL (then SQLITE is its fallback file and NAMESPACE its key
prefix). Prints ``listening on URL``.
The visitor's address comes from the CF-Connecting-IP header (both workers are on loopback).
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import uvicorn

from amzauth.creators import RedisResultStore, ResultStore, SQLiteResultStore
from amzauth.site import SiteKit, SiteSettings
from amzauth.site.asgi import create_app
from tests.creators import _world


def main(sandbox_url: str, store_arg: str, rate: str, burst: str) -> None:
    store: ResultStore
    if store_arg.startswith("redis://"):
        store = RedisResultStore(store_arg, sys.argv[6], fallback=SQLiteResultStore(Path(sys.argv[5])))
    else:
        store = SQLiteResultStore(store_arg)
    client = _world.make_client(SimpleNamespace(url=sandbox_url), store)
    settings = SiteSettings(
        visitor_rate=float(rate),
        visitor_burst=int(burst),
        visitor_header="CF-Connecting-IP",
        budget_ms=15_000,
    )
    app = create_app(SiteKit(client, settings, owns_client=True))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")).run(sockets=[sock])


if __name__ == "__main__":
    main(*sys.argv[1:5])
