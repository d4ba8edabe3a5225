"""The one redaction function: public prefix plus last 4, nothing more."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amzauth.config.redact import Secret, fingerprint, redact, redact_mapping, scrub, scrub_headers


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("amzn1.oa2-cs.v1.0123456789abcdef", "amzn1.oa2-cs.v1.…cdef"),
        ("Atzr|IwEBIlongrefreshtokenvalue9876", "Atzr|…9876"),
        ("Atza|IwEBIlongaccesstokenvalue5432", "Atza|…5432"),
        ("examplecognitosecretvalue000000000000000000000000001", "…0001"),
        ("short", "…"),
        ("", ""),
    ],
)
def test_redact_keeps_prefix_and_last_four(value: str, shown: str) -> None:
    assert redact(value) == shown


@given(st.text(min_size=9))
def test_redacted_never_contains_the_middle(value: str) -> None:
    out = redact(value)
    assert out is not None and len(out) <= len(value) + 1
    if len(value) > 24:
        assert value not in out


def test_secret_wrapper_repr_str_pickle() -> None:
    s = Secret("amzn1.oa2-cs.v1.wrappedsecretvalue77")
    assert "wrappedsecretvalue77" not in repr(s) + str(s) + f"{s}"
    assert pickle.loads(pickle.dumps(s)).reveal() == s.reveal()


def test_mapping_headers_and_free_text() -> None:
    doc = redact_mapping(
        {
            "client_secret": "amzn1.oa2-cs.v1.mappingsecret001",
            "nested": {"refresh_token": "Atzr|abcdefghijklmnop"},
            "client_id": "visible",
        }
    )
    assert doc == {
        "client_secret": "amzn1.oa2-cs.v1.…t001",
        "nested": {"refresh_token": "Atzr|…mnop"},
        "client_id": "visible",
    }
    h = scrub_headers(
        {
            "Authorization": "Bearer Atza|tokentokentoken1234, Version 2.1",
            "x-amz-access-token": "Atza|zzzzzzzzzzzz9999",
        }
    )
    assert h == {"Authorization": "Bearer Atza|…1234, Version 2.1", "x-amz-access-token": "Atza|…9999"}
    assert scrub("token=Atza|tokentokentoken1234 end", ["Atza|tokentokentoken1234"]) == "token=Atza|…1234 end"
    assert fingerprint("a") != fingerprint("b") and len(fingerprint("a")) == 16
