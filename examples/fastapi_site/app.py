"""FastAPI example: blocks in a Jinja2 page, plus the site kit's ASGI app mounted at /amazon.

Run against the sandbox (started in-process):  python examples/fastapi_site/app.py --port 8000
Then /, /embed (a plain HTML page with the embed script), /amazon/box/B0SBXUS001, /amazon/search?q=acme+audio, /amazon/embed.js.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from amzauth.site import SiteKit
from amzauth.site.asgi import create_app as site_app
from amzauth.site.jinja import install

HERE = Path(__file__).resolve().parent


def create_app(kit: SiteKit) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    install(templates.env, kit)
    app.mount("/amazon", site_app(kit))

    @app.get("/embed", response_class=HTMLResponse)
    def embed_page() -> HTMLResponse:
        # A plain HTML page (no template): the embed script turns its tagged links into blocks.
        return HTMLResponse((HERE / "static" / "embed.html").read_text(encoding="utf-8"))

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        # A plain (sync) endpoint: FastAPI runs it in a thread, so the page may wait on Amazon
        # for at most the render budget without holding the event loop.
        return templates.TemplateResponse(request, "index.html")

    return app


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from _demo import announce, demo_profile, parse_args

    from amzauth.serving import bind_socket, make_server, serve_foreground, socket_url

    args = parse_args("fastapi_site")
    with demo_profile(args.sandbox, args.cache_dir), SiteKit.from_profile() as kit:
        sock = bind_socket(args.host, args.port)
        url = socket_url(sock)
        server = make_server(create_app(kit), on_started=lambda: announce(url))
        with contextlib.suppress(KeyboardInterrupt):
            serve_foreground(server, sock)


if __name__ == "__main__":
    main()
