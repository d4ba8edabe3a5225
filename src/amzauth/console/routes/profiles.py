"""The profile list and editor, delete, and Test Connection (doctor report, apply a suggestion, report.json)."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from amzauth.config import ConfigError, profile_from_mapping
from amzauth.config.profiles import SECRET_KEYS
from amzauth.console.ops import (
    doctor_report,
    editor_ctx,
    flush_tokens,
    messages_for,
    profile_rows,
    raw_profile,
    try_load,
)
from amzauth.console.profiles_file import NAME_RE, EditConflict, merge_form, table_version, unbound_secrets
from amzauth.console.security import Session
from amzauth.console.views import badge, field_rows, report_json, step_views, suggestion
from amzauth.console.web import CHANGED_ELSEWHERE, attachment, render, state_of

router = APIRouter()


# ---- profiles -------------------------------------------------------------------------------
@router.get("/")
async def root(request: Request) -> Response:
    return RedirectResponse("/profiles", status_code=303)


@router.get("/profiles", response_class=HTMLResponse)
async def profiles_list(request: Request) -> Response:
    state = state_of(request)
    rows, error = await run_in_threadpool(profile_rows, state)
    return render(
        request,
        "profiles.html",
        title="Profiles",
        nav="profiles",
        rows=rows,
        file_error=error,
        saved=request.query_params.get("saved"),
        deleted=request.query_params.get("deleted"),
    )


@router.get("/profiles/new", response_class=HTMLResponse)
async def new_profile(request: Request, api: str = "creators") -> Response:
    state = state_of(request)
    api = api if api in ("creators", "spapi") else "creators"
    table: dict[str, Any] = {"api": api}
    return render(request, "edit.html", **editor_ctx(state, None, table, {}, new=True))


@router.post("/profiles/new", response_class=HTMLResponse)
async def create_profile(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save, request, None, form)


@router.get("/profiles/{name}", response_class=HTMLResponse)
async def edit_profile(request: Request, name: str) -> Response:
    state = state_of(request)
    raw = await run_in_threadpool(raw_profile, state, name)
    ctx = await run_in_threadpool(editor_ctx, state, name, raw, messages_for(state, name), False)
    ctx["saved"] = request.query_params.get("saved")
    return render(request, "edit.html", **ctx)


@router.post("/profiles/{name}", response_class=HTMLResponse)
async def save_profile(request: Request, name: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save, request, name, form)


@router.post("/profiles/{name}/delete")
async def delete_profile(request: Request, name: str) -> Response:
    state = state_of(request)
    await run_in_threadpool(raw_profile, state, name)
    prof = await run_in_threadpool(try_load, state, name)
    await run_in_threadpool(state.profiles.update, name, None)
    if prof is not None:
        await run_in_threadpool(flush_tokens, prof)
    state.reports.pop(name)
    return RedirectResponse("/profiles?" + urlencode({"deleted": name}), status_code=303)


def _save(request: Request, name: str | None, form: FormData) -> Response:
    state = state_of(request)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    sess: Session = request.state.session
    drafts: dict[str, dict[str, str]] = sess.data.setdefault("drafts", {})
    draft_id = values.get("draft_id") or ""
    draft = drafts.get(draft_id, {}) if draft_id else {}
    for key in SECRET_KEYS:
        if not values.get(key) and draft.get(key):
            values[key] = draft[key]
    new_name = (values.get("name") or name or "").strip()
    try:
        profiles = state.profiles.read()
    except ConfigError as exc:
        raise HTTPException(500, str(exc)) from None
    current = profiles.get(name) if name else None
    if name is not None and current is None:
        raise HTTPException(404, f"No profile named {name!r} in {state.profiles.path}.")
    errors: dict[str, str] = {}
    top: str | None = None
    if not NAME_RE.match(new_name):
        errors["name"] = "Use 1-64 letters, digits, - or _."
    elif new_name != name and new_name in profiles:
        errors["name"] = f"A profile named {new_name!r} already exists."
    if name is not None and values.get("version") != table_version(current):
        top = CHANGED_ELSEWHERE
    table = merge_form(current, values)
    for key, why in unbound_secrets(current, table, values).items():
        errors.setdefault(key, why)
    if not errors and top is None:
        try:
            prof = profile_from_mapping(table, name=new_name, file=str(state.profiles.path), env=False)
            if prof.api == "spapi":  # no refresh token is needed before "Authorize a seller"
                from amzauth.spapi.consent import consent_plan

                consent_plan(prof)
            else:
                from amzauth.core.plan import build_plan

                build_plan(prof)
        except ConfigError as exc:
            if exc.message.startswith("environment variable"):
                pass  # an env: reference may be set only where the CLI runs; shown beside the field
            else:
                errors[exc.key or "_"] = exc.message + (f" Fix: {exc.fix}" if exc.fix else "")

    def refuse(top: str | None, status: int = 400) -> Response:
        nonlocal draft_id
        typed = {k: values[k] for k in SECRET_KEYS if values.get(k)}
        if typed:
            draft_id = draft_id or secrets.token_urlsafe(12)
            drafts[draft_id] = typed
        shown = {**table, "name": new_name}
        ctx = editor_ctx(state, name, shown, {k: [("error", m)] for k, m in errors.items()}, name is None)
        ctx.update(
            top_error=top or errors.pop("_", None),
            draft_id=draft_id if typed else "",
            drafted=sorted(typed),
        )
        return render(request, "edit.html", status, **ctx)

    if errors or top:
        return refuse(top)
    old = try_load(state, name) if name else None
    # The version check again, under the file's inter-process lock: of two saves of one form
    # version (two tabs, two consoles) exactly one wins, the other is told.
    expect = (name, str(values.get("version") or "")) if name else (new_name, table_version(None))
    try:
        state.profiles.update(new_name, table, rename_from=name, expect=expect)
    except EditConflict:
        if name is None:
            errors["name"] = f"A profile named {new_name!r} was just created elsewhere."
            return refuse(None, 409)
        return refuse(CHANGED_ELSEWHERE, 409)
    if draft_id:
        drafts.pop(draft_id, None)
    for p in (old, try_load(state, new_name)):
        if p is not None:
            flush_tokens(p)
    if name and name != new_name:
        state.reports.pop(name)
    state.reports.pop(new_name)
    return RedirectResponse(f"/profiles/{quote(new_name)}?saved=1", status_code=303)


# ---- Test Connection -------------------------------------------------------------------------
@router.get("/profiles/{name}/test", response_class=HTMLResponse)
async def test_page(request: Request, name: str) -> Response:
    state = state_of(request)
    raw = await run_in_threadpool(raw_profile, state, name)
    last = state.reports.get(name)
    ctx: dict[str, Any] = {
        "title": f"Test Connection: {name}",
        "nav": "profiles",
        "name": name,
        "raw": raw,
        "report": None,
    }
    if last is not None:
        doc = last.doc
        ctx.update(
            report=doc,
            at=time.strftime("%H:%M:%S", time.localtime(last.at)),
            steps=step_views(doc),
            rows=field_rows(doc),
            json_text=report_json(doc),
            apply=suggestion(doc, raw),
            badge=badge(doc),
            applied=request.query_params.get("applied"),
        )
    return render(request, "test.html", **ctx)


@router.post("/profiles/{name}/test")
async def run_test(request: Request, name: str) -> Response:
    state = state_of(request)
    await run_in_threadpool(raw_profile, state, name)
    await run_in_threadpool(doctor_report, state, name)
    return RedirectResponse(f"/profiles/{quote(name)}/test#result", status_code=303)


@router.post("/profiles/{name}/apply")
async def apply_suggestion(request: Request, name: str) -> Response:
    state = state_of(request)
    form = await request.form()
    raw = await run_in_threadpool(raw_profile, state, name)
    last = state.reports.get(name)
    sugg = suggestion(last.doc, raw) if last else None
    if sugg is None or form.get("field") != sugg[0] or form.get("value") != sugg[1]:
        raise HTTPException(409, "That suggestion is no longer current. Run Test Connection again.")
    fld, value = sugg

    def apply() -> None:
        old = try_load(state, name)
        state.profiles.update(name, {**raw, fld: value}, expect=(name, table_version(raw)))
        for p in (old, try_load(state, name)):
            if p is not None:
                flush_tokens(p)
        doctor_report(state, name)

    await run_in_threadpool(apply)
    return RedirectResponse(
        f"/profiles/{quote(name)}/test?" + urlencode({"applied": f"{fld} = {value}"}) + "#result",
        status_code=303,
    )


@router.get("/profiles/{name}/report.json")
async def report_download(request: Request, name: str) -> Response:
    state = state_of(request)
    last = state.reports.get(name)
    if last is None:
        raise HTTPException(404, "No report yet: run Test Connection first.")
    return Response(
        report_json(last.doc),
        media_type="application/json",
        headers={"Content-Disposition": attachment(f"amzauth-doctor-{name}.json")},
    )
