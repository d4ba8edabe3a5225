"""``amzauth explain CODE``: what an Amazon error means, its causes and the setting to change.

Reads the error catalogue only (no profile, no network), so it works offline on any error text a
user pastes: a code, a near miss (``invalid client``, ``md5110``), a status, a message or a JSON body.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer

from amzauth.cli._common import EXIT_USAGE, JsonOpt, emit_json, err_console


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def explain(
    code: Annotated[
        list[str] | None,
        typer.Argument(
            help="Error code, reason, HTTP status or message; several words are joined "
            "(amzauth explain invalid client).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    list_all: Annotated[bool, typer.Option("--list", help="List every code the catalogue knows.")] = False,
) -> None:
    """Explain an error: OAuth codes, Creators API reasons, SP-API codes, consent MD codes, 405/500."""
    from amzauth.catalogue import load_catalogue

    cat = load_catalogue()
    if list_all:
        _list(cat, json_out)
        return
    text = " ".join(code or []).strip()
    if not text:
        _unknown(
            text, [], json_out, "no code given", "usage: amzauth explain CODE (try amzauth explain --list)"
        )
    entry = cat.lookup(text)
    if entry is None:
        group = cat.related(text)
        if len(group) > 1:
            _unknown(
                text,
                group,
                json_out,
                "ambiguous code",
                f"{text!r} covers several codes; name one: {', '.join(group)}",
            )
        suggestions = cat.suggest(text)
        hint = f"; did you mean: {', '.join(suggestions)}" if suggestions else "; see amzauth explain --list"
        _unknown(text, suggestions, json_out, "unknown code", f"unknown code {text!r}{hint}")
    if json_out:
        emit_json(entry.to_explain_json())
        return
    _show(entry)


def _unknown(text: str, suggestions: list[str], json_out: bool, error: str, human: str) -> NoReturn:
    if json_out:
        emit_json({"error": error, "code": text, "suggestions": suggestions})
    err_console().print(f"error: {human}", markup=False, highlight=False)
    raise typer.Exit(EXIT_USAGE)


def _list(cat: Any, json_out: bool) -> None:
    if json_out:
        emit_json(
            {
                "codes": [
                    {"code": e.code, "kind": e.kind, "title": e.title, "causes": list(e.cause_ids)}
                    for e in cat
                ]
            }
        )
        return
    from rich.markup import escape
    from rich.table import Table

    from amzauth.cli._common import out_console

    table = Table(title="amzauth explain: known codes", show_header=True, header_style="bold")
    table.add_column("code", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("title")
    for e in cat:
        table.add_row(escape(e.code), e.kind, escape(e.title))
    out_console().print(table)


def _show(entry: Any) -> None:
    """The human view: title, meaning, wire forms, causes table, fix steps, field and retryability."""
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    con = Console(highlight=False)  # wrapping on: long prose must fold, not be cropped
    status = "/".join(str(s) for s in entry.http_status)
    sub = entry.kind + (f", HTTP {status}" if status else "")
    con.print(
        Panel(
            escape(entry.meaning),
            title=f"[bold]{escape(entry.code)}[/]: {escape(entry.title)}",
            subtitle=escape(sub),
            title_align="left",
            subtitle_align="right",
        )
    )
    if entry.forms:
        con.print("[bold]On the wire[/]")
        _items(con, [(f"{family}:", form) for family, form in entry.forms.items()], indent=2)
        con.print()
    title = "Causes, most likely first" if len(entry.causes) > 1 else "Cause"
    table = Table(title=title, title_justify="left", header_style="bold", show_lines=True, expand=True)
    table.add_column("cause", no_wrap=True)
    table.add_column("field", no_wrap=True)
    table.add_column("what happened [dim](how amzauth tells)[/]", ratio=1)
    for c in entry.causes:
        retry = "\n[green]retryable[/]" if entry.cause_retryable(c) else ""
        table.add_row(
            escape(c.id) + retry,
            escape(c.field),
            f"{escape(c.render_summary())}\n[dim]{escape(c.evidence)}[/]",
        )
    con.print(table)
    con.print("[bold]Fix, by cause (most likely first)[/]" if len(entry.causes) > 1 else "[bold]Fix[/]")
    for c in entry.causes:
        con.print(f"  [bold]{escape(c.id)}[/] [dim](field {escape(c.field)})[/]")
        _items(con, [("-", step) for step in c.render_fix()], indent=4)
    con.print()
    con.print("[bold]Fix[/]")
    _items(con, [(f"{i}.", step) for i, step in enumerate(entry.fix, 1)], indent=2)
    con.print()
    con.print(
        f"[bold]Setting to check first:[/] {escape(entry.field)}    "
        f"[bold]Retry unchanged:[/] {'yes, after a back-off' if entry.retryable else 'no'}"
    )
    if entry.see_also:
        con.print(f"[bold]See also:[/] {escape(', '.join(entry.see_also))}")


def _items(con: Any, rows: list[tuple[str, str]], indent: int) -> None:
    """Print ``label text`` rows with a hanging indent, so wrapped lines stay aligned."""
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for label, text in rows:
        grid.add_row(escape(label), escape(text))
    con.print(Padding(grid, (0, 0, 0, indent), expand=False))
