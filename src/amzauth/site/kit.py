"""SiteKit: one object per process that renders every block, for every surface.

It owns the Creators client (or borrows yours), the data path and the templates. A page render
runs inside :meth:`SiteKit.page`: each block called during the render writes a placeholder and
records the ASINs it needs; when the render ends, every ASIN is looked up at once (getItems
batches of 10) and the placeholders are replaced. Outside a page a block renders at once.

    kit = SiteKit.from_profile()
    kit.box("B0SBXUS001")                     # Markup, safe to put in any template
    with kit.page() as page:
        html = page.finish(template.render())  # what the Jinja extension does for you
"""

from __future__ import annotations

import contextlib
import contextvars
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, Template, TemplateNotFound
from markupsafe import Markup, escape

from amzauth.creators.client import CreatorsClient
from amzauth.creators.models import Item, ItemsResult
from amzauth.creators.wire import SORT_BY
from amzauth.site.blocks import (
    DEFAULT_TABLE_ROWS,
    TABLE_ROWS,
    Block,
    Box,
    Category,
    ImageLink,
    ProductList,
    ProductView,
    Table,
    TextLink,
    freshness,
    product_view,
    table_winners,
)
from amzauth.site.data import BUSY, FAILED, OK, PENDING, Found, ProductData
from amzauth.site.fmt import Formatter, locale_for
from amzauth.site.localise import Local, pick_marketplace, tags_by_marketplace
from amzauth.site.settings import SiteSettings
from amzauth.site.urls import search_url, tagged_url

__all__ = ["SEARCH_INDEXES", "Page", "SearchOutcome", "SiteKit", "current_page"]

# The search indexes the search form offers (any other index name is accepted in the URL).
SEARCH_INDEXES = (
    "All", "Apparel", "Automotive", "Baby", "Beauty", "Books", "Electronics", "GroceryAndGourmetFood",
    "HealthPersonalCare", "HomeAndKitchen", "KindleStore", "Music", "OfficeProducts", "PetSupplies",
    "SportsAndOutdoors", "ToolsAndHomeImprovement", "ToysAndGames", "VideoGames",
)  # fmt: skip

MEMO_SIZE = 4096

_PAGE: contextvars.ContextVar[Page | None] = contextvars.ContextVar("amzauth_site_page", default=None)
_LOCAL: contextvars.ContextVar[Local | None] = contextvars.ContextVar("amzauth_site_local", default=None)


def current_page() -> Page | None:
    return _PAGE.get()


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    views: list[ProductView]
    more_url: str
    pending: bool
    total: int
    cached: bool
    failed: bool = False  # Amazon could not answer (the list shows only its "more" link)
    state: str = OK  # ok, pending, busy ("try again shortly") or failed
    memo_key: Any = field(default=None, compare=False)  # set when the views came from a cached answer


@dataclass
class Page:
    """The blocks of one page render, waiting for one batched lookup."""

    kit: SiteKit
    env: Environment | None = None
    blocks: list[Block] = field(default_factory=list)
    nonce: str = field(default_factory=lambda: secrets.token_hex(6))
    styled: bool = False

    def placeholder(self, block: Block) -> Markup:
        self.blocks.append(block)
        return Markup(f"<!--amzauth:{self.nonce}:{len(self.blocks) - 1}-->")

    def finish(self, html: str) -> str:
        """Look every ASIN up at once and put each block's HTML in place of its placeholder."""
        if not self.blocks:
            return html
        rendered = self.kit.render_many(self.blocks, env=self.env, styles=not self.styled)
        for i, piece in enumerate(rendered):
            html = html.replace(f"<!--amzauth:{self.nonce}:{i}-->", piece, 1)
        return html


class SiteKit:
    """Renders product blocks from cached Amazon data (thread-safe; share one per process)."""

    def __init__(
        self,
        client: CreatorsClient,
        settings: SiteSettings | None = None,
        *,
        template_dirs: Sequence[str] = (),
        clock: Callable[[], float] | None = None,
        owns_client: bool = False,
    ) -> None:
        self.settings = settings or SiteSettings()
        self.client = client
        self.data = ProductData(client, self.settings, clock=clock)
        self.clock = self.data.clock
        self.marketplace = self.data.marketplace
        self.partner_tag = self.data.partner_tag
        self.fmt = Formatter.for_locale(locale_for(self.marketplace, self.settings.locale))
        self._owns_client = owns_client
        self.env = self._make_env(None, template_dirs)
        self._envs: dict[int, Environment] = {}
        self._memo: dict[Any, Any] = {}  # rendered blocks by (block, env, items' fetch time and freshness)
        self._envs_mu = threading.Lock()
        rel = escape(self.settings.rel)
        self.local_tags = tags_by_marketplace(self.settings.partner_tags)
        self._local_data: dict[str, ProductData | None] = {}  # other stores of the credential's region
        self._local_mu = threading.Lock()
        self.link_attrs = Markup(f'rel="{rel}"' + (' target="_blank"' if self.settings.new_tab else ""))

    @classmethod
    def from_profile(
        cls,
        name: str | None = None,
        config: str | None = None,
        *,
        settings: SiteSettings | None = None,
        **client_kw: Any,
    ) -> SiteKit:
        """A kit for a profile of the profiles file; ``AMZAUTH_SITE_*`` variables set the options."""
        from amzauth.config import load_profile

        profile = load_profile(name, config)
        client = CreatorsClient(profile, **client_kw)
        try:
            import os

            chosen = settings or SiteSettings.from_env(os.environ)
        except Exception:
            client.close()
            raise
        return cls(client, chosen, owns_client=True)

    def close(self) -> None:
        self.data.close()
        for other in self._local_data.values():
            if other is not None:
                other.close()
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> SiteKit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- templates ----------------------------------------------------------------------------------
    @staticmethod
    def _make_env(first: Any, dirs: Sequence[str]) -> Environment:
        loaders: list[Any] = [x for x in (first,) if x is not None]
        if dirs:
            loaders.append(FileSystemLoader(list(dirs)))
        loaders.append(PackageLoader("amzauth.site", "templates"))
        return Environment(loader=ChoiceLoader(loaders), autoescape=True, auto_reload=False)

    def env_for(self, user_env: Environment | None) -> Environment:
        """The environment blocks render with: the user's template lookup first (so a file named
        ``amzauth/box.html`` there overrides ours), then ours; autoescape always on."""
        if user_env is None or user_env.loader is None:
            return self.env
        with self._envs_mu:
            env = self._envs.get(id(user_env))
            if env is None:
                env = self._envs[id(user_env)] = self._make_env(user_env.loader, ())
            return env

    def _template(self, env: Environment, name: str) -> Template:
        try:
            return env.get_template(name)
        except TemplateNotFound:
            return self.env.get_template(name)

    # -- page scope --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def page(self, env: Environment | None = None) -> Iterator[Page]:
        """Collect the blocks of one render; ``page.finish(html)`` fetches once and fills them in."""
        outer = _PAGE.get()
        if outer is not None:
            yield outer
            return
        page = Page(self, env)
        token = _PAGE.set(page)
        try:
            yield page
        finally:
            _PAGE.reset(token)

    def block(self, block: Block, env: Environment | None = None) -> Markup:
        """A block's HTML now, or its placeholder while a page is being rendered."""
        page = _PAGE.get()
        if page is not None and page.kit is self:
            return page.placeholder(block)
        return self.render_many([block], env=env)[0]

    # -- convenience for templates and Python --------------------------------------------------------
    def box(self, asin: str, **options: Any) -> Markup:
        return self.block(Box.of(asin, **options))

    def product_list(self, asins: Any = None, **options: Any) -> Markup:
        return self.block(ProductList.of(asins, **options))

    def table(self, asins: Any, **options: Any) -> Markup:
        return self.block(Table.of(asins, **options))

    def text_link(self, asin: str, text: str | None = None) -> Markup:
        return self.block(TextLink.of(asin, text))

    def image_link(self, asin: str, text: str | None = None) -> Markup:
        return self.block(ImageLink.of(asin, text))

    def styles(self) -> Markup:
        page = _PAGE.get()
        if page is not None:
            page.styled = True
        return Markup(self.env.get_template("amzauth/styles.html").render())

    @staticmethod
    def css() -> str:
        """The themes' CSS as a stylesheet (for pages whose CSP forbids inline styles)."""
        html = Environment(loader=PackageLoader("amzauth.site", "templates"), autoescape=True)
        text = html.get_template("amzauth/styles.html").render()
        return text.replace("<style data-amzauth-styles>", "").replace("</style>", "").strip()

    def disclosure(self) -> Markup:
        return Markup(
            self.env.get_template("amzauth/disclosure.html").render(disclosure=self.disclosure_text)
        )

    @property
    def disclosure_text(self) -> str:
        return self.settings.disclosure_text or self.fmt.text("disclosure")

    # -- data ----------------------------------------------------------------------------------------
    # -- localised links -------------------------------------------------------------------------------
    def local_for(self, country: str | None, accept_language: str | None) -> Local | None:
        """The visitor's store and tag when localisation is on and it differs from the profile's."""
        if not self.settings.localise:
            return None
        mp = pick_marketplace(country, accept_language, self.local_tags, self.marketplace)
        if mp == self.marketplace:
            return None
        return Local(mp, self.local_tags[mp])

    @contextlib.contextmanager
    def visitor(self, headers: Any) -> Iterator[Local | None]:
        """Render for the visitor of these request headers (any mapping with ``.get``):
        their country's store and tag with ``localise`` on; a no-op otherwise."""
        local = None
        if self.settings.localise:
            local = self.local_for(
                headers.get(self.settings.country_header)
                or headers.get(self.settings.country_header.lower()),
                headers.get("Accept-Language") or headers.get("accept-language"),
            )
        token = _LOCAL.set(local)
        try:
            yield local
        finally:
            _LOCAL.reset(token)

    def market(self) -> tuple[str, str]:
        """(marketplace, partner tag) links go to for the current visitor."""
        local = _LOCAL.get()
        return (local.marketplace, local.partner_tag) if local else (self.marketplace, self.partner_tag)

    def local_data(self, local: Local) -> ProductData | None:
        """The data path for another store this credential can query (same region), else None."""
        with self._local_mu:
            if local.marketplace not in self._local_data:
                from amzauth.config.marketplaces import find_marketplace

                here, there = find_marketplace(self.marketplace), find_marketplace(local.marketplace)
                same = here is not None and there is not None and here.region == there.region
                self._local_data[local.marketplace] = (
                    ProductData(
                        self.client, self.settings, clock=self.clock,
                        marketplace=local.marketplace, partner_tag=local.partner_tag,
                    )
                    if same
                    else None
                )  # fmt: skip
            return self._local_data[local.marketplace]

    def view(self, asin: str, item: Item | None) -> ProductView:
        local = _LOCAL.get()
        if local is None:
            return self._home_view(asin, item)
        # The visitor's store: its own data when this credential can read that store and has it
        # cached (price included: it came from there); otherwise it is fetched in the background
        # for the next view, and meanwhile (or when the item is not sold there) a tagged search for
        # the title in that store, without the home store's price.
        there = self.local_data(local)
        if there is not None:
            found = there.peek([asin])
            got = found.items.get(asin)
            if got is not None:
                return product_view(
                    asin, got, now=self.clock(), items_ttl=there.ttl, settings=self.settings,
                    fmt=self.fmt, marketplace=local.marketplace, partner_tag=local.partner_tag,
                )  # fmt: skip
            if asin not in found.errors:
                there.queue_refresh([asin])
        v = self._home_view(asin, item)
        url = (
            search_url(local.marketplace, v.title, local.partner_tag)
            if v.title
            else tagged_url(local.marketplace, asin, local.partner_tag)
        )
        return dc_replace(
            v, url=url, price=None, currency=None, price_text=None, price_as_of=None, as_of_text=None,
            savings_percent=None, savings_text=None,
        )  # fmt: skip

    def _home_view(self, asin: str, item: Item | None) -> ProductView:
        return product_view(
            asin,
            item,
            now=self.clock(),
            items_ttl=self.data.ttl,
            settings=self.settings,
            fmt=self.fmt,
            marketplace=self.marketplace,
            partner_tag=self.partner_tag,
        )

    def views(self, asins: Sequence[str]) -> list[ProductView]:
        found = self.data.lookup(asins) or Found()
        return [self.view(a, found.items.get(a)) for a in asins]

    def warm(self, asins: Sequence[str], progress: Callable[[int, int], None] | None = None) -> ItemsResult:
        return self.data.warm(asins, progress)

    # -- rendering ----------------------------------------------------------------------------------
    def render_many(
        self,
        blocks: Sequence[Block],
        *,
        env: Environment | None = None,
        styles: bool = True,
        wait: bool = True,
    ) -> list[Markup]:
        """Render blocks with one lookup for all their ASINs (stale copies or links past the budget)."""
        return self._render(blocks, env=env, styles=styles, wait=wait) or []

    def render_cached(self, blocks: Sequence[Block], *, styles: bool = True) -> list[Markup] | None:
        """Render only if every item is fresh in the cache (no waiting at all), else None."""
        if any(isinstance(b, Category) or (isinstance(b, ProductList) and b.is_search) for b in blocks):
            return None
        return self._render(blocks, env=None, styles=styles, wait=False)

    def _render(
        self, blocks: Sequence[Block], *, env: Environment | None, styles: bool, wait: bool
    ) -> list[Markup] | None:
        asins = [a for b in blocks for a in b.needs()]
        found: Found = Found()
        if asins:
            got = self.data.lookup(asins, wait=wait)
            if got is None:
                return None
            found = got
        peeked: Found | None = None
        benv = self.env_for(env)
        out: list[Markup] = []
        style = Markup(self._template(benv, "amzauth/styles.html").render()) if styles else Markup("")
        for b in blocks:
            if isinstance(b, TextLink | ImageLink):
                if peeked is None:
                    peeked = self.data.peek([x.asin for x in blocks if isinstance(x, TextLink | ImageLink)])
                out.append(self._render_link(benv, b, peeked.items.get(b.asin)))
                continue
            out.append(self._render_block(benv, b, found, style))
            style = Markup("")
        return out

    def _common(self, b: Box | ProductList | Table | Category, style: Markup) -> dict[str, Any]:
        return {
            "styles": style,
            "theme": b.theme or self.settings.theme,
            "button": b.button or self.settings.button_text or self.fmt.text("buy"),
            "link": self.link_attrs,
            "disclosure": self.disclosure_text if self.settings.disclosure else None,
            "fallback_text": self.fmt.text("view"),
        }

    def _render_block(self, env: Environment, b: Block, found: Found, style: Markup) -> Markup:
        """A block's HTML, from the render memo when its items and their freshness are unchanged."""
        if isinstance(b, Category):
            return self._render_category(env, b, style)
        if (isinstance(b, ProductList) and b.is_search) or _LOCAL.get() is not None:
            return self._render_fresh(env, b, found, style)  # a visitor's store may fill in later
        now = self.clock()
        ttl, max_age = self.data.ttl, self.settings.max_price_age
        state = []
        for a in b.needs():
            item = found.items.get(a)
            state.append(None if item is None else (item.fetched_at, *freshness(item, now, ttl, max_age)))
        key = (b, id(env), bool(style), found.pending, tuple(state), _LOCAL.get())
        html = self._memo.get(key)
        if html is None:
            html = self._render_fresh(env, b, found, style)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = html
        return html

    def _render_fresh(self, env: Environment, b: Block, found: Found, style: Markup) -> Markup:
        if isinstance(b, Box):
            ctx = self._common(b, style)
            ctx.update(p=self.view(b.asin, found.items.get(b.asin)), fields=b.fields or self.settings.fields)
            return Markup(self._template(env, "amzauth/box.html").render(ctx))
        if isinstance(b, ProductList):
            return self._render_list(env, b, found, style)
        assert isinstance(b, Table)
        return self._render_table(env, b, found, style)

    def _render_list(self, env: Environment, b: ProductList, found: Found, style: Markup) -> Markup:
        ctx = self._common(b, style)
        count = b.count or self.settings.list_count
        more_url = None
        pending = found.pending
        failed = False
        if b.is_search:
            o = self.search_views(b, count)
            views, more_url, pending, failed = o.views, o.more_url, o.pending, o.failed
        else:
            views = [self.view(a, found.items.get(a)) for a in b.asins[:count]]
        ctx.update(
            products=views,
            fields=b.fields or self.settings.fields,
            more_url=more_url,
            more_text=self.fmt.text("more"),
            empty=self.fmt.text("no_results") if not (pending or failed) else None,
            pending=pending,
        )
        return Markup(self._template(env, "amzauth/list.html").render(ctx))

    def search_views(self, b: ProductList, count: int, page: int = 1) -> SearchOutcome:
        """A search list's products (within the budget), its tagged "more" link and whether it is pending."""
        opts: dict[str, Any] = {"item_count": max(1, min(count, 10)), "item_page": page}
        if b.search_index:
            opts["search_index"] = b.search_index
        if b.sort:
            opts["sort_by"] = b.sort
        if b.browse_node:
            opts["browse_node_id"] = b.browse_node
        result, state = self.data.search_state(keywords=b.keywords, **opts)
        mp, tag = self.market()
        more = search_url(mp, b.keywords or "", tag, b.search_index)
        if result is None:
            return SearchOutcome([], more, state == PENDING, 0, False, failed=state != PENDING, state=state)
        items = result.items[:count]
        now, ttl, max_age = self.clock(), self.data.ttl, self.settings.max_price_age
        # Views change only with Amazon's answer, the visitor's store and each item's freshness.
        key = (
            "search", b, count, page, _LOCAL.get(), result.fetched_at, result.total,
            tuple((i.asin, i.fetched_at, *freshness(i, now, ttl, max_age)) for i in items),
        )  # fmt: skip
        local = _LOCAL.get() is not None  # a visitor's store may fill in later: not memoised
        memo = None if local else self._memo.get(key)
        if isinstance(memo, SearchOutcome):
            return dc_replace(memo, cached=result.cached)
        views = [self.view(i.asin, i) for i in items]
        home_more = result.search_url if mp == self.marketplace else None
        if local:
            return SearchOutcome(views, home_more or more, False, result.total, result.cached)
        outcome = SearchOutcome(views, home_more or more, False, result.total, result.cached, memo_key=key)
        self._remember(key, outcome)
        return outcome

    def _remember(self, key: Any, value: Any) -> None:
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = value

    def search_page(self, b: ProductList, page: int) -> SearchOutcome:
        """One results page (10 products) of a search, through the shared cache and limiter."""
        return self.search_views(b, 10, page)

    def render_search_page(
        self,
        q: str,
        outcome: SearchOutcome | None,
        *,
        page: int = 1,
        pages: int = 0,
        category: str | None = None,
        sort: str | None = None,
        error: str | None = None,
    ) -> Markup:
        """A whole results page: the search form, the results as a list block, shareable page links.

        ``outcome`` None shows only the form (no keywords yet, or ``error`` naming what to fix).
        """
        key = None
        if outcome is not None and outcome.memo_key is not None and error is None:
            key = ("page", outcome.memo_key, q, page, pages, category, sort)
            html = self._memo.get(key)
            if isinstance(html, Markup):
                return html
        out = self._render_search_page(q, outcome, page, pages, category, sort, error)
        if key is not None:
            self._remember(key, out)
        return out

    def _render_search_page(
        self,
        q: str,
        outcome: SearchOutcome | None,
        page: int,
        pages: int,
        category: str | None,
        sort: str | None,
        error: str | None,
    ) -> Markup:
        listing = Markup("")
        notice = error
        if outcome is not None:
            ctx = self._common(ProductList(keywords=q), Markup(""))
            empty = None
            if outcome.state == OK and not outcome.views:
                empty = self.fmt.text("no_results_for", q=q)
            elif outcome.state == BUSY:
                notice = self.fmt.text("busy")
            elif outcome.state == PENDING:
                notice = self.fmt.text("pending")
            elif outcome.state == FAILED:
                notice = self.fmt.text("failed")
            ctx.update(
                products=outcome.views,
                fields=self.settings.fields,
                more_url=outcome.more_url,
                more_text=self.fmt.text("more"),
                empty=empty,
                pending=outcome.pending,
            )
            listing = Markup(self.env.get_template("amzauth/list.html").render(ctx))
        indexes = list(SEARCH_INDEXES)
        if category and category not in indexes:
            indexes.append(category)
        return Markup(
            self.env.get_template("amzauth/search_page.html").render(
                q=q, listing=listing, page=page, pages=pages, category=category, sort=sort,
                sorts=sorted(SORT_BY), indexes=indexes, notice=notice, error=error is not None,
                styles=Markup(self.env.get_template("amzauth/styles.html").render()),
                t=self.fmt.text, lang=self.fmt.locale.split("_")[0], theme=self.settings.theme,
            )
        )  # fmt: skip

    def render_search_fragment(
        self, q: str, outcome: SearchOutcome, *, page: int, pages: int, styles: bool = True
    ) -> Markup:
        """One results page as a fragment (the embed's search box): the list block and its state."""
        ctx = self._common(
            ProductList(keywords=q),
            Markup(self.env.get_template("amzauth/styles.html").render()) if styles else Markup(""),
        )
        ctx.update(
            products=outcome.views,
            fields=self.settings.fields,
            more_url=outcome.more_url,
            more_text=self.fmt.text("more"),
            empty=self.fmt.text("no_results_for", q=q) if outcome.state == OK else None,
            pending=outcome.pending,
        )
        notice = {BUSY: "busy", FAILED: "failed", PENDING: "pending"}.get(outcome.state)
        notice = self.fmt.text(notice) if notice else None
        listing = self.env.get_template("amzauth/list.html").render(ctx)
        head = f'<p class="amz-notice" role="status">{escape(notice)}</p>' if notice else ""
        return Markup(
            f'<div class="amz-search-results" data-page="{page}" data-pages="{pages}" '
            f'data-state="{escape(outcome.state)}">{head}{listing}</div>'
        )

    def render_notice_page(self, message: str, title: str) -> Markup:
        """A plain polite page (too many requests, bad address): never a traceback."""
        return Markup(
            self.env.get_template("amzauth/notice_page.html").render(
                message=message, title=title, lang=self.fmt.locale.split("_")[0], t=self.fmt.text
            )
        )

    def search_box(self, action: str = "/amazon/search", category: str | None = None) -> Markup:
        """A search form (GET, works without JavaScript) leading to the ASGI app's results page."""
        indexes = list(SEARCH_INDEXES)
        if category and category not in indexes:
            indexes.append(category)
        return Markup(
            self.env.get_template("amzauth/search_form.html").render(
                action=action, q="", category=category, indexes=indexes, sorts=sorted(SORT_BY),
                t=self.fmt.text,
            )
        )  # fmt: skip

    # -- categories ------------------------------------------------------------------------------------
    def category(self, node: str | int, **options: Any) -> Markup:
        """The category block (name, breadcrumbs, child categories, products) for a browse node."""
        return self.block(Category.of(node, **options))

    def category_data(self, b: Category) -> tuple[Any, str]:
        """(the BrowseNode or None, state) for a category block."""
        result, state = self.data.browse_node(b.node)
        if result is None:
            return None, state
        node = next((n for n in result.nodes if n.id == b.node), None)
        return node, state

    def _render_category(
        self, env: Environment, b: Category, style: Markup, *, href: str | None = None, heading: int = 2
    ) -> Markup:
        node, state = self.category_data(b)
        listing = self._render_list(
            env,
            ProductList(browse_node=b.node, count=b.count, fields=b.fields, button=b.button, theme=b.theme),
            Found(),
            Markup(""),
        )
        pattern = href or self.settings.category_url

        def link(node_id: str) -> str:
            return pattern.replace("{id}", node_id)

        ctx = self._common(b, style)
        ctx.update(
            node=node, node_id=b.node, state=state, listing=listing, href=link, heading=heading,
            ancestors=list(reversed(node.ancestors)) if node is not None else [],
            t=self.fmt.text,
        )  # fmt: skip
        return Markup(self._template(env, "amzauth/category.html").render(ctx))

    def render_category(self, b: Category, href: str | None = None, styles: bool = True) -> Markup:
        """The category block with its links following ``href`` (``{id}`` is replaced)."""
        style = Markup(self.env.get_template("amzauth/styles.html").render()) if styles else Markup("")
        return self._render_category(self.env, b, style, href=href)

    def render_category_page(self, b: Category) -> tuple[Markup, Any, str]:
        """A whole category page (for the ASGI app): (html, node or None, state)."""
        block = self._render_category(self.env, b, Markup(""), href="{id}", heading=1)
        node, state = self.category_data(b)  # answered from the client's memory now
        name = (node.name if node is not None else None) or self.fmt.text("categories")
        html = self.env.get_template("amzauth/category_page.html").render(
            block=block, name=name, lang=self.fmt.locale.split("_")[0], t=self.fmt.text,
            styles=Markup(self.env.get_template("amzauth/styles.html").render()),
        )  # fmt: skip
        return Markup(html), node, state

    def render_index(self) -> Markup:
        return Markup(self.env.get_template("amzauth/index.html").render(lang=self.fmt.locale.split("_")[0]))

    def _render_table(self, env: Environment, b: Table, found: Found, style: Markup) -> Markup:
        ctx = self._common(b, style)
        views = [self.view(a, found.items.get(a)) for a in b.asins]
        cells: dict[str, list[str]] = {row: [self._cell(row, v) for v in views] for row in TABLE_ROWS}
        labels = {row: self.fmt.text(row) for row in TABLE_ROWS}
        ctx.update(
            products=views,
            rows=b.rows or DEFAULT_TABLE_ROWS,
            cells=cells,
            labels=labels,
            winners=table_winners(views, b.rows or DEFAULT_TABLE_ROWS),
        )
        return Markup(self._template(env, "amzauth/table.html").render(ctx))

    def _cell(self, row: str, v: ProductView) -> str:
        if row == "price":
            return v.price_text or "–"
        if row == "rating":
            return v.stars_text or "–"
        if row == "review_count":
            return self.fmt.number(v.review_count) if v.review_count is not None else "–"
        if row == "savings":
            return self.fmt.percent(v.savings_percent / 100) if v.savings_percent else "–"
        if row == "availability":
            return v.availability_text or "–"
        if row == "brand":
            return v.brand or "–"
        if row == "prime":
            return "Prime" if v.prime else "–"
        return "–"

    def _render_link(self, env: Environment, b: TextLink | ImageLink, item: Item | None) -> Markup:
        url = self.view(b.asin, item).url
        text = b.text or (item.title if item is not None and item.title else None) or self.fmt.text("view")
        ctx: dict[str, Any] = {"url": url, "text": text, "link": self.link_attrs}
        if isinstance(b, ImageLink):
            view = self.view(b.asin, item)
            ctx.update(image=view.image, width=view.image_width, height=view.image_height)
            return Markup(self._template(env, "amzauth/image_link.html").render(ctx))
        return Markup(self._template(env, "amzauth/text_link.html").render(ctx))
