"""``amzauth.metrics``: the usage record as Prometheus metrics and OpenTelemetry instruments.

Both exporters read the same figures (:func:`figures`, one list per profile), taken from the shared
usage record at collection time, so a scrape of any process shows the whole fleet's numbers. The
figures are gauges of the current UTC day (they restart at midnight, like Amazon's daily quota)
plus the credential's limits and the time of its last 429.

- Prometheus (extra ``prometheus``): :func:`scrape` gives the text format, :func:`asgi_app` an ASGI
  app to mount at ``/metrics`` (the console serves it with ``AMZAUTH_CONSOLE_METRICS=1``).
- OpenTelemetry (extra ``otel``): :func:`instrument` registers observable gauges on a meter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from amzauth.engine.usage import UsageReport, by_part, total

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
CACHE_FOR: Final = 1.0  # seconds one reading of the record serves (every instrument of a collection)


@dataclass(frozen=True)
class Figure:
    """One sample: metric name, help text, labels and value."""

    name: str
    help: str
    labels: tuple[tuple[str, str], ...]
    value: float


# name -> help; the order in which they are exported
HELP: Final[dict[str, str]] = {
    "amzauth_requests_today": "Requests answered by Amazon today (UTC), by operation and HTTP status",
    "amzauth_throttled_today": "429 Too Many Requests answers today (UTC)",
    "amzauth_retries_today": "Retries scheduled today (UTC), by operation",
    "amzauth_cache_hits_today": "Cache hits today (UTC), by kind (search, items, variations, browse, site)",
    "amzauth_cache_misses_today": "Cache misses today (UTC), by kind",
    "amzauth_tokens_today": "Token requests today (UTC), by outcome (ok or the error code)",
    "amzauth_errors_today": "Failures today (UTC), by the code amzauth explain knows",
    "amzauth_quota_daily": "The credential's daily request quota (absent: no cap)",
    "amzauth_quota_left_today": "Requests left of today's quota",
    "amzauth_rate_limit_per_second": "The rate the client limiter enforces (requests per second)",
    "amzauth_rate_limit_burst": "The burst the client limiter allows",
    "amzauth_last_429_timestamp_seconds": "When Amazon last answered 429 (Unix time)",
}


def figures(report: UsageReport) -> list[Figure]:
    """Every sample of one profile's report. Pure."""
    base = (("profile", report.profile or ""), ("credential", report.cred))
    today = report.today
    out: list[Figure] = []

    def add(name: str, value: float, **labels: str) -> None:
        out.append(Figure(name, HELP[name], base + tuple(labels.items()), float(value)))

    for key, n in by_part(today, "req:").items():
        op, _, status = key.rpartition(":")
        add("amzauth_requests_today", n, operation=op, status=status)
    add("amzauth_throttled_today", total(today, "req:", ":429"))
    for op, n in by_part(today, "retry:").items():
        add("amzauth_retries_today", n, operation=op)
    for kind, n in by_part(today, "hit:").items():
        add("amzauth_cache_hits_today", n, kind=kind)
    for kind, n in by_part(today, "miss:").items():
        add("amzauth_cache_misses_today", n, kind=kind)
    for outcome, n in by_part(today, "token:").items():
        add("amzauth_tokens_today", n, outcome=outcome)
    for code, n in by_part(today, "err:").items():
        add("amzauth_errors_today", n, code=code)
    if report.daily_quota is not None:
        add("amzauth_quota_daily", report.daily_quota)
        add("amzauth_quota_left_today", report.quota_left or 0)
    if report.meta.get("rate"):
        add("amzauth_rate_limit_per_second", float(report.meta["rate"]))
    if report.meta.get("burst"):
        add("amzauth_rate_limit_burst", float(report.meta["burst"]))
    if report.meta.get("last_429"):
        add("amzauth_last_429_timestamp_seconds", float(report.meta["last_429"]))
    return out


class Source:
    """The profiles whose figures are exported, read at most once per ``CACHE_FOR`` seconds."""

    def __init__(self, config: str | None = None, profiles: Sequence[str] | None = None) -> None:
        self.config = config
        self.profiles = list(profiles) if profiles is not None else None
        self._mu = threading.Lock()
        self._at = 0.0
        self._figures: list[Figure] = []

    def reports(self) -> list[UsageReport]:
        from amzauth.config import ConfigError, list_profiles, load_profile
        from amzauth.creators.usage import usage_report

        names = self.profiles if self.profiles is not None else list_profiles(self.config)
        out = []
        for name in names:
            try:
                out.append(usage_report(load_profile(name, self.config), hours=1))
            except (ConfigError, ValueError):
                continue  # a broken profile has no figures; the doctor explains it
        return out

    def figures(self) -> list[Figure]:
        with self._mu:
            if time.monotonic() - self._at > CACHE_FOR:
                self._figures = [f for r in self.reports() for f in figures(r)]
                self._at = time.monotonic()
            return list(self._figures)


# -- Prometheus -------------------------------------------------------------------------------------------
def collector(source: Source) -> Any:
    """A prometheus_client collector that reads ``source`` at every scrape."""
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.registry import Collector

    class UsageCollector(Collector):
        def collect(self) -> Iterator[Any]:
            by_name: dict[str, list[Figure]] = {}
            for f in source.figures():
                by_name.setdefault(f.name, []).append(f)
            for name, help_text in HELP.items():
                samples = by_name.get(name)
                if not samples:
                    continue
                fam = GaugeMetricFamily(name, help_text, labels=[k for k, _ in samples[0].labels])
                for f in samples:
                    fam.add_metric([v for _, v in f.labels], f.value)
                yield fam

    return UsageCollector()


def registry(config: str | None = None, profiles: Sequence[str] | None = None) -> Any:
    """A fresh CollectorRegistry holding only the usage collector."""
    from prometheus_client import CollectorRegistry

    reg = CollectorRegistry(auto_describe=False)
    reg.register(collector(Source(config, profiles)))
    return reg


def scrape(config: str | None = None, profiles: Sequence[str] | None = None) -> bytes:
    """The Prometheus text exposition of every profile's figures (or of ``profiles``)."""
    from prometheus_client import generate_latest

    body: bytes = generate_latest(registry(config, profiles))
    return body


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Scope]]
Send = Callable[[Scope], Awaitable[None]]


def asgi_app(
    config: str | None = None, profiles: Sequence[str] | None = None
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app answering GET with the scrape (mount it at ``/metrics``; it is never on by default)."""
    import anyio.to_thread

    reg = registry(config, profiles)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        from prometheus_client import generate_latest

        if scope.get("method") not in ("GET", "HEAD"):
            await send({"type": "http.response.start", "status": 405, "headers": [(b"allow", b"GET, HEAD")]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = await anyio.to_thread.run_sync(generate_latest, reg)
        headers = [(b"content-type", CONTENT_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})

    return app


# -- OpenTelemetry ----------------------------------------------------------------------------------------
def instrument(
    meter_provider: Any = None, config: str | None = None, profiles: Sequence[str] | None = None
) -> list[Any]:
    """Observable gauges (one per figure name) on ``meter_provider`` (default: the global one)."""
    from opentelemetry import metrics as otel

    meter = (meter_provider or otel.get_meter_provider()).get_meter("amzauth")
    source = Source(config, profiles)

    def callback_for(name: str) -> Callable[[Any], Iterable[Any]]:
        def observe(_options: Any) -> Iterable[Any]:
            return [otel.Observation(f.value, dict(f.labels)) for f in source.figures() if f.name == name]

        return observe

    return [
        meter.create_observable_gauge(name, callbacks=[callback_for(name)], description=help_text)
        for name, help_text in HELP.items()
    ]
