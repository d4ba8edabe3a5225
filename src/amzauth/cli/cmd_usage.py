"""``amzauth usage``: what a profile's credential spent — today's quota as a bar, the last hours as a
small chart (text only, so it reads without colour), or the whole record with ``--json``."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from amzauth.cli._common import (
    EXIT_USAGE,
    ConfigOpt,
    DebugOpt,
    JsonOpt,
    ProfileOpt,
    config_fields,
    emit_json,
    escape,
    fail,
)

HoursOpt = Annotated[int, typer.Option("--hours", min=1, max=24, help="Hours of the chart (1-24).")]
BLOCKS = " ▁▂▃▄▅▆▇█"
BAR_WIDTH = 30


def register(app: typer.Typer) -> None:
    app.command("usage")(usage)


def usage(
    hours: HoursOpt = 3,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show the profile's usage: quota used today, requests, 429s, cache and token figures."""
    from amzauth.config import ConfigError, load_profile
    from amzauth.creators.usage import usage_report

    try:
        prof = load_profile(profile, config)
        report = usage_report(prof, hours=hours)
    except ConfigError as exc:
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra={"code": "config", **config_fields(exc)})
    except ValueError as exc:  # an unknown store kind
        fail(escape(str(exc)), EXIT_USAGE, as_json=json_out, extra={"code": "config", "key": "store"})
    doc = report.as_dict()
    if json_out:
        emit_json(doc)
        return
    from amzauth.cli._common import out_console

    out_console().print("\n".join(render_lines(doc, hours)), markup=False)
    _ = debug


def quota_bar(used: int, daily: int | None, width: int = BAR_WIDTH) -> str:
    """``[#####.....] 120 / 8640 used (1%), 8520 left`` — characters, not colour, carry the figure."""
    if not daily:
        return f"{used} used today (no daily cap)"
    share = min(1.0, used / daily)
    full = round(share * width)
    return f"[{'█' * full}{'░' * (width - full)}] {used} / {daily} used ({share:.0%}), {max(0, daily - used)} left"


def sparkline(values: list[int]) -> str:
    """One block character per value, scaled to the largest (blank for zero)."""
    peak = max(values, default=0)
    if peak <= 0:
        return "·" * len(values)
    return "".join(BLOCKS[0 if v == 0 else max(1, round(v / peak * (len(BLOCKS) - 1)))] for v in values)


def _hm(t: float) -> str:
    return time.strftime("%H:%M", time.gmtime(t))


def _pairs(d: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "-"


def render_lines(doc: dict[str, Any], hours: int) -> list[str]:
    """The human view of ``amzauth usage --json``'s document."""
    from amzauth.engine.usage import Point, downsample

    q, t = doc["quota"], doc["today"]
    rate = f"{q['rate']:g} req/s, burst {q['burst']}" if q.get("rate") else "-"
    last = (
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(doc['last_429']))} UTC"
        + (f" (Retry-After {doc['last_429_retry_after']:g} s)" if doc.get("last_429_retry_after") else "")
        if doc.get("last_429")
        else "none recorded"
    )
    ratio = f" ({t['hit_ratio']:.0%} hits)" if t["hit_ratio"] is not None else ""
    hits, misses = sum(t["cache_hits"].values()), sum(t["cache_misses"].values())
    kinds = sorted(set(t["cache_hits"]) | set(t["cache_misses"]))
    by_kind = ", ".join(f"{k} {t['cache_hits'].get(k, 0)}/{t['cache_misses'].get(k, 0)}" for k in kinds)
    points = [Point(*row) for row in doc["minutes"]]
    step = 10 if hours > 2 else 5
    grouped = downsample(points, step)
    reqs = [p.requests for p in grouped]
    throttled = [p.throttled for p in grouped]
    lines = [
        f"usage of profile {doc['profile']!r} (credential {doc['credential']}, {doc['store']} store), "
        f"{doc['day']} UTC",
        f"quota today  {quota_bar(q['used_today'], q['daily'])}",
        f"rate limit   {rate}",
        f"requests     {t['requests']} today: 429 {t['throttled']}, retries {t['retries']}; last 429: {last}",
        f"cache        hits {hits} / misses {misses}{ratio}"
        + (f"; hits/misses by kind: {by_kind}" if kinds else ""),
        f"tokens       {_pairs(t['tokens'])}",
        f"errors       {_pairs(t['errors'])}",
        f"last {hours} h, requests per {step} min (peak {max(reqs, default=0)}):",
        f"  {sparkline(reqs)}",
    ]
    if any(throttled):
        lines += [f"429s per {step} min (peak {max(throttled)}):", f"  {sparkline(throttled)}"]
    if grouped:
        width = len(grouped)
        start, end = _hm(grouped[0].start), _hm(grouped[-1].start)
        lines.append(f"  {start}{' ' * max(1, width - len(start) - len(end))}{end} UTC")
    return lines
