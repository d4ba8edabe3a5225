"""Fuzzing profiles: any mapping (a TOML table, a web form) gives a Profile and a Plan, or a ConfigError.

Never another exception, never a secret in a repr, and a plan that points where the profile says.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from amzauth.config import ConfigError, Profile, load_profile, profile_from_mapping
from amzauth.config.profiles import ALL_KEYS, SECRET_KEYS
from amzauth.core.plan import Plan, build_plan

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CREATORS = {
    "api": "creators",
    "credential_version": "3.1",
    "client_id": "amzn1.application-oa2-client.fuzzclient",
    "client_secret": "amzn1.oa2-cs.v1.fuzzsecretnotreal0000000001",
}
SPAPI = {
    "api": "spapi",
    "region": "na",
    "client_id": "amzn1.application-oa2-client.fuzzclient",
    "client_secret": "amzn1.oa2-cs.v1.fuzzsecretnotreal0000000002",
    "refresh_token": "Atzr|IwEBfuzzrefreshtokennotreal0000000000001",
}
urls = st.one_of(
    st.sampled_from(
        [
            "http://127.0.0.1:8700",
            "https://api.amazon.com/auth/o2/token",
            "http://[",
            "http://[::1",
            "https://a:99999",
            "http://a:b",
            "//no-scheme",
            "ftp://x",
            "http://",
            "https://example.com/p?q=1#f",
        ]
    ),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        st.text(max_size=12),
        st.sampled_from(["", ":0", ":8700", ":65536", ":-1", ":x"]),
        st.text(max_size=8),
    ),
)
special = st.sampled_from(
    [
        "creators",
        "spapi",
        "3.1",
        "2.2",
        "3.4",
        "4.0",
        "2.9",
        "3",
        "na",
        "eu",
        "fe",
        "us",
        "sqlite",
        "redis",
        "memory",
        "www.amazon.de",
        "DE",
        "ATVPDKIKX0DER",
        "env:",
        "env:AMZAUTH_FUZZ_NOT_SET",
        " ",
        "",
        "true",
        "no",
        "sellingpartnerapi::notifications",
        "authorization_code",
    ]
)
values = st.one_of(
    special,
    urls,
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.lists(st.text(max_size=4), max_size=2),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
)
keys = st.sampled_from(sorted(ALL_KEYS)) | st.text(max_size=12)
random_tables = st.dictionaries(keys, values, max_size=8)
near_valid = st.tuples(
    st.sampled_from([CREATORS, SPAPI]), st.dictionaries(st.sampled_from(sorted(ALL_KEYS)), values, max_size=3)
).map(lambda t: {**t[0], **t[1]})


def _check(table: dict[str, Any]) -> None:
    try:
        profile = profile_from_mapping(table, name="fuzz")
    except ConfigError as exc:
        assert str(exc) and exc.profile == "fuzz"
        return
    assert isinstance(profile, Profile)
    secrets = [profile.secret(k) for k in SECRET_KEYS]
    others = " ".join(str(profile.get(k)) for k in profile.values if k not in SECRET_KEYS)
    for s in secrets:
        if s and len(s) > 8 and s not in others:
            assert s not in repr(profile) and s not in str(profile.redacted())
    try:
        plan = build_plan(profile)
    except ConfigError as exc:
        assert str(exc)
        return
    assert isinstance(plan, Plan)
    # The plan holds nothing derived from a secret's value: the same profile with every secret
    # swapped for a stand-in gives the same plan. (Checking "secret not in repr(plan)" failed when
    # a generated secret happened to equal a public value, e.g. the token endpoint URL.)
    masked = profile.replace(**{k: f"stand-in-{k}-0000" for k in SECRET_KEYS if profile.secret(k)})
    assert repr(build_plan(masked)) == repr(plan)
    sandbox = profile.get("sandbox")
    if sandbox:
        assert plan.token_endpoint.startswith(sandbox.rstrip("/") + "/")
        assert plan.api_base_url.startswith(sandbox.rstrip("/") + "/")
    secret = profile.secret("client_secret") or ""
    assert plan.cache_key(secret) == plan.cache_key(secret)
    assert plan.cache_key(secret) != plan.cache_key(secret + "x")
    name, value = plan.auth_header("TOKEN")
    assert name in ("Authorization", "x-amz-access-token") and "TOKEN" in value


@FUZZ
@given(table=random_tables)
def test_any_table_gives_a_plan_or_a_config_error(table: dict[str, Any]) -> None:
    _check(table)


@FUZZ
@given(table=near_valid)
@example(table={**CREATORS, "sandbox": "http://["})  # urlsplit raised ValueError (Invalid IPv6 URL)
@example(table={**CREATORS, "auth_endpoint": "https://[::1/x"})
@example(table={**SPAPI, "api_endpoint": "http://[fe80::1"})
@example(table={**CREATORS, "timeout": float("nan")})
@example(table={**SPAPI, "secret_expires": date(2027, 5, 1)})
@example(table={**SPAPI, "secret_expires": datetime(2027, 5, 1, 12, 0)})
@example(table={**CREATORS, "client_secret": "https://api.amazon.com/auth/o2/token"})  # secret == endpoint
def test_near_valid_tables_give_a_plan_or_a_config_error(table: dict[str, Any]) -> None:
    _check(table)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200) | near_valid.map(lambda t: "[profiles.default]\n" + _toml(t)))
def test_any_profiles_file_gives_a_profile_or_a_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="amzauth-fuzz-") as d:
        path = Path(d) / "amzauth.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            profile = load_profile("default", str(path))
        except ConfigError as exc:
            assert str(exc)
            return
        assert profile.name == "default"


def _toml(table: dict[str, Any]) -> str:
    import json

    lines = []
    for k, v in table.items():
        if isinstance(v, str):
            lines.append(f"{json.dumps(k)} = {json.dumps(v)}")
        elif isinstance(v, bool):
            lines.append(f"{json.dumps(k)} = {'true' if v else 'false'}")
        elif isinstance(v, int):
            lines.append(f"{json.dumps(k)} = {v}")
    return "\n".join(lines) + "\n"
