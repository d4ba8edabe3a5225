"""The Jinja2 surface: globals that read like tags, for Flask, Starlette or plain Jinja.

    env = Environment(loader=..., extensions=[AmazonExtension])
    env.amazon_kit = SiteKit.from_profile()        # or install(env, kit)
    {{ amazon_box("B0SBXUS001") }}  {{ amazon_list(keywords="earbuds", sort="Featured", count=3) }}
    {{ amazon_table(["B0SBXUS001", "B0SBXUS004"]) }}  {{ amazon_link("B0SBXUS008", "this novel") }}

Templates rendered by an environment with the extension collect their blocks first and fetch
every ASIN at once when the render ends (the extension swaps in a Template class that does so),
so a page with 30 boxes on a cold cache makes 3 getItems requests. Block templates are looked up
in the environment's own loader first (``amzauth/box.html`` there overrides ours).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, Template, pass_environment
from jinja2.ext import Extension
from markupsafe import Markup

from amzauth.site.blocks import Box, Category, ImageLink, ProductList, Table, TextLink
from amzauth.site.kit import SiteKit, current_page

__all__ = ["AmazonExtension", "install"]


def _kit(env: Environment) -> SiteKit:
    kit = getattr(env, "amazon_kit", None)
    if kit is None:
        kit = SiteKit.from_profile()  # the default profile ($AMZAUTH_PROFILE), made on first use
        env.amazon_kit = kit  # type: ignore[attr-defined]
    return kit


class PageTemplate(Template):
    """A Template whose render collects the page's blocks and fetches their ASINs in one go."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        kit: SiteKit | None = getattr(self.environment, "amazon_kit", None)
        if kit is None or current_page() is not None:
            return super().render(*args, **kwargs)
        with kit.page(self.environment) as page:
            html: str = super().render(*args, **kwargs)
            return page.finish(html)


@pass_environment
def amazon_box(env: Environment, asin: str, **options: Any) -> Markup:
    return _kit(env).block(Box.of(asin, **options), env)


@pass_environment
def amazon_list(env: Environment, asins: Any = None, **options: Any) -> Markup:
    return _kit(env).block(ProductList.of(asins, **options), env)


@pass_environment
def amazon_table(env: Environment, asins: Any, **options: Any) -> Markup:
    return _kit(env).block(Table.of(asins, **options), env)


@pass_environment
def amazon_link(env: Environment, asin: str, text: str | None = None) -> Markup:
    return _kit(env).block(TextLink.of(asin, text), env)


@pass_environment
def amazon_image_link(env: Environment, asin: str, text: str | None = None) -> Markup:
    return _kit(env).block(ImageLink.of(asin, text), env)


@pass_environment
def amazon_category(env: Environment, node: str | int, **options: Any) -> Markup:
    return _kit(env).block(Category.of(node, **options), env)


@pass_environment
def amazon_search_box(
    env: Environment, action: str = "/amazon/search", category: str | None = None
) -> Markup:
    return _kit(env).search_box(action, category)


@pass_environment
def amazon_styles(env: Environment) -> Markup:
    return _kit(env).styles()


@pass_environment
def amazon_disclosure(env: Environment) -> Markup:
    return _kit(env).disclosure()


class AmazonExtension(Extension):
    """Adds the ``amazon_*`` globals and the batching Template class to an environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.template_class = PageTemplate
        environment.globals.update(
            amazon_box=amazon_box,
            amazon_list=amazon_list,
            amazon_table=amazon_table,
            amazon_link=amazon_link,
            amazon_image_link=amazon_image_link,
            amazon_category=amazon_category,
            amazon_search_box=amazon_search_box,
            amazon_styles=amazon_styles,
            amazon_disclosure=amazon_disclosure,
        )


def install(env: Environment, kit: SiteKit | None = None) -> Environment:
    """Add the extension to ``env`` (Flask: ``app.jinja_env``) and attach ``kit``."""
    env.add_extension(AmazonExtension)
    if kit is not None:
        env.amazon_kit = kit  # type: ignore[attr-defined]
    return env
