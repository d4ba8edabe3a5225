"""``amzauth search`` and ``amzauth items``: Creators API product data, cached and rate-limited.

Output per docs/reference/cli.md. Bad input (a malformed ASIN, empty keywords, a count out
of range, an unknown marketplace) exits 2 before any request; Amazon saying no exits 1 with one
line naming the reason and the ``amzauth explain`` command; an unreachable endpoint exits 3.
Rate and cache settings are profile keys (``creators_rate``, ``creators_burst``, ``creators_daily``,
``search_ttl``, ``items_ttl``, ``stale_ttl``), so a fleet can also set ``AMZAUTH_CREATORS_RATE`` etc.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from amzauth.cli._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOpt,
    DebugOpt,
    JsonOpt,
    ProfileOpt,
    emit_json,
    escape,
    fail,
    fail_common,
    read_lines,
)

if TYPE_CHECKING:
    from amzauth.creators import CreatorsClient, Item, ItemsResult, SearchResult

T = TypeVar("T")

MarketplaceOpt = Annotated[
    str | None,
    typer.Option("--marketplace", help="Marketplace host or country code (default: the profile's)."),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Ask Amazon even if a cached answer is fresh.")]


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("items")(items)


def _fail_for(exc: BaseException, json_out: bool) -> NoReturn:
    """One line and the contract's exit code for every error a Creators call can raise."""
    from amzauth.creators import CreatorsError, InvalidInput

    if isinstance(exc, InvalidInput):
        fail(
            escape(str(exc)),
            EXIT_USAGE,
            as_json=json_out,
            extra={"code": exc.code, "field": exc.field, "explain": exc.explain},
        )
    fail_common(exc, json_out, token_description=False)
    if isinstance(exc, CreatorsError):
        fail(
            escape(f"{exc} — run `{exc.explain}`"),
            EXIT_FAILED,
            as_json=json_out,
            extra=exc.to_dict(),
        )
    raise exc


def _client(profile: str | None, config: str | None, json_out: bool) -> CreatorsClient:
    from amzauth.config import ConfigError
    from amzauth.creators import CreatorsClient, CreatorsError

    try:
        return CreatorsClient.from_profile(profile, config)
    except (ConfigError, CreatorsError) as exc:
        _fail_for(exc, json_out)


def _using(client: CreatorsClient, call: Callable[[CreatorsClient], T], json_out: bool, debug: bool) -> T:
    """Make one call and close the client; any error exits per the contract (``--debug`` re-raises it)."""
    from amzauth.cli._common import announce_waits

    announce_waits()
    try:
        with client:
            return call(client)
    except Exception as exc:
        if debug:
            raise
        _fail_for(exc, json_out)


def search(
    keywords: Annotated[
        list[str] | None, typer.Argument(help="Search words (joined with spaces).", show_default=False)
    ] = None,
    index: Annotated[
        str | None, typer.Option("--index", help="Search index (category), e.g. Electronics; default All.")
    ] = None,
    count: Annotated[int, typer.Option("--count", help="Items per page, 1 to 10.")] = 10,
    page: Annotated[int, typer.Option("--page", help="Result page, 1 to 10.")] = 1,
    marketplace: MarketplaceOpt = None,
    no_cache: NoCacheOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Search products (Creators API searchItems), cached for 30 minutes."""
    from amzauth.creators import InvalidInput
    from amzauth.creators.wire import keywords_text

    try:
        keywords_text(keywords or [])  # empty keywords: exit 2 before reading any profile
    except InvalidInput as exc:
        _fail_for(exc, json_out)
    result = _using(
        _client(profile, config, json_out),
        lambda c: c.search_items(
            keywords,
            search_index=index,
            item_count=count,
            item_page=page,
            marketplace=marketplace,
            use_cache=not no_cache,
        ),
        json_out,
        debug,
    )
    doc: dict[str, Any] = {
        "items": [i.summary() for i in result.items],
        "total": result.total,
        "cached": result.cached,
        "stale": result.stale,
        "page": page,
        "count": count,
        "marketplace": result.marketplace,
        "search_url": result.search_url,
    }
    if json_out:
        emit_json(doc)
        return
    _search_table(result, page)


def items(
    asins: Annotated[
        list[str] | None, typer.Argument(help="ASINs (10 characters each).", show_default=False)
    ] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="Read ASINs from a file, one a line ('-' for stdin).")
    ] = None,
    marketplace: MarketplaceOpt = None,
    no_cache: NoCacheOpt = False,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Look up products by ASIN (Creators API getItems, 10 per request), cached for 1 hour."""
    from amzauth.creators import InvalidInput
    from amzauth.creators.wire import check_asins

    wanted = list(asins or [])
    if file is not None:
        wanted += _read_asin_file(file, json_out)
    try:
        checked = check_asins(wanted)
    except InvalidInput as exc:
        _fail_for(exc, json_out)
    client = _client(profile, config, json_out)
    result = _using(
        client,
        lambda c: (
            _with_progress(c, checked, marketplace, not no_cache)
            if file is not None
            else c.get_items(checked, marketplace=marketplace, use_cache=not no_cache)
        ),
        json_out,
        debug,
    )
    doc: dict[str, Any] = {
        "items": [i.summary() for i in result.items],
        "errors": [
            {"asin": e.asin, "code": e.code, "message": e.message, "explain": e.explain}
            for e in result.errors
        ],
        "cached": result.cached,
        "stale": result.stale,
        "requests": result.requests,
        "marketplace": client.target(marketplace).marketplace,
    }
    if json_out:
        emit_json(doc)
    else:
        _items_table(result)
    if result.errors and not result.items:
        raise typer.Exit(EXIT_FAILED)


def _read_asin_file(path: str, json_out: bool) -> list[str]:
    """ASINs one a line; blank lines and ``#`` comments skipped; a bad line is named by its number."""
    from amzauth.creators import InvalidInput
    from amzauth.creators.wire import check_asin

    out: list[str] = []
    for n, s in read_lines(path, json_out):
        try:
            out.append(check_asin(s))
        except InvalidInput as exc:
            fail(
                escape(f"{path} line {n}: {exc}"),
                EXIT_USAGE,
                as_json=json_out,
                extra={"code": exc.code, "field": "asins", "line": n},
            )
    return out


def _with_progress(
    client: CreatorsClient, asins: list[str], marketplace: str | None, use_cache: bool
) -> ItemsResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from amzauth.cli._common import err_console

    with Progress(
        TextColumn("items"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        transient=False,
    ) as bar:
        task = bar.add_task("items", total=len(asins))

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return client.get_items(asins, marketplace=marketplace, use_cache=use_cache, progress=progress)


# -- human output ------------------------------------------------------------------------------------
def _price(item: Item) -> str:
    if item.price is None:
        return "-"
    text = item.price_display or f"{item.price:g} {item.currency or ''}".strip()
    if item.savings and item.savings.percent:
        text += f" (-{item.savings.percent:g}%)"
    return text


def _rating(item: Item) -> str:
    if item.rating is None:
        return "-"
    count = f" ({item.review_count:,})" if item.review_count is not None else ""
    return f"{item.rating:g}★{count}"


def _table(rows: list[Item], title: str | None = None) -> Any:
    from rich.table import Table

    table = Table(title=title, show_lines=False, title_justify="left")
    table.add_column("ASIN", no_wrap=True)
    table.add_column("Title / link", overflow="fold", ratio=1)
    table.add_column("Price", no_wrap=True, justify="right")
    table.add_column("Rating", no_wrap=True, justify="right")
    table.add_column("Stock", no_wrap=True)
    for item in rows:
        title_cell = escape(item.title or "-")
        if item.url:
            title_cell += f"\n[dim]{escape(item.url)}[/]"
        flags = " ".join(x for x in ("stale" if item.stale else "", "prime" if item.prime else "") if x)
        stock = (item.availability or "-").replace("_", " ").lower() + (f" [{flags}]" if flags else "")
        table.add_row(item.asin, title_cell, _price(item), _rating(item), escape(stock))
    return table


def _search_table(result: SearchResult, page: int) -> None:
    from amzauth.cli._common import out_console

    console = out_console()
    if not result.items:
        console.print(f"no results (page {page})")
        return
    source = "stale cache (Amazon unavailable)" if result.stale else ("cache" if result.cached else "Amazon")
    console.print(_table(result.items))
    console.print(f"{len(result.items)} of {result.total} results, page {page}, from {source}")


def _items_table(result: ItemsResult) -> None:
    from rich.table import Table

    from amzauth.cli._common import out_console

    console = out_console()
    if result.items:
        console.print(_table(result.items))
    if result.errors:
        errs = Table(title="not returned", title_justify="left")
        errs.add_column("ASIN", no_wrap=True)
        errs.add_column("Code", no_wrap=True)
        errs.add_column("Message", overflow="fold")
        for e in result.errors:
            errs.add_row(e.asin, e.code, escape(e.message))
        console.print(errs)
    cached = sum(1 for i in result.items if i.cached)
    console.print(
        f"{len(result.items)} items, {len(result.errors)} errors; {cached} from cache, "
        f"{result.requests} request{'s' if result.requests != 1 else ''} to Amazon"
    )
