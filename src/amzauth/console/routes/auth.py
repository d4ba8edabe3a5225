"""Sign-in and sign-out (only when the console has a password or token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from amzauth.console.security import COOKIE, same_secret
from amzauth.console.web import local_path, render, state_of

router = APIRouter()


# ---- login ----------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/profiles") -> Response:
    state = state_of(request)
    if not state.auth_required:
        return RedirectResponse("/profiles", status_code=303)
    return render(request, "login.html", title="Sign in", next=local_path(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    state = state_of(request)
    if not state.auth_required:
        return RedirectResponse("/profiles", status_code=303)
    form = await request.form()
    addr = request.client.host if request.client else "?"
    nxt = local_path(str(form.get("next") or "/profiles"))
    if state.throttle.blocked(addr):
        return render(
            request,
            "login.html",
            429,
            title="Sign in",
            next=nxt,
            error="Too many failed attempts. Wait a minute and try again.",
        )
    given = str(form.get("secret") or "")
    if same_secret(given, state.password) or same_secret(given, state.token):
        state.throttle.succeeded(addr)
        sess = state.sessions.rotate(request.state.session)
        sess.authed = True
        request.state.session = sess
        request.state.session_rotated = True
        return RedirectResponse(nxt, status_code=303)
    state.throttle.failed(addr)
    return render(request, "login.html", 401, title="Sign in", next=nxt, error="Wrong password or token.")


@router.post("/logout")
async def logout(request: Request) -> Response:
    state = state_of(request)
    state.sessions.drop(request.state.session.id)
    resp = RedirectResponse("/login" if state.auth_required else "/profiles", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp
