"""ASINs from pasted text and URLs; tagged links without any request."""

from __future__ import annotations

import pytest

from amzauth.creators import InvalidInput
from amzauth.site.urls import parse_asin, search_url, tagged_url


@pytest.mark.parametrize(
    "text",
    [
        "B0SBXUS001",
        "b0sbxus001",
        "  B0SBXUS001 ",
        "https://www.amazon.com/dp/B0SBXUS001",
        "https://www.amazon.com/Acme-Audio-Earbuds/dp/B0SBXUS001/ref=sr_1_1?keywords=x",
        "https://www.amazon.de/gp/product/B0SBXUS001?th=1",
        "https://www.amazon.co.jp/gp/aw/d/B0SBXUS001",
        "http://amazon.co.uk/exec/obidos/ASIN/B0SBXUS001/",
        "www.amazon.com/o/ASIN/B0SBXUS001",
        "https://smile.amazon.com/dp/b0sbxus001",
        "https://WWW.AMAZON.COM/DP/B0SBXUS001",
        "https://www.amazon.com.au/product/B0SBXUS001",
    ],
)
def test_every_product_url_form_gives_the_asin(text: str) -> None:
    assert parse_asin(text) == "B0SBXUS001"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "give an ASIN"),
        ("B0SBX", "neither an ASIN"),
        ("https://example.com/dp/B0SBXUS001", "neither an ASIN nor an Amazon product URL"),
        ("https://amzn.to/3xYz", "short links"),
        ("https://www.amazon.com/gp/help/customer", "no ASIN in the Amazon URL"),
    ],
)
def test_bad_input_names_the_field_and_the_fix(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_asin(text, "asin")
    assert err.value.field == "asin" and says in str(err.value)


def test_links_carry_the_tag() -> None:
    assert tagged_url("www.amazon.de", "B0SBXDE001", "demode-21") == (
        "https://www.amazon.de/dp/B0SBXDE001?tag=demode-21"
    )
    assert search_url("www.amazon.com", "usb c & more", "demo-20", "Electronics") == (
        "https://www.amazon.com/s?k=usb+c+%26+more&tag=demo-20&i=electronics"
    )
