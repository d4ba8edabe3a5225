"""Flask example: product blocks in a Flask page through the site kit's Jinja2 extension.

Run against the sandbox (started in-process):  python examples/flask_site/app.py --port 8000
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from flask import Flask, render_template

from amzauth.site import SiteKit
from amzauth.site.jinja import install


def create_app(kit: SiteKit) -> Flask:
    app = Flask(__name__)
    install(app.jinja_env, kit)  # {{ amazon_box(...) }} etc.; one batched lookup per page

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    return app


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from _demo import announce, demo_profile, parse_args
    from werkzeug.serving import make_server

    args = parse_args("flask_site")
    with demo_profile(args.sandbox, args.cache_dir), SiteKit.from_profile() as kit:
        server = make_server(args.host, args.port, create_app(kit), threaded=True)
        announce(f"http://{args.host}:{server.port}")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


if __name__ == "__main__":
    main()
