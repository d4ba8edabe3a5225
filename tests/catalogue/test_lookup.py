"""Exact and forgiving lookup, suggestions, groups and message-to-cause selection."""

from __future__ import annotations

import pytest

from amzauth.catalogue import load_catalogue

CAT = load_catalogue()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("invalid client", "invalid_client"),
        ("INVALID-CLIENT", "invalid_client"),
        ("Invalid_Client", "invalid_client"),
        ("  invalid_client  ", "invalid_client"),
        ("invalid_clinet", "invalid_client"),
        ("unauthorised_client", "unauthorized_client"),
        ("error: invalid_grant", "invalid_grant"),
        ("md5110", "MD5110"),
        ("MD 5110", "MD5110"),
        ("5110", "MD5110"),
        ("throttle", "ThrottleException"),
        ("Throttling", "ThrottleException"),
        ("throttled", "ThrottleException"),
        ("429", "ThrottleException"),
        ("403", "Unauthorized"),
        ("HTTP 405", "405"),
        ("405 Not Allowed", "405"),
        ("quota", "QuotaExceeded"),
        ("sigv4", "InvalidSignature"),
        ("InvalidPartnerTagException", "InvalidPartnerTag"),
        ("TokenExpiredException", "TokenExpired"),
        ("expired token", "expired_token"),
        ("InvalidClient", "InvalidClient"),
        ("restricted data token", "RestrictedDataToken"),
        ("timeout", "timeout"),  # the waiting entry, not the network one (issue 19)
        ("Client authentication failed", "invalid_client"),
        ("Access to requested resource is denied.", "Unauthorized"),
        ("The LWA secret token you provided has expired.", "Unauthorized"),
        ("Your account does not currently meet the eligibility requirements.", "AssociateNotEligible"),
        ("User may have revoked or didn't grant the permission.", "invalid_grant"),
        (
            "Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T000500Z - 5 min.)",
            "InvalidSignature",
        ),
        ('{"error":"invalid_scope","error_description":"An unknown scope was requested"}', "invalid_scope"),
        ('{"error":"invalid_client"}', "invalid_client"),
        ('{"type":"ValidationException","reason":"InvalidAssociate","message":"x"}', "InvalidAssociate"),
        ('{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota"}]}', "QuotaExceeded"),
        ("HTTP/1.1 400 Bad Request ... invalid_client ...", "invalid_client"),
    ],
)
def test_forgiving_lookup(text: str, code: str) -> None:
    entry = CAT.lookup(text)
    assert entry is not None, text
    assert entry.code == code


def test_get_is_exact_but_case_insensitive() -> None:
    assert CAT.get("INVALID_CLIENT") is CAT["invalid_client"]
    assert CAT.get("md9100") is CAT["MD9100"]
    assert CAT.get("invalid client") is None
    # CamelCase reason and snake_case OAuth code are different entries.
    assert CAT.get("invalidclient") is CAT["InvalidClient"]
    assert CAT["InvalidClient"] is not CAT["invalid_client"]
    assert CAT.get("") is None


def test_every_code_alias_and_message_finds_its_entry() -> None:
    for entry in CAT:
        for name in (entry.code, *entry.aliases):
            assert CAT.get(name) is entry, name
            assert CAT.lookup(name) is entry, name
        for msg in entry.messages:
            assert CAT.lookup(msg) is entry, msg


@pytest.mark.parametrize("text", ["blorp", "", "   ", "invalid", "xyzzy plugh"])
def test_no_guess_for_nonsense_or_ambiguity(text: str) -> None:
    assert CAT.lookup(text) is None


@pytest.mark.parametrize(
    "type_name", ["ValidationException", "UnauthorizedException", "AccessDeniedException"]
)
def test_exception_types_with_several_reasons_are_groups(type_name: str) -> None:
    members = [e.code for e in CAT if type_name in e.types]
    assert len(members) >= 2
    assert CAT.lookup(type_name) is None
    assert CAT.related(type_name) == members
    assert CAT.suggest(type_name, n=len(members)) == members


def test_single_reason_type_resolves() -> None:
    assert CAT.lookup("ResourceNotFound") is CAT["ResourceNotFoundException"]


def test_status_groups() -> None:
    expected = [e.code for e in CAT if 401 in e.http_status]
    assert CAT.related("401") == expected
    assert CAT.related("HTTP 401") == expected
    assert "invalid_client" in expected and "InvalidToken" in expected
    assert CAT.lookup("401") is None


def test_suggest() -> None:
    near = CAT.suggest("invalid_xyz")
    assert near and all(c.lower().startswith("invalid") for c in near[:3])
    assert {"MD5101", "MD5110"} <= set(CAT.suggest("MD51"))
    assert len(CAT.suggest("invalid", n=3)) <= 3
    assert CAT.suggest("invalid client")[0] == "invalid_client"
    assert {"expired_token", "TokenExpired"} <= set(CAT.suggest("clock-skew"))
    assert CAT.suggest("") == []


def test_cause_lookup() -> None:
    cause = CAT.cause("invalid_client", "version-mismatch")
    assert cause.field == "credential_version"
    with pytest.raises(KeyError, match="version-mismatch"):
        CAT.cause("invalid_client", "no-such-cause")
    with pytest.raises(KeyError):
        CAT.cause("no_such_code", "version-mismatch")


# Amazon's messages (docs/reference/wire.md) and the causes they select.
@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("Unauthorized", "The LWA secret token you provided has expired.", {"spapi-secret-expired"}),
        ("Unauthorized", "Access token is missing in the request header.", {"spapi-token-missing"}),
        (
            "Unauthorized",
            "The access token you provided is revoked, malformed or invalid.",
            {"spapi-token-revoked"},
        ),
        (
            "InvalidSignature",
            "Credential should be scoped to a valid region, not 'us-east-1'. ",
            {"sigv4-wrong-region"},
        ),
        (
            "InvalidSignature",
            "Signature expired: 20260101T000000Z is now earlier than X (Y - 5 min.)",
            {"sigv4-clock-skew"},
        ),
        (
            "invalid_grant",
            "The request has an invalid grant parameter : refresh_token User may have revoked or "
            "didn't grant the permission.",
            {"refresh-token-revoked"},
        ),
        ("invalid_grant", "The request has an invalid grant parameter : code", set()),
    ],
)
def test_messages_select_causes(code: str, message: str, expected: set[str]) -> None:
    assert {c.id for c in CAT[code].causes_for_message(message)} == expected


def test_denied_message_keeps_every_candidate() -> None:
    ids = {c.id for c in CAT["Unauthorized"].causes_for_message("Access to requested resource is denied.")}
    assert {"spapi-wrong-region", "spapi-missing-role", "spapi-draft-app", "spapi-account-unhealthy"} <= ids
    assert "spapi-secret-expired" not in ids
