"""Plain data for the templates: doctor reports, catalogue entries and products, made page-ready.

Pure functions over the contract JSON and models, so the pages show exactly what the CLI shows.
Nothing here marks text as safe: the templates autoescape everything, Amazon's words included,
and links are only ever ``http(s)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from amzauth.config.profiles import SECRET_KEYS

STEP_TITLES: Final = {"config": "Profile", "token": "Token", "api": "API call"}
FIELD_LABELS: Final = {
    "credential_version": "Credential version",
    "credential_family": "Credential family",
    "version_source": "Version from",
    "client_id": "Client ID",
    "secret_format": "Secret format",
    "token_endpoint": "Token endpoint",
    "grant_type": "Grant type",
    "scope": "Scope",
    "body_format": "Body format",
    "client_auth": "Client authentication",
    "authorization_header": "Authorization header",
    "marketplace": "Marketplace",
    "region": "Region",
    "http_status": "Token HTTP status",
    "error": "OAuth error",
    "error_description": "Error description",
    "request_id": "Request ID",
    "token_cached": "Token from cache",
    "token_expires_in": "Token expires in (s)",
    "clock_skew_seconds": "Clock skew (s)",
    "api_endpoint": "API endpoint",
    "api_status": "API HTTP status",
    "latency_ms": "Latency (ms)",
}
# Diagnosis fields the console can set with one click (non-secret profile keys).
APPLICABLE_FIELDS: Final = frozenset(
    {
        "credential_version",
        "scope",
        "grant_type",
        "auth_endpoint",
        "api_endpoint",
        "marketplace",
        "partner_tag",
        "region",
        "redirect_uri",
        "application_id",
        "client_id",
    }
)


def safe_url(url: object) -> str | None:
    """The URL when it is http(s) with a host, else None: autoescaping does not stop ``javascript:``."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def show(value: Any) -> str:
    """One report value as text: null is an em dash, booleans are yes/no, lists joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass(frozen=True, slots=True)
class StepView:
    step: str
    title: str
    state: str  # ok | failed | skipped
    detail: str


def step_views(doc: Mapping[str, Any]) -> list[StepView]:
    out: list[StepView] = []
    for s in doc.get("steps") or ():
        state = "skipped" if s.get("skipped") and not s.get("ok") else ("ok" if s.get("ok") else "failed")
        if s.get("skipped") and s.get("ok"):
            state = "ok"
        name = str(s.get("step"))
        out.append(StepView(name, STEP_TITLES.get(name, name), state, str(s.get("detail") or "")))
    return out


def field_rows(doc: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, value) for every field of the report, contract keys first, extras after."""
    fields = doc.get("fields") or {}
    keys = [k for k in FIELD_LABELS if k in fields] + sorted(k for k in fields if k not in FIELD_LABELS)
    return [(k, FIELD_LABELS.get(k, k.replace("_", " ").capitalize()), show(fields[k])) for k in keys]


def suggestion(doc: Mapping[str, Any], table: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(field, value) the Apply button would set, when the diagnosis has one the console can apply."""
    diag = doc.get("diagnosis")
    if not isinstance(diag, Mapping):
        return None
    fld, value = diag.get("field"), diag.get("suggested_value")
    if not isinstance(fld, str) or value is None or fld not in APPLICABLE_FIELDS or fld in SECRET_KEYS:
        return None
    if table is not None and str(table.get(fld, "")) == str(value):
        return None
    return fld, str(value)


def badge(doc: Mapping[str, Any] | None) -> tuple[str, str]:
    """(css state, text) of a profile's health badge from its last report."""
    if doc is None:
        return "unknown", "not tested"
    if doc.get("ok"):
        return "ok", "passing"
    diag = doc.get("diagnosis") or {}
    code = diag.get("code") or "failed"
    cause = diag.get("cause")
    return "failed", f"failing: {code}" + (f" ({cause})" if cause and cause != code else "")


def report_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


def stars(rating: float | None) -> str:
    """A text star bar (the number is shown beside it for screen readers)."""
    if rating is None:
        return ""
    full = int(rating)
    half = rating - full >= 0.5
    return "★" * full + ("½" if half else "") + "☆" * (5 - full - (1 if half else 0))


def price_text(item: Any) -> str | None:
    if getattr(item, "price_display", None):
        return str(item.price_display)
    price, cur = getattr(item, "price", None), getattr(item, "currency", None)
    if price is None:
        return None
    return f"{price:,.2f} {cur}" if cur else f"{price:,.2f}"
