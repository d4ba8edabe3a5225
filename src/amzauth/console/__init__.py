"""The web console (``amzauth console``): profiles, Test Connection, product preview, seller authorization.

``create_app(config_path=...)`` gives the ASGI app; ``run_console()`` serves it in a background
thread (tests, notebooks); ``serve_console()`` in the foreground (the CLI). FastAPI and uvicorn are
imported only when one of these is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from amzauth._lazy import lazy_exports

if TYPE_CHECKING:
    from amzauth.console.app import create_app
    from amzauth.console.server import ConsoleHandle, run_console, serve_console

__all__ = ["ConsoleHandle", "create_app", "run_console", "serve_console"]

__getattr__ = lazy_exports(
    __name__,
    {
        "create_app": "amzauth.console.app",
        "ConsoleHandle": "amzauth.console.server",
        "run_console": "amzauth.console.server",
        "serve_console": "amzauth.console.server",
    },
)
