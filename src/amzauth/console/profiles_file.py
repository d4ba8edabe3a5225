"""The profiles file as the console edits it: raw tables in, a private TOML file out.

The console edits what the user wrote (``env:NAME`` references stay references), never the
resolved values. Writing is atomic (temp file in the same directory, fsync, rename) and the
result is mode 0600, because the file may hold client secrets and refresh tokens. Every write
holds an inter-process lock (``flock`` on ``.<name>.lock`` beside the file) with the form's
version check inside it, so two consoles on one file never lose an acknowledged edit; a
symlinked file stays a symlink (the write goes to its target). Pure helpers
decide how a submitted form becomes a profile table; only :class:`ProfilesFile` touches disk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import threading
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from amzauth.config.files import write_text_atomic
from amzauth.config.profiles import (
    CREATORS_KEYS,
    SECRET_KEYS,
    SPAPI_KEYS,
    ConfigError,
    config_search_paths,
    find_config_file,
)
from amzauth.config.redact import redact, redact_url

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one console per file
    fcntl = None  # type: ignore[assignment]

NAME_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_BARE_KEY: Final = re.compile(r"^[A-Za-z0-9_-]+$")
VERSIONS: Final = ("2.1", "2.2", "2.3", "3.1", "3.2", "3.3")
REGIONS: Final = ("na", "eu", "fe")
STORES: Final = ("sqlite", "redis", "memory")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input of the profile editor."""

    key: str
    label: str
    kind: str  # text | secret | select | checkbox | url
    group: str  # common | creators | spapi | advanced
    help: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False


FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec(
        "api",
        "API",
        "select",
        "common",
        "Creators API (affiliates) or Selling Partner API (sellers).",
        ("creators", "spapi"),
        True,
    ),
    FieldSpec(
        "client_id",
        "Client ID",
        "text",
        "common",
        "Creators 3.x and SP-API: amzn1.application-oa2-client.…; Creators 2.x: the Cognito app client id.",
        required=True,
    ),
    FieldSpec(
        "client_secret",
        "Client secret",
        "secret",
        "common",
        "Write-only. Leave blank to keep the stored secret; env:NAME reads an environment variable.",
        required=True,
    ),
    FieldSpec(
        "marketplace",
        "Marketplace",
        "text",
        "common",
        "A marketplace host (www.amazon.com) or a country code (US, UK, DE).",
    ),
    FieldSpec(
        "credential_version",
        "Credential version",
        "select",
        "creators",
        "As shown next to the credential in Associates Central.",
        VERSIONS,
        True,
    ),
    FieldSpec("partner_tag", "Partner tag", "text", "creators", "Your Associates tag, e.g. mytag-20."),
    FieldSpec(
        "region",
        "Region",
        "select",
        "spapi",
        "na, eu or fe: where the seller's account lives.",
        ("", *REGIONS),
    ),
    FieldSpec(
        "refresh_token",
        "Refresh token",
        "secret",
        "spapi",
        "Write-only. Atzr|…, from self-authorization or the consent flow (Authorize a seller).",
    ),
    FieldSpec(
        "application_id",
        "Application ID",
        "text",
        "spapi",
        "amzn1.sp.solution.…: needed for the consent flow.",
    ),
    FieldSpec("redirect_uri", "Redirect URI", "url", "spapi", "One of the app's registered redirect URIs."),
    FieldSpec("draft", "Draft app (consent URLs get version=beta)", "checkbox", "spapi"),
    FieldSpec("vendor", "Vendor account (Vendor Central consent pages)", "checkbox", "spapi"),
    FieldSpec("secret_expires", "Client secret expires", "text", "spapi", "A date, e.g. 2027-03-01."),
    FieldSpec(
        "sandbox",
        "Sandbox URL",
        "url",
        "advanced",
        "Point every Amazon URL at an amzauth sandbox, e.g. http://127.0.0.1:8700.",
    ),
    FieldSpec(
        "auth_endpoint",
        "Token endpoint override",
        "url",
        "advanced",
        "Leave blank: derived from the credential version.",
    ),
    FieldSpec(
        "scope", "Scope override", "text", "advanced", "Leave blank unless you need a grantless scope."
    ),
    FieldSpec("grant_type", "Grant type override", "text", "advanced", "Leave blank."),
    FieldSpec("api_endpoint", "API endpoint override", "url", "advanced", "Leave blank."),
    FieldSpec("store", "Token store", "select", "advanced", "Where tokens are cached.", ("", *STORES)),
    FieldSpec("redis_url", "Redis URL", "text", "advanced", "For store = redis."),
    FieldSpec("timeout", "Timeout (seconds)", "text", "advanced", "Per request, e.g. 10."),
    FieldSpec("cache_dir", "Cache directory", "text", "advanced", "Where the SQLite caches live."),
)
FIELD_BY_KEY: Final = {f.key: f for f in FIELDS}


def allowed_keys(api: str) -> frozenset[str]:
    return frozenset(CREATORS_KEYS if api == "creators" else SPAPI_KEYS)


def table_version(table: Mapping[str, Any] | None) -> str:
    """A short hash of a profile's raw table: a form saved over a changed profile is refused."""
    blob = json.dumps(dict(table or {}), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def secret_display(raw: Any) -> str | None:
    """How a stored secret is shown: the env reference (not secret) or the redacted value."""
    if raw is None or raw == "":
        return None
    text = str(raw)
    if text.startswith("env:"):
        return f"read from {text}"
    if text.startswith("stored:"):
        return f"in the token store ({text})"
    return f"current: {redact(text)}"


def merge_form(current: Mapping[str, Any] | None, form: Mapping[str, str]) -> dict[str, Any]:
    """The raw table a submitted editor form asks for.

    Blank text fields drop the key (so derived values apply); blank secrets keep the stored value;
    keys of the other API are dropped; keys the editor does not show are kept as they were.
    """
    cur = dict(current or {})
    api = (form.get("api") or str(cur.get("api") or "creators")).strip()
    allowed = allowed_keys(api) if api in ("creators", "spapi") else frozenset(FIELD_BY_KEY)
    out: dict[str, Any] = {k: v for k, v in cur.items() if k not in FIELD_BY_KEY and k in allowed}
    for spec in FIELDS:
        key = spec.key
        if key not in allowed and key != "api":
            continue
        if spec.kind == "checkbox":
            if form.get(key) in ("on", "true", "1"):
                out[key] = True  # unchecked boxes send nothing: the key is dropped (false by default)
            continue
        value = form.get(key)
        if spec.kind == "secret":
            if value:  # never trimmed: the doctor reports padding, silently fixing it hides the cause
                out[key] = value
            elif key in cur:
                out[key] = cur[key]
            continue
        if value is None or value.strip() == "":
            continue
        if key == "redis_url" and isinstance(cur.get(key), str) and value == redact_url(cur[key]):
            out[key] = cur[key]  # the form showed the URL without its password: keep the stored one
            continue
        if key == "timeout":
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value  # profile_from_mapping names the key and the fix
            continue
        out[key] = value
    return out


# Keys that decide where a stored secret is sent (the token endpoint and every URL under sandbox).
ENDPOINT_KEYS: Final = ("sandbox", "auth_endpoint", "api_endpoint", "token_endpoint", "token_url")


def unbound_secrets(
    current: Mapping[str, Any] | None, table: Mapping[str, Any], form: Mapping[str, str]
) -> dict[str, str]:
    """{secret key: message} for stored secrets a save would send somewhere new.

    A secret is only ever sent to the endpoints it was saved with: a form that changes ``sandbox``
    or an endpoint while leaving a stored secret blank (kept) is refused until the secret is
    typed again, so whoever can reach the console cannot point it elsewhere and collect it.
    Removing an override is not a move: the derived URLs are Amazon's own.
    """
    if not current:
        return {}
    moved = [k for k in ENDPOINT_KEYS if table.get(k) and str(current.get(k) or "") != str(table[k])]
    if not moved:
        return {}
    return {
        key: (
            f"Type the {FIELD_BY_KEY[key].label.lower()} again: this save changes "
            f"{', '.join(moved)}, and a stored secret is only sent where it was saved for."
        )
        for key in SECRET_KEYS
        if key in FIELD_BY_KEY and current.get(key) and table.get(key) and not form.get(key)
    }


def form_values(table: Mapping[str, Any] | None) -> dict[str, str]:
    """Values to put back into the editor's inputs: never a secret, even redacted."""
    out: dict[str, str] = {}
    for k, v in (table or {}).items():
        if k in SECRET_KEYS:
            continue
        if isinstance(v, str):
            v = redact_url(v)  # a password inside a URL (redis_url) is never put in a page either
        if isinstance(v, bool):
            out[k] = "true" if v else ""
        elif isinstance(v, float) and k == "credential_version":
            out[k] = repr(v)
        else:
            out[k] = str(v)
    return out


# ---- TOML writing (tomllib only reads) -----------------------------------------------------------


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return toml_string(str(v))


_ESCAPES: Final = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character (DEL too) escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def dump_profiles(profiles: Mapping[str, Mapping[str, Any]]) -> str:
    """The profiles document as TOML, one ``[profiles.NAME]`` table each, keys in a stable order."""
    order = {f.key: i for i, f in enumerate(FIELDS)}
    lines = ["# amzauth profiles (written by amzauth console; see docs/console.md)", ""]
    for name in sorted(profiles):
        lines.append(f"[profiles.{_toml_key(name)}]")
        table = profiles[name]
        for key in sorted(table, key=lambda k: (order.get(k, len(order)), k)):
            lines.append(f"{_toml_key(key)} = {_toml_value(table[key])}")
        lines.append("")
    return "\n".join(lines)


class EditConflict(Exception):
    """The profile changed since the form was opened (another tab, console or edit of the file)."""


class ProfilesFile:
    """One profiles file: read its raw tables, write them back atomically with mode 0600."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._explicit = path is not None
        self._path = Path(path) if path is not None else None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        """The file edited: the explicit one, the first existing one, else the user config file."""
        if self._path is not None:
            return self._path
        try:
            found = find_config_file(None)
        except ConfigError:
            found = None
        return found or config_search_paths(None)[-1]

    @property
    def explicit(self) -> str | None:
        return str(self._path) if self._path is not None else None

    def exists(self) -> bool:
        return self.path.is_file()

    def _target(self) -> Path:
        """Where the bytes live: a symlinked profiles file is written through to its target."""
        p = self.path
        return Path(os.path.realpath(p)) if p.is_symlink() else p

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Path]:
        """One writer at a time: this process's threads, then every process (``flock``)."""
        with self._lock:
            target = self._target()
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if fcntl is None:
                yield target
                return
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(target.parent / f".{target.name}.lock", flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield target
            finally:
                os.close(fd)  # closing releases the flock

    def read(self) -> dict[str, dict[str, Any]]:
        """Raw profile tables (empty when the file does not exist yet). Raises ConfigError."""
        path = self.path
        if not path.is_file():
            return {}
        try:
            doc = tomllib.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
            raise ConfigError(
                f"cannot read the profiles file: {exc}", file=str(path), fix="fix the file by hand"
            ) from None
        profiles = doc.get("profiles", {})
        if not isinstance(profiles, dict) or any(k != "profiles" for k in doc):
            raise ConfigError(
                "the profiles file has tables other than [profiles.NAME]",
                file=str(path),
                fix="fix the file by hand",
            )
        return {str(k): dict(v) for k, v in profiles.items() if isinstance(v, dict)}

    def update(
        self,
        name: str,
        table: Mapping[str, Any] | None,
        *,
        rename_from: str | None = None,
        expect: tuple[str, str] | None = None,
    ) -> None:
        """Set (or with ``table=None`` delete) one profile and write the file atomically, mode 0600.

        ``expect=(profile, version)``: raise EditConflict unless that profile's table still has
        that :func:`table_version` (checked under the lock, so two saves of one form version
        cannot both win). Changing values of an existing profile or adding a new one edits the
        text in place, so the user's comments and layout survive; removals and renames rewrite
        the whole file.
        """
        with self._locked() as target:
            profiles = self.read()
            if expect is not None and table_version(profiles.get(expect[0])) != expect[1]:
                raise EditConflict(expect[0])
            if (
                table is not None
                and not (rename_from and rename_from != name)
                and self._edit_in_place(target, profiles, name, dict(table))
            ):
                return
            if rename_from and rename_from != name:
                profiles.pop(rename_from, None)
            if table is None:
                profiles.pop(name, None)
            else:
                profiles[name] = dict(table)
            self._write_text(target, dump_profiles(profiles))

    def _edit_in_place(
        self, target: Path, profiles: Mapping[str, Mapping[str, Any]], name: str, table: dict[str, Any]
    ) -> bool:
        if not target.is_file():
            return False
        old = profiles.get(name)
        try:
            if old is None:
                text = target.read_text(encoding="utf-8")
                sep = "" if text.endswith("\n\n") or not text else ("\n" if text.endswith("\n") else "\n\n")
                block = dump_profiles({name: table}).split("\n", 2)[2]  # without the file header comment
                self._write_text(target, text + sep + block)
            else:
                if any(k not in table for k in old):
                    return False
                changed = {k: v for k, v in table.items() if old.get(k) != v}
                if not all(isinstance(v, str | bool | int) for v in changed.values()):
                    return False
                os.chmod(target, 0o600)
                if changed:
                    from amzauth.spapi.tomledit import set_profile_values

                    _sweep_temp_files(target)
                    set_profile_values(target, name, changed)
        except Exception:  # anything unusual about the text: fall back to a clean rewrite
            return False
        return self.read().get(name) == table

    @staticmethod
    def _write_text(target: Path, text: str) -> None:
        tomllib.loads(text)  # never write a file amzauth cannot read back
        _sweep_temp_files(target)
        write_text_atomic(target, text)

    def write_all(self, profiles: Mapping[str, Mapping[str, Any]]) -> None:
        with self._locked() as target:
            self._write_text(target, dump_profiles(profiles))


def _sweep_temp_files(target: Path) -> None:
    """Remove temp files a writer killed mid-save left beside the file (they hold every secret).
    Called under the lock, so no other console is writing one."""
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.is_file() and not leftover.is_symlink() and leftover.stat().st_uid == os.getuid():
                leftover.unlink()
