"""What every console page and route shares: the app's state, rendering, cookies and safe paths."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from amzauth.config.redact import redact_id
from amzauth.console import spapi_flow
from amzauth.console.profiles_file import ProfilesFile
from amzauth.console.reports import Reports
from amzauth.console.security import COOKIE, SECURITY_HEADERS, LoginThrottle, Session, Sessions
from amzauth.console.views import safe_url, show, stars

HERE = Path(__file__).parent
CHANGED_ELSEWHERE = (
    "This profile was changed elsewhere since you opened it (another tab, another console or an "
    "edit of the file). Your changes were not saved; reload the page to see the current values."
)
PUBLIC_PATHS = ("/login", "/static/")


@dataclass
class ConsoleState:
    """Per-app state: the profiles file, sessions, last doctor reports, pending consent flows."""

    profiles: ProfilesFile
    password: str | None
    token: str | None
    bind_host: str
    https: bool
    sessions: Sessions = field(default_factory=Sessions)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    reports: Reports = field(default_factory=lambda: Reports("", None))
    lock: threading.Lock = field(default_factory=threading.Lock)
    flows: spapi_flow.PendingFlows = field(default_factory=spapi_flow.PendingFlows)

    @property
    def auth_required(self) -> bool:
        return bool(self.password or self.token)


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(show=show, safe_url=safe_url, stars=stars, redact_id=redact_id)
    env.filters["urlq"] = lambda s: quote(str(s), safe="")
    return Jinja2Templates(env=env)


def state_of(request: Request) -> ConsoleState:
    """The console's state, from the app serving ``request``."""
    state: ConsoleState = request.app.state.console
    return state


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page from ``template``, with what every page needs (session CSRF token, sign-in state)."""
    state = state_of(request)
    sess: Session = request.state.session
    ctx.update(
        request=request,
        csrf=sess.csrf,
        auth_required=state.auth_required,
        authed=sess.authed,
        config_file=str(state.profiles.path),
    )
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, ctx, status_code=status)


def secure(resp: Response) -> Response:
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


def set_cookie(resp: Response, sess: Session, state: ConsoleState) -> Response:
    resp.set_cookie(
        COOKIE,
        sess.id,
        httponly=True,
        samesite="lax",
        secure=state.https,
        path="/",
        max_age=int(state.sessions.ttl),
    )
    return resp


def attachment(filename: str) -> str:
    """A Content-Disposition for any profile name (a file-edited one may hold non-ASCII or CR/LF):
    an ASCII fallback plus the exact name in RFC 5987 form."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def local_path(target: str) -> str:
    """Only same-site paths after login (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/profiles"
    return target


def callback_url(request: Request) -> str:
    return str(request.url_for("spapi_callback"))
