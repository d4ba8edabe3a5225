"""Explain an error code from the catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from amzauth.console.ops import explain_ctx
from amzauth.console.web import render

router = APIRouter()


# ---- explain --------------------------------------------------------------------------------
@router.get("/explain", response_class=HTMLResponse)
async def explain(request: Request, code: str = "") -> Response:
    return render(request, "explain.html", **explain_ctx(code))


@router.get("/explain/{code:path}", response_class=HTMLResponse)
async def explain_code(request: Request, code: str) -> Response:
    ctx = explain_ctx(code)
    return render(request, "explain.html", 200 if ctx["entry"] else 404, **ctx)
