"""Where refresh tokens from ``amzauth spapi authorize`` live, and how a profile points at them.

The OS keyring when the optional ``keyring`` package has a usable backend, else one JSON file
``<user config dir>/credentials/spapi_refresh_tokens.json`` (directory 0700, file 0600, written
atomically under a lock, refused if others can read it, as ssh does with keys).

A profile uses a stored token with ``refresh_token = "stored:<selling_partner_id>"``; the entry is
looked up by the profile's client_id, region and that selling partner id (authorizations are per
app and per region). :func:`amzauth.config.profiles.resolve_stored` swaps the reference for the token.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from amzauth.errors import StorageError

log = logging.getLogger("amzauth.spapi")

STORED_PREFIX: Final = "stored:"
KEYRING_SERVICE: Final = "amzauth-spapi"
TOKEN_FILE_NAME: Final = "spapi_refresh_tokens.json"
FILE_VERSION: Final = 1
StorePreference = Literal["auto", "keyring", "file"]
# Recorded with each token: where it was obtained. Entries stored before these existed have none
# of them and are not checked (they keep working as before).
BINDING_KEYS: Final = ("token_endpoint", "auth_endpoint", "sandbox")


def storage_key(client_id: str, region: str, selling_partner_id: str) -> str:
    """One authorization: this app (LwA client id), this region, this selling partner."""
    return f"{client_id}|{region}|{selling_partner_id}"


def default_token_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("amzauth")) / "credentials" / TOKEN_FILE_NAME


class TokenStorage(Protocol):
    name: str

    def save(self, key: str, token: str, meta: dict[str, Any]) -> str: ...
    def load(self, key: str) -> str | None: ...
    def delete(self, key: str) -> bool: ...


# ---- file ---------------------------------------------------------------------------------------
class FileTokenStorage:
    """Refresh tokens in one private JSON file; every write is atomic (temp file + rename)."""

    name = "file"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_token_file()

    def __repr__(self) -> str:
        return f"FileTokenStorage({str(self.path)!r})"

    @property
    def location(self) -> str:
        return f"file:{self.path}"

    def _ensure_dir(self) -> None:
        d = self.path.parent
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix":
            os.chmod(d, 0o700)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_dir()
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.name == "posix":
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read(self) -> dict[str, Any]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {"version": FILE_VERSION, "tokens": {}}
        if os.name == "posix" and st.st_mode & 0o077:
            raise StorageError(
                f"refusing to read {self.path}: it is readable by other users (mode {st.st_mode & 0o777:o}); "
                f"run: chmod 600 {self.path}"
            )
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot read {self.path}: {type(exc).__name__}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("tokens"), dict):
            raise StorageError(f"{self.path} is not an amzauth token file")
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        self._ensure_dir()
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        try:
            if os.name == "posix":
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def save(self, key: str, token: str, meta: dict[str, Any]) -> str:
        with self._locked():
            doc = self._read()
            doc["version"] = FILE_VERSION
            doc["tokens"][key] = {**meta, "refresh_token": token, "stored_at": int(time.time())}
            self._write(doc)
        return self.location

    def save_marker(self, key: str, meta: dict[str, Any]) -> None:
        """An entry that says the token is in the OS keyring (the file then holds no token for it)."""
        with self._locked():
            doc = self._read()
            doc["version"] = FILE_VERSION
            doc["tokens"][key] = {**meta, "in_keyring": True, "stored_at": int(time.time())}
            self._write(doc)

    def entry(self, key: str) -> dict[str, Any] | None:
        e = self._read()["tokens"].get(key)
        return e if isinstance(e, dict) else None

    def load(self, key: str) -> str | None:
        entry = self.entry(key)
        if entry is not None and isinstance(entry.get("refresh_token"), str):
            return str(entry["refresh_token"])
        return None

    def delete(self, key: str) -> bool:
        with self._locked():
            doc = self._read()
            if key not in doc["tokens"]:
                return False
            del doc["tokens"][key]
            self._write(doc)
        return True

    def entries(self) -> list[dict[str, Any]]:
        """Stored authorizations without their tokens (for listing)."""
        return [
            {k: v for k, v in e.items() if k != "refresh_token"}
            for e in self._read()["tokens"].values()
            if isinstance(e, dict)
        ]


# ---- keyring ------------------------------------------------------------------------------------
def keyring_available() -> bool:
    """Whether the optional ``keyring`` package is installed with a real backend (not the fail one).

    ``AMZAUTH_NO_KEYRING=1`` turns it off. The probe (which can take half a second) runs once per process.
    """
    if os.environ.get("AMZAUTH_NO_KEYRING"):
        return False
    return _keyring_probe()


@functools.lru_cache(maxsize=1)
def _keyring_probe() -> bool:
    try:
        import keyring
        from keyring.backends import fail
    except Exception:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    try:
        from keyring.backends import chainer

        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return False
    except Exception:
        pass
    priority = getattr(backend, "priority", 1)
    try:
        return float(priority) > 0
    except (TypeError, ValueError):
        return True


def reset_keyring_probe() -> None:
    """Forget the cached probe (after installing a backend at run time, e.g. in tests)."""
    _keyring_probe.cache_clear()


class KeyringTokenStorage:
    """Refresh tokens in the OS keyring (service ``amzauth-spapi``, user = the storage key)."""

    name = "keyring"
    location = "keyring"

    def __init__(self, index: FileTokenStorage | None = None) -> None:
        # The token file keeps an entry without the token, so lookups and listings know it is here.
        self.index = index or FileTokenStorage()

    def save(self, key: str, token: str, meta: dict[str, Any]) -> str:
        import keyring

        try:
            keyring.set_password(KEYRING_SERVICE, key, token)
        except Exception as exc:
            raise StorageError(f"the OS keyring refused to store the token ({type(exc).__name__})") from None
        self.index.save_marker(key, meta)
        return self.location

    def load(self, key: str) -> str | None:
        import keyring

        try:
            value = keyring.get_password(KEYRING_SERVICE, key)
        except Exception as exc:
            log.warning("could not read the OS keyring (%s)", type(exc).__name__)
            return None
        return value if isinstance(value, str) else None

    def delete(self, key: str) -> bool:
        import keyring

        self.index.delete(key)
        try:
            keyring.delete_password(KEYRING_SERVICE, key)
        except Exception:
            return False
        return True


def storage_for(prefer: StorePreference = "auto", path: str | Path | None = None) -> TokenStorage:
    """The storage to write to: the keyring if asked for (or ``auto`` and one is usable), else the file."""
    if prefer == "keyring":
        if not keyring_available():
            raise StorageError(
                "no OS keyring is available (install amzauth[keyring] on a desktop session), "
                "or use --store file"
            )
        return KeyringTokenStorage(FileTokenStorage(path))
    if prefer == "auto" and keyring_available():
        return KeyringTokenStorage(FileTokenStorage(path))
    return FileTokenStorage(path)


@dataclass(frozen=True, slots=True)
class StoredToken:
    """Where a refresh token was put and the profile value that points at it."""

    stored_in: str  # "keyring" or "file:<path>"
    reference: str  # "stored:<selling_partner_id>"
    key: str


def save_refresh_token(
    client_id: str,
    region: str,
    selling_partner_id: str,
    refresh_token: str,
    *,
    prefer: StorePreference = "auto",
    path: str | Path | None = None,
    application_id: str | None = None,
    endpoint: Mapping[str, str | None] | None = None,
) -> StoredToken:
    """Store a refresh token; ``endpoint`` (see :func:`amzauth.config.endpoints.stored_token_endpoint`)
    binds it to the token URL it came from, so it is never sent anywhere else."""
    key = storage_key(client_id, region, selling_partner_id)
    meta: dict[str, Any] = {
        "client_id": client_id,
        "region": region,
        "selling_partner_id": selling_partner_id,
        "application_id": application_id,
    }
    if endpoint is not None:
        meta.update({k: endpoint.get(k) for k in BINDING_KEYS})
    where = storage_for(prefer, path).save(key, refresh_token, meta)
    return StoredToken(stored_in=where, reference=STORED_PREFIX + selling_partner_id, key=key)


def stored_entry(
    client_id: str, region: str, selling_partner_id: str, *, path: str | Path | None = None
) -> dict[str, Any] | None:
    """What is recorded with a stored token (never the token itself), or None when nothing is stored."""
    entry = FileTokenStorage(path).entry(storage_key(client_id, region, selling_partner_id))
    return None if entry is None else {k: v for k, v in entry.items() if k != "refresh_token"}


def load_refresh_token(
    client_id: str, region: str, selling_partner_id: str, *, path: str | Path | None = None
) -> str | None:
    """The stored token: from the token file, or from the OS keyring when the file's entry says so."""
    key = storage_key(client_id, region, selling_partner_id)
    index = FileTokenStorage(path)
    entry = index.entry(key)
    if entry is None:
        return None
    if isinstance(entry.get("refresh_token"), str):
        return str(entry["refresh_token"])
    if entry.get("in_keyring"):
        if not keyring_available():
            raise StorageError(
                f"the refresh token for {selling_partner_id} is in the OS keyring, which is not available here"
            )
        return KeyringTokenStorage(index).load(key)
    return None


def is_stored_reference(value: str | None) -> bool:
    return bool(value) and str(value).startswith(STORED_PREFIX)


__all__ = [
    "BINDING_KEYS",
    "FILE_VERSION",
    "KEYRING_SERVICE",
    "STORED_PREFIX",
    "TOKEN_FILE_NAME",
    "FileTokenStorage",
    "KeyringTokenStorage",
    "StorePreference",
    "StoredToken",
    "TokenStorage",
    "default_token_file",
    "is_stored_reference",
    "keyring_available",
    "load_refresh_token",
    "reset_keyring_probe",
    "save_refresh_token",
    "storage_for",
    "storage_key",
    "stored_entry",
]
