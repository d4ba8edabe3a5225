"""The reference in docs/reference/ is the project's own contract: the texts tests rely on are quoted there."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
