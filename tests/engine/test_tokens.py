"""The sans-IO token wire: requests per family, parsing of every answer shape, clock skew."""

from __future__ import annotations

import json
import pickle
from email.utils import formatdate
from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amzauth.core.tokens import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    Token,
    build_token_request,
    estimate_clock_skew,
    parse_retry_after,
    parse_token_response,
)
from amzauth.errors import TokenError
from tests.engine._profiles import CREATORS_21, CREATORS_31, SPAPI_NA, plan
from tests.support import assert_no_secrets

JSON = {"Content-Type": "application/json;charset=UTF-8"}


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


# ---- requests ------------------------------------------------------------------------------
def test_cognito_request_is_a_form_with_client_credentials_in_the_body() -> None:
    p = plan(CREATORS_21)
    req = build_token_request(p, CREATORS_21["client_secret"])
    assert req.method == "POST"
    assert req.url == "https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token"
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert _form(req.body) == {
        "grant_type": "client_credentials",
        "scope": "creatorsapi/default",
        "client_id": CREATORS_21["client_id"],
        "client_secret": CREATORS_21["client_secret"],
    }


def test_lwa_creators_request_is_json() -> None:
    p = plan(CREATORS_31)
    req = build_token_request(p, CREATORS_31["client_secret"])
    assert req.url == "https://api.amazon.com/auth/o2/token"
    assert req.headers["Content-Type"] == "application/json"
    assert json.loads(req.body) == {
        "grant_type": "client_credentials",
        "scope": "creatorsapi::default",
        "client_id": CREATORS_31["client_id"],
        "client_secret": CREATORS_31["client_secret"],
    }


def test_spapi_refresh_request_is_a_form_without_scope() -> None:
    p = plan(SPAPI_NA)
    req = build_token_request(p, SPAPI_NA["client_secret"], refresh_token=SPAPI_NA["refresh_token"])
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert _form(req.body) == {
        "grant_type": "refresh_token",
        "refresh_token": SPAPI_NA["refresh_token"],
        "client_id": SPAPI_NA["client_id"],
        "client_secret": SPAPI_NA["client_secret"],
    }


def test_spapi_authorization_code_and_grantless_requests() -> None:
    p = plan(SPAPI_NA)
    req = build_token_request(
        p,
        "s3cretvalue-xyz",
        grant_type="authorization_code",
        code="ANcodeXYZ",
        redirect_uri="https://example.com/cb",
        code_verifier="verifier-123",
    )
    form = _form(req.body)
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "ANcodeXYZ"
    assert form["redirect_uri"] == "https://example.com/cb"
    assert form["code_verifier"] == "verifier-123"
    assert "refresh_token" not in form
    grantless = plan(SPAPI_NA, refresh_token=None, scope="sellingpartnerapi::notifications")
    assert grantless.grant_type == "client_credentials"
    form = _form(build_token_request(grantless, "s3cretvalue-xyz").body)
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "sellingpartnerapi::notifications"
    with pytest.raises(ValueError):
        build_token_request(p, "s3cretvalue-xyz")  # refresh grant without a refresh token
    with pytest.raises(ValueError):
        build_token_request(p, "s3cretvalue-xyz", grant_type="authorization_code", code="x")


def test_sandbox_rewrite_reaches_the_request_url() -> None:
    p = plan(CREATORS_31, sandbox="http://127.0.0.1:9")
    assert build_token_request(p, "x" * 20).url == "http://127.0.0.1:9/api.amazon.com/auth/o2/token"


def test_request_repr_hides_the_secret() -> None:
    p = plan(CREATORS_21)
    req = build_token_request(p, CREATORS_21["client_secret"])
    assert_no_secrets(repr(req) + str(req), [CREATORS_21["client_secret"]])
    assert "client_secret" in repr(req)
    p31 = plan(CREATORS_31)
    req31 = build_token_request(p31, CREATORS_31["client_secret"])
    assert_no_secrets(repr(req31), [CREATORS_31["client_secret"]])


# ---- tokens --------------------------------------------------------------------------------
def test_token_repr_is_redacted_and_roundtrips() -> None:
    tok = Token(
        "Atza|IwEBsecret-access-token-value-1234",
        "bearer",
        5000.0,
        None,
        "Atzr|IwEBsecret-refresh-token-value-5678",
        "network",
        1400.0,
    )
    text = repr(tok) + str(tok)
    assert_no_secrets(text, [tok.access_token, tok.refresh_token])
    assert "Atza|…1234" in text
    back = Token.from_json(tok.to_json(), source="sqlite")
    assert back == tok.with_source("sqlite")
    assert back.source == "sqlite"
    assert tok.expires_in(4000.0) == 1000.0
    assert tok.lifetime == 3600.0
    assert tok.with_source("network") is tok
    with pytest.raises(AttributeError):
        tok.access_token = "x"  # type: ignore[misc]


# ---- responses -----------------------------------------------------------------------------
def test_success_counts_expiry_from_the_send_time() -> None:
    body = b'{"access_token":"Atza|abc","refresh_token":"Atzr|def","token_type":"bearer","expires_in":3600}'
    tok = parse_token_response(200, JSON, body, sent_at=1000.0)
    assert tok.expires_at == 4600.0
    assert tok.obtained_at == 1000.0
    assert tok.refresh_token == "Atzr|def"
    assert tok.token_type == "bearer"
    assert tok.source == "network"


@pytest.mark.parametrize(
    ("raw", "lifetime"),
    [
        ("3600", 3600.0),
        (" 120 ", 120.0),
        (59.5, 59.5),
        (None, DEFAULT_LIFETIME),
        (10**12, MAX_LIFETIME),
        ("1e30", MAX_LIFETIME),
    ],
)
def test_expires_in_forms(raw: object, lifetime: float) -> None:
    doc: dict[str, object] = {"access_token": "tok-123456789"}
    if raw is not None:
        doc["expires_in"] = raw
    tok = parse_token_response(200, JSON, json.dumps(doc).encode(), sent_at=0.0)
    assert tok.expires_at == lifetime


@pytest.mark.parametrize("raw", [0, -5, "0", "-1"])
def test_already_expired_tokens_are_refused(raw: object) -> None:
    body = json.dumps({"access_token": "tok-123456789", "expires_in": raw}).encode()
    with pytest.raises(TokenError) as ei:
        parse_token_response(200, JSON, body, sent_at=0.0)
    assert ei.value.code == "expired_token"
    assert not ei.value.retryable


@pytest.mark.parametrize("raw", ["soon", True, [3600], {"s": 1}, "nan", "inf"])
def test_unusable_expires_in_is_a_malformed_answer(raw: object) -> None:
    body = json.dumps({"access_token": "tok-123456789", "expires_in": raw}).encode()
    with pytest.raises(TokenError) as ei:
        parse_token_response(200, JSON, body, sent_at=0.0)
    assert ei.value.code == "invalid_token_response"
    assert ei.value.status == 200


def test_200_without_access_token() -> None:
    with pytest.raises(TokenError) as ei:
        parse_token_response(200, JSON, b'{"token_type":"bearer","expires_in":3600}', sent_at=0.0)
    assert ei.value.status == 200
    assert ei.value.error is None
    assert "access_token" in str(ei.value)


def test_200_with_an_error_field_is_an_error() -> None:
    with pytest.raises(TokenError) as ei:
        parse_token_response(200, JSON, b'{"error":"invalid_grant"}', sent_at=0.0)
    assert ei.value.error == "invalid_grant"


def test_cognito_bare_invalid_client() -> None:
    with pytest.raises(TokenError) as ei:
        parse_token_response(
            400,
            {"x-amzn-RequestId": "rid-1", **JSON},
            b'{"error":"invalid_client"}',
            sent_at=0.0,
            endpoint="https://cognito/oauth2/token",
        )
    e = ei.value
    assert (e.status, e.error, e.error_description, e.request_id, e.retryable) == (
        400,
        "invalid_client",
        None,
        "rid-1",
        False,
    )
    assert e.code == "invalid_client"
    assert e.endpoint == "https://cognito/oauth2/token"


def test_lwa_error_with_description_and_body_request_id() -> None:
    body = (
        b'{"error_description":"Client authentication failed","error":"invalid_client",'
        b'"request_id":"body-rid"}'
    )
    with pytest.raises(TokenError) as ei:
        parse_token_response(401, {"x-amzn-RequestId": "header-rid", **JSON}, body, sent_at=0.0)
    e = ei.value
    assert e.request_id == "body-rid"
    assert e.error_description == "Client authentication failed"
    assert "Client authentication failed" in str(e)
    assert not e.retryable
    assert pickle.loads(pickle.dumps(e)).request_id == "body-rid"


@pytest.mark.parametrize(
    "error",
    ["invalid_grant", "invalid_scope", "unauthorized_client", "unsupported_grant_type", "invalid_request"],
)
def test_permanent_oauth_errors_are_not_retryable_even_with_5xx(error: str) -> None:
    with pytest.raises(TokenError) as ei:
        parse_token_response(500, JSON, json.dumps({"error": error}).encode(), sent_at=0.0)
    assert not ei.value.retryable


def test_temporarily_unavailable_carries_retry_after() -> None:
    body = b'{"error":"temporarily_unavailable","error_description":"try later"}'
    with pytest.raises(TokenError) as ei:
        parse_token_response(503, {"Retry-After": "7", **JSON}, body, sent_at=0.0)
    assert ei.value.retryable
    assert ei.value.retry_after == 7.0
    with pytest.raises(TokenError) as ei:
        parse_token_response(500, JSON, b'{"error":"server_error"}', sent_at=0.0)
    assert ei.value.retryable and ei.value.retry_after is None


def test_html_405_from_a_scheme_in_the_host_header() -> None:
    html = b"<html><head><title>405 Not Allowed</title></head><body>405 Not Allowed</body></html>"
    with pytest.raises(TokenError) as ei:
        parse_token_response(405, {"Content-Type": "text/html"}, html, sent_at=0.0)
    assert ei.value.status == 405
    assert ei.value.code == "405"
    assert "HTML" in str(ei.value)
    assert not ei.value.retryable


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"{not json"), (502, b"Bad Gateway"), (200, b""), (200, b"[1,2]"), (200, b"\xff\xfe")],
)
def test_malformed_bodies(status: int, body: bytes) -> None:
    with pytest.raises(TokenError) as ei:
        parse_token_response(status, {}, body, sent_at=0.0)
    assert ei.value.status == status
    assert ei.value.retryable == (status == 502)


@settings(max_examples=300, deadline=None)
@given(
    status=st.integers(100, 599),
    body=st.binary(max_size=200),
    headers=st.dictionaries(
        st.sampled_from(["Retry-After", "Content-Type", "x-amzn-RequestId", "Date"]), st.text(max_size=30)
    ),
)
def test_parse_never_raises_anything_but_token_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    try:
        tok = parse_token_response(status, headers, body, sent_at=100.0)
    except TokenError as e:
        assert e.status == status
    else:
        assert tok.access_token and tok.expires_at > 100.0


@settings(max_examples=200, deadline=None)
@given(
    doc=st.dictionaries(
        st.sampled_from(
            ["access_token", "expires_in", "token_type", "scope", "error", "refresh_token", "request_id"]
        ),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12)),
    )
)
def test_parse_json_objects(doc: dict[str, object]) -> None:
    try:
        tok = parse_token_response(200, JSON, json.dumps(doc).encode(), sent_at=0.0)
    except TokenError:
        return
    assert isinstance(tok.access_token, str) and 0 < tok.expires_at <= MAX_LIFETIME


def test_retry_after_forms() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(date, 1_000_000.0) == 30.0


def test_clock_skew_from_date_header() -> None:
    date = formatdate(2_000_000_100, usegmt=True)  # server 100 s ahead
    skew = estimate_clock_skew(date, 2_000_000_000.0, 2_000_000_000.2)
    assert skew is not None and 99.0 <= skew <= 101.0
    behind = estimate_clock_skew(
        formatdate(2_000_000_000 - 400, usegmt=True), 2_000_000_000.0, 2_000_000_000.0
    )
    assert behind is not None and -401.0 <= behind <= -399.0
    assert estimate_clock_skew(None, 0.0, 1.0) is None
    assert estimate_clock_skew("not a date", 0.0, 1.0) is None
