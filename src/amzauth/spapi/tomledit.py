"""Change a few values of one profile in the profiles file, keeping every other byte as it was.

Used after a secret rotation (``client_secret``, ``secret_expires``) and an authorization
(``refresh_token = "stored:…"``). The edit is line-based inside the profile's table; the result is
parsed again and compared with the original so that nothing but the asked values changed, and
written atomically (temp file in the same directory, same mode, then rename).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from amzauth.config.files import write_text_atomic
from amzauth.spapi.errors import StorageError

_HEADER_RE: Final = re.compile(r"^\s*\[(?!\[)\s*(.+?)\s*\]\s*(#.*)?$")
_ARRAY_HEADER_RE: Final = re.compile(r"^\s*\[\[")
_KEY_RE: Final = re.compile(r"""^(\s*)("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(.*)$""")
_VALUE_COMMENT_RE: Final = re.compile(
    r"""^("(?:[^"\\]|\\.)*"|'[^']*'|true|false|[0-9T:.+\-Z ]+?)\s*(#.*)?$"""
)


def toml_string(value: str) -> str:
    """A TOML basic string for any text."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return toml_string(value)


def _split_dotted(key: str) -> list[str]:
    parts: list[str] = []
    for m in re.finditer(r'\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*(?:\.|$)', key):
        raw = m.group(1)
        if raw[0] in "\"'":
            parts.append(tomllib.loads(f"k = {raw}")["k"])
        else:
            parts.append(raw)
    return parts


def _unquote(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


def edit_profile_text(text: str, profile: str, values: Mapping[str, str | bool | int]) -> str:
    """The file text with ``values`` set in ``[profiles.<profile>]`` (replaced in place or appended)."""
    lines = text.splitlines(keepends=True)
    start = end = None
    for i, line in enumerate(lines):
        if _ARRAY_HEADER_RE.match(line):
            if start is not None and end is None:
                end = i
            continue
        m = _HEADER_RE.match(line)
        if not m:
            continue
        if start is not None and end is None:
            end = i
        if _split_dotted(m.group(1)) == ["profiles", profile]:
            start, end = i, None
    if start is None:
        raise StorageError(
            f"profile [profiles.{profile}] is not a table of its own in the file; edit it by hand"
        )
    if end is None:
        end = len(lines)
    pending = dict(values)
    last_value_line = start
    for i in range(start + 1, end):
        m = _KEY_RE.match(lines[i])
        if not m:
            continue
        last_value_line = i
        key = _unquote(m.group(2))
        if key not in pending:
            continue
        indent, rest = m.group(1), m.group(3).rstrip("\r\n")
        cm = _VALUE_COMMENT_RE.match(rest)
        comment = f"  {cm.group(2)}" if cm and cm.group(2) else ""
        newline = "\r\n" if lines[i].endswith("\r\n") else "\n"
        lines[i] = f"{indent}{key} = {toml_value(pending.pop(key))}{comment}{newline}"
    if pending:
        newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
        if not lines[last_value_line].endswith(("\n", "\r\n")):
            lines[last_value_line] += newline
        added = [f"{k} = {toml_value(v)}{newline}" for k, v in pending.items()]
        lines[last_value_line + 1 : last_value_line + 1] = added
    return "".join(lines)


def _normal(doc: Any) -> Any:
    """TOML dates and datetimes compared as text (secret_expires may change type to a string)."""
    if isinstance(doc, dict):
        return {k: _normal(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_normal(v) for v in doc]
    if hasattr(doc, "isoformat") and not isinstance(doc, str):
        return doc.isoformat()
    return doc


def set_profile_values(path: str | Path, profile: str, values: Mapping[str, str | bool | int]) -> None:
    """Set values of one profile in the profiles file, atomically; nothing else in the file changes."""
    p = Path(os.path.realpath(path))  # edit a symlink's target, keep the link
    try:
        original = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"cannot read {p}: {exc.strerror}") from None
    new_text = edit_profile_text(original, profile, values)
    try:
        before = _normal(tomllib.loads(original))
        after = _normal(tomllib.loads(new_text))
    except tomllib.TOMLDecodeError as exc:
        raise StorageError(f"the edit of {p} would not be valid TOML ({exc}); edit it by hand") from None
    expected = before
    table = expected.setdefault("profiles", {}).setdefault(profile, {})
    for k, v in values.items():
        table[k] = v
    if after != expected:
        raise StorageError(f"could not update profile {profile!r} in {p} safely; edit it by hand")
    write_text_atomic(p, new_text, mode=p.stat().st_mode & 0o777)
