"""explain finds Amazon's own sentences (issue 19, class 4), whole or by any distinctive part.

The sentences come from the sandbox's message table (src/amzauth/sandbox/messages.py), the texts the
sandbox answers with as Amazon does. A part is distinctive when it is four words or more and no
other code's sentence contains it; digits (timestamps, ids) vary, so a part needs 12 letters besides.
"""

from __future__ import annotations

import json
import re

import pytest

from amzauth.catalogue import load_catalogue
from amzauth.sandbox.messages import SIGV4_MISMATCH, WIRE_MESSAGES
from tests.support import run_cli

CAT = load_catalogue()
PAIRS = [(code, msg) for code, msgs in WIRE_MESSAGES.items() for msg in msgs]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


def _parts(code: str, message: str, size: int = 4) -> list[str]:
    words = message.split()
    others = [_norm(m) for c, msgs in WIRE_MESSAGES.items() if c != code for m in msgs]
    out = []
    for i in range(len(words) - size + 1):
        part = " ".join(words[i : i + size])
        if len(re.sub(r"[0-9]", "", _norm(part))) >= 12 and not any(_norm(part) in o for o in others):
            out.append(part)
    return out


@pytest.mark.parametrize(("code", "message"), PAIRS, ids=[f"{c}:{m[:30]}" for c, m in PAIRS])
def test_full_sentence_is_found(code: str, message: str) -> None:
    found = CAT.lookup(message)
    assert found is not None and found.code == CAT[code].code, (message, found and found.code)


@pytest.mark.parametrize(("code", "message"), PAIRS, ids=[f"{c}:{m[:30]}" for c, m in PAIRS])
def test_every_distinctive_part_is_found(code: str, message: str) -> None:
    parts = _parts(code, message)
    wrong = {p: (e.code if (e := CAT.lookup(p)) else None) for p in parts}
    wrong = {p: c for p, c in wrong.items() if c != CAT[code].code}
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (SIGV4_MISMATCH, "InvalidSignature"),
        ("SignatureDoesNotMatch", "InvalidSignature"),
        ("The request signature we calculated does not match the signature you provided", "InvalidSignature"),
        ("timeout", "timeout"),
        ("state_mismatch", "state_mismatch"),
        ("access_denied", "access_denied"),
        ("paapi", "paapi"),
        ("PA-API 5", "paapi"),
        ("invalid_request The request is missing a required parameter : code", "invalid_request"),
        ("invalid_request ... : code", "invalid_request"),
        ('{"error":"invalid_request","error_description":"The request is missing a required parameter : code"}',
         "invalid_request"),
        ("MissingAuthenticationToken", "MissingAuthenticationToken"),
    ],
)
def test_cli_explains(text: str, code: str) -> None:
    out = run_cli("explain", text, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["code"] == code


def test_invalid_grant_lists_the_creators_causes() -> None:
    causes = CAT["invalid_grant"].cause_ids
    for cause in ("creators-credential-half-replaced", "creators-stale-cached-token", "creators-app-revoked"):
        assert cause in causes


def test_missing_authentication_token_shows_its_causes() -> None:
    out = run_cli("explain", "MissingAuthenticationToken")
    assert out.returncode == 0
    for cause in CAT["MissingAuthenticationToken"].cause_ids:
        assert cause in out.stdout


def test_timeout_is_not_the_network_entry() -> None:
    out = run_cli("explain", "timeout", "--json")
    doc = json.loads(out.stdout)
    assert doc["code"] == "timeout" and "callback-not-received" in [c["id"] for c in doc["causes"]]


def test_long_entries_say_most_likely_first() -> None:
    out = run_cli("explain", "invalid_grant", env={"COLUMNS": "80"})
    assert out.returncode == 0 and "most likely first" in out.stdout
