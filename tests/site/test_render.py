"""Blocks rendered from the sandbox's data: Amazon's rules on every link, price and page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import DictLoader, Environment

from amzauth.site import SiteKit
from amzauth.site.jinja import install
from tests.creators import _world
from tests.site.conftest import api_calls

US = "www.amazon.com"
TAG = "demo-20"


def _links(html: str) -> list[str]:
    return re.findall(r"<a\b[^>]*>", html)


def _check_links(html: str) -> None:
    links = _links(html)
    assert links
    for a in links:
        assert 'rel="sponsored nofollow noopener"' in a, a
        assert f"tag={TAG}" in a, a


def test_box_shows_the_catalogue_item_with_tag_rel_disclosure_and_price_as_of(kit: SiteKit, sb: Any) -> None:
    want = _world.item(US, "B0SBXUS001")
    html = kit.box("https://www.amazon.com/dp/b0sbxus001")
    assert want.title in html and want.brand in html
    assert "$49.99" in html and "Price as of" in html
    assert "As an Amazon Associate I earn from qualifying purchases." in html
    assert re.search(r'<img [^>]*width="\d+" height="\d+"', html)
    _check_links(html)
    assert len(api_calls(sb)) == 1


def test_locale_follows_the_marketplace(make_kit: Callable[..., SiteKit], sb: Any, store: Any) -> None:
    client = _world.make_client(sb, store, version="3.2", marketplace="www.amazon.de")
    kit = make_kit(client)
    want = _world.item("www.amazon.de", "B0SBXDE001")
    html = kit.box("B0SBXDE001")
    assert "59,99\xa0€" in html and "Preis vom" in html and "von 5 Sternen" in html
    assert "Als Amazon-Partner" in html and "tag=demode-21" in html and want.title in html


def test_hostile_titles_are_escaped(kit: SiteKit) -> None:
    html = kit.box("B0SBXUS017") + kit.table(["B0SBXUS017", "B0SBXUS019"]) + kit.image_link("B0SBXUS017")
    assert "<script>" not in html and "<b>Speaker" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "مكبر صوت لاسلكي" in html and "🎧" in html and "كتاب الطبخ العربي" in html
    _check_links(html)


def test_item_without_offers_keeps_title_and_link_without_price(kit: SiteKit) -> None:
    view = kit.views(["B0SBXUS018"])[0]
    assert view.title and view.title.startswith("The Lighthouse Atlas")
    assert view.as_json()["price"] is None and view.as_json()["price_as_of"] is None
    assert not view.fallback and f"tag={TAG}" in view.url


def test_comparison_table_marks_the_best_of_each_numeric_row(kit: SiteKit) -> None:
    html = kit.table(["B0SBXUS001", "B0SBXUS004", "B0SBXUS015"], rows="price,rating")
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th>(.*?)</tr>", html, re.S)
    cells = {name: re.findall(r"<td( class=\"amz-win\")?>", body) for name, body in rows}
    prices = [_world.item(US, a).price for a in ("B0SBXUS001", "B0SBXUS004", "B0SBXUS015")]
    ratings = [_world.item(US, a).rating for a in ("B0SBXUS001", "B0SBXUS004", "B0SBXUS015")]
    assert [bool(c) for c in cells["Price"]] == [p == min(prices) for p in prices]
    assert [bool(c) for c in cells["Rating"]] == [r == max(r2 for r2 in ratings if r2) for r in ratings]
    _check_links(html)


def test_search_list_with_sort_and_count(kit: SiteKit, sb: Any) -> None:
    html = kit.product_list(keywords="acme audio", sort="Price:LowToHigh", count=2)
    asins = re.findall(r'<li data-asin="(\w+)"', html)
    family = sorted((it for it in _world.catalogue(US) if "Acme Audio" in it.title), key=lambda i: i.price)
    assert asins == [it.asin for it in family[:2]]
    assert "See more on Amazon" in html
    _check_links(html)
    kit.product_list(keywords="acme audio", sort="Price:LowToHigh", count=2)
    assert len(api_calls(sb, "searchItems")) == 1  # the second render is a cache hit


def test_links_need_no_api_call(kit: SiteKit, sb: Any) -> None:
    html = kit.text_link("B0SBXUS008", "a quiet novel") + kit.image_link("B0SBXUS008")
    assert ">a quiet novel</a>" in html and "<img" not in html  # nothing cached: a text link
    _check_links(html)
    assert api_calls(sb) == []


def test_a_page_of_30_boxes_makes_3_requests_cold_and_none_warm(kit: SiteKit, sb: Any) -> None:
    real = [it.asin for it in _world.catalogue(US)]
    asins = (real + [f"B0ZZZZZ{i:03d}" for i in range(30)])[:30]
    body = "".join(f"{{{{ amazon_box('{a}') }}}}" for a in asins)
    env = install(Environment(loader=DictLoader({"page.html": body})), kit)
    html = env.get_template("page.html").render()
    assert html.count('class="amz-block amz-box') == 30
    assert len(api_calls(sb)) == 3
    assert env.get_template("page.html").render() == html
    assert len(api_calls(sb)) == 3


def test_templates_are_overridable_by_name(kit: SiteKit) -> None:
    mine = "{% autoescape true %}<div class=mine>{{ p.title }} {{ p.price_text }}</div>{% endautoescape %}"
    env = install(
        Environment(
            loader=DictLoader({"p.html": "{{ amazon_box('B0SBXUS005') }}", "amzauth/box.html": mine})
        ),
        kit,
    )
    html = env.get_template("p.html").render()
    assert html.startswith("<div class=mine>") and "$89.95" in html


def test_browse_node_list_with_the_new_releases_preset(kit: SiteKit) -> None:
    node = "12097479011"  # Earbud Headphones in the demo world
    html = kit.product_list(browse_node=node, preset="new_releases", count=3)
    asins = re.findall(r'<li data-asin="(\w+)"', html)
    members = [it for it in _world.catalogue(US) if node in it.browse_nodes]
    newest = sorted(members, key=lambda it: it.release_date, reverse=True)
    assert asins and set(asins) <= {it.asin for it in members}
    assert [_world.item(US, a).release_date for a in asins] == [
        it.release_date for it in newest[: len(asins)]
    ]
    _check_links(html)


def test_included_templates_share_the_page_lookup(kit: SiteKit, sb: Any) -> None:
    templates = {
        "page.html": "{{ amazon_styles() }}{% include 'part.html' %}{{ amazon_box('B0SBXUS014') }}",
        "part.html": "{{ amazon_box('B0SBXUS013') }}{{ amazon_table(['B0SBXUS011', 'B0SBXUS012']) }}",
    }
    env = install(Environment(loader=DictLoader(templates)), kit)
    html = env.get_template("page.html").render()
    assert html.count("<style data-amzauth-styles>") == 1  # styles once, from amazon_styles()
    assert all(f'data-asin="{a}"' in html for a in ("B0SBXUS011", "B0SBXUS012", "B0SBXUS013", "B0SBXUS014"))
    assert len(api_calls(sb)) == 1
