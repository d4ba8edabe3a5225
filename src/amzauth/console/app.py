"""The web console: FastAPI routes over the same library calls as the CLI.

Server-rendered (Jinja2, autoescaped), one small JS file for progressive touches (copy to
clipboard, hiding the other API's fields). Every POST needs the session's CSRF token; every answer
carries a strict Content-Security-Policy. Secrets go in through write-only inputs and never come
back out: pages show only redacted forms, and the profile editor never puts a secret in a value.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from amzauth.config import ConfigError, Profile, load_profile, profile_from_mapping
from amzauth.config.profiles import SECRET_KEYS
from amzauth.console import spapi_flow, usage_page
from amzauth.console.profiles_file import (
    FIELD_BY_KEY,
    FIELDS,
    NAME_RE,
    ProfilesFile,
    form_values,
    merge_form,
    secret_display,
    table_version,
)
from amzauth.console.reports import Reports, default_path
from amzauth.console.security import (
    COOKIE,
    SECURITY_HEADERS,
    LoginThrottle,
    Session,
    Sessions,
    host_allowed,
    same_secret,
)
from amzauth.console.views import (
    badge,
    field_rows,
    price_text,
    report_json,
    safe_url,
    show,
    stars,
    step_views,
    suggestion,
)
from amzauth.core.redact import redact, redact_id

HERE = Path(__file__).parent
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


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(show=show, safe_url=safe_url, stars=stars, redact_id=redact_id)
    env.filters["urlq"] = lambda s: quote(str(s), safe="")
    return Jinja2Templates(env=env)


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
    templates = _templates()

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
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not host_allowed(
            request.headers.get("host"), bind_host=state.bind_host, auth_required=state.auth_required
        ):
            return _secure(Response("Invalid Host header", status_code=400, media_type="text/plain"))
        path = request.url.path
        if path.startswith("/static/"):  # public files: no session needed
            return _secure(await call_next(request))
        sess = state.sessions.get(request.cookies.get(COOKIE))
        fresh = sess is None
        if sess is None:
            sess = state.sessions.new()
        if state.auth_required and not sess.authed and not path.startswith(PUBLIC_PATHS):
            given = request.query_params.get("token")
            if given is not None and request.method == "GET" and same_secret(given, state.token):
                sess = state.sessions.rotate(sess)
                sess.authed = True
                params = {k: v for k, v in request.query_params.multi_items() if k != "token"}
                target = path + ("?" + urlencode(params) if params else "")
                resp: Response = RedirectResponse(target, status_code=303)
                return _secure(_set_cookie(resp, sess, state))
            if request.method in ("GET", "HEAD"):
                nxt = path + (f"?{request.url.query}" if request.url.query else "")
                resp = RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303)
            else:
                resp = JSONResponse({"error": "login required"}, status_code=401)
            return _secure(_set_cookie(resp, sess, state) if fresh else resp)
        request.state.session = sess
        response = await call_next(request)
        if fresh or getattr(request.state, "session_rotated", False):
            _set_cookie(response, request.state.session, state)
        return _secure(response)

    def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        sess: Session = request.state.session
        ctx.update(
            request=request,
            csrf=sess.csrf,
            auth_required=state.auth_required,
            authed=sess.authed,
            config_file=str(state.profiles.path),
        )
        return templates.TemplateResponse(request, template, ctx, status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not hasattr(request.state, "session"):
            request.state.session = state.sessions.new()
        return render(
            request, "error.html", exc.status_code, title=f"Error {exc.status_code}", message=exc.detail
        )

    app.include_router(usage_page.router(render))  # /profiles/{name}/usage (and /metrics when enabled)

    # ---- login ----------------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, next: str = "/profiles") -> Response:
        if not state.auth_required:
            return RedirectResponse("/profiles", status_code=303)
        return render(request, "login.html", title="Sign in", next=_local(next), error=None)

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        if not state.auth_required:
            return RedirectResponse("/profiles", status_code=303)
        form = await request.form()
        addr = request.client.host if request.client else "?"
        nxt = _local(str(form.get("next") or "/profiles"))
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

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        state.sessions.drop(request.state.session.id)
        resp = RedirectResponse("/login" if state.auth_required else "/profiles", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    # ---- profiles -------------------------------------------------------------------------------
    @app.get("/")
    async def root() -> Response:
        return RedirectResponse("/profiles", status_code=303)

    @app.get("/profiles", response_class=HTMLResponse)
    async def profiles_list(request: Request) -> Response:
        rows, error = await run_in_threadpool(_profile_rows, state)
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

    @app.get("/profiles/new", response_class=HTMLResponse)
    async def new_profile(request: Request, api: str = "creators") -> Response:
        api = api if api in ("creators", "spapi") else "creators"
        table: dict[str, Any] = {"api": api}
        return render(request, "edit.html", **_editor_ctx(state, None, table, {}, new=True))

    @app.post("/profiles/new", response_class=HTMLResponse)
    async def create_profile(request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(_save, request, None, form)

    @app.get("/profiles/{name}", response_class=HTMLResponse)
    async def edit_profile(request: Request, name: str) -> Response:
        raw = await run_in_threadpool(_raw_profile, state, name)
        ctx = await run_in_threadpool(_editor_ctx, state, name, raw, _messages_for(state, name), False)
        ctx["saved"] = request.query_params.get("saved")
        return render(request, "edit.html", **ctx)

    @app.post("/profiles/{name}", response_class=HTMLResponse)
    async def save_profile(request: Request, name: str) -> Response:
        form = await request.form()
        return await run_in_threadpool(_save, request, name, form)

    @app.post("/profiles/{name}/delete")
    async def delete_profile(request: Request, name: str) -> Response:
        await run_in_threadpool(_raw_profile, state, name)
        prof = await run_in_threadpool(_try_load, state, name)
        await run_in_threadpool(state.profiles.update, name, None)
        if prof is not None:
            await run_in_threadpool(_flush_tokens, prof)
        state.reports.pop(name)
        return RedirectResponse("/profiles?" + urlencode({"deleted": name}), status_code=303)

    def _save(request: Request, name: str | None, form: FormData) -> Response:
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
            top = (
                "This profile was changed elsewhere since you opened it (another tab or an edit of "
                "the file). Your changes were not saved; reload the page to see the current values."
            )
        table = merge_form(current, values)
        if not errors and top is None:
            try:
                prof = profile_from_mapping(table, name=new_name, file=str(state.profiles.path), env=False)
                from amzauth.core.plan import build_plan

                build_plan(prof)
            except ConfigError as exc:
                if exc.message.startswith("environment variable"):
                    pass  # an env: reference may be set only where the CLI runs; shown beside the field
                else:
                    errors[exc.key or "_"] = exc.message + (f" Fix: {exc.fix}" if exc.fix else "")
        if errors or top:
            typed = {k: values[k] for k in SECRET_KEYS if values.get(k)}
            if typed:
                draft_id = draft_id or secrets.token_urlsafe(12)
                drafts[draft_id] = typed
            shown = {**table, "name": new_name}
            ctx = _editor_ctx(
                state, name, shown, {k: [("error", m)] for k, m in errors.items()}, name is None
            )
            ctx.update(
                top_error=top or errors.pop("_", None),
                draft_id=draft_id if typed else "",
                drafted=sorted(typed),
            )
            return render(request, "edit.html", 400, **ctx)
        old = _try_load(state, name) if name else None
        state.profiles.update(new_name, table, rename_from=name)
        if draft_id:
            drafts.pop(draft_id, None)
        for p in (old, _try_load(state, new_name)):
            if p is not None:
                _flush_tokens(p)
        if name and name != new_name:
            state.reports.pop(name)
        state.reports.pop(new_name)
        return RedirectResponse(f"/profiles/{quote(new_name)}?saved=1", status_code=303)

    # ---- Test Connection -------------------------------------------------------------------------
    @app.get("/profiles/{name}/test", response_class=HTMLResponse)
    async def test_page(request: Request, name: str) -> Response:
        raw = await run_in_threadpool(_raw_profile, state, name)
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

    @app.post("/profiles/{name}/test")
    async def run_test(request: Request, name: str) -> Response:
        await run_in_threadpool(_raw_profile, state, name)
        await run_in_threadpool(_run_doctor, state, name)
        return RedirectResponse(f"/profiles/{quote(name)}/test#result", status_code=303)

    @app.post("/profiles/{name}/apply")
    async def apply_suggestion(request: Request, name: str) -> Response:
        form = await request.form()
        raw = await run_in_threadpool(_raw_profile, state, name)
        last = state.reports.get(name)
        sugg = suggestion(last.doc, raw) if last else None
        if sugg is None or form.get("field") != sugg[0] or form.get("value") != sugg[1]:
            raise HTTPException(409, "That suggestion is no longer current. Run Test Connection again.")
        fld, value = sugg

        def apply() -> None:
            old = _try_load(state, name)
            state.profiles.update(name, {**raw, fld: value})
            for p in (old, _try_load(state, name)):
                if p is not None:
                    _flush_tokens(p)
            _run_doctor(state, name)

        await run_in_threadpool(apply)
        return RedirectResponse(
            f"/profiles/{quote(name)}/test?" + urlencode({"applied": f"{fld} = {value}"}) + "#result",
            status_code=303,
        )

    @app.get("/profiles/{name}/report.json")
    async def report_download(name: str) -> Response:
        last = state.reports.get(name)
        if last is None:
            raise HTTPException(404, "No report yet: run Test Connection first.")
        return Response(
            report_json(last.doc),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="amzauth-doctor-{name}.json"'},
        )

    # ---- product search -------------------------------------------------------------------------
    @app.get("/search", response_class=HTMLResponse)
    async def search_page(request: Request, profile: str | None = None) -> Response:
        names = await run_in_threadpool(_names_for_api, state, "creators")
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

    @app.post("/search", response_class=HTMLResponse)
    async def search(request: Request) -> Response:
        form = await request.form()
        names = await run_in_threadpool(_names_for_api, state, "creators")
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
        result, error = await run_in_threadpool(_search, state, name, keywords, count)
        ctx.update(result=result, error=error)
        return render(request, "search.html", 200 if error is None else 502, **ctx)

    # ---- SP-API authorization -------------------------------------------------------------------
    @app.get("/spapi/authorize", response_class=HTMLResponse)
    async def authorize_page(request: Request, profile: str | None = None) -> Response:
        names = await run_in_threadpool(_names_for_api, state, "spapi")
        return render(
            request,
            "authorize.html",
            title="Authorize a seller",
            nav="authorize",
            names=names,
            profile=profile or (names[0] if names else None),
            pending=None,
            error=None,
            callback=_callback_url(request),
            available=spapi_flow.available(),
        )

    @app.post("/spapi/authorize", response_class=HTMLResponse)
    async def authorize_start(request: Request) -> Response:
        form = await request.form()
        names = await run_in_threadpool(_names_for_api, state, "spapi")
        name = str(form.get("profile") or "")
        ctx: dict[str, Any] = {
            "title": "Authorize a seller",
            "nav": "authorize",
            "names": names,
            "profile": name,
            "pending": None,
            "error": None,
            "callback": _callback_url(request),
            "available": spapi_flow.available(),
        }
        if name not in names:
            ctx["error"] = "Choose an SP-API profile."
            return render(request, "authorize.html", 400, **ctx)
        prof = await run_in_threadpool(_try_load, state, name)
        if prof is None:
            ctx["error"] = "This profile cannot be read; open it in the editor to see why."
            return render(request, "authorize.html", 400, **ctx)
        try:
            pending = await run_in_threadpool(
                state.flows.start, prof, _callback_url(request), request.state.session.id
            )
        except (ConfigError, spapi_flow.FlowError) as exc:
            ctx["error"] = str(exc)
            return render(request, "authorize.html", 400, **ctx)
        ctx["pending"] = pending
        return render(request, "authorize.html", **ctx)

    @app.get("/spapi/callback", name="spapi_callback", response_class=HTMLResponse)
    async def spapi_callback(request: Request) -> Response:
        query = dict(request.query_params)
        outcome = await run_in_threadpool(
            state.flows.finish, query, request.state.session.id, lambda n: _try_load(state, n), state.profiles
        )
        if outcome.ok:
            return RedirectResponse(
                "/spapi/sellers?"
                + urlencode({"profile": outcome.profile or "", "added": outcome.seller or ""}),
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

    @app.get("/spapi/sellers", response_class=HTMLResponse)
    async def sellers(request: Request, profile: str | None = None, added: str | None = None) -> Response:
        names = await run_in_threadpool(_names_for_api, state, "spapi")
        name = profile if profile in names else (names[0] if names else None)
        rows = (
            await run_in_threadpool(spapi_flow.stored_sellers, state.profiles, state.flows, name)
            if name
            else []
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

    @app.post("/spapi/use")
    async def use_seller(request: Request) -> Response:
        form = await request.form()
        name, ref = str(form.get("profile") or ""), str(form.get("reference") or "")
        raw = await run_in_threadpool(_raw_profile, state, name)
        rows = await run_in_threadpool(spapi_flow.stored_sellers, state.profiles, state.flows, name)
        if raw.get("api") != "spapi" or not any(r["reference"] == ref for r in rows):
            raise HTTPException(409, "That seller has no stored authorization for this profile's app.")

        def use() -> None:
            old = _try_load(state, name)
            state.profiles.update(name, {**raw, "refresh_token": ref})
            for p in (old, _try_load(state, name)):
                if p is not None:
                    _flush_tokens(p)
            state.reports.pop(name)

        await run_in_threadpool(use)
        return RedirectResponse("/spapi/sellers?" + urlencode({"profile": name}), status_code=303)

    # ---- explain --------------------------------------------------------------------------------
    @app.get("/explain", response_class=HTMLResponse)
    async def explain(request: Request, code: str = "") -> Response:
        return render(request, "explain.html", **_explain_ctx(code))

    @app.get("/explain/{code:path}", response_class=HTMLResponse)
    async def explain_code(request: Request, code: str) -> Response:
        ctx = _explain_ctx(code)
        return render(request, "explain.html", 200 if ctx["entry"] else 404, **ctx)

    return app


# ---- helpers (sync: run in the threadpool) ---------------------------------------------------------


def _secure(resp: Response) -> Response:
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


def _set_cookie(resp: Response, sess: Session, state: ConsoleState) -> Response:
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


def _local(target: str) -> str:
    """Only same-site paths after login (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/profiles"
    return target


def _callback_url(request: Request) -> str:
    return str(request.url_for("spapi_callback"))


def _raw_profile(state: ConsoleState, name: str) -> dict[str, Any]:
    try:
        profiles = state.profiles.read()
    except ConfigError as exc:
        raise HTTPException(500, str(exc)) from None
    if name not in profiles:
        raise HTTPException(404, f"No profile named {name!r} in {state.profiles.path}.")
    return profiles[name]


def _try_load(state: ConsoleState, name: str | None) -> Profile | None:
    if not name:
        return None
    try:
        return load_profile(name, str(state.profiles.path))
    except ConfigError:
        return None


def _flush_tokens(profile: Profile) -> None:
    """Forget cached tokens of a profile (old and new credentials both), ignoring unreachable stores."""
    from amzauth.engine import clear_profile

    with contextlib.suppress(Exception):  # a Redis store that is down must not stop a save
        clear_profile(profile)


def _run_doctor(state: ConsoleState, name: str) -> dict[str, Any]:
    """The doctor on a profile, with ``refresh_token = "stored:<seller>"`` resolved from the token store."""
    from amzauth.doctor import run_doctor

    config = str(state.profiles.path)
    try:
        prof = load_profile(name, config)
    except ConfigError:
        doc = run_doctor(profile_name=name, config=config).doc  # the report explains the bad profile
    else:
        doc = _doctor_resolved(prof)
    state.reports.set(name, doc)
    return doc


def _doctor_resolved(prof: Profile) -> dict[str, Any]:
    from amzauth.doctor import run_doctor

    ref = prof.secret("refresh_token")
    if not (ref and ref.startswith("stored:") and spapi_flow.available()):
        return run_doctor(prof).doc
    from amzauth.spapi.storage import resolve_profile

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


def _names_for_api(state: ConsoleState, api: str) -> list[str]:
    try:
        profiles = state.profiles.read()
    except ConfigError:
        return []
    return sorted(n for n, t in profiles.items() if t.get("api") == api)


def _profile_rows(state: ConsoleState) -> tuple[list[dict[str, Any]], str | None]:
    try:
        profiles = state.profiles.read()
    except ConfigError as exc:
        return [], str(exc)
    rows = []
    for name in sorted(profiles):
        table = profiles[name]
        last = state.reports.get(name)
        prof = _try_load(state, name)
        problem = None
        if prof is None:
            try:
                load_profile(name, str(state.profiles.path))
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


def _messages_for(state: ConsoleState, name: str) -> dict[str, list[tuple[str, str]]]:
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


def _editor_ctx(
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


def _search(state: ConsoleState, name: str, keywords: str, count: int) -> tuple[Any, dict[str, Any] | None]:
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


def _explain_ctx(code: str) -> dict[str, Any]:
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


__all__ = ["create_app", "redact"]
