"""``amzauth explain`` as users run it: a real subprocess for the contract, in-process for every code."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from amzauth.catalogue import load_catalogue
from amzauth.cli.main import app
from tests.support import run_cli

CAT = load_catalogue()
EXPLAIN_KEYS = {"code", "title", "meaning", "causes", "fix", "field", "retryable"}


def _json(stdout: str) -> dict[str, object]:
    doc = json.loads(stdout)  # exactly one JSON document and nothing else
    assert isinstance(doc, dict)
    return doc


def test_json_output_is_the_catalogue_entry() -> None:
    proc = run_cli("explain", "invalid_client", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = _json(proc.stdout)
    assert set(doc) >= EXPLAIN_KEYS
    assert doc == CAT["invalid_client"].to_explain_json()
    causes = {c["id"]: c["field"] for c in doc["causes"]}  # type: ignore[union-attr, index]
    assert causes["version-mismatch"] == "credential_version"
    assert causes["wrong-secret"] == "client_secret"


def test_words_are_joined() -> None:
    proc = run_cli("explain", "invalid", "client", "--json")
    assert proc.returncode == 0, proc.stderr
    assert _json(proc.stdout)["code"] == "invalid_client"


@pytest.mark.parametrize(
    ("text", "code"),
    [("md5110", "MD5110"), ("Throttling", "ThrottleException"), ("403", "Unauthorized"), ("405", "405")],
)
def test_near_misses_via_cli(text: str, code: str) -> None:
    proc = run_cli("explain", text, "--json")
    assert proc.returncode == 0, proc.stderr
    assert _json(proc.stdout)["code"] == code


def test_human_view_shows_title_causes_and_fix() -> None:
    entry = CAT["MD5110"]
    proc = run_cli("explain", "md5110")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert entry.title in out
    for cause in entry.causes:
        assert cause.id in out and cause.field in out
    assert "Fix" in out and "redirect_uri" in out
    assert not out.lstrip().startswith("{")


def test_unknown_code_exits_2_with_suggestions() -> None:
    proc = run_cli("explain", "invalid_xyz", "--json")
    assert proc.returncode == 2
    doc = _json(proc.stdout)
    assert doc["error"] == "unknown code"
    assert doc["code"] == "invalid_xyz"
    suggestions = doc["suggestions"]
    assert isinstance(suggestions, list) and suggestions
    assert suggestions == CAT.suggest("invalid_xyz")
    assert "invalid_xyz" in proc.stderr


def test_unknown_code_human_message_lists_close_matches() -> None:
    proc = run_cli("explain", "MD51")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "MD5101" in proc.stderr and "MD5110" in proc.stderr


def test_exception_type_is_ambiguous() -> None:
    proc = run_cli("explain", "UnauthorizedException", "--json")
    assert proc.returncode == 2
    doc = _json(proc.stdout)
    assert doc["error"] == "ambiguous code"
    assert doc["suggestions"] == CAT.related("UnauthorizedException")
    assert "TokenExpired" in doc["suggestions"]  # type: ignore[operator]


def test_no_code_is_a_usage_error() -> None:
    proc = run_cli("explain")
    assert proc.returncode == 2
    assert "usage" in proc.stderr.lower()


def test_list() -> None:
    proc = run_cli("explain", "--list", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = [c["code"] for c in _json(proc.stdout)["codes"]]  # type: ignore[union-attr, index]
    assert listed == list(CAT.codes)


@pytest.mark.parametrize("code", CAT.codes)
def test_every_code_renders(code: str) -> None:
    """Human and JSON views for every entry (in-process: 45 subprocesses would be slow)."""
    runner = CliRunner()
    entry = CAT[code]
    human = runner.invoke(app, ["explain", code], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert human.exit_code == 0, human.output
    assert entry.title in human.output
    assert all(c.id in human.output for c in entry.causes)
    as_json = runner.invoke(app, ["explain", code, "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["code"] == code
