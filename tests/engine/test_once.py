"""fetch_token_once: the doctor's raw view of one token request (no cache, no retry)."""

from __future__ import annotations

from typing import Any

from amzauth.core.tokens import Token
from amzauth.engine import afetch_token_once, fetch_token_once
from amzauth.errors import NetworkError, TokenError
from tests.engine._profiles import CREATORS_21, CREATORS_31, CREATORS_31_OLD_SECRET, SPAPI_NA, plan
from tests.engine.helpers import assert_token_requests
from tests.support import assert_no_secrets, free_port


def test_success_reports_status_request_id_skew_and_latency(fresh_sandbox: Any) -> None:
    fresh_sandbox.set_clock(-300)
    result, info = fetch_token_once(plan(CREATORS_31, fresh_sandbox.url), CREATORS_31["client_secret"])
    assert isinstance(result, Token)
    assert info["http_status"] == 200 and info.http_status == 200
    assert info.request_id
    assert info.clock_skew_seconds is not None and -302 <= info.clock_skew_seconds <= -298
    assert info.latency_ms is not None and info.latency_ms >= 0
    assert isinstance(info.body, dict) and info.body["access_token"] != result.access_token  # redacted
    assert_no_secrets(str(info.to_dict()), [result.access_token, CREATORS_31["client_secret"]])


def test_oauth_error_is_returned_with_raw_fields(fresh_sandbox: Any) -> None:
    result, info = fetch_token_once(plan(CREATORS_31, fresh_sandbox.url), CREATORS_31_OLD_SECRET)
    assert isinstance(result, TokenError)
    assert (info.http_status, info.error) == (401, "invalid_client")
    assert info.error_description == "Client authentication failed"
    assert info.request_id == result.request_id
    cognito, cinfo = fetch_token_once(plan(CREATORS_21, fresh_sandbox.url), CREATORS_31["client_secret"])
    assert isinstance(cognito, TokenError) and cinfo.error == "invalid_client" and cinfo.http_status == 400
    assert cinfo.error_description is None


def test_no_retry_and_no_cache(fresh_sandbox: Any) -> None:
    p = plan(CREATORS_31, fresh_sandbox.url)
    fresh_sandbox.add_fault(
        host="api.amazon.com",
        path="/auth/o2/token",
        status=503,
        error="temporarily_unavailable",
        retry_after=5,
        times=1,
    )
    result, info = fetch_token_once(p, CREATORS_31["client_secret"])
    assert isinstance(result, TokenError) and result.retryable
    assert info.retry_after == 5.0 and info.http_status == 503
    assert_token_requests(fresh_sandbox, 1)
    again, _ = fetch_token_once(p, CREATORS_31["client_secret"])
    assert isinstance(again, Token)
    third, _ = fetch_token_once(p, CREATORS_31["client_secret"])
    assert isinstance(third, Token) and third.access_token != again.access_token  # nothing cached
    assert_token_requests(fresh_sandbox, 3)


def test_html_answer(fresh_sandbox: Any) -> None:
    fresh_sandbox.add_fault(
        host="api.amazon.com",
        path="/auth/o2/token",
        status=405,
        body="<html><body>405 Not Allowed</body></html>",
        content_type="text/html",
        times=1,
    )
    result, info = fetch_token_once(plan(CREATORS_31, fresh_sandbox.url), CREATORS_31["client_secret"])
    assert isinstance(result, TokenError) and result.code == "405"
    assert info.http_status == 405 and "405" in str(info.body)
    assert info.content_type is not None and "html" in info.content_type


def test_network_failure_is_returned() -> None:
    result, info = fetch_token_once(plan(CREATORS_31, f"http://127.0.0.1:{free_port()}"), "x" * 20, timeout=1)
    assert isinstance(result, NetworkError) and result.kind == "unreachable"
    assert info.network_error == "unreachable" and info.http_status is None


async def test_async_twin(fresh_sandbox: Any) -> None:
    result, info = await afetch_token_once(
        plan(SPAPI_NA, fresh_sandbox.url), SPAPI_NA["client_secret"], refresh_token=SPAPI_NA["refresh_token"]
    )
    assert isinstance(result, Token) and result.refresh_token == SPAPI_NA["refresh_token"]
    assert info.http_status == 200
    assert_no_secrets(str(info.to_dict()), [SPAPI_NA["refresh_token"], result.access_token])
