"""Fuzzing the parsers of what comes back from Amazon: random statuses, headers and bodies.

The contract under test: a parser answers with its result or its own typed error, and nothing
else: no KeyError, TypeError, OverflowError or ValueError escaping from a document of an
unexpected shape. Each property runs a bounded number of examples so the whole area stays fast.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amzauth.config import profile_from_mapping
from amzauth.core.plan import build_plan
from amzauth.core.tokens import (
    MAX_LIFETIME,
    Token,
    estimate_clock_skew,
    parse_retry_after,
    parse_token_response,
)
from amzauth.creators import CreatorsError, error_from_response
from amzauth.creators import wire as cwire
from amzauth.engine import token_rejected
from amzauth.errors import TokenError
from tests.fuzz.strategies import (
    CREATORS_ERROR_DOC,
    ITEMS_DOC,
    NODES_DOC,
    SEARCH_DOC,
    SPAPI_ERROR_DOC,
    TOKEN_DOC,
    VARIATIONS_DOC,
    body_of,
    header_text,
    headers_with,
    http_dates,
    json_leaf,
    retry_after_values,
    shaped,
    statuses,
)

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CREATORS_PLAN = build_plan(
    profile_from_mapping(
        {
            "api": "creators",
            "credential_version": "3.1",
            "client_id": "amzn1.application-oa2-client.fuzz",
            "client_secret": "amzn1.oa2-cs.v1.fuzzsecretnotreal",
            "partner_tag": "fuzz-20",
        }
    )
)
SPAPI_PLAN = build_plan(
    profile_from_mapping(
        {
            "api": "spapi",
            "region": "eu",
            "client_id": "amzn1.application-oa2-client.fuzz",
            "client_secret": "amzn1.oa2-cs.v1.fuzzsecretnotreal",
            "refresh_token": "Atzr|fuzz",
        }
    )
)
TOKEN_HEADERS = headers_with(
    **{
        "Content-Type": st.sampled_from(["application/json", "text/html", "text/plain", ""]) | header_text,
        "Retry-After": retry_after_values,
        "Date": http_dates | header_text,
        "x-amzn-RequestId": header_text,
    }
)
API_HEADERS = headers_with(
    **{
        "Retry-After": retry_after_values,
        "x-amzn-RequestId": header_text,
        "x-amzn-ErrorType": header_text,
        "x-amzn-RateLimit-Limit": header_text,
        "Content-Type": header_text,
    }
)
TARGET = cwire.Target("https://creatorsapi.amazon", "www.amazon.com", "fuzz-20")
SEARCH_PAYLOAD = cwire.search_payload("usb", partner_tag="fuzz-20")


# ---- token endpoint ----------------------------------------------------------------------------------
@FAST
@given(status=statuses, headers=TOKEN_HEADERS, body=body_of(shaped(TOKEN_DOC)))
def test_parse_token_response_gives_a_token_or_a_token_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    sent = time.time()
    try:
        tok = parse_token_response(status, headers, body, sent_at=sent, endpoint="https://api.amazon.com/x")
    except TokenError as exc:
        assert exc.status == status
        assert exc.retry_after is None or (math.isfinite(exc.retry_after) and exc.retry_after >= 0)
        assert isinstance(exc.retryable, bool) and str(exc)
        return
    assert isinstance(tok, Token) and tok.access_token
    assert sent < tok.expires_at <= sent + MAX_LIFETIME
    assert status == 200


@FAST
@given(
    status=st.sampled_from([200, 200, 200, 400, 503]),
    access=st.text(min_size=1, max_size=30),
    expires_in=json_leaf,
    extra=shaped(TOKEN_DOC),
)
@example(status=200, access="x", expires_in=10**400, extra={})  # OverflowError before the fix
@example(status=200, access="x", expires_in=-(10**400), extra={})
@example(status=200, access="x", expires_in=float("nan"), extra={})
@example(status=200, access="x", expires_in=5e-324, extra={})  # a token expired at birth was handed out
def test_token_answers_with_odd_expires_in(status: int, access: str, expires_in: Any, extra: Any) -> None:
    doc = {**(extra if isinstance(extra, dict) else {}), "access_token": access, "expires_in": expires_in}
    doc.pop("error", None)
    sent = time.time()
    try:
        tok = parse_token_response(status, {}, json.dumps(doc).encode(), sent_at=sent)
    except TokenError as exc:
        assert exc.status == status
        return
    assert sent + 1 <= tok.expires_at <= sent + MAX_LIFETIME


@FAST
@given(value=retry_after_values, now=st.floats(0, 4e9))
def test_retry_after_is_none_or_finite_and_not_negative(value: str, now: float) -> None:
    for n in (now, None):
        got = parse_retry_after(value, n)
        assert got is None or (math.isfinite(got) and got >= 0)


@FAST
@given(date=http_dates | header_text, sent=st.floats(0, 4e9), rtt=st.floats(0, 60))
def test_clock_skew_is_none_or_finite(date: str, sent: float, rtt: float) -> None:
    skew = estimate_clock_skew(date, sent, sent + rtt)
    assert skew is None or math.isfinite(skew)


@FAST
@given(date=http_dates, sent=st.floats(1e9, 3e9))
def test_clock_skew_of_a_valid_date_is_within_a_second(date: str, sent: float) -> None:
    from email.utils import parsedate_to_datetime

    server = parsedate_to_datetime(date).timestamp()
    skew = estimate_clock_skew(date, sent, sent)
    assert skew is not None and abs(skew - (server - sent)) <= 0.501


# ---- Creators API --------------------------------------------------------------------------------------
@FAST
@given(status=statuses, headers=API_HEADERS, body=body_of(shaped(CREATORS_ERROR_DOC)))
@example(status=400, headers={}, body=b'{"fieldList": 5}')  # TypeError before the fix
def test_creators_error_body_always_maps_to_a_typed_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    err = error_from_response(status, headers, body, operation="searchItems")
    assert isinstance(err, CreatorsError)
    assert isinstance(err.code, str) and err.code
    assert err.retry_after is None or (math.isfinite(err.retry_after) and err.retry_after >= 0)
    assert isinstance(err.to_dict(), dict) and str(err)


def _result_or_error(out: Any, model: type[Any]) -> None:
    if isinstance(out, CreatorsError):
        assert str(out)
        return
    assert isinstance(out, model)
    out.model_dump_json()  # cacheable: it serialises


@SOME
@given(status=statuses, headers=API_HEADERS, body=body_of(shaped(SEARCH_DOC)))
@example(status=200, headers={}, body=b'{"searchResult": {"items": 5}}')  # TypeError before the fix
@example(status=200, headers={}, body=b'{"errors": 5}')
@example(status=200, headers={}, body=b'{"searchResult": {"items": [{"offersV2": {"listings": 1}}]}}')
def test_parse_search_never_raises(status: int, headers: dict[str, str], body: bytes) -> None:
    from amzauth.creators import SearchResult

    _result_or_error(cwire.parse_search(status, headers, body, TARGET, SEARCH_PAYLOAD, 0.0), SearchResult)


@SOME
@given(
    status=statuses,
    headers=API_HEADERS,
    body=body_of(shaped(ITEMS_DOC)),
    asins=st.lists(st.from_regex(r"\AB0[0-9A-Z]{8}\Z"), min_size=1, max_size=10),
)
@example(status=200, headers={}, body=b'{"itemsResult": {"items": 7}}', asins=["B000000001"])
@example(
    status=200,
    headers={},
    body=b'{"itemsResult": {"items": [{"asin": "B000000001", "customerReviews": {"count": 1e999}}]}}',
    asins=["B000000001"],
)  # OverflowError before the fix
@example(
    status=200,
    headers={},
    body=(
        b'{"itemsResult": {"items": [{"asin": "B000000001", "offersV2": {"listings": '
        b'[{"price": {"money": {"amount": 1' + b"0" * 400 + b"}}}]}}]}}"
    ),
    asins=["B000000001"],
)
def test_parse_items_never_raises(
    status: int, headers: dict[str, str], body: bytes, asins: list[str]
) -> None:
    out = cwire.parse_items(status, headers, body, TARGET, asins, 0.0)
    if isinstance(out, CreatorsError):
        return
    items, errors = out
    answered = {i.asin for i in items} | {e.asin for e in errors}
    assert set(asins) <= answered  # every requested ASIN gets an item or an error


@SOME
@given(status=statuses, headers=API_HEADERS, body=body_of(shaped(VARIATIONS_DOC)))
@example(status=200, headers={}, body=b'{"variationsResult": {"variationSummary": {"variationCount": "x"}}}')
@example(
    status=200, headers={}, body=b'{"variationsResult": {"variationSummary": {"variationDimensions": 3}}}'
)
def test_parse_variations_never_raises(status: int, headers: dict[str, str], body: bytes) -> None:
    from amzauth.creators import VariationsResult

    payload = cwire.variations_payload("B0SBXUS000", partner_tag="fuzz-20")
    _result_or_error(cwire.parse_variations(status, headers, body, TARGET, payload, 0.0), VariationsResult)


@SOME
@given(status=statuses, headers=API_HEADERS, body=body_of(shaped(NODES_DOC)))
@example(status=200, headers={}, body=b'{"browseNodesResult": {"browseNodes": 5}}')
@example(status=200, headers={}, body=b'{"browseNodesResult": {"browseNodes": [{"children": true}]}}')
def test_parse_browse_nodes_never_raises(status: int, headers: dict[str, str], body: bytes) -> None:
    from amzauth.creators import BrowseNodesResult

    payload = cwire.browse_nodes_payload(["123", "456"], partner_tag="fuzz-20")
    _result_or_error(cwire.parse_browse_nodes(status, headers, body, payload, 0.0), BrowseNodesResult)


@FAST
@given(status=statuses, body=body_of(shaped(CREATORS_ERROR_DOC) | shaped(SPAPI_ERROR_DOC)))
def test_token_rejected_is_a_plain_decision(status: int, body: bytes) -> None:
    for plan in (CREATORS_PLAN, SPAPI_PLAN):
        assert token_rejected(plan, status, body) in (True, False)


# ---- SP-API and the doctor's reading of error bodies ------------------------------------------------------
@FAST
@given(status=statuses, headers=API_HEADERS, body=body_of(shaped(SPAPI_ERROR_DOC)))
@example(status=500, headers={}, body=b'{"message": ""}')  # KeyError 'Message' before the fix
def test_spapi_error_body_gives_a_document_or_a_typed_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    from amzauth.spapi.errors import SPAPIError
    from amzauth.spapi.wire import parse_api_response

    try:
        doc = parse_api_response(status, headers, body, method="GET", path="/sellers/v1/x")
    except SPAPIError as exc:
        assert exc.status == status and str(exc)
        return
    assert 200 <= status < 300 and isinstance(doc, dict)


@SOME
@given(
    status=st.integers(300, 599),
    headers=API_HEADERS,
    body=body_of(shaped(SPAPI_ERROR_DOC) | shaped(CREATORS_ERROR_DOC)),
)
@example(status=429, headers={"Retry-After": "\u00b2"}, body=b"{}")  # "²".isdigit(): ValueError before
@example(status=503, headers={"x-\u00e9": "\u0080"}, body=b"{}")  # UnicodeEncodeError before the fix
def test_doctor_diagnoses_any_api_error_body(status: int, headers: dict[str, str], body: bytes) -> None:
    from amzauth.doctor.run import diagnose_api_answer

    for plan in (CREATORS_PLAN, SPAPI_PLAN):
        diag = diagnose_api_answer(plan, status, headers, body)
        assert isinstance(diag, dict) and diag


@SOME
@given(status=statuses, headers=TOKEN_HEADERS, body=body_of(shaped(TOKEN_DOC) | shaped(SPAPI_ERROR_DOC)))
def test_doctor_diagnoses_any_token_answer(status: int, headers: dict[str, str], body: bytes) -> None:
    from amzauth.doctor.run import diagnose_token_answer

    for plan in (CREATORS_PLAN, SPAPI_PLAN):
        diag = diagnose_token_answer(plan, status, headers, body)
        assert diag is None or (isinstance(diag, dict) and diag)
