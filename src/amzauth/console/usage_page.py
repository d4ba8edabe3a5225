"""The console's Usage page (one router): a profile's figures as server-drawn SVG charts.

No build step and no script: each chart is plain SVG made here, with a text title and description,
bars told apart by pattern and label as well as colour, and a table with the same numbers beside it,
so it reads without colour, with a screen reader and at 375 px. ``/metrics`` (Prometheus text) is
served only when the console runs with ``AMZAUTH_CONSOLE_METRICS=1``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from amzauth.engine.usage import Point, UsageReport, downsample

W, H = 400, 170  # the viewBox (small, so its 12-13 px text stays readable on a 375 px screen)
PAD_L, PAD_R, PAD_T, PAD_B = 40, 6, 14, 26


@dataclass(frozen=True)
class Chart:
    """One chart: an id, a caption, the SVG and the rows of its text alternative."""

    id: str
    caption: str
    svg: Markup
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _hm(t: float) -> str:
    return time.strftime("%H:%M", time.gmtime(t))


def bar_svg(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    unit: str = "",
    top: float | None = None,
    pattern: str = "solid",
) -> Markup:
    """Vertical bars with a labelled axis (0, peak) and first/last time labels. Pure."""
    n = max(1, len(values))
    peak = max(values, default=0.0)
    scale_top = top if top is not None else (peak or 1.0)
    inner_w, inner_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    bw = inner_w / n

    def fmt(v: float) -> str:
        return f"{v:.0f}{unit}" if unit == "%" else f"{v:g}{unit}"

    desc = (
        f"{title}. Peak {fmt(peak)}; {len(values)} bars from {labels[0]} to {labels[-1]} UTC."
        if labels
        else title
    )
    fill = f"url(#{chart_id}-hatch)" if pattern == "hatch" else "currentColor"
    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="currentColor" stroke-width="3"/></pattern></defs>',
        f'<line x1="{PAD_L}" y1="{PAD_T + inner_h}" x2="{W - PAD_R}" y2="{PAD_T + inner_h}" stroke="#555"/>',
        f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{PAD_T + inner_h}" stroke="#555"/>',
        f'<text x="{PAD_L - 4}" y="{PAD_T + inner_h}" text-anchor="end" font-size="13" fill="#222">0</text>',
        f'<text x="{PAD_L - 4}" y="{PAD_T + 10}" text-anchor="end" font-size="13" fill="#222">'
        f"{escape(fmt(scale_top))}</text>",
    ]
    for i, v in enumerate(values):
        h = 0.0 if scale_top <= 0 else min(1.0, v / scale_top) * inner_h
        if h > 0:
            x = PAD_L + i * bw
            parts.append(
                f'<rect x="{x + bw * 0.1:.2f}" y="{PAD_T + inner_h - h:.2f}" width="{max(0.5, bw * 0.8):.2f}" '
                f'height="{h:.2f}" fill="{fill}" stroke="currentColor" stroke-width="0.5"/>'
            )
    if labels:
        y = H - 8
        parts.append(f'<text x="{PAD_L}" y="{y}" font-size="13" fill="#222">{escape(labels[0])}</text>')
        parts.append(
            f'<text x="{W - PAD_R}" y="{y}" text-anchor="end" font-size="13" fill="#222">'
            f"{escape(labels[-1])} UTC</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def quota_svg(used: int, daily: int | None) -> Markup:
    """A horizontal bar: used (hatched) and left (open), each with its number written in. Pure."""
    if not daily:
        text = f"{used} requests today; no daily cap"
        return Markup(
            f'<svg class="chart quota" viewBox="0 0 {W} 40" role="img" aria-label="{escape(text)}" '
            f'xmlns="http://www.w3.org/2000/svg"><text x="4" y="26" font-size="16" fill="#222">'
            f"{escape(text)}</text></svg>"
        )
    share = min(1.0, used / daily)
    left = max(0, daily - used)
    w = (W - 8) * share
    label = f"Quota today: {used} of {daily} used ({share:.0%}), {left} left"
    return Markup(
        f'<svg class="chart quota" viewBox="0 0 {W} 56" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<defs><pattern id="quota-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="currentColor" stroke-width="3"/></pattern></defs>'
        f'<rect x="4" y="4" width="{W - 8}" height="24" fill="#fff" stroke="#333"/>'
        f'<rect x="4" y="4" width="{w:.2f}" height="24" fill="url(#quota-hatch)" stroke="#333"/>'
        f'<text x="4" y="48" font-size="14" fill="#222">used {used} ({share:.0%})</text>'
        f'<text x="{W - 4}" y="48" text-anchor="end" font-size="14" fill="#222">left {left}</text></svg>'
    )


def step_for(hours: int) -> int:
    """Minutes per bar: about 36-60 bars whatever the span."""
    return 5 if hours <= 3 else 15 if hours <= 12 else 30


def charts(report: UsageReport, hours: int) -> list[Chart]:
    """The page's charts and their tables, from the report. Pure."""
    step = step_for(hours)
    pts: list[Point] = downsample(report.minutes, step)
    labels = [_hm(p.start) for p in pts]
    ratio = [(100.0 * p.hits / (p.hits + p.misses)) if p.hits + p.misses else 0.0 for p in pts]
    per = f"per {step} min"
    out = [
        Chart(
            "requests",
            f"Requests to Amazon {per}",
            bar_svg("requests", f"Requests to Amazon {per}", labels, [p.requests for p in pts]),
            ("From (UTC)", "Requests", "429s"),
            [
                (lbl, str(p.requests), str(p.throttled))
                for lbl, p in zip(labels, pts, strict=True)
                if p.requests
            ],
        ),
        Chart(
            "throttled",
            f"429 Too Many Requests {per} (hatched)",
            bar_svg("throttled", f"429 answers {per}", labels, [p.throttled for p in pts], pattern="hatch"),
            ("From (UTC)", "429s"),
            [(lbl, str(p.throttled)) for lbl, p in zip(labels, pts, strict=True) if p.throttled],
        ),
        Chart(
            "cache",
            f"Cache hit ratio {per}",
            bar_svg("cache", f"Cache hit ratio {per}", labels, ratio, unit="%", top=100.0),
            ("From (UTC)", "Hits", "Misses", "Hit ratio"),
            [
                (lbl, str(p.hits), str(p.misses), f"{r:.0f}%")
                for lbl, p, r in zip(labels, pts, ratio, strict=True)
                if p.hits + p.misses
            ],
        ),
    ]
    days = report.days
    day_labels = [time.strftime("%m-%d", time.gmtime(p.start)) for p in days]
    out.append(
        Chart(
            "days",
            "Requests per day (30 days)",
            bar_svg("days", "Requests per day, last 30 days", day_labels, [p.requests for p in days]),
            ("Day (UTC)", "Requests", "429s", "Cache hits", "Cache misses"),
            [
                (lbl, str(p.requests), str(p.throttled), str(p.hits), str(p.misses))
                for lbl, p in zip(day_labels, days, strict=True)
                if p.requests or p.hits or p.misses
            ],
        )
    )
    return out


def page_context(report: UsageReport, hours: int) -> dict[str, Any]:
    doc = report.as_dict()
    q = doc["quota"]
    last = doc["last_429"]
    return {
        "doc": doc,
        "hours": hours,
        "quota_svg": quota_svg(q["used_today"], q["daily"]),
        "charts": charts(report, hours),
        "last_429": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(last)) if last else None,
    }


def metrics_enabled() -> bool:
    return os.environ.get("AMZAUTH_CONSOLE_METRICS", "").strip().lower() in ("1", "on", "true", "yes")


def router(render: Callable[..., HTMLResponse]) -> APIRouter:
    """The Usage page (and ``/metrics`` when enabled); ``render`` is the console's page renderer."""
    r = APIRouter()

    @r.get("/profiles/{name}/usage", response_class=HTMLResponse)
    async def usage_page(request: Request, name: str, hours: int = 24) -> Response:
        from amzauth.config import ConfigError, list_profiles, load_profile
        from amzauth.creators.usage import usage_report

        hours = hours if hours in (1, 3, 6, 12, 24) else 24
        path = str(request.app.state.console.profiles.path)
        try:
            known = await run_in_threadpool(list_profiles, path)
            if name not in known:
                raise HTTPException(404, f"No profile named {name!r} in {path}.")
            prof = await run_in_threadpool(load_profile, name, path)
            report = await run_in_threadpool(lambda: usage_report(prof, hours=hours))
        except (ConfigError, ValueError) as exc:  # a profile that cannot be read, an unknown store kind
            raise HTTPException(400, str(exc)) from None
        return render(
            request,
            "usage.html",
            title=f"Usage: {name}",
            nav="profiles",
            name=name,
            **page_context(report, hours),
        )

    if metrics_enabled():

        @r.get("/metrics")
        async def metrics(request: Request) -> Response:
            from amzauth.metrics import CONTENT_TYPE, scrape

            path = str(request.app.state.console.profiles.path)
            body = await run_in_threadpool(scrape, path)
            return Response(body, media_type=CONTENT_TYPE)

    return r
