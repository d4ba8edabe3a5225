"""SP-API seller authorization: the consent flow, its callback, stored sellers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from amzauth.config import ConfigError
from amzauth.console import spapi_flow
from amzauth.console.ops import flush_tokens, names_for_api, raw_profile, try_load
from amzauth.console.profiles_file import table_version
from amzauth.console.web import callback_url, render, state_of

router = APIRouter()


# ---- SP-API authorization -------------------------------------------------------------------
@router.get("/spapi/authorize", response_class=HTMLResponse)
async def authorize_page(request: Request, profile: str | None = None) -> Response:
    state = state_of(request)
    names = await run_in_threadpool(names_for_api, state, "spapi")
    return render(
        request,
        "authorize.html",
        title="Authorize a seller",
        nav="authorize",
        names=names,
        profile=profile or (names[0] if names else None),
        pending=None,
        error=None,
        callback=callback_url(request),
        available=spapi_flow.available(),
    )


@router.post("/spapi/authorize", response_class=HTMLResponse)
async def authorize_start(request: Request) -> Response:
    state = state_of(request)
    form = await request.form()
    names = await run_in_threadpool(names_for_api, state, "spapi")
    name = str(form.get("profile") or "")
    ctx: dict[str, Any] = {
        "title": "Authorize a seller",
        "nav": "authorize",
        "names": names,
        "profile": name,
        "pending": None,
        "error": None,
        "callback": callback_url(request),
        "available": spapi_flow.available(),
    }
    if name not in names:
        ctx["error"] = "Choose an SP-API profile."
        return render(request, "authorize.html", 400, **ctx)
    prof = await run_in_threadpool(try_load, state, name)
    if prof is None:
        ctx["error"] = "This profile cannot be read; open it in the editor to see why."
        return render(request, "authorize.html", 400, **ctx)
    try:
        pending = await run_in_threadpool(
            state.flows.start, prof, callback_url(request), request.state.session.id
        )
    except (ConfigError, spapi_flow.FlowError) as exc:
        ctx["error"] = str(exc)
        return render(request, "authorize.html", 400, **ctx)
    ctx["pending"] = pending
    return render(request, "authorize.html", **ctx)


@router.get("/spapi/callback", name="spapi_callback", response_class=HTMLResponse)
async def spapi_callback(request: Request) -> Response:
    state = state_of(request)
    query = dict(request.query_params)
    outcome = await run_in_threadpool(
        state.flows.finish, query, request.state.session.id, lambda n: try_load(state, n), state.profiles
    )
    if outcome.ok:
        return RedirectResponse(
            "/spapi/sellers?" + urlencode({"profile": outcome.profile or "", "added": outcome.seller or ""}),
            status_code=303,
        )
    return render(
        request,
        "callback_error.html",
        400,
        title="Authorization failed",
        nav="authorize",
        outcome=outcome,
    )


@router.get("/spapi/sellers", response_class=HTMLResponse)
async def sellers(request: Request, profile: str | None = None, added: str | None = None) -> Response:
    state = state_of(request)
    names = await run_in_threadpool(names_for_api, state, "spapi")
    name = profile if profile in names else (names[0] if names else None)
    rows = (
        await run_in_threadpool(spapi_flow.stored_sellers, state.profiles, state.flows, name) if name else []
    )
    used = any(r.get("in_use") and r.get("selling_partner_id") == added for r in rows)
    return render(
        request,
        "sellers.html",
        title="Authorized sellers",
        nav="authorize",
        names=names,
        profile=name,
        rows=rows,
        added=added,
        used=used,
    )


@router.post("/spapi/use")
async def use_seller(request: Request) -> Response:
    state = state_of(request)
    form = await request.form()
    name, ref = str(form.get("profile") or ""), str(form.get("reference") or "")
    raw = await run_in_threadpool(raw_profile, state, name)
    rows = await run_in_threadpool(spapi_flow.stored_sellers, state.profiles, state.flows, name)
    if raw.get("api") != "spapi" or not any(r["reference"] == ref for r in rows):
        raise HTTPException(409, "That seller has no stored authorization for this profile's app.")

    def use() -> None:
        old = try_load(state, name)
        state.profiles.update(name, {**raw, "refresh_token": ref}, expect=(name, table_version(raw)))
        for p in (old, try_load(state, name)):
            if p is not None:
                flush_tokens(p)
        state.reports.pop(name)

    await run_in_threadpool(use)
    return RedirectResponse("/spapi/sellers?" + urlencode({"profile": name}), status_code=303)
