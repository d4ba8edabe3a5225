"""Django example (a one-file project): the amazon template tags, batched by the middleware.

Run against the sandbox (started in-process):  python examples/django_site/app.py --port 8000
It runs ``manage.py check``'s checks first (the offline doctor on the profile).
"""

from __future__ import annotations

import contextlib
import socketserver
import sys
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

HERE = Path(__file__).resolve().parent


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "index.html")


urlpatterns = [path("", index)]


def configure() -> None:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        SECRET_KEY="example-only-not-a-secret",
        INSTALLED_APPS=["amzauth.contrib.django"],
        MIDDLEWARE=["amzauth.contrib.django.middleware.AmazonBlocksMiddleware"],
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(HERE / "templates")]}
        ],
        AMZAUTH_SITE={"theme": "light"},  # any SiteSettings field; AMZAUTH_PROFILE / AMZAUTH_CONFIG too
    )


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from _demo import announce, demo_profile, parse_args

    args = parse_args("django_site")
    with demo_profile(args.sandbox, args.cache_dir):
        configure()
        import django
        from django.core.management import call_command
        from django.core.wsgi import get_wsgi_application

        django.setup()
        call_command("check", stdout=sys.stderr)
        server = make_server(args.host, args.port, get_wsgi_application(), _Server, _Quiet)
        announce(f"http://{args.host}:{server.server_port}")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


if __name__ == "__main__":
    main()
