"""The reference in docs/reference/ is the project's own contract: the texts tests rely on are quoted there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.catalogue.test_data import LWA_DESCRIPTIONS
from tests.sandbox import _wire

ROOT = Path(__file__).resolve().parents[2]
WIRE = (ROOT / "docs" / "reference" / "wire.md").read_text(encoding="utf-8")

WIRE_TEXTS = [
    _wire.INVALID_CLIENT,
    _wire.INVALID_SCOPE,
    _wire.UNSUPPORTED_GRANT,
    _wire.UNAUTHORIZED_CLIENT,
    _wire.REVOKED_SUFFIX.strip(),
    _wire.DENIED,
    _wire.D_MISSING,
    _wire.D_INVALID,
    _wire.D_SECRET,
    _wire.QUOTA,
    *(d.rsplit(" : ", 1)[0] for d in LWA_DESCRIPTIONS.values()),
]


@pytest.mark.parametrize("text", WIRE_TEXTS)
def test_amazon_texts_the_tests_use_are_quoted_in_the_wire_reference(text: str) -> None:
    assert text in WIRE, f"docs/reference/wire.md does not quote {text!r}"


def test_nothing_tracked_points_outside_the_repository() -> None:
    """A clean clone stands alone: no tracked file names the spec folder beside it or a /work path."""
    git = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=False)
    if git.returncode != 0:
        pytest.skip("not a git checkout (an sdist or an exported copy)")
    outside = ("../" + "shared", "/work" + "/")  # split so this file does not name them itself
    hits = []
    for name in git.stdout.splitlines():
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".ico", ".woff2", ".sqlite3"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{name}: {o}" for o in outside if o in text]
    assert not hits, hits


def _json_examples(page: str) -> list[dict[str, Any]]:
    text = (ROOT / "docs" / "reference" / page).read_text(encoding="utf-8")
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]


def _example_with(page: str, key: str) -> dict[str, Any]:
    found = [doc for doc in _json_examples(page) if key in doc]
    assert len(found) == 1, f"docs/reference/{page}: one JSON example with {key!r} expected"
    return found[0]


PROFILE = """
[profiles.default]
api = "creators"
credential_version = "3.1"
client_id = "amzn1.application-oa2-client.5a4db0x31demo00000000000000031"
client_secret = "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031"
marketplace = "US"
partner_tag = "demo-20"
sandbox = "{url}"

[profiles.broken]
api = "creators"
credential_version = "2.1"
client_id = "amzn1.application-oa2-client.5a4db0x31demo00000000000000031"
client_secret = "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031"
marketplace = "US"
partner_tag = "demo-20"
sandbox = "{url}"
"""


def _cli_json(cfg: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "amzauth", *args, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "AMZAUTH_CONFIG": str(cfg)},
        timeout=120,
        check=False,
    )
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


@pytest.mark.parametrize(
    ("key", "argv"),
    [
        ("token_type", ("token",)),
        ("search_url", ("search", "earbuds", "--count", "1")),
        ("requests", ("items", "B0SBXUS004", "NOPE000000")),
        ("meaning", ("explain", "invalid_scope")),
    ],
)
def test_cli_json_examples_have_the_keys_the_commands_print(
    key: str, argv: tuple[str, ...], fresh_sandbox: Any, tmp_path: Path
) -> None:
    """docs/reference/cli.md's JSON examples name exactly the top-level keys the commands print."""
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(PROFILE.format(url=fresh_sandbox.url), encoding="utf-8")
    documented = _example_with("cli.md", key)
    printed = _cli_json(cfg, *argv)
    assert set(printed) == set(documented)


def test_doctor_report_example_has_the_keys_the_doctor_prints(fresh_sandbox: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text(PROFILE.format(url=fresh_sandbox.url), encoding="utf-8")
    documented = _example_with("doctor-report.md", "schema")
    printed = _cli_json(cfg, "doctor", "--profile", "broken")
    assert set(printed) == set(documented)
    assert set(documented["fields"]) <= set(printed["fields"])
    assert set(printed["diagnosis"]) == set(documented["diagnosis"])
    assert [set(s) for s in printed["steps"]] == [set(s) for s in documented["steps"]]
    assert printed["diagnosis"]["cause"] == documented["diagnosis"]["cause"] == "version-mismatch"


def test_every_docs_page_is_in_the_site_nav() -> None:
    """`mkdocs build --strict` refuses pages left out of the nav; catch that here, not only in CI's docs step."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    missing = [p for p in pages if not re.search(rf":\s*{re.escape(p)}\s*$", nav, re.M)]
    assert not missing, f"add these pages to mkdocs.yml's nav: {missing}"
