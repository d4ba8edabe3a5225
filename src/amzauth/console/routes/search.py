"""Product search with a Creators API profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from amzauth.console.ops import names_for_api, search_products
from amzauth.console.web import render, state_of

router = APIRouter()


# ---- product search -------------------------------------------------------------------------
@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, profile: str | None = None) -> Response:
    state = state_of(request)
    names = await run_in_threadpool(names_for_api, state, "creators")
    return render(
        request,
        "search.html",
        title="Product search",
        nav="search",
        names=names,
        profile=profile or (names[0] if names else None),
        keywords="",
        count=6,
        result=None,
        error=None,
    )


@router.post("/search", response_class=HTMLResponse)
async def search(request: Request) -> Response:
    state = state_of(request)
    form = await request.form()
    names = await run_in_threadpool(names_for_api, state, "creators")
    name = str(form.get("profile") or "")
    keywords = str(form.get("keywords") or "").strip()
    try:
        count = max(1, min(10, int(str(form.get("count") or "6"))))
    except ValueError:
        count = 6
    ctx: dict[str, Any] = {
        "title": "Product search",
        "nav": "search",
        "names": names,
        "profile": name,
        "keywords": keywords,
        "count": count,
        "result": None,
        "error": None,
    }
    if name not in names:
        ctx["error"] = {"message": "Choose a Creators API profile."}
        return render(request, "search.html", 400, **ctx)
    if not keywords:
        ctx["error"] = {"message": "Type some keywords.", "field": "keywords"}
        return render(request, "search.html", 400, **ctx)
    result, error = await run_in_threadpool(search_products, state, name, keywords, count)
    ctx.update(result=result, error=error)
    return render(request, "search.html", 200 if error is None else 502, **ctx)
