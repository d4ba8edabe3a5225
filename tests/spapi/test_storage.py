"""Refresh-token storage (file modes, atomic writes, stored: references) and in-place profile edits."""

from __future__ import annotations

import os
import stat
import threading
import tomllib
from pathlib import Path

import pytest

from amzauth.config import ConfigError, load_profile
from amzauth.config.profiles import resolve_profile
from amzauth.config.storage import (
    FileTokenStorage,
    default_token_file,
    keyring_available,
    load_refresh_token,
    save_refresh_token,
    storage_for,
)
from amzauth.spapi.errors import StorageError
from amzauth.spapi.tomledit import edit_profile_text, set_profile_values
from tests.spapi._support import CLIENT_ID, make_profile
from tests.support import register_secret

TOKEN = "Atzr|IwEBstorage-test-token-0000000000000000000000000000000001"
register_secret(TOKEN)


def test_save_and_resolve_a_stored_reference() -> None:
    stored = save_refresh_token(CLIENT_ID, "na", "A1SELLER", TOKEN, prefer="file")
    path = default_token_file()
    assert stored.stored_in == f"file:{path}" and stored.reference == "stored:A1SELLER"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".tokens-")] == []  # no temp left
    prof = make_profile(None, "https://example.com/cb", refresh_token="stored:A1SELLER")
    resolved = resolve_profile(prof)
    assert resolved.secret("refresh_token") == TOKEN
    assert resolved.sources["refresh_token"] == "stored:A1SELLER"
    assert TOKEN not in repr(resolved)
    # authorizations are per app and region
    assert load_refresh_token(CLIENT_ID, "eu", "A1SELLER") is None
    with pytest.raises(ConfigError) as ei:
        resolve_profile(
            make_profile(
                None, "https://example.com/cb", refresh_token="stored:A1SELLER", region="eu", marketplace="DE"
            )
        )
    assert ei.value.key == "refresh_token" and "spapi authorize" in (ei.value.fix or "")


def test_profiles_without_a_reference_are_untouched() -> None:
    prof = make_profile(None, "https://example.com/cb", refresh_token=TOKEN)
    assert resolve_profile(prof) is prof


def test_concurrent_saves_keep_every_entry(tmp_path: Path) -> None:
    storage = FileTokenStorage(tmp_path / "amzauth" / "credentials" / "refresh_tokens.json")

    def save(i: int) -> None:
        storage.save(f"k{i}", f"{TOKEN}{i}", {"n": i})

    threads = [threading.Thread(target=save, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {storage.load(f"k{i}") for i in range(20)} == {f"{TOKEN}{i}" for i in range(20)}
    assert storage.delete("k3") and storage.load("k3") is None and not storage.delete("k3")
    assert all("refresh_token" not in e for e in storage.entries())


def test_keyring_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMZAUTH_NO_KEYRING", "1")
    assert keyring_available() is False
    assert isinstance(storage_for("auto"), FileTokenStorage)
    with pytest.raises(StorageError):
        storage_for("keyring")


# ---- profile edits --------------------------------------------------------------------------------

FILE = """# my profiles
[profiles.other]
api = "creators"   # keep me

[profiles."seller"]
api = "spapi"
client_id = "amzn1.application-oa2-client.x"
client_secret = "old"  # rotated every 180 days
secret_expires = 2026-12-01
region = "na"

[profiles.after]
api = "spapi"
"""


def test_edit_replaces_in_place_and_keeps_comments() -> None:
    out = edit_profile_text(FILE, "seller", {"client_secret": 'new"one', "secret_expires": "2027-05-01"})
    assert 'client_secret = "new\\"one"  # rotated every 180 days' in out
    assert 'secret_expires = "2027-05-01"' in out
    doc = tomllib.loads(out)
    assert doc["profiles"]["seller"]["client_secret"] == 'new"one'
    assert doc["profiles"]["other"] == {"api": "creators"} and doc["profiles"]["after"] == {"api": "spapi"}
    assert out.replace('"new\\"one"', '"old"').replace('"2027-05-01"', "2026-12-01") == FILE


def test_edit_appends_a_missing_key_inside_its_table() -> None:
    out = edit_profile_text(FILE, "seller", {"refresh_token": "stored:A1"})
    doc = tomllib.loads(out)
    assert doc["profiles"]["seller"]["refresh_token"] == "stored:A1"
    assert "refresh_token" not in doc["profiles"]["after"]


def test_edit_keeps_crlf() -> None:
    crlf = FILE.replace("\n", "\r\n")
    out = edit_profile_text(crlf, "seller", {"refresh_token": "stored:A1", "client_secret": "n"})
    assert "\n" not in out.replace("\r\n", "")
    assert tomllib.loads(out)["profiles"]["seller"]["refresh_token"] == "stored:A1"


def test_set_profile_values_is_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    p = tmp_path / "amzauth.toml"
    p.write_text(FILE)
    os.chmod(p, 0o600)
    link = tmp_path / "link.toml"
    link.symlink_to(p)
    set_profile_values(link, "seller", {"client_secret": "rotated"})
    assert link.is_symlink()
    assert tomllib.loads(p.read_text())["profiles"]["seller"]["client_secret"] == "rotated"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert sorted(x.name for x in tmp_path.iterdir()) == ["amzauth.toml", "link.toml"]
    assert load_profile("seller", str(p)).secret("client_secret") == "rotated"


def test_unusual_layouts_are_refused_not_mangled(tmp_path: Path) -> None:
    dotted = '[profiles]\nseller.api = "spapi"\nseller.client_secret = "old"\n'
    p = tmp_path / "dotted.toml"
    p.write_text(dotted)
    with pytest.raises(StorageError):
        set_profile_values(p, "seller", {"client_secret": "new"})
    assert p.read_text() == dotted


def test_os_keyring_when_a_backend_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    from amzauth.config.storage import KEYRING_SERVICE, reset_keyring_probe, storage_key

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.data: dict[tuple[str, str], str] = {}

        def set_password(self, service: str, username: str, password: str) -> None:
            self.data[(service, username)] = password

        def get_password(self, service: str, username: str) -> str | None:
            return self.data.get((service, username))

        def delete_password(self, service: str, username: str) -> None:
            self.data.pop((service, username), None)

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    reset_keyring_probe()
    try:
        stored = save_refresh_token(CLIENT_ID, "na", "A1KEYRING", TOKEN, prefer="auto")
        assert stored.stored_in == "keyring"
        key = storage_key(CLIENT_ID, "na", "A1KEYRING")
        assert ring.data[(KEYRING_SERVICE, key)] == TOKEN
        # the token file only says where it is
        assert TOKEN not in default_token_file().read_text()
        assert FileTokenStorage().entry(key) == {**FileTokenStorage().entry(key), "in_keyring": True}  # type: ignore[dict-item]
        prof = make_profile(None, "https://example.com/cb", refresh_token="stored:A1KEYRING")
        assert resolve_profile(prof).secret("refresh_token") == TOKEN
        # a machine without the keyring says so, naming the key to fix
        monkeypatch.setenv("AMZAUTH_NO_KEYRING", "1")
        with pytest.raises(ConfigError) as ei:
            resolve_profile(prof)
        assert ei.value.key == "refresh_token" and "keyring" in str(ei.value)
    finally:
        keyring.set_keyring(previous)
        reset_keyring_probe()
