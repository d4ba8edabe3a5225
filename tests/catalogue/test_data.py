"""The catalogue file validates and holds every code and cause the doctor and explain rely on."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from amzauth.catalogue import (
    FIELDS,
    KINDS,
    PLACEHOLDERS,
    load_catalogue,
    parse_catalogue,
    read_catalogue_text,
)
from tests.catalogue.expected import (
    CONSENT_CODES,
    CONTRACT_FIELDS,
    CREATORS_REASONS,
    OAUTH_CODES,
    REQUIRED_CAUSES,
    REQUIRED_CODES,
    SPAPI_CODES,
    TRANSIENT_CODES,
    all_cause_refs,
    all_codes,
    explain_only_codes,
)

CAT = load_catalogue()
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_load_is_cached_and_matches_the_packaged_file() -> None:
    assert load_catalogue() is CAT
    fresh = parse_catalogue(tomllib.loads(read_catalogue_text()))
    assert fresh.codes == CAT.codes
    assert fresh.cause_refs() == CAT.cause_refs()


def test_fields_are_exactly_the_contract_fields() -> None:
    assert FIELDS == CONTRACT_FIELDS


@pytest.mark.parametrize("code", REQUIRED_CODES)
def test_required_code_present(code: str) -> None:
    entry = CAT.get(code)
    assert entry is not None, code
    assert entry.code == code


def test_restricted_data_token_entry() -> None:
    entry = CAT.lookup("restricted data token")
    assert entry is not None and entry.kind == "spapi"
    assert "x-amz-access-token" in entry.meaning


@pytest.mark.parametrize(
    ("codes", "kind"),
    [
        (OAUTH_CODES, "oauth"),
        (CREATORS_REASONS, "creators"),
        (CONSENT_CODES, "consent"),
        (("405", "500"), "http"),
        (("config", "network"), "local"),
    ],
)
def test_kinds(codes: tuple[str, ...], kind: str) -> None:
    for code in codes:
        assert CAT[code].kind == kind, code


def test_spapi_codes_kind() -> None:
    for code in SPAPI_CODES:
        assert CAT[code].kind == ("sigv4" if code == "InvalidSignature" else "spapi"), code


@pytest.mark.parametrize(
    ("code", "cause_id", "fields", "retryable"),
    [(c, i, f, r) for c, causes in REQUIRED_CAUSES.items() for i, f, r in causes],
)
def test_required_cause(
    code: str, cause_id: str, fields: frozenset[str] | None, retryable: bool | None
) -> None:
    entry = CAT[code]
    cause = CAT.cause(code, cause_id)
    if fields is not None:
        assert cause.field in fields, (code, cause_id, cause.field)
    if retryable is not None:
        assert entry.cause_retryable(cause) is retryable, (code, cause_id)


def test_every_field_is_a_contract_field() -> None:
    for entry in CAT:
        assert entry.field in CONTRACT_FIELDS, entry.code
        for cause in entry.causes:
            assert cause.field in CONTRACT_FIELDS, (entry.code, cause.id)


def test_ids_kebab_unique_per_entry_and_codes_unique() -> None:
    assert len(set(CAT.codes)) == len(CAT.codes)
    for entry in CAT:
        ids = entry.cause_ids
        assert len(set(ids)) == len(ids), entry.code
        for cid in ids:
            assert KEBAB.match(cid), (entry.code, cid)
    assert {e.kind for e in CAT} <= set(KINDS)


def test_retryable_only_for_transient_codes() -> None:
    for entry in CAT:
        assert entry.retryable is (entry.code in TRANSIENT_CODES), entry.code
        for cause in entry.causes:
            if entry.cause_retryable(cause):
                # Contract: retrying unchanged can succeed only when nothing needs changing.
                assert cause.field in {"none", "network"}, (entry.code, cause.id)


def test_prose_is_complete() -> None:
    for entry in CAT:
        assert entry.title.strip() and len(entry.title) <= 80, entry.code
        assert len(entry.meaning) >= 40, entry.code
        assert entry.fix and all(s.strip() for s in entry.fix), entry.code
        for cause in entry.causes:
            assert cause.summary.strip() and cause.evidence.strip() and cause.fix, (entry.code, cause.id)
            # one sentence: no ". Next" inside
            assert not re.search(r"[.!?]\s+[A-Z]", cause.summary), (entry.code, cause.id, cause.summary)
            for name in re.findall(r"\{(\w+)\}", cause.summary + " ".join(cause.fix)):
                assert name in PLACEHOLDERS, (entry.code, cause.id, name)


def test_oauth_entries_show_cognito_and_lwa_forms() -> None:
    for code in OAUTH_CODES:
        forms = CAT[code].forms
        assert {"cognito", "lwa"} <= set(forms), code
        assert code in forms["lwa"] or code == "expired_token", code


# Login with Amazon error_description texts, from docs/reference/wire.md.
LWA_DESCRIPTIONS = {
    "invalid_client": "Client authentication failed",
    "invalid_scope": "An unknown scope was requested",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server",
    "unauthorized_client": "Not authorized for requested operation",
    "invalid_grant": "The request has an invalid grant parameter : refresh_token",
    "invalid_request": "The request is missing a required parameter : client_secret",
}


@pytest.mark.parametrize(("code", "description"), LWA_DESCRIPTIONS.items())
def test_lwa_descriptions_lead_to_their_code(code: str, description: str) -> None:
    entry = CAT.lookup(description)
    assert entry is not None and entry.code == code


def test_creators_entries_name_their_exception_type() -> None:
    for code in CREATORS_REASONS:
        entry = CAT[code]
        assert entry.types, code
        assert all(t.endswith("Exception") for t in entry.types), code
        assert "api" in entry.forms, code


def test_http_statuses_match_the_wire_reference() -> None:
    assert 401 in CAT["invalid_client"].http_status and 400 in CAT["invalid_client"].http_status
    assert CAT["temporarily_unavailable"].http_status == (503,)
    assert CAT["ThrottleException"].http_status == (429,)
    assert CAT["QuotaExceeded"].http_status == (429,)
    assert CAT["AssociateNotEligible"].http_status == (403,)
    assert CAT["Unauthorized"].http_status == (403,)
    assert CAT["405"].http_status == (405,)


def test_exported_lists_cover_the_catalogue() -> None:
    codes = all_codes()
    refs = all_cause_refs()
    assert set(REQUIRED_CODES) <= set(codes)
    assert {(c, i) for c, causes in REQUIRED_CAUSES.items() for i, _, _ in causes} <= set(refs)
    assert len(refs) == sum(len(e.causes) for e in CAT)
    assert set(explain_only_codes()) <= set(codes)
    assert all(CAT[c].explain_only for c in explain_only_codes())


def test_import_stays_light() -> None:
    code = (
        "import sys, amzauth.catalogue as c; c.load_catalogue(); "
        "print(sorted(m for m in ('rich', 'fastapi', 'typer', 'httpx', 'uvicorn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
