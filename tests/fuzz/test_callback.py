"""Fuzzing the SP-API authorization callback: query parsing, redirect URIs, client addresses.

``parse_callback`` must answer a Callback carrying exactly the expected state, or raise one of the
authorization errors (StateMismatch first: nothing else is looked at when the state is wrong); it
must never echo the authorization code in an error or a repr.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amzauth.config import ConfigError
from amzauth.spapi.callback import CallbackTarget, callback_target, client_allowed
from amzauth.spapi.consent import Callback, parse_callback
from amzauth.spapi.errors import AuthorizationError, StateMismatch

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATE = "s7Qm2c9XrVbq1kT0u3PZ-w"
CODE = "ANdNAVhyhqirUelHGEHA"
names = st.sampled_from(
    ["state", "spapi_oauth_code", "selling_partner_id", "mws_auth_token", "error", "error_description", "x"]
)
values = st.one_of(st.just(STATE), st.just(""), st.text(max_size=20), st.just("A1SELLER"))
# The authorization code only ever appears as spapi_oauth_code, so "not echoed" is checkable.
pairs = st.lists(st.tuples(names, values) | st.just(("spapi_oauth_code", CODE)), max_size=7)


@FUZZ
@given(pairs=pairs, form=st.sampled_from(["query", "url", "mapping", "raw"]), raw=st.text(max_size=60))
@example(pairs=[("state", STATE), ("state", STATE), ("spapi_oauth_code", CODE)], form="query", raw="")
@example(pairs=[("state", STATE), ("spapi_oauth_code", CODE), ("error", "access_denied")], form="url", raw="")
@example(pairs=[("state", STATE + "x")], form="url", raw="")
def test_parse_callback_answers_or_raises_an_authorization_error(
    pairs: list[tuple[str, str]], form: str, raw: str
) -> None:
    query: Any
    if form == "query":
        query = urlencode(pairs)
    elif form == "url":
        query = "http://127.0.0.1:8765/callback?" + urlencode(pairs) + "#frag"
    elif form == "mapping":
        mapping: dict[str, list[str]] = {}
        for k, v in pairs:
            mapping.setdefault(k, []).append(v)
        query = mapping
    else:
        query = raw
    try:
        cb = parse_callback(query, STATE)
    except StateMismatch as exc:
        assert CODE not in str(exc)
        return
    except AuthorizationError as exc:
        assert CODE not in str(exc) and CODE not in repr(exc)
        return
    assert isinstance(cb, Callback)
    assert cb.state == STATE and cb.code and cb.selling_partner_id
    assert cb.code not in repr(cb)
    states = [v for k, v in pairs if k == "state"] if form != "raw" else [STATE]
    assert states == [STATE]  # accepted only with exactly one, matching state


@FUZZ
@given(query=st.text(max_size=80), expected=st.text(max_size=30))
def test_any_text_and_any_expected_state(query: str, expected: str) -> None:
    try:
        cb = parse_callback(query, expected)
    except AuthorizationError:
        return
    assert expected and cb.state == expected


@FUZZ
@given(
    uri=st.one_of(
        st.text(max_size=40),
        st.builds(
            lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
            st.sampled_from(["http", "https", "HTTP", ""]),
            st.sampled_from(["127.0.0.1", "localhost", "[::1]", "[::1", "example.com", "10.0.0.1", ""])
            | st.text(max_size=10),
            st.sampled_from(["", ":8765", ":0", ":65536", ":x", ":"]),
            st.sampled_from(["/callback", "", "/a?b=c", "#x"]),
        ),
    ),
    listen=st.sampled_from([None, "0.0.0.0", "127.0.0.1"]),
)
@example(uri="http://[::1/callback", listen=None)  # ValueError (Invalid IPv6 URL) before the fix
def test_callback_target_or_config_error(uri: str, listen: str | None) -> None:
    try:
        target = callback_target(uri, listen=listen)
    except ConfigError as exc:
        assert exc.key == "redirect_uri"
        return
    assert isinstance(target, CallbackTarget)
    assert 0 <= target.port <= 65535 and target.path.startswith("/")


@FUZZ
@given(address=st.text(max_size=45) | st.ip_addresses().map(str))
def test_client_allowed_is_loopback_only(address: str) -> None:
    import ipaddress

    allowed = client_allowed(address)
    assert client_allowed(address, allow_remote=True) is True
    if allowed:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        loop = ip.ipv4_mapped.is_loopback if getattr(ip, "ipv4_mapped", None) else ip.is_loopback
        assert loop
