"""``amzauth sandbox``: serve the local Amazon stand-in in the foreground until interrupted."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from amzauth.cli._common import EXIT_USAGE, check_port, fail, serve_until_interrupted


def register(app: typer.Typer) -> None:
    app.command("sandbox")(sandbox)


def sandbox(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on; 0 picks a free one.")] = 8700,
    world: Annotated[
        str | None, typer.Option("--world", help="World file (TOML); default: the demo world.")
    ] = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request on stderr.")] = False,
) -> None:
    """Serve the sandbox: Amazon URL https://HOST/PATH is served at http://<sandbox>/HOST/PATH."""
    from amzauth.sandbox.app import create_app
    from amzauth.sandbox.server import bind_socket, make_server
    from amzauth.sandbox.world import WorldError, demo_world, load_world
    from amzauth.serving import is_loopback

    check_port(port)
    if world is not None and not Path(world).is_file():
        fail(f"world file {world} does not exist", EXIT_USAGE)
    try:
        loaded = load_world(Path(world)) if world is not None else demo_world()
    except WorldError as exc:
        fail(f"world file {world}: {exc}", EXIT_USAGE)
    if not is_loopback(host):
        sys.stderr.write(
            f"warning: the sandbox on {host} is reachable from other machines, and its control API "
            "(/_sandbox/world) answers every secret of its world; bind 127.0.0.1 unless you mean it\n"
        )
    serve_until_interrupted(
        "sandbox",
        create_app(loaded, bind_host=host),
        host,
        port,
        bind=bind_socket,
        make=make_server,
        access_log=access_log,
        log_level="info" if access_log else "warning",
    )
