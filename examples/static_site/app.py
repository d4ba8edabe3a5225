"""Static site example: plain HTML pages (no template, no build step) using the embed script,
served beside the site kit's ASGI app (mounted at /amazon) by one command.

Run against the sandbox (started in-process):  python examples/static_site/app.py --port 8000
Then / (search box, product box, category), /amazon/search?q=acme, /amazon/category/172541.
Localised links are on here (AMZAUTH_SITE_LOCALISE=1, a German tag): a visitor whose CDN sends
``CF-IPCountry: DE`` (or whose browser prefers German) is sent to amazon.de with that tag.
Any static host works the same way: keep the HTML where it is and point the script's src at the
app (`amzauth site serve`), listing the static site's origin in AMZAUTH_SITE_CORS_ORIGINS.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from amzauth.site import SiteKit
from amzauth.site.asgi import create_app as site_app

HERE = Path(__file__).resolve().parent


def create_app(kit: SiteKit) -> Starlette:
    return Starlette(
        routes=[
            Mount("/amazon", app=site_app(kit)),
            Mount("/", app=StaticFiles(directory=HERE / "public", html=True)),
        ]
    )


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from _demo import announce, demo_profile, parse_args

    from amzauth.serving import bind_socket, make_server, serve_foreground, socket_url

    args = parse_args("static_site")
    os.environ.setdefault("AMZAUTH_SITE_LOCALISE", "1")
    os.environ.setdefault("AMZAUTH_SITE_PARTNER_TAGS", "www.amazon.de=demode-21,www.amazon.co.uk=demouk-21")
    with demo_profile(args.sandbox, args.cache_dir), SiteKit.from_profile() as kit:
        sock = bind_socket(args.host, args.port)
        url = socket_url(sock)
        server = make_server(create_app(kit), on_started=lambda: announce(url))
        with contextlib.suppress(KeyboardInterrupt):
            serve_foreground(server, sock)


if __name__ == "__main__":
    main()
