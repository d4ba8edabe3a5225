"""Rendering: explain JSON shape, doctor diagnosis objects, placeholders."""

from __future__ import annotations

import json
import re

import pytest

from amzauth.catalogue import load_catalogue, render

CAT = load_catalogue()
EXPLAIN_KEYS = {"code", "title", "meaning", "causes", "fix", "field", "retryable"}
CAUSE_KEYS = {"id", "field", "summary", "evidence", "fix"}
DIAGNOSIS_KEYS = {"code", "cause", "field", "suggested_value", "summary", "fix", "retryable"}


@pytest.mark.parametrize("code", CAT.codes)
def test_explain_json_shape(code: str) -> None:
    entry = CAT[code]
    doc = entry.to_explain_json()
    assert set(doc) >= EXPLAIN_KEYS
    assert doc["code"] == code and doc["field"] == entry.field and doc["retryable"] is entry.retryable
    assert isinstance(doc["fix"], list) and all(isinstance(s, str) for s in doc["fix"])
    assert [c["id"] for c in doc["causes"]] == list(entry.cause_ids)
    for c in doc["causes"]:
        assert set(c) >= CAUSE_KEYS
        assert isinstance(c["fix"], list)
        # Placeholders are shown as <name>, never as raw {name}.
        assert not re.search(r"\{\w+\}", c["summary"] + " ".join(c["fix"])), (code, c["id"])
    json.dumps(doc)  # serializable as is


def test_render_fills_and_marks_missing() -> None:
    assert (
        render("profile {profile} says {version}", {"profile": "default"}) == "profile default says <version>"
    )
    assert render('literal {"error":"x"} stays', {}) == 'literal {"error":"x"} stays'
    assert render("{version}", {"version": None}) == "<version>"


def test_diagnosis_for_the_commonest_mistake() -> None:
    diag = CAT.diagnose(
        "invalid_client",
        "version-mismatch",
        values={"profile": "default", "version": "2.1", "secret_family": "3.x (Login with Amazon)"},
        suggested_value="3.1",
    )
    assert set(diag) == DIAGNOSIS_KEYS
    assert diag["code"] == "invalid_client" and diag["cause"] == "version-mismatch"
    assert diag["field"] == "credential_version" and diag["suggested_value"] == "3.1"
    assert diag["retryable"] is False
    assert "2.1" in diag["summary"] and "3.x" in diag["summary"] and "<" not in diag["summary"]
    assert any('"3.1"' in step and "default" in step for step in diag["fix"])


def test_diagnosis_keeps_amazon_spelling_and_field_override() -> None:
    diag = CAT.diagnose(
        "INVALID_CLIENT", "whitespace-padding", field="client_id", values={"key": "client_id"}
    )
    assert diag["code"] == "INVALID_CLIENT"
    assert diag["field"] == "client_id"
    with pytest.raises(ValueError, match="bogus"):
        CAT["invalid_client"].diagnosis("whitespace-padding", field="bogus")


def test_transient_diagnosis_is_retryable_with_field_none() -> None:
    for code in ("server_error", "temporarily_unavailable"):
        diag = CAT.diagnose(code, "amazon-transient", values={"retry_after": 7})
        assert diag["retryable"] is True and diag["field"] == "none"
    assert (
        "7"
        in CAT.diagnose("temporarily_unavailable", "amazon-transient", values={"retry_after": 7})["summary"]
    )
    diag = CAT.diagnose("ThrottleException", "rate-limit-exceeded")
    assert diag["retryable"] is True and diag["field"] == "none"
