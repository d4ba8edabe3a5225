"""Pure pieces of the console: TOML writing, form merging, view helpers."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from amzauth.console.profiles_file import ProfilesFile, dump_profiles, form_values, merge_form, secret_display
from amzauth.console.views import badge, field_rows, safe_url, stars, step_views, suggestion

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True),
        st.dictionaries(
            st.sampled_from(["client_id", "client_secret", "scope", "odd key"]), _text, max_size=4
        ),
        max_size=4,
    )
)
def test_dump_reads_back_exactly(profiles: dict[str, dict[str, str]]) -> None:
    assert tomllib.loads(dump_profiles(profiles)).get("profiles", {}) == profiles


def test_dump_keeps_types() -> None:
    doc = {
        "p": {"draft": True, "timeout": 12.5, "n": 3, "secret_expires": dt.date(2027, 3, 1), "api": "spapi"}
    }
    assert tomllib.loads(dump_profiles(doc))["profiles"] == doc


def test_profiles_file_update_and_rename(tmp_path: Path) -> None:
    pf = ProfilesFile(tmp_path / "sub" / "p.toml")
    assert pf.read() == {}
    pf.update("a", {"api": "creators"})
    pf.update("b", {"api": "spapi"}, rename_from="a")
    assert pf.read() == {"b": {"api": "spapi"}}
    assert (tmp_path / "sub").stat().st_mode & 0o777 == 0o700
    pf.update("b", None)
    assert pf.read() == {}


def test_merge_form_rules() -> None:
    cur = {
        "api": "creators",
        "client_id": "id",
        "client_secret": "old",
        "partner_tag": "t-20",
        "sandbox": "x",
    }
    form = {
        "api": "creators",
        "client_id": "id2",
        "client_secret": "",
        "partner_tag": "t-20",
        "sandbox": " ",
        "region": "eu",
        "refresh_token": "Atzr|x",
        "draft": "true",
        "timeout": "7",
    }
    out = merge_form(cur, form)
    assert out == {
        "api": "creators",
        "client_id": "id2",
        "client_secret": "old",
        "partner_tag": "t-20",
        "timeout": 7.0,
    }
    sp = merge_form({"api": "spapi", "client_secret": "s", "draft": True}, {"api": "spapi", "region": "na"})
    assert sp == {"api": "spapi", "client_secret": "s", "region": "na"}  # unchecked box: key dropped
    assert merge_form(None, {"api": "creators", "client_secret": " padded "})["client_secret"] == " padded "


def test_form_values_never_hold_secrets() -> None:
    vals = form_values(
        {
            "client_secret": "s" * 20,
            "refresh_token": "Atzr|" + "r" * 20,
            "draft": True,
            "credential_version": 3.1,
        }
    )
    assert vals == {"draft": "true", "credential_version": "3.1"}
    assert secret_display("env:X") == "read from env:X"
    assert secret_display("stored:A1") == "in the token store (stored:A1)"
    assert secret_display("amzn1.oa2-cs.v1.abcdefghijklmnop1234") == "current: amzn1.oa2-cs.v1.…1234"
    assert secret_display("") is None


def test_safe_url() -> None:
    assert safe_url("https://www.amazon.com/dp/B0?tag=x") == "https://www.amazon.com/dp/B0?tag=x"
    for bad in (
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "//evil",
        "/local",
        None,
        3,
    ):
        assert safe_url(bad) is None


def test_report_views() -> None:
    doc = {
        "ok": False,
        "fields": {"credential_version": "2.1", "http_status": 400, "token_cached": False, "extra_key": None},
        "steps": [
            {"step": "config", "ok": True, "skipped": False, "detail": "d"},
            {"step": "token", "ok": False, "skipped": False, "detail": "HTTP 400"},
            {"step": "api", "ok": False, "skipped": True, "detail": "not run"},
        ],
        "diagnosis": {
            "code": "invalid_client",
            "cause": "version-mismatch",
            "field": "credential_version",
            "suggested_value": "3.1",
        },
    }
    assert [s.state for s in step_views(doc)] == ["ok", "failed", "skipped"]
    rows = field_rows(doc)
    assert rows[0][0] == "credential_version" and rows[-1] == ("extra_key", "Extra key", "—")
    assert ("token_cached", "Token from cache", "no") in rows
    assert suggestion(doc, {"credential_version": "2.1"}) == ("credential_version", "3.1")
    assert suggestion(doc, {"credential_version": "3.1"}) is None  # already applied
    assert suggestion({**doc, "diagnosis": {**doc["diagnosis"], "field": "client_secret"}}, {}) is None
    assert suggestion({**doc, "diagnosis": {**doc["diagnosis"], "field": "clock"}}, {}) is None
    assert badge(doc) == ("failed", "failing: invalid_client (version-mismatch)")
    assert badge({"ok": True}) == ("ok", "passing") and badge(None) == ("unknown", "not tested")
    assert stars(4.5) == "★★★★½" and stars(3.0) == "★★★☆☆"


def test_value_edits_and_new_profiles_keep_the_users_comments(tmp_path: Path) -> None:
    path = tmp_path / "amzauth.toml"
    path.write_text(
        '# my profiles\n[profiles.a]  # the shop\napi = "creators"  # affiliates\n'
        'credential_version = "2.1"\nclient_id = "id"\nclient_secret = "env:S"\n'
    )
    path.chmod(0o644)
    pf = ProfilesFile(path)
    a = pf.read()["a"]
    pf.update("a", {**a, "credential_version": "3.1", "partner_tag": "t-20"})
    pf.update("b", {"api": "spapi", "client_id": "x", "client_secret": "y", "draft": True})
    text = path.read_text()
    assert "# my profiles" in text and "# the shop" in text and "# affiliates" in text
    assert pf.read() == {
        "a": {**a, "credential_version": "3.1", "partner_tag": "t-20"},
        "b": {"api": "spapi", "client_id": "x", "client_secret": "y", "draft": True},
    }
    assert path.stat().st_mode & 0o777 == 0o600
    pf.update(
        "a", {"api": "creators", "credential_version": "3.1", "client_id": "id", "client_secret": "env:S"}
    )
    assert "partner_tag" not in pf.read()["a"]  # a removal rewrites the file
