"""`amzauth config check` / `config show` as a user runs them: exit codes, one line per problem, no leaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amzauth.config import ConfigError, profile_from_mapping
from amzauth.core.plan import build_plan
from tests.support import assert_no_secrets, register_secret, run_cli

GOOD_SECRET = "amzn1.oa2-cs.v1.configclisecret0001"
# A refresh token as long as Amazon's (a short one is reported as cut when copied).
REFRESH = "Atzr|configclirefresh" + "x" * 300 + "0001"
register_secret(GOOD_SECRET, REFRESH, "plainsecretvalue00000001")

BASE_CREATORS = {
    "api": '"creators"',
    "credential_version": '"3.1"',
    "client_id": '"amzn1.application-oa2-client.0123abcd"',
    "client_secret": f'"{GOOD_SECRET}"',
    "marketplace": '"www.amazon.com"',
    "partner_tag": '"mytag-20"',
}
BASE_SPAPI = {
    "api": '"spapi"',
    "region": '"eu"',
    "client_id": '"amzn1.application-oa2-client.4567efgh"',
    "client_secret": f'"{GOOD_SECRET}"',
    "refresh_token": f'"{REFRESH}"',
    "application_id": '"amzn1.sp.solution.89ab"',
    "redirect_uri": '"https://example.com/amazon/callback"',
}


def toml(values: dict[str, str | None], name: str = "default") -> str:
    lines = [f"[profiles.{name}]"] + [f"{k} = {v}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def check(tmp_path: Path, text: str, *extra: str) -> tuple[int, str, dict[str, object]]:
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(text)
    human = run_cli("config", "check", "--config", str(cfg), *extra)
    as_json = run_cli("config", "check", "--config", str(cfg), "--json", *extra)
    assert human.returncode == as_json.returncode
    return human.returncode, human.stderr, json.loads(as_json.stdout)


# (name, base, changes, expected exit code, key the message must name, a word of the fix)
# ten days from today: inside the doctor's 30-day warning window, whatever day the suite runs
IN_TEN_DAYS = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()

BAD = [
    ("unknown key", BASE_CREATORS, {"clientsecret": '"x"'}, 2, "clientsecret", "client_secret"),
    ("version 4.0", BASE_CREATORS, {"credential_version": '"4.0"'}, 2, "credential_version", "3.1"),
    ("missing client_secret", BASE_CREATORS, {"client_secret": None}, 2, "client_secret", "add"),
    (
        "env ref unset",
        BASE_CREATORS,
        {"client_secret": '"env:AMZAUTH_TEST_UNSET_VAR"'},
        2,
        "client_secret",
        "export",
    ),
    ("region us", BASE_SPAPI, {"region": '"us"'}, 2, "region", "na"),
    ("marketplace XX", BASE_CREATORS, {"marketplace": '"XX"'}, 2, "marketplace", "country code"),
    (
        "whitespace secret",
        BASE_CREATORS,
        {"client_secret": f'" {GOOD_SECRET} "'},
        2,
        "client_secret",
        "spaces",
    ),
    (
        "app id as client id",
        BASE_SPAPI,
        {"client_id": '"amzn1.sp.solution.89ab"'},
        2,
        "client_id",
        "amzn1.application-oa2-client",
    ),
    ("v3 secret on 2.x", BASE_CREATORS, {"credential_version": '"2.1"'}, 2, "credential_version", "3.1"),
    ("unknown api", BASE_CREATORS, {"api": '"paapi"'}, 2, "api", "creators"),
    ("placeholder secret", BASE_CREATORS, {"client_secret": '"YOUR_SECRET"'}, 2, "client_secret", "real"),
    ("placeholder xxx", BASE_CREATORS, {"client_id": '"xxx"'}, 2, "client_id", "real"),
    ("changeme", BASE_SPAPI, {"client_secret": '"changeme"'}, 2, "client_secret", "real"),
    ("empty client_id", BASE_CREATORS, {"client_id": '""'}, 2, "client_id", "set"),
    (
        "fragment in redirect",
        BASE_SPAPI,
        {"redirect_uri": '"https://example.com/cb#x"'},
        2,
        "redirect_uri",
        "#",
    ),
    ("no refresh token", BASE_SPAPI, {"refresh_token": None}, 2, "refresh_token", "authorize"),
    ("spapi key on creators", BASE_CREATORS, {"region": '"na"'}, 2, "region", "remove"),
    ("draft not bool", BASE_SPAPI, {"draft": '"maybe"'}, 2, "draft", ""),
    (
        "bad auth_endpoint",
        BASE_CREATORS,
        {"auth_endpoint": '"api.amazon.com/auth/o2/token"'},
        2,
        "auth_endpoint",
        "",
    ),
    ("region vs marketplace", BASE_SPAPI, {"marketplace": '"ATVPDKIKX0DER"'}, 2, "region", "na"),
    ("secret expired", BASE_SPAPI, {"secret_expires": '"2020-01-01"'}, 2, "client_secret", "rotate"),
    ("version as number typo", BASE_CREATORS, {"credential_version": "4"}, 2, "credential_version", ""),
    ("not toml", BASE_CREATORS, {"partner_tag": "mytag-20"}, 2, "", "quot"),
    (
        "rate not a number",
        BASE_CREATORS,
        {"creators_rate": '"fast"'},
        2,
        "creators_rate",
        "creators_rate = 1",
    ),
    ("negative ttl", BASE_CREATORS, {"search_ttl": "-5"}, 2, "search_ttl", "search_ttl = 1800"),
    ("fractional burst", BASE_CREATORS, {"creators_burst": "2.5"}, 2, "creators_burst", "creators_burst = 1"),
    ("creators tuning on spapi", BASE_SPAPI, {"items_ttl": "60"}, 2, "items_ttl", "remove"),
    # Usable profiles with a warning: exit 0, one warning line naming the key.
    ("scope override other family", BASE_CREATORS, {"scope": '"creatorsapi/default"'}, 0, "scope", "remove"),
    ("no partner tag", BASE_CREATORS, {"partner_tag": None}, 0, "partner_tag", "add"),
    (
        "secret expiring soon",
        BASE_SPAPI,
        {"secret_expires": f'"{IN_TEN_DAYS}"'},
        0,
        "client_secret",
        "rotate",
    ),
    (
        "endpoint of other family",
        BASE_CREATORS,
        {"auth_endpoint": '"https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token"'},
        0,
        "auth_endpoint",
        "remove",
    ),
    (
        "3.x without lwa secret",
        BASE_CREATORS,
        {"client_secret": '"plainsecretvalue00000001"'},
        0,
        "credential_version",
        "2.1",
    ),
]


@pytest.mark.parametrize(("name", "base", "changes", "code", "key", "fix"), BAD, ids=[b[0] for b in BAD])
def test_bad_profiles(
    tmp_path: Path,
    name: str,
    base: dict[str, str],
    changes: dict[str, str | None],
    code: int,
    key: str,
    fix: str,
) -> None:
    rc, stderr, doc = check(tmp_path, toml({**base, **changes}))
    assert rc == code, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith(("error:", "warning:"))]
    assert lines, stderr
    first = lines[0]
    assert key in first and fix in first and "fix:" in first
    if code == 2:
        assert doc["ok"] is False and doc["errors"]
    else:
        assert doc["ok"] is True and doc["warnings"]
        assert any(w["key"] == key for w in doc["warnings"])  # type: ignore[attr-defined,index]


def test_good_profiles_pass(tmp_path: Path) -> None:
    text = toml(BASE_CREATORS) + toml(BASE_SPAPI, "seller")
    for prof in ("default", "seller"):
        rc, stderr, doc = check(tmp_path, text, "--profile", prof)
        assert rc == 0, stderr
        assert doc["ok"] is True and doc["errors"] == []


def test_config_show_redacts_and_shows_plan(tmp_path: Path) -> None:
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(toml(BASE_SPAPI))
    out = run_cli("config", "show", "--config", str(cfg), "--json")
    assert out.returncode == 0
    doc = json.loads(out.stdout)
    assert doc["values"]["client_secret"] == "amzn1.oa2-cs.v1.…0001"
    assert doc["values"]["refresh_token"] == "Atzr|…0001"
    assert doc["plan"]["token_endpoint"] == "https://api.amazon.com/auth/o2/token"
    human = run_cli("config", "show", "--config", str(cfg))
    assert human.returncode == 0 and "sellingpartnerapi-eu.amazon.com" in human.stdout
    assert_no_secrets(human.stdout + out.stdout, [GOOD_SECRET])


def test_missing_file_is_usage_error(tmp_path: Path) -> None:
    out = run_cli("config", "check", "--config", str(tmp_path / "nope.toml"))
    assert out.returncode == 2 and "nope.toml" in out.stderr


def test_no_profiles_anywhere_points_to_demo() -> None:
    out = run_cli("config", "show")
    assert out.returncode == 2 and "amzauth demo" in out.stderr


toml_scalars = st.one_of(
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.sampled_from(
        ["creators", "spapi", "2.1", "3.1", "4.0", "eu", "us", "env:NOPE", "", " x ", "www.amazon.de"]
    ),
)
keys = st.sampled_from(
    [
        "api",
        "credential_version",
        "client_id",
        "client_secret",
        "marketplace",
        "region",
        "refresh_token",
        "scope",
        "auth_endpoint",
        "draft",
        "sandbox",
        "timeout",
        "store",
        "secret_expires",
        "bogus",
        "partner_tag",
        "redirect_uri",
        "grant_type",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, toml_scalars, max_size=10))
def test_loader_never_crashes_on_random_values(values: dict[str, object]) -> None:
    """Random TOML values give a ConfigError or a plan, never another exception."""
    from amzauth.core.inspect import inspect_profile

    try:
        prof = profile_from_mapping(values)
        plan = build_plan(prof)
        inspect_profile(prof, plan)
    except ConfigError as exc:
        assert exc.profile == "default"
        assert str(exc)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_cli_never_tracebacks_on_random_files(tmp_path: Path, text: str) -> None:
    cfg = tmp_path / "fuzz.toml"
    cfg.write_bytes(text.encode("utf-8", "replace"))
    out = run_cli("config", "check", "--config", str(cfg), "--json")
    assert out.returncode in (0, 2)
    json.loads(out.stdout)
