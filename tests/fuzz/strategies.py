"""Hypothesis strategies for what Amazon (or a proxy in front of it) might send, and for profiles.

``shaped(template)`` follows a document's expected shape but lets any key go missing or hold any JSON
value instead, which is where parsers break: a list where a dict was expected, a string for a
number, a huge integer, NaN.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from hypothesis import strategies as st

ANY: Any = object()

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400), 2**63, 10**12])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=24)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)


def shaped(template: Any) -> st.SearchStrategy[Any]:
    """Documents that follow ``template`` loosely: keys go missing, any value may be of another type.

    The full shape is drawn most often, so the parser gets deep enough to meet the odd value.
    """
    if template is ANY:
        return json_value
    if isinstance(template, st.SearchStrategy):
        return template | json_leaf
    if isinstance(template, list):
        inner = shaped(template[0])
        return st.one_of(st.lists(inner, min_size=1, max_size=3), st.lists(inner, max_size=3), json_leaf)
    if isinstance(template, dict):
        full = st.fixed_dictionaries({k: shaped(v) for k, v in template.items()})
        some = st.fixed_dictionaries({}, optional={k: shaped(v) for k, v in template.items()})
        return st.one_of(full, full, some, json_leaf)
    return st.just(template) | json_leaf


def body_of(doc: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Bodies: the JSON text of a document, or raw bytes, or text that is almost JSON."""
    as_json = doc.map(lambda d: json.dumps(d).encode())
    return st.one_of(
        as_json,
        as_json,
        as_json,
        st.binary(max_size=120),
        st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass")),
        doc.map(lambda d: json.dumps(d).encode()[:-1]),  # truncated
    )


http_dates = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda d: format_datetime(d, usegmt=True))
header_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40
)
retry_after_values = st.one_of(
    header_text,
    http_dates,
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
statuses = st.one_of(st.sampled_from([200, 400, 401, 403, 404, 429, 500, 502, 503, 504]), st.integers(0, 999))


def headers_with(**values: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    """Header dicts: any subset of the given headers, with random case, plus random extras."""
    named = st.fixed_dictionaries({}, optional=dict(values.items()))
    cased = named.flatmap(
        lambda d: (
            st.tuples(*(st.sampled_from([k, k.lower(), k.upper()]) for k in d)).map(
                lambda names: dict(zip(names, d.values(), strict=True))
            )
            if d
            else st.just({})
        )
    )
    extra = st.dictionaries(header_text.filter(bool), header_text, max_size=2)
    return st.tuples(cased, extra).map(lambda t: {**t[1], **t[0]})


TOKEN_DOC = {
    "access_token": ANY,
    "refresh_token": ANY,
    "token_type": ANY,
    "expires_in": ANY,
    "scope": ANY,
    "error": st.sampled_from(
        ["invalid_client", "invalid_grant", "server_error", "temporarily_unavailable", "invalid_request", ""]
    ),
    "error_description": ANY,
    "request_id": ANY,
}

ITEM = {
    "asin": ANY,
    "detailPageURL": ANY,
    "parentASIN": ANY,
    "itemInfo": {
        "title": {"displayValue": ANY},
        "byLineInfo": {"brand": {"displayValue": ANY}, "manufacturer": {"displayValue": ANY}},
        "features": {"displayValues": [ANY]},
    },
    "images": {"primary": {"large": {"url": ANY, "height": ANY, "width": ANY}, "medium": {"url": ANY}}},
    "offersV2": {
        "listings": [
            {
                "price": {
                    "money": {"amount": ANY, "currency": ANY, "displayAmount": ANY},
                    "savings": {"money": {"amount": ANY, "currency": ANY}, "percentage": ANY},
                },
                "availability": {"type": ANY, "message": ANY},
                "isBuyBoxWinner": ANY,
                "dealDetails": ANY,
                "merchantInfo": {"name": ANY},
            }
        ]
    },
    "customerReviews": {"count": ANY, "starRating": {"value": ANY}},
    "browseNodeInfo": {"browseNodes": [{"id": ANY, "displayName": ANY, "salesRank": ANY}]},
}
ERRORS = [{"code": ANY, "message": ANY}]
SEARCH_DOC = {"searchResult": {"items": [ITEM], "totalResultCount": ANY, "searchURL": ANY}, "errors": ERRORS}
ITEMS_DOC = {"itemsResult": {"items": [ITEM]}, "errors": ERRORS}
VARIATIONS_DOC = {
    "variationsResult": {
        "items": [ITEM],
        "variationSummary": {
            "variationCount": ANY,
            "pageCount": ANY,
            "price": {"lowestPrice": {"amount": ANY, "currency": ANY}, "highestPrice": {"amount": ANY}},
            "variationDimensions": [{"name": ANY, "values": [ANY]}],
        },
    },
    "errors": ERRORS,
}
NODE = {
    "id": ANY,
    "displayName": ANY,
    "contextFreeName": ANY,
    "isRoot": ANY,
    "children": [ANY],
    "ancestor": ANY,
}
NODES_DOC = {"browseNodesResult": {"browseNodes": [NODE]}, "errors": ERRORS}
CREATORS_ERROR_DOC = {
    "type": st.sampled_from(
        ["ValidationException", "ThrottleException", "com.amazon#UnauthorizedException", "X:http://y", ""]
    ),
    "message": ANY,
    "Message": ANY,
    "reason": st.sampled_from(
        ["TokenExpired", "InvalidToken", "Other", "InvalidPartnerTag", "MissingCredential"]
    ),
    "fieldList": [{"name": ANY, "message": ANY}],
}
SPAPI_ERROR_DOC = {
    "errors": [{"code": ANY, "message": ANY, "details": ANY}],
    "message": ANY,
    "Message": ANY,
    "code": ANY,
    "__type": ANY,
}
