"""``amzauth site serve`` and ``amzauth site warm``: the site kit's ASGI app and cache filler.

``serve`` prints ``site listening on http://HOST:PORT`` as its first stdout line. ``warm`` reads
ASINs or Amazon product URLs (arguments and/or ``--file``, one a line, ``#`` comments) and fills
the product cache in getItems batches of 10; ``--json`` prints ``{"items", "requests", "errors"}``
(``requests`` = getItems calls sent to Amazon), otherwise a progress bar and a summary.
Exit codes per the CLI contract: 2 bad input or profile, 1 Amazon refused every item, 3 network.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from amzauth.cli._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOpt,
    DebugOpt,
    JsonOpt,
    ProfileOpt,
    check_port,
    emit_json,
    escape,
    fail,
    read_lines,
    serve_until_interrupted,
)

if TYPE_CHECKING:
    from amzauth.site import SiteKit

site_app = typer.Typer(
    name="site", help="Site kit: serve product blocks, warm the product cache.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(site_app, name="site")


def _kit(profile: str | None, config: str | None, json_out: bool) -> SiteKit:
    from amzauth.cli.cmd_creators import _fail_for

    try:
        from amzauth.site import SiteKit
    except ImportError as exc:
        fail(f"the site kit needs its extra: pip install 'amzauth[site]' ({exc.name} is missing)", EXIT_USAGE)
    try:
        return SiteKit.from_profile(profile, config)
    except Exception as exc:
        _fail_for(exc, json_out)


@site_app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on; 0 picks a free one.")] = 8767,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request on stderr.")] = False,
) -> None:
    """Serve the site kit's ASGI app (boxes, lists, tables, search, embed.js) until Ctrl-C."""
    from amzauth.site.asgi import create_app

    check_port(port)
    kit = _kit(profile, config, False)
    try:
        serve_until_interrupted("site", create_app(kit), host, port, access_log=access_log)
    finally:
        kit.close()


def _read_inputs(values: list[str], file: Path | None, json_out: bool) -> list[str]:
    lines = [v for v in values if v.strip()]
    if file is not None:
        lines += [text for _, text in read_lines(str(file), json_out)]
    return lines


@site_app.command("warm")
def warm(
    inputs: Annotated[
        list[str] | None, typer.Argument(help="ASINs or Amazon product URLs.", show_default=False)
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A file with one ASIN or product URL a line.")
    ] = None,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Fill the product cache (getItems in batches of 10; cached items cost no request)."""
    from amzauth.cli.cmd_creators import _fail_for
    from amzauth.creators import InvalidInput
    from amzauth.site.urls import parse_asin

    raw = _read_inputs(inputs or [], file, json_out)
    if not raw:
        fail("give ASINs or product URLs, or --file FILE", EXIT_USAGE, as_json=json_out)
    asins: list[str] = []
    errors: list[dict[str, Any]] = []
    for text in raw:
        try:
            asins.append(parse_asin(text))
        except InvalidInput as exc:
            errors.append({"input": text, "code": exc.code, "message": str(exc)})
    asins = list(dict.fromkeys(asins))
    if not asins:
        if json_out:
            emit_json({"items": 0, "requests": 0, "errors": errors})
        else:
            fail(escape(errors[0]["message"]), EXIT_USAGE)
        raise typer.Exit(EXIT_USAGE)
    kit = _kit(profile, config, json_out)
    try:
        result = kit.warm(asins) if json_out else _with_progress(kit, asins)
    except Exception as exc:
        if debug:
            raise
        kit.close()
        _fail_for(exc, json_out)
    kit.close()
    errors += [{"asin": e.asin, "code": e.code, "message": e.message} for e in result.errors]
    if json_out:
        emit_json({"items": len(result.items), "requests": result.requests, "errors": errors})
    else:
        out = sys.stdout
        out.write(f"warmed {len(result.items)} item(s) with {result.requests} getItems request(s)\n")
        for e in errors:
            out.write(f"  {e.get('asin') or e.get('input')}: {e['code']} — {e['message']}\n")
    if not result.items:
        raise typer.Exit(EXIT_FAILED)


def _with_progress(kit: SiteKit, asins: list[str]) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from amzauth.cli._common import err_console

    with Progress(
        TextColumn("warming"), BarColumn(), MofNCompleteColumn(), console=err_console(), transient=True
    ) as bar:
        task = bar.add_task("warm", total=len(asins))

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return kit.warm(asins, progress)
