"""A faithful local stand-in for Amazon's auth and API endpoints (see ``docs/sandbox.md``).

``run_sandbox()`` serves it in a background thread for tests; ``create_app()`` gives the ASGI app;
``amzauth sandbox`` serves it from the command line. Heavy imports (uvicorn) happen on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from amzauth._lazy import lazy_exports
from amzauth.sandbox.world import World, WorldError, demo_world, load_world

if TYPE_CHECKING:
    from amzauth.sandbox.app import SandboxApp, create_app
    from amzauth.sandbox.server import SandboxError, SandboxHandle, run_sandbox

__all__ = [
    "SandboxApp",
    "SandboxError",
    "SandboxHandle",
    "World",
    "WorldError",
    "create_app",
    "demo_world",
    "load_world",
    "run_sandbox",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "SandboxApp": "amzauth.sandbox.app",
        "create_app": "amzauth.sandbox.app",
        "SandboxError": "amzauth.sandbox.server",
        "SandboxHandle": "amzauth.sandbox.server",
        "run_sandbox": "amzauth.sandbox.server",
    },
)
