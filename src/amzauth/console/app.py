"""The web console: FastAPI routes over the same library calls as the CLI.

Server-rendered (Jinja2, autoescaped), one small JS file for progressive touches (copy to
clipboard, hiding the other API's fields). Every POST needs the session's CSRF token; every answer
carries a strict Content-Security-Policy. Secrets go in through write-only inputs and never come
back out: pages show only redacted forms, and the profile editor never puts a secret in a value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from amzauth.console import usage_page
from amzauth.console.profiles_file import EditConflict, ProfilesFile
from amzauth.console.reports import Reports, default_path
from amzauth.console.routes import ROUTERS
from amzauth.console.security import COOKIE, Session, host_allowed, same_secret
from amzauth.console.web import (
    CHANGED_ELSEWHERE,
    HERE,
    PUBLIC_PATHS,
    ConsoleState,
    make_templates,
    render,
    secure,
    set_cookie,
)


def create_app(
    config_path: str | Path | None = None,
    *,
    password: str | None = None,
    token: str | None = None,
    bind_host: str = "127.0.0.1",
    https: bool = False,
    reports_path: Path | None = None,
) -> FastAPI:
    """The console as an ASGI app. ``config_path`` is the profiles file edited (default: the lookup);
    last Test Connection reports persist in ``reports_path`` (default: the user state dir)."""
    state = ConsoleState(
        profiles=ProfilesFile(config_path),
        password=password or None,
        token=token or None,
        bind_host=bind_host,
        https=https,
    )
    state.reports = Reports(
        str(state.profiles.path), reports_path if reports_path is not None else default_path()
    )

    async def check_csrf(request: Request) -> None:
        if request.method != "POST":
            return
        sess: Session = request.state.session
        form = await request.form()
        given = form.get("csrf_token") or request.headers.get("x-csrf-token")
        if not isinstance(given, str) or not same_secret(given, sess.csrf):
            raise HTTPException(
                403, "The form's security token is missing or stale. Reload the page and try again."
            )

    app = FastAPI(
        title="amzauth console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf)],
    )
    app.state.console = state
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not host_allowed(
            request.headers.get("host"), bind_host=state.bind_host, auth_required=state.auth_required
        ):
            return secure(Response("Invalid Host header", status_code=400, media_type="text/plain"))
        path = request.url.path
        if path.startswith("/static/"):  # public files: no session needed
            return secure(await call_next(request))
        sess = state.sessions.get(request.cookies.get(COOKIE))
        fresh = sess is None
        if sess is None:
            sess = state.sessions.new()
        if state.auth_required and not sess.authed and not path.startswith(PUBLIC_PATHS):
            given = request.query_params.get("token")
            addr = request.client.host if request.client else "?"
            if given is not None and state.throttle.blocked(addr):
                return secure(
                    Response("Too many failed sign-in attempts. Wait a minute.", 429, media_type="text/plain")
                )
            if given is not None and not (request.method == "GET" and same_secret(given, state.token)):
                state.throttle.failed(addr)  # a ?token= guess counts like a failed login
            elif given is not None:
                state.throttle.succeeded(addr)
            if given is not None and request.method == "GET" and same_secret(given, state.token):
                sess = state.sessions.rotate(sess)
                sess.authed = True
                params = {k: v for k, v in request.query_params.multi_items() if k != "token"}
                target = path + ("?" + urlencode(params) if params else "")
                resp: Response = RedirectResponse(target, status_code=303)
                return secure(set_cookie(resp, sess, state))
            if request.method in ("GET", "HEAD"):
                nxt = path + (f"?{request.url.query}" if request.url.query else "")
                resp = RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303)
            else:
                resp = JSONResponse({"error": "login required"}, status_code=401)
            return secure(set_cookie(resp, sess, state) if fresh else resp)
        request.state.session = sess
        response = await call_next(request)
        if fresh or getattr(request.state, "session_rotated", False):
            set_cookie(response, request.state.session, state)
        return secure(response)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not hasattr(request.state, "session"):
            request.state.session = state.sessions.new()
        return render(
            request, "error.html", exc.status_code, title=f"Error {exc.status_code}", message=exc.detail
        )

    @app.exception_handler(EditConflict)
    async def edit_conflict(request: Request, exc: EditConflict) -> Response:
        return await http_error(request, HTTPException(409, CHANGED_ELSEWHERE))

    app.include_router(usage_page.router(render))  # /profiles/{name}/usage (and /metrics when enabled)

    # The routes are registered on the app itself (not as included routers), so they carry the
    # app's CSRF dependency and ``app.routes`` lists every one of them.
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            app.add_api_route(
                route.path,
                route.endpoint,
                methods=sorted(route.methods or ()),
                name=route.name,
                response_class=route.response_class,
            )
    from amzauth.console.widgets import register_widgets  # the site kit's Widgets page (own module)

    register_widgets(app, render, state)
    return app


__all__ = ["ConsoleState", "create_app"]
