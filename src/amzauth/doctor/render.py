"""The doctor's human view: a step diagram, the fields table and the diagnosis box, on one screen."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

MARK = {"ok": ("✔", "green"), "fail": ("✘", "red"), "skip": ("·", "dim")}


def _step_mark(step: dict[str, Any]) -> tuple[str, str]:
    if step["skipped"] and not step["ok"]:
        return MARK["skip"]
    return MARK["ok"] if step["ok"] else MARK["fail"]


def step_diagram(report: dict[str, Any]) -> Text:
    """``✔ config ──▶ ✘ token ──▶ · api``"""
    text = Text()
    for i, step in enumerate(report["steps"]):
        mark, style = _step_mark(step)
        if i:
            text.append(" ──▶ ", style="dim")
        text.append(f"{mark} {step['step']}", style=f"bold {style}")
    return text


def fields_table(report: dict[str, Any]) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("field", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    fields = report["fields"]
    diag = report.get("diagnosis") or {}
    for key, value in fields.items():
        if value is None or value == [] or key in ("overrides",):
            continue
        style = "bold yellow" if key == diag.get("field") else ""
        table.add_row(key, Text(str(value), style=style))
    if fields.get("overrides"):
        table.add_row("overrides", Text(", ".join(fields["overrides"]), style="yellow"))
    return table


def diagnosis_box(diag: dict[str, Any], *, title: str | None = None, style: str = "red") -> Panel:
    lines = Text()
    lines.append(f"{diag['summary']}\n", style="bold")
    lines.append("code ", style="dim")
    lines.append(f"{diag['code']}", style="bold")
    lines.append("   cause ", style="dim")
    lines.append(f"{diag['cause']}")
    lines.append("   change ", style="dim")
    lines.append(f"{diag['field']}", style="bold yellow")
    if diag.get("suggested_value"):
        lines.append(" → ", style="dim")
        lines.append(f"{diag['suggested_value']}", style="bold green")
    lines.append("   retryable ", style="dim")
    lines.append("yes" if diag["retryable"] else "no")
    lines.append("\n")
    for i, step in enumerate(diag.get("fix") or [], 1):
        lines.append(f"\n{i}. {step}")
    return Panel(lines, title=title or "diagnosis", title_align="left", border_style=style)


def render_report(report: dict[str, Any], console: Console) -> None:
    """Print the whole report for people."""
    head = Text()
    head.append("amzauth doctor ", style="bold")
    head.append(f"profile {report['profile']}", style="cyan")
    if report.get("api"):
        head.append(f" · {report['api']}", style="dim")
    head.append("   ")
    head.append("PASS" if report["ok"] else "FAIL", style="bold green" if report["ok"] else "bold red")
    parts: list[Any] = [head, step_diagram(report)]
    for step in report["steps"]:
        mark, style = _step_mark(step)
        parts.append(
            Text(f"  {mark} {step['step']:<7} {step['detail']}", style=style if style != "green" else "")
        )
    parts.append(Text(""))
    parts.append(fields_table(report))
    console.print(Group(*parts))
    if report.get("diagnosis"):
        console.print(diagnosis_box(report["diagnosis"]))
    for w in report.get("warnings") or []:
        console.print(diagnosis_box(w, title="warning", style="yellow"))
