"""The ASGI surface: every block as an HTML fragment and as JSON, mountable or served alone.

    from amzauth.site.asgi import create_app
    app.mount("/amazon", create_app(kit))          # FastAPI / Starlette
    uvicorn amzauth.site.asgi:app                  # alone, for $AMZAUTH_PROFILE (or `amzauth site serve`)

Routes (relative to the mount point): ``GET /box/{asin}`` (``?format=json``), ``GET /list``,
``GET /table``, ``GET /link/{asin}``, ``GET /search?q=`` (results page or JSON), ``GET /embed.js``,
``GET /styles.css``. A request whose every item is fresh in the cache is answered on the event
loop; anything that may wait on Amazon runs in a worker thread within the render budget.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from amzauth.creators.errors import InvalidInput
from amzauth.creators.wire import SORT_BY
from amzauth.site.blocks import Block, Box, Category, ImageLink, ProductList, Table, TextLink
from amzauth.site.data import Found
from amzauth.site.kit import SiteKit
from amzauth.site.urls import parse_asin
from amzauth.site.visitors import VisitorLimiter, client_key

__all__ = ["app", "create_app"]

MAX_PAGES: Final = 10
_INDEX_RE: Final = re.compile(r"^[A-Za-z]{2,40}$")
EMBED_JS: Final = """/* amzauth site kit embed: progressive enhancement of plain tagged links, no framework.
   <div data-amazon-box="ASIN"><a href="tagged link">...</a></div>, data-amazon-table="A,B",
   data-amazon-list="A,B", data-amazon-list-keywords="words", data-amazon-category="NODE";
   <div data-amazon-search="[INDEX]"><a href="tagged Amazon search">...</a></div>: a search box.
   Optional data-theme. */
(function () {
  var me = document.currentScript, base = me ? me.src.replace(/\\/embed\\.js(\\?.*)?$/, "") : "";
  var E = encodeURIComponent;
  var kinds = [["data-amazon-box", function (v) { return "/box/" + E(v) + "?"; }],
               ["data-amazon-table", function (v) { return "/table?asins=" + E(v) + "&"; }],
               ["data-amazon-list", function (v) { return "/list?asins=" + E(v) + "&"; }],
               ["data-amazon-list-keywords", function (v) { return "/list?keywords=" + E(v) + "&"; }],
               ["data-amazon-category", function (v) { return "/category/" + E(v) + "?format=fragment&"; }]];
  function get(url, done) {
    fetch(base + url, {credentials: "omit"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) done(html); }).catch(function () {});
  }
  function theme(el) { var t = el.getAttribute("data-theme"); return t ? "theme=" + E(t) : ""; }
  function enhance(el, attr, path) {
    var v = el.getAttribute(attr);
    if (!v || el.getAttribute("data-amazon-done")) return;
    el.setAttribute("data-amazon-done", "1");
    get(path(v) + theme(el), function (html) { el.innerHTML = html; });
  }
  function make(tag, props) { var n = document.createElement(tag); for (var k in props) n[k] = props[k]; return n; }
  function searchBox(el) {
    if (el.getAttribute("data-amazon-done")) return;
    el.setAttribute("data-amazon-done", "1");
    var index = el.getAttribute("data-amazon-search"), page = 1, last = "";
    var form = make("form", {className: "amz-search-form"});
    form.setAttribute("role", "search");
    var label = make("label", {textContent: el.getAttribute("data-label") || "Search Amazon"});
    var input = make("input", {type: "search", name: "q", maxLength: 200, required: true});
    label.appendChild(input);
    var button = make("button", {type: "submit", textContent: el.getAttribute("data-button") || "Search"});
    var out = make("div", {className: "amz-search-out"});
    out.setAttribute("aria-live", "polite");
    var nav = make("nav", {className: "amz-pages"});
    nav.setAttribute("aria-label", "Result pages");
    var prev = make("button", {type: "button", textContent: "‹ Previous", hidden: true});
    var next = make("button", {type: "button", textContent: "Next ›", hidden: true});
    nav.appendChild(prev); nav.appendChild(next);
    form.appendChild(label); form.appendChild(button);
    function run() {
      var url = "/search?format=fragment&q=" + E(last) + "&page=" + page + (index ? "&category=" + E(index) : "");
      get(url + "&" + theme(el), function (html) {
        out.innerHTML = html;
        var r = out.querySelector("[data-pages]"), pages = r ? +r.getAttribute("data-pages") : 0;
        prev.hidden = page <= 1; next.hidden = page >= pages;
      });
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      last = input.value.trim(); page = 1;
      if (last) run();
    });
    prev.addEventListener("click", function () { page -= 1; run(); });
    next.addEventListener("click", function () { page += 1; run(); });
    el.innerHTML = "";
    el.appendChild(form); el.appendChild(out); el.appendChild(nav);
  }
  function run() {
    kinds.forEach(function (k) {
      Array.prototype.forEach.call(document.querySelectorAll("[" + k[0] + "]"), function (el) { enhance(el, k[0], k[1]); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-amazon-search]"), searchBox);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run); else run();
})();
"""


def _bad(exc: InvalidInput, as_json: bool) -> Response:
    field = getattr(exc, "field", None)
    if as_json:
        return JSONResponse({"error": "invalid_input", "field": field, "message": str(exc)}, status_code=400)
    return HTMLResponse(f'<p class="amz-error">{escape(str(exc))}</p>', status_code=400)


def _opts(request: Request, *names: str) -> dict[str, Any]:
    q = request.query_params
    out: dict[str, Any] = {}
    for n in names:
        v = q.get(n)
        if v is not None and v != "":
            out[n] = v
    if "count" in out:
        try:
            out["count"] = int(out["count"])
        except ValueError:
            raise InvalidInput("count", "count must be a whole number from 1 to 10") from None
    return out


async def _render(kit: SiteKit, blocks: list[Block], styles: bool) -> list[Markup]:
    """On the loop when everything is cached and fresh; otherwise in a thread, within the budget."""
    done = kit.render_cached(blocks, styles=styles)
    if done is not None:
        return done
    rendered: list[Markup] = await run_in_threadpool(kit.render_many, blocks, styles=styles)
    return rendered


async def _lookup(kit: SiteKit, asins: list[str]) -> Found:
    found = kit.data.lookup(asins, wait=False)
    if found is not None:
        return found
    got: Found | None = await run_in_threadpool(kit.data.lookup, asins)
    return got or Found()


def create_app(kit: SiteKit) -> Starlette:
    """The site kit's ASGI app for ``kit`` (mount it anywhere; it has no global state)."""

    def styles_wanted(request: Request) -> bool:
        return request.query_params.get("styles", "1") not in ("0", "false", "no")

    async def box(request: Request) -> Response:
        as_json = request.query_params.get("format") == "json"
        try:
            asin = parse_asin(request.path_params["asin"])
            block = Box.of(asin, **_opts(request, "fields", "button", "theme"))
        except InvalidInput as exc:
            return _bad(exc, as_json)
        if as_json:
            found = await _lookup(kit, [asin])
            return JSONResponse(kit.view(asin, found.items.get(asin)).as_json())
        html = (await _render(kit, [block], styles_wanted(request)))[0]
        return HTMLResponse(str(html))

    async def product_list(request: Request) -> Response:
        try:
            opts = _opts(
                request, "keywords", "browse_node", "search_index", "sort", "preset", "count", "fields"
            )
            opts.update(_opts(request, "button", "theme"))
            block = ProductList.of(request.query_params.get("asins"), **opts)
        except InvalidInput as exc:
            return _bad(exc, False)
        return HTMLResponse(str((await _render(kit, [block], styles_wanted(request)))[0]))

    async def table(request: Request) -> Response:
        try:
            block = Table.of(
                request.query_params.get("asins", ""), **_opts(request, "rows", "button", "theme")
            )
        except InvalidInput as exc:
            return _bad(exc, False)
        return HTMLResponse(str((await _render(kit, [block], styles_wanted(request)))[0]))

    async def link(request: Request) -> Response:
        try:
            kind = ImageLink if request.query_params.get("image") in ("1", "true") else TextLink
            block = kind.of(request.path_params["asin"], request.query_params.get("text"))
        except InvalidInput as exc:
            return _bad(exc, False)
        return HTMLResponse(str((await _render(kit, [block], False))[0]))

    async def search(request: Request) -> Response:
        fmt = request.query_params.get("format")
        as_json = fmt == "json"
        if not as_json and fmt != "fragment" and not (request.query_params.get("q") or "").strip():
            return HTMLResponse(str(kit.render_search_page("", None)))  # the form alone
        try:
            q, page, category, sort = _search_input(request)
        except InvalidInput as exc:
            if as_json or fmt == "fragment":
                return _bad(exc, as_json)
            raw = (request.query_params.get("q") or "")[:200]
            html = kit.render_search_page(raw, None, error=str(exc))
            return HTMLResponse(str(html), status_code=400)
        block = ProductList.of(keywords=q, search_index=category, sort=sort, count=10)
        outcome = await run_in_threadpool(kit.search_page, block, page)
        total = outcome.total
        pages = min(MAX_PAGES, math.ceil(total / 10)) if total else (1 if outcome.views else 0)
        headers = {"X-Amzauth-Search": outcome.state}
        if as_json:
            return JSONResponse(
                {
                    "items": [v.as_json() for v in outcome.views],
                    "page": page,
                    "pages": pages,
                    "cached": outcome.cached,
                },
                headers=headers,
            )
        if fmt == "fragment":
            html = kit.render_search_fragment(
                q, outcome, page=page, pages=pages, styles=styles_wanted(request)
            )
            return HTMLResponse(str(html), headers=headers)
        html = kit.render_search_page(q, outcome, page=page, pages=pages, category=category, sort=sort)
        return HTMLResponse(str(html), headers=headers)

    async def category(request: Request) -> Response:
        as_json = request.query_params.get("format") == "json"
        fragment = request.query_params.get("format") == "fragment"
        try:
            block = Category.of(request.path_params["node_id"], **_opts(request, "count", "fields", "theme"))
        except InvalidInput as exc:
            if as_json or fragment:
                return _bad(exc, as_json)
            return HTMLResponse(
                str(kit.render_notice_page(str(exc), kit.fmt.text("categories"))), status_code=400
            )
        if fragment:
            # Links inside the fragment lead to this app's own category pages, wherever it is mounted.
            href = request.scope.get("root_path", "") + "/category/{id}"
            html = await run_in_threadpool(kit.render_category, block, href, styles_wanted(request))
            return HTMLResponse(str(html))
        page, node, state = await run_in_threadpool(kit.render_category_page, block)
        if as_json:
            listing = await run_in_threadpool(
                kit.search_views, ProductList(browse_node=block.node), block.count or 10
            )
            return JSONResponse(
                {
                    "id": block.node,
                    "name": node.name if node is not None else None,
                    "ancestors": [{"id": a.id, "name": a.name} for a in reversed(node.ancestors)]
                    if node
                    else [],
                    "children": [{"id": c.id, "name": c.name} for c in node.children] if node else [],
                    "items": [v.as_json() for v in listing.views],
                    "state": state,
                }
            )
        status = 404 if node is None and state == "ok" else 200
        return HTMLResponse(str(page), status_code=status)

    async def embed(request: Request) -> Response:
        return Response(
            EMBED_JS, media_type="application/javascript", headers={"Cache-Control": "max-age=300"}
        )

    async def styles(request: Request) -> Response:
        return Response(kit.css(), media_type="text/css", headers={"Cache-Control": "max-age=300"})

    async def index(request: Request) -> Response:
        return HTMLResponse(str(kit.render_index()))

    routes = [
        Route("/", index),
        Route("/box/{asin}", box),
        Route("/list", product_list),
        Route("/table", table),
        Route("/link/{asin}", link),
        Route("/search", search),
        Route("/category/{node_id}", category),
        Route("/embed.js", embed),
        Route("/styles.css", styles),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(VisitorLimits, kit=kit)
    if kit.settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        # Only the configured sites may call these routes from a browser; GET only, no credentials.
        app.add_middleware(
            CORSMiddleware, allow_origins=list(kit.settings.cors_origins), allow_methods=["GET"], max_age=600
        )
    return app


def _search_input(request: Request) -> tuple[str, int, str | None, str | None]:
    """Keywords, page, category and sort checked and bounded before any request."""
    qp = request.query_params
    q = (qp.get("q") or "").strip()
    if not q or len(q) > 200:
        raise InvalidInput("q", "search keywords must be 1 to 200 characters")
    try:
        page = int(qp.get("page") or 1)
    except ValueError:
        raise InvalidInput("page", "page must be a whole number from 1 to 10") from None
    if not 1 <= page <= MAX_PAGES:
        raise InvalidInput("page", "page must be a whole number from 1 to 10")
    category = qp.get("category") or None
    if category is not None and not _INDEX_RE.match(category):
        raise InvalidInput("category", "category must be a search index name such as Electronics")
    sort = qp.get("sort") or None
    if sort is not None and sort not in SORT_BY:
        raise InvalidInput("sort", f"sort must be one of {', '.join(sorted(SORT_BY))}")
    return q, page, category, sort


UNLIMITED: Final = frozenset({"/", "/embed.js", "/styles.css"})


class VisitorLimits:
    """ASGI middleware, per visitor: a token bucket on the data routes (429 past it), and with
    ``localise`` on, links to the visitor's own store (responses then ``Vary`` on the headers used)."""

    def __init__(self, app: Any, kit: SiteKit) -> None:
        self.app = app
        self.kit = kit
        s = kit.settings
        self.limiter = VisitorLimiter(s.visitor_rate, s.visitor_burst, kit.client.store)
        self.header = s.visitor_header
        self.vary = f"{s.country_header}, Accept-Language".encode("latin-1")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] | None = None
        if self.header or self.kit.settings.localise:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
        if self.limiter.rate > 0 and _route_path(scope) not in UNLIMITED:
            peer = scope.get("client")
            wait = self.limiter.take(client_key(headers, peer[0] if peer else None, self.header))
            if wait > 0:
                await self._too_many(scope, receive, send, wait)
                return
        if not self.kit.settings.localise:
            await self.app(scope, receive, send)
            return

        async def vary_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"vary", self.vary)]
            await send(message)

        with self.kit.visitor(headers or {}):
            await self.app(scope, receive, vary_send)

    async def _too_many(self, scope: Any, receive: Any, send: Any, wait: float) -> None:
        retry = str(max(1, math.ceil(wait)))
        message = self.kit.fmt.text("too_many")
        response: Response
        if b"format=json" in scope.get("query_string", b""):
            response = JSONResponse(
                {"error": "too_many_requests", "message": message, "retry_after": int(retry)},
                status_code=429,
                headers={"Retry-After": retry},
            )
        else:
            html = self.kit.render_notice_page(message, "429")
            response = HTMLResponse(str(html), status_code=429, headers={"Retry-After": retry})
        await response(scope, receive, send)


def _route_path(scope: Any) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class _LazyApp:
    """``amzauth.site.asgi:app``: built for the default profile on the first request."""

    def __init__(self) -> None:
        self._app: Starlette | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            self._app = create_app(SiteKit.from_profile())
        await self._app(scope, receive, send)


app = _LazyApp()
