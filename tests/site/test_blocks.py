"""Block specs and options: bad input is a typed error naming the field; table winners per row."""

from __future__ import annotations

import pytest

from amzauth.creators import InvalidInput
from amzauth.site import Box, ProductList, SiteSettings, Table
from amzauth.site.blocks import ProductView, table_winners


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Table.of(["B0SBXUS001"]), "asins"),
        (lambda: Table.of([f"B0SBXUS00{i}" for i in range(1, 8)]), "asins"),
        (lambda: Table.of(["B0SBXUS001", "B0SBXUS002"], rows="price,colour"), "rows"),
        (lambda: ProductList.of(), "keywords"),
        (lambda: ProductList.of(["B0SBXUS001"], keywords="x"), "asins"),
        (lambda: ProductList.of(keywords="x", sort="Cheapest"), "sort"),
        (lambda: ProductList.of(keywords="x", preset="trending"), "preset"),
        (lambda: ProductList.of(keywords="x", count=11), "count"),
        (lambda: Box.of("B0SBXUS001", fields="title,colour"), "fields"),
        (lambda: Box.of("B0SBXUS001", theme="neon"), "theme"),
        (lambda: SiteSettings(max_price_age=90000), "max_price_age"),
        (lambda: SiteSettings(rel="nofollow"), "rel"),
        (lambda: SiteSettings(budget_ms=-1), "budget_ms"),
        (lambda: SiteSettings(cors_origins=("*",)), "cors_origins"),
        (lambda: SiteSettings.from_mapping({"site_colour": "red"}, prefix="site_"), "site_colour"),
    ],
)
def test_bad_options_are_typed_errors_naming_the_field(make: object, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        make()  # type: ignore[operator]
    assert err.value.field == field


def test_presets_pick_the_api_sort() -> None:
    assert ProductList.of(keywords="kettle", preset="bestsellers").sort == "Featured"
    assert ProductList.of(browse_node=172282, preset="new_releases").sort == "NewestArrivals"


def test_settings_from_environment_variables() -> None:
    s = SiteSettings.from_mapping(
        {
            "site_theme": "dark",
            "site_budget_ms": "150",
            "site_disclosure": "false",
            "site_fields": "title,price",
        },
        prefix="site_",
    )
    assert (s.theme, s.budget, s.disclosure, s.fields) == ("dark", 0.15, False, ("title", "price"))


def _view(price: float | None, rating: float | None) -> ProductView:
    return ProductView(
        "B0SBXUS001", "u", "t", None, None, 0, 0, price, "USD" if price else None, None, None, None,
        None, None, None, None, None, rating, None, None, None, False, False,
    )  # fmt: skip


def test_table_winner_per_numeric_row() -> None:
    views = [_view(49.99, 4.4), _view(19.99, 4.4), _view(None, 4.7)]
    winners = table_winners(views, ["price", "rating", "availability"])
    assert winners == {"price": frozenset({1}), "rating": frozenset({2})}
    assert table_winners([_view(10, 4), _view(10, 4)], ["price", "rating"]) == {}  # all equal: no winner
