"""The leak scanner itself: what it flags, what it exempts, and that the plugin fails a leaking test.

Files here are written to a private temporary directory outside the scanned roots (the test's
tmp_path and isolated home), so the plugin does not flag this test's own bait.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from amzauth.config.redact import redact
from amzauth.sandbox.world import demo_world
from tests.leakscan import exempt_reason, scan_files, scan_text
from tests.support import KNOWN_TEST_SECRETS

LWA_TOKEN = "Atza|IwEBleakscanbait0000000000000000000000000000000000001"
REFRESH = "Atzr|IwEBleakscanbaitrefresh000000000000000000000000000001"
JWT = "eyJraWQiOiJzYW5kYm94In0.eyJzdWIiOiJsZWFrc2NhbmJhaXQifQ.c2lnbmF0dXJlbGVha3NjYW5iYWl0"


@pytest.fixture()
def bait_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="amzauth-leakscan-") as d:
        yield Path(d)


def test_demo_world_secrets_are_registered() -> None:
    w = demo_world()
    wanted = {c.client_secret for c in w.creators_credentials}
    wanted |= {a.client_secret for a in w.spapi_apps}
    wanted |= {auth.refresh_token for s in w.sellers for auth in s.authorizations}
    assert wanted <= KNOWN_TEST_SECRETS


@pytest.mark.parametrize("value", [LWA_TOKEN, REFRESH, JWT, "amzn1.oa2-cs.v1." + "ab12" * 16])
def test_credential_shapes_are_flagged_and_redacted_forms_are_not(value: str) -> None:
    assert scan_text(f"got {value} from amazon", "text"), value
    assert not scan_text(f"got {redact(value)} from amazon", "text")
    url_encoded = value.replace("|", "%7C")
    assert scan_text(url_encoded, "text") if "|" in value else True


def test_short_or_prefix_only_strings_are_not_tokens() -> None:
    assert not scan_text("the header is Atza|… or Atzr|12345678", "text")
    assert not scan_text("use amzn1.oa2-cs.v1.… as the secret prefix", "text")


def test_known_secret_is_flagged_and_shown_redacted() -> None:
    secret = next(iter(KNOWN_TEST_SECRETS))
    leaks = scan_text(f"oops {secret}", "stdout")
    assert leaks and all(secret not in str(lk) for lk in leaks)


def test_files_flagged_unless_exempt(bait_dir: Path) -> None:
    secret = demo_world().creators_credentials[0].client_secret
    (bait_dir / "notes.txt").write_text(f"secret={secret}\n")
    (bait_dir / "dump.json").write_text(f'{{"access_token": "{LWA_TOKEN}"}}')
    (bait_dir / "amzauth.toml").write_text(f'[profiles.default]\nclient_secret = "{secret}"\n')
    (bait_dir / "mine.toml").write_text(f'[profiles.x]\nclient_secret = "{secret}"\n')
    (bait_dir / "world.toml").write_text(
        f'[[creators_credentials]]\nclient_id = "x"\nclient_secret = "{secret}"\nversion = "3.1"\n'
    )
    flagged = {Path(lk.where.split(" (mode")[0]).name for lk in scan_files([bait_dir])}
    assert flagged == {"notes.txt", "dump.json"}


def _sqlite_with_token(path: Path, mode: int) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (v TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (LWA_TOKEN,))
    db.commit()
    db.close()
    os.chmod(path, mode)


def test_sqlite_store_exempt_only_when_private(bait_dir: Path) -> None:
    _sqlite_with_token(bait_dir / "tokens.sqlite3", 0o600)
    _sqlite_with_token(bait_dir / "custom-name.db", 0o600)
    assert scan_files([bait_dir]) == []
    os.chmod(bait_dir / "custom-name.db", 0o644)
    leaks = scan_files([bait_dir])
    assert len(leaks) == 1 and "custom-name.db (mode 0644)" in leaks[0].where


def test_refresh_token_file_exempt_only_at_0600(bait_dir: Path) -> None:
    d = bait_dir / "config" / "amzauth" / "credentials"
    d.mkdir(parents=True)
    f = d / "spapi-refresh-tokens.json"
    f.write_text(f'{{"A1SELLER": "{REFRESH}"}}')
    os.chmod(f, 0o600)
    st = f.stat()
    assert exempt_reason(f, f.read_text(), st) == "refresh-token file, mode 0600"
    os.chmod(f, 0o644)
    assert exempt_reason(f, f.read_text(), f.stat()) is None


def test_plugin_fails_a_test_that_prints_logs_or_writes_a_token(tmp_path: Path) -> None:
    """Run pytest on a tiny project that uses this plugin: the three leaking tests must error."""
    project = tmp_path / "proj"
    (project / "leakproj").mkdir(parents=True)
    (project / "leakproj" / "__init__.py").write_text("")
    (project / "leakproj" / "conftest.py").write_text(
        'from tests.conftest import _isolated_user_dirs  # noqa: F401\npytest_plugins = ["tests.leakscan"]\n'
    )
    (project / "leakproj" / "test_leaky.py").write_text(
        textwrap.dedent(
            """
            import logging
            import pytest
            TOKEN = "Atza|" + "IwEBpluginbait" + "0" * 30

            def test_prints():
                print("token:", TOKEN)

            def test_logs():
                logging.getLogger("amzauth").warning("token %s", TOKEN)

            def test_writes(tmp_path):
                (tmp_path / "out.txt").write_text(TOKEN)

            def test_clean(tmp_path):
                print("token: Atza|…0000")
                (tmp_path / "ok.txt").write_text("nothing to see")

            @pytest.mark.leakscan_allow_files("checks that amzauth refuses a readable token file")
            def test_marked(tmp_path):
                (tmp_path / "readable.json").write_text(TOKEN)
            """
        )
    )
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(project)])
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "leakproj"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "5 passed, 3 errors" in out, out
    for name in ("test_prints", "test_logs", "test_writes"):
        assert f"ERROR leakproj/test_leaky.py::{name}" in out, out
    assert "leak scanner: secret or token in captured output or logs" in out
    assert "leak scanner: secret or token in a written file" in out
