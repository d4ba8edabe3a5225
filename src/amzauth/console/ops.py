"""The console's work behind its pages (sync: routes run it in the threadpool): reading profiles,
running the doctor, searching, explaining."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from fastapi import HTTPException

from amzauth.config import ConfigError, Profile, load_profile, profile_from_mapping
from amzauth.config.profiles import SECRET_KEYS, resolve_stored
from amzauth.config.redact import redact_id
from amzauth.console import spapi_flow
from amzauth.console.profiles_file import FIELD_BY_KEY, FIELDS, form_values, secret_display, table_version
from amzauth.console.views import badge, price_text, safe_url
from amzauth.console.web import ConsoleState


def raw_profile(state: ConsoleState, name: str) -> dict[str, Any]:
    try:
        profiles = state.profiles.read()
    except ConfigError as exc:
        raise HTTPException(500, str(exc)) from None
    if name not in profiles:
        raise HTTPException(404, f"No profile named {name!r} in {state.profiles.path}.")
    return profiles[name]


def try_load(state: ConsoleState, name: str | None) -> Profile | None:
    if not name:
        return None
    try:
        return load_profile(name, str(state.profiles.path))
    except ConfigError:
        return None


def flush_tokens(profile: Profile) -> None:
    """Forget cached tokens of a profile (old and new credentials both), ignoring unreachable stores."""
    from amzauth.engine import clear_profile

    with contextlib.suppress(Exception):  # a Redis store that is down must not stop a save
        clear_profile(profile)


def doctor_report(state: ConsoleState, name: str) -> dict[str, Any]:
    """The doctor on a profile, with ``refresh_token = "stored:<seller>"`` resolved from the token store."""
    from amzauth.doctor import run_doctor

    config = str(state.profiles.path)
    try:
        prof = load_profile(name, config)
    except ConfigError:
        doc = run_doctor(profile_name=name, config=config).doc  # the report explains the bad profile
    else:
        doc = doctor_resolved(prof)
    state.reports.set(name, doc)
    return doc


def doctor_resolved(prof: Profile) -> dict[str, Any]:
    from amzauth.doctor import run_doctor

    ref = prof.secret("refresh_token")
    if not (ref and ref.startswith("stored:") and spapi_flow.available()):
        return run_doctor(prof).doc
    from amzauth.config.profiles import resolve_profile

    try:
        return run_doctor(resolve_profile(prof)).doc
    except ConfigError as exc:
        # Nothing stored under that reference: report it at the config step, naming refresh_token.
        doc = run_doctor(prof.replace(refresh_token=None)).doc
        doc["steps"][0]["detail"] = str(exc)
        if doc.get("diagnosis"):
            doc["diagnosis"]["summary"] = str(exc)
            doc["diagnosis"]["fix"] = [
                "Authorize the seller again (Authorize a seller), or fix refresh_token."
            ]
        return doc


def names_for_api(state: ConsoleState, api: str) -> list[str]:
    try:
        profiles = state.profiles.read()
    except ConfigError:
        return []
    return sorted(n for n, t in profiles.items() if t.get("api") == api)


def profile_rows(state: ConsoleState) -> tuple[list[dict[str, Any]], str | None]:
    try:
        profiles = state.profiles.read()
    except ConfigError as exc:
        return [], str(exc)
    rows = []
    for name in sorted(profiles):
        table = profiles[name]
        last = state.reports.get(name)
        problem = None
        try:  # from the table already read: parsing the file again per profile made 400 take 11 s
            resolve_stored(profile_from_mapping(table, name=name, file=str(state.profiles.path), env=True))
        except ConfigError as exc:
            problem = exc.message
        css, text = badge(last.doc if last else None)
        if problem and last is None:
            css, text = "failed", "cannot be read"
        where = table.get("marketplace") or table.get("region") or ""
        cid = table.get("client_id")
        rows.append(
            {
                "name": name,
                "api": table.get("api", "?"),
                "version": table.get("credential_version"),
                "where": str(where),
                "client_id": redact_id(str(cid))
                if isinstance(cid, str) and not cid.startswith("env:")
                else cid,
                "sandbox": table.get("sandbox"),
                "badge": css,
                "badge_text": text,
                "tested": time.strftime("%H:%M:%S", time.localtime(last.at)) if last else None,
                "problem": problem,
            }
        )
    return rows, None


def messages_for(state: ConsoleState, name: str) -> dict[str, list[tuple[str, str]]]:
    """Validation messages per field: the profile's ConfigError, or inspect_profile's findings."""
    from amzauth.core.inspect import inspect_profile
    from amzauth.core.plan import build_plan

    out: dict[str, list[tuple[str, str]]] = {}
    try:
        prof = load_profile(name, str(state.profiles.path))
        plan = build_plan(prof)
    except ConfigError as exc:
        out.setdefault(exc.key or "_", []).append(
            ("error", exc.message + (f" Fix: {exc.fix}" if exc.fix else ""))
        )
        return out
    for f in inspect_profile(prof, plan):
        text = f"{f.message}. Fix: {f.fix}" + (
            f" (suggested: {f.suggested_value})" if f.suggested_value else ""
        )
        out.setdefault(f.key, []).append((f.severity, text))
    return out


def editor_ctx(
    state: ConsoleState,
    name: str | None,
    table: Mapping[str, Any],
    messages: Mapping[str, list[tuple[str, str]]],
    new: bool,
) -> dict[str, Any]:
    api = str(table.get("api") or "creators")
    stored = {}
    if name is not None:
        try:
            current = state.profiles.read().get(name, {})
        except ConfigError:
            current = {}
        stored = {k: secret_display(current.get(k)) for k in SECRET_KEYS}
        version = table_version(current)
    else:
        version = ""
    values = form_values(table)
    values.setdefault("name", name or str(table.get("name") or ""))
    groups = [
        ("common", "Credentials", [f for f in FIELDS if f.group == "common"]),
        ("creators", "Creators API", [f for f in FIELDS if f.group == "creators"]),
        ("spapi", "Selling Partner API", [f for f in FIELDS if f.group == "spapi"]),
        ("advanced", "Advanced overrides (leave blank)", [f for f in FIELDS if f.group == "advanced"]),
    ]
    return {
        "title": "New profile" if new else f"Profile {name}",
        "nav": "profiles",
        "new": new,
        "name": name,
        "api": api,
        "values": values,
        "stored": stored,
        "messages": dict(messages),
        "groups": groups,
        "version": version,
        "top_error": None,
        "draft_id": "",
        "drafted": [],
        "saved": None,
        "field_by_key": FIELD_BY_KEY,
        "file_exists": state.profiles.exists(),
    }


def search_products(
    state: ConsoleState, name: str, keywords: str, count: int
) -> tuple[Any, dict[str, Any] | None]:
    from amzauth.creators import CreatorsClient, CreatorsError
    from amzauth.errors import AmzAuthError

    try:
        prof = load_profile(name, str(state.profiles.path))
        with CreatorsClient(prof) as client:
            res = client.search_items(keywords, item_count=count)
    except ConfigError as exc:
        return None, {"message": str(exc), "code": "config"}
    except CreatorsError as exc:
        return None, {
            "message": exc.message,
            "code": exc.code,
            "request_id": exc.request_id,
            "fields": [asdict(f) for f in exc.fields],
        }
    except AmzAuthError as exc:
        return None, {"message": str(exc), "code": getattr(exc, "code", None)}
    items = [
        {
            "asin": it.asin,
            "title": it.title or it.asin,
            "brand": it.brand,
            "price": price_text(it),
            "rating": it.rating,
            "reviews": it.review_count,
            "image": safe_url(it.image),
            "url": safe_url(it.url),
            "savings": it.savings.percent if it.savings and it.savings.percent else None,
        }
        for it in res.items
    ]
    return {
        "items": items,
        "total": res.total,
        "cached": res.cached,
        "stale": res.stale,
        "marketplace": res.marketplace,
    }, None


def explain_ctx(code: str) -> dict[str, Any]:
    from amzauth.catalogue import load_catalogue

    cat = load_catalogue()
    code = code.strip()
    ctx: dict[str, Any] = {
        "title": "Explain an error",
        "nav": "explain",
        "code": code,
        "entry": None,
        "related": [],
        "suggestions": [],
        "codes": [(e.code, e.title) for e in cat],
    }
    if not code:
        return ctx
    entry = cat.lookup(code)
    if entry is None:
        related = cat.related(code)
        if len(related) > 1:
            ctx["related"] = related
        else:
            ctx["suggestions"] = cat.suggest(code)
        return ctx
    doc = entry.to_explain_json()
    ctx["entry"] = doc
    ctx["title"] = f"{entry.code}: explained"
    ctx["kind"] = entry.kind
    ctx["http_status"] = list(entry.http_status)
    ctx["forms"] = dict(entry.forms)
    return ctx
