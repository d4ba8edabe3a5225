"""The console's Widgets page: preview any site-kit block with any theme, copy its snippet.

Kept in its own module (``register_widgets(app, render, state)`` is the console's only hook), so
the console's own routes can move without touching it. Previews render through a SiteKit per
profile (the same cached, rate-limited client a site uses); the kit's CSS is served from the
console's origin (``/widgets/site.css``) because the console's CSP allows no inline styles.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from amzauth.config import ConfigError, load_profile
from amzauth.creators.errors import InvalidInput
from amzauth.errors import AmzAuthError

KINDS = ("box", "list", "table", "text_link", "search", "category")
EMBED_SRC = "https://YOUR-SITE/amazon/embed.js"


class _Kits:
    """One SiteKit per profile for the console's lifetime (closed with the process)."""

    def __init__(self) -> None:
        self._kits: dict[tuple[str, str], Any] = {}
        self._mu = threading.Lock()

    def get(self, name: str, config: str) -> Any:
        from amzauth.creators import CreatorsClient
        from amzauth.site import SiteKit, SiteSettings

        with self._mu:
            kit = self._kits.get((name, config))
            if kit is None:
                # A preview is worth waiting for: up to 5 s for Amazon, not a page's 300 ms budget.
                client = CreatorsClient(load_profile(name, config))
                kit = SiteKit(client, SiteSettings(budget_ms=5000), owns_client=True)
                self._kits[(name, config)] = kit
            return kit


def _q(value: str) -> str:
    """A value as a double-quoted template string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def snippets(
    kind: str, asins: list[str], keywords: str, theme: str, tagged: str, node: str = ""
) -> dict[str, str]:
    """The block as Jinja2, Django and HTML (the embed script) snippets. Pure.

    For ``search`` and ``category``, ``tagged`` is the plain tagged Amazon link (a search or a
    browse page) the embed's div keeps for visitors without JavaScript.
    """
    if kind in ("search", "category"):
        return _live_snippets(kind, theme, tagged, node)
    themed_j = f", theme={_q(theme)}" if theme != "light" else ""
    themed_d = f" theme={_q(theme)}" if theme != "light" else ""
    data_theme = f' data-theme="{theme}"' if theme != "light" else ""
    joined = ",".join(asins)
    if kind == "box":
        j, d = (
            f"{{{{ amazon_box({_q(asins[0])}{themed_j}) }}}}",
            f"{{% amazon_box {_q(asins[0])}{themed_d} %}}",
        )
        attr = f'data-amazon-box="{asins[0]}"'
    elif kind == "table":
        j = f"{{{{ amazon_table({_q(joined)}{themed_j}) }}}}"
        d = f"{{% amazon_table {_q(joined)}{themed_d} %}}"
        attr = f'data-amazon-table="{joined}"'
    elif kind == "list" and keywords:
        j = f"{{{{ amazon_list(keywords={_q(keywords)}, count=3{themed_j}) }}}}"
        d = f"{{% amazon_list keywords={_q(keywords)} count=3{themed_d} %}}"
        attr = f'data-amazon-list-keywords="{keywords.replace(chr(34), "&quot;")}"'
    elif kind == "list":
        j = f"{{{{ amazon_list({_q(joined)}{themed_j}) }}}}"
        d = f"{{% amazon_list asins={_q(joined)}{themed_d} %}}"
        attr = f'data-amazon-list="{joined}"'
    else:
        j, d = f"{{{{ amazon_link({_q(asins[0])}) }}}}", f"{{% amazon_link {_q(asins[0])} %}}"
        attr = ""
    if attr:
        html = (
            f"<div {attr}{data_theme}>\n"
            f'  <a href="{tagged}"\n     rel="sponsored nofollow noopener">View on Amazon</a>\n</div>\n'
            '<script src="https://YOUR-SITE/amazon/embed.js" async></script>'
        )
    else:
        html = f'<a href="{tagged}" rel="sponsored nofollow noopener">View on Amazon</a>'
    return {"jinja2": j, "django": "{% load amazon %}" + d, "html": html}


def _live_snippets(kind: str, theme: str, tagged: str, node: str) -> dict[str, str]:
    data_theme = f' data-theme="{theme}"' if theme != "light" else ""
    if kind == "search":
        j = '{{ amazon_search_box(action="/amazon/search") }}'
        d = '{% amazon_search_box action="/amazon/search" %}'
        div = f'<div data-amazon-search{data_theme}>\n  <a href="{tagged}"\n     rel="sponsored nofollow noopener">Search Amazon</a>\n</div>'
    else:
        themed_j = f', theme="{theme}"' if theme != "light" else ""
        themed_d = f' theme="{theme}"' if theme != "light" else ""
        j = f'{{{{ amazon_category("{node}"{themed_j}) }}}}'
        d = f'{{% amazon_category "{node}"{themed_d} %}}'
        div = f'<div data-amazon-category="{node}"{data_theme}>\n  <a href="{tagged}"\n     rel="sponsored nofollow noopener">Browse on Amazon</a>\n</div>'
    return {
        "jinja2": j,
        "django": "{% load amazon %}" + d,
        "html": f'{div}\n<script src="{EMBED_SRC}" async></script>',
    }


def register_widgets(app: FastAPI, render: Callable[..., HTMLResponse], state: Any) -> None:
    """Add ``GET /widgets`` and ``GET /widgets/site.css`` to the console app."""
    kits = _Kits()

    def names() -> list[str]:
        try:
            profiles = state.profiles.read()
        except ConfigError:
            return []
        return sorted(n for n, t in profiles.items() if t.get("api") == "creators")

    def preview(
        name: str, kind: str, asins_text: str, keywords: str, theme: str, node: str = ""
    ) -> dict[str, Any]:
        from amzauth.site import Box, ProductList, Table, TextLink
        from amzauth.site.blocks import Category
        from amzauth.site.urls import parse_asin, search_url, tagged_url

        kit = kits.get(name, str(state.profiles.path))
        if kind in ("search", "category"):
            if kind == "category":
                cat = Category.of(node, count=3, theme=theme)
                html = kit.render_many([cat], styles=False)[0]
                tagged = f"https://{kit.marketplace}/b?node={cat.node}&tag={kit.partner_tag}"
                return {"html": html, "snippets": snippets(kind, [], "", theme, tagged, cat.node)}
            html = kit.search_box("#widget-preview")  # a preview: the form goes nowhere here
            if keywords:
                html += kit.render_many(
                    [ProductList.of(keywords=keywords, count=3, theme=theme)], styles=False
                )[0]
            tagged = search_url(kit.marketplace, keywords or "", kit.partner_tag)
            return {"html": html, "snippets": snippets(kind, [], keywords, theme, tagged)}
        raw = [a for a in asins_text.replace(",", " ").split() if a]
        asins = [parse_asin(a, "asins") for a in raw]
        block: Any
        if kind == "box":
            if not asins:
                raise InvalidInput("asins", "a box needs one ASIN or product URL")
            block = Box.of(asins[0], theme=theme)
        elif kind == "table":
            block = Table.of(asins, theme=theme)
        elif kind == "list":
            block = ProductList.of(
                None if keywords else asins, keywords=keywords or None, count=3, theme=theme
            )
        else:
            if not asins:
                raise InvalidInput("asins", "a link needs one ASIN or product URL")
            block = TextLink.of(asins[0])
        html = kit.render_many([block], styles=False)[0]
        first = asins[0] if asins else "ASIN"
        tagged = tagged_url(kit.marketplace, first, kit.partner_tag)
        return {"html": html, "snippets": snippets(kind, asins or ["ASIN"], keywords, theme, tagged)}

    @app.get("/widgets/site.css")
    async def widgets_css() -> Response:
        from amzauth.site.kit import SiteKit

        css = SiteKit.css()
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    @app.get("/widgets", response_class=HTMLResponse)
    async def widgets(
        request: Request,
        profile: str | None = None,
        kind: str = "box",
        asins: str = "",
        keywords: str = "",
        theme: str = "light",
        node: str = "",
    ) -> Response:
        available = await run_in_threadpool(names)
        ctx: dict[str, Any] = {
            "title": "Widgets",
            "nav": "widgets",
            "names": available,
            "profile": profile or (available[0] if available else None),
            "kind": kind if kind in KINDS else "box",
            "kinds": KINDS,
            "asins": asins,
            "keywords": keywords,
            "node": node,
            "theme": theme,
            "themes": ("light", "dark", "compact"),
            "result": None,
            "error": None,
        }
        wants = asins or keywords or node or kind == "search"
        if profile is None or not wants:
            return render(request, "widgets.html", **ctx)
        if profile not in available:
            ctx["error"] = {"message": "Choose a Creators API profile."}
            return render(request, "widgets.html", 400, **ctx)
        try:
            ctx["result"] = await run_in_threadpool(
                preview, profile, ctx["kind"], asins, keywords, theme, node
            )
        except InvalidInput as exc:
            ctx["error"] = {"message": str(exc), "field": exc.field}
            return render(request, "widgets.html", 400, **ctx)
        except (ConfigError, AmzAuthError) as exc:
            ctx["error"] = {"message": str(exc), "code": getattr(exc, "code", None)}
            return render(request, "widgets.html", 502, **ctx)
        return render(request, "widgets.html", **ctx)
