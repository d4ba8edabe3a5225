"""``{% load amazon %}``: the site kit's blocks as Django template tags.

{% amazon_box "B0SBXUS001" %}  {% amazon_box url theme="dark" fields="title,price,button" %}
{% amazon_list keywords="kettle" preset="bestsellers" count=3 %}  {% amazon_list asins="B0..,B0.." %}
{% amazon_table "B0SBXUS001,B0SBXUS004" rows="price,rating" %}
{% amazon_link "B0SBXUS008" "this novel" %}  {% amazon_image_link "B0SBXUS008" %}
{% amazon_category "172541" count=5 %}  {% amazon_search_box action="/amazon/search" %}
{% amazon_styles %}  {% amazon_disclosure %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from amzauth.contrib.django.conf import get_kit

register = template.Library()


def _safe(markup: Any) -> SafeString:
    return mark_safe(str(markup))


@register.simple_tag
def amazon_box(asin: str, **options: Any) -> SafeString:
    return _safe(get_kit().box(asin, **options))


@register.simple_tag
def amazon_list(asins: Any = None, **options: Any) -> SafeString:
    return _safe(get_kit().product_list(asins, **options))


@register.simple_tag
def amazon_table(asins: Any, **options: Any) -> SafeString:
    return _safe(get_kit().table(asins, **options))


@register.simple_tag
def amazon_link(asin: str, text: str | None = None) -> SafeString:
    return _safe(get_kit().text_link(asin, text))


@register.simple_tag
def amazon_image_link(asin: str, text: str | None = None) -> SafeString:
    return _safe(get_kit().image_link(asin, text))


@register.simple_tag
def amazon_category(node: Any, **options: Any) -> SafeString:
    return _safe(get_kit().category(node, **options))


@register.simple_tag
def amazon_search_box(action: str = "/amazon/search", category: str | None = None) -> SafeString:
    return _safe(get_kit().search_box(action, category))


@register.simple_tag
def amazon_styles() -> SafeString:
    return _safe(get_kit().styles())


@register.simple_tag
def amazon_disclosure() -> SafeString:
    return _safe(get_kit().disclosure())
