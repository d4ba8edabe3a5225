"""Site kit: Amazon product blocks (boxes, lists, comparison tables, links) for affiliate pages.

One :class:`SiteKit` per process renders every block from cached Creators API data, for Jinja2
(:mod:`amzauth.site.jinja`), Django (:mod:`amzauth.contrib.django`) and any ASGI app
(:mod:`amzauth.site.asgi`). Amazon's Associates rules are built in: the disclosure, "price as of"
beside every price, no price older than 24 hours, the partner tag and ``rel="sponsored"`` on every
link. See docs/site.md.
"""

from __future__ import annotations

from amzauth.site.blocks import Box, ImageLink, ProductList, ProductView, Table, TextLink
from amzauth.site.kit import Page, SiteKit
from amzauth.site.settings import SiteSettings
from amzauth.site.urls import parse_asin, tagged_url

__all__ = [
    "Box",
    "ImageLink",
    "Page",
    "ProductList",
    "ProductView",
    "SiteKit",
    "SiteSettings",
    "Table",
    "TextLink",
    "parse_asin",
    "tagged_url",
]
