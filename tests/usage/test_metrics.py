"""amzauth.metrics: a Prometheus scrape parsed by prometheus_client's own parser, the ASGI route over
real HTTP, and OpenTelemetry readings through the SDK's in-memory reader — all equal to the record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.config import load_profile
from amzauth.creators.usage import usage_report


def _expected(cfg: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """What the record says, as (name, sorted labels) -> value, built from the report's own dict."""
    doc = usage_report(load_profile("default", str(cfg))).as_dict()
    base = (("credential", doc["credential"]), ("profile", "default"))
    t = doc["today"]
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for key, n in t["requests_by_operation_status"].items():
        op, status = key.rsplit(":", 1)
        out[("amzauth_requests_today", tuple(sorted((*base, ("operation", op), ("status", status)))))] = n
    for kind, n in t["cache_hits"].items():
        out[("amzauth_cache_hits_today", tuple(sorted((*base, ("kind", kind)))))] = n
    for kind, n in t["cache_misses"].items():
        out[("amzauth_cache_misses_today", tuple(sorted((*base, ("kind", kind)))))] = n
    for outcome, n in t["tokens"].items():
        out[("amzauth_tokens_today", tuple(sorted((*base, ("outcome", outcome)))))] = n
    out[("amzauth_throttled_today", base)] = t["throttled"]
    out[("amzauth_quota_daily", base)] = doc["quota"]["daily"]
    out[("amzauth_quota_left_today", base)] = doc["quota"]["left_today"]
    out[("amzauth_rate_limit_per_second", base)] = doc["quota"]["rate"]
    return out


def _parsed(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_prometheus_scrape_parses_and_equals_the_record(used_config: Path) -> None:
    from amzauth.metrics import scrape

    got = _parsed(scrape(str(used_config)).decode())
    want = _expected(used_config)
    assert {k: got.get(k) for k in want} == want
    assert sum(v for (name, _), v in want.items() if name == "amzauth_cache_hits_today") >= 1


def test_asgi_route_serves_the_scrape_over_http(used_config: Path) -> None:
    from amzauth.metrics import CONTENT_TYPE, asgi_app
    from amzauth.serving import bind_socket, make_server, serve_in_thread, socket_url

    sock = bind_socket("127.0.0.1", 0)
    app = asgi_app(str(used_config))
    with serve_in_thread(lambda started: make_server(app, on_started=started), sock, name="metrics"):
        url = socket_url(sock) + "/metrics"
        r = httpx.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == CONTENT_TYPE
        assert {k: v for k, v in _parsed(r.text).items() if k in _expected(used_config)} == _expected(
            used_config
        )
        assert httpx.post(url).status_code == 405


def test_opentelemetry_in_memory_reader_sees_the_same_figures(used_config: Path) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from amzauth.metrics import instrument

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    instrument(provider, str(used_config))
    data = reader.get_metrics_data()
    got: dict[Any, float] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                for p in m.data.data_points:
                    got[(m.name, tuple(sorted((k, str(v)) for k, v in p.attributes.items())))] = p.value
    want = _expected(used_config)
    assert {k: got.get(k) for k in want} == want
    provider.shutdown()


def test_console_metrics_route_is_off_by_default_and_on_when_asked(
    used_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amzauth.console import run_console

    with run_console(used_config, no_auth=True) as handle:
        assert httpx.get(handle.url + "/metrics").status_code == 404
    monkeypatch.setenv("AMZAUTH_CONSOLE_METRICS", "1")
    with run_console(used_config, no_auth=True) as handle:
        r = httpx.get(handle.url + "/metrics")
        assert r.status_code == 200
        assert {k: v for k, v in _parsed(r.text).items() if k in _expected(used_config)} == _expected(
            used_config
        )
