"""Leak scanner: a pytest plugin that fails the run when a secret or token shows up where it must not.

For every test it looks at

- what the test printed and logged: pytest's captured stdout, stderr and log sections of every
  phase (setup, call, teardown; ``caplog`` records are part of the log section);
- every file under the test's ``tmp_path`` and under the isolated home of ``tests/conftest.py``
  (``XDG_CONFIG_HOME``/``XDG_CACHE_HOME``/``XDG_DATA_HOME``/``XDG_STATE_HOME`` and the cwd);

for two kinds of leak:

1. a known secret: ``tests.support.KNOWN_TEST_SECRETS`` (tests add theirs with ``register_secret``;
   this module adds every client secret, old secret and refresh token of the sandbox's demo world);
2. anything shaped like a live credential that is not in redacted form: LwA tokens ``Atza|...`` /
   ``Atzr|...`` with more than 8 characters after the prefix, Cognito JWTs (``eyJ...``) and LwA client
   secrets ``amzn1.oa2-cs.v1.<16+ characters>``. The sandbox issues random tokens, so the shape is
   what identifies them. Redacted forms (``Atza|…abcd``) never match.

Files where secrets legitimately live are exempt, explicitly and narrowly (see ``exempt_reason``):

- a profiles file the test wrote: ``*.toml`` whose top-level table is ``[profiles]`` only, or any
  file at a lookup location of the profiles file (``amzauth.toml``, ``*/amzauth/config.toml``), even
  when a test made it invalid on purpose;
- a sandbox world file: ``*.toml``/``*.json`` whose top-level keys are world keys;
- SQLite stores (the token and result stores, whatever their name: the file starts with SQLite's
  magic; and their ``-wal``, ``-shm``, ``-journal`` files) **only with mode 0600** for both the file and
  its main database: tokens are their content; a store that other users could read is a leak;
- the SP-API refresh-token file of ``amzauth spapi authorize`` (anything under
  ``<user config dir>/amzauth/credentials/``) **only with mode 0600**.

A test that writes a secret-bearing file on purpose (say, a world-readable token file to check that
amzauth refuses it) says so with ``@pytest.mark.leakscan_allow_files("why")``: its files are not
scanned; its output and logs still are.

A hit turns the test's teardown into a failure naming the secret in redacted form and where it was.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from tests.support import KNOWN_TEST_SECRETS, register_secret

DEMO_WORLD: Final = Path(__file__).resolve().parent.parent / "src" / "amzauth" / "sandbox" / "demo_world.toml"
SECRET_WORLD_KEYS: Final = frozenset({"client_secret", "refresh_token", "old_secrets", "new_client_secret"})
WORLD_TOP_KEYS: Final = frozenset(
    {"name", "limits", "creators_credentials", "spapi_apps", "sellers", "catalog", "browse_nodes"}
)
STORE_FILE: Final = re.compile(r"^(tokens|creators)\.sqlite3(-wal|-shm|-journal)?$")
# amzauth.config.storage.FileTokenStorage: <user config dir>/amzauth/credentials/<file> and its temp files.
REFRESH_TOKEN_FILES: Final = ("*/amzauth/credentials/*",)
MAX_FILE_BYTES: Final = 8 * 1024 * 1024
SQLITE_MAGIC: Final = b"SQLite format 3\x00"
SQLITE_SIDE: Final = re.compile(r"-(wal|shm|journal)$")

# Credential-shaped strings. The character classes exclude the ellipsis of redacted forms.
TOKEN_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("LwA token", re.compile(r"Atz[ar](?:\||%7C|%7c)[A-Za-z0-9_\-.~+/=]{9,}")),
    ("Cognito JWT", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("LwA client secret", re.compile(r"amzn1\.oa2-cs\.v1\.[A-Za-z0-9]{16,}")),
)


def show(secret: str) -> str:
    """A secret as a failure message may show it (never the whole value)."""
    return secret[:6] + "…" + secret[-4:] if len(secret) > 12 else "…"


@dataclass(frozen=True, slots=True)
class Leak:
    where: str
    what: str  # "known secret" or a pattern name
    shown: str

    def __str__(self) -> str:
        return f"{self.what} {self.shown} in {self.where}"


def _walk_secrets(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in SECRET_WORLD_KEYS:
                if isinstance(v, str):
                    yield v
                elif isinstance(v, list):
                    yield from (x for x in v if isinstance(x, str))
            else:
                yield from _walk_secrets(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _walk_secrets(v)


def register_demo_world_secrets(path: Path = DEMO_WORLD) -> int:
    """Register every secret and refresh token of the sandbox's demo world; returns how many."""
    found = list(_walk_secrets(tomllib.loads(path.read_text(encoding="utf-8"))))
    register_secret(*found)
    return len(found)


def scan_text(text: str, where: str, secrets: Iterable[str] | None = None) -> list[Leak]:
    """Leaks in free text: known secrets, then credential-shaped strings."""
    leaks: list[Leak] = []
    pool = KNOWN_TEST_SECRETS if secrets is None else set(secrets)
    for s in pool:
        if len(s) >= 8 and s in text:
            leaks.append(Leak(where, "known secret", show(s)))
    for name, pattern in TOKEN_PATTERNS:
        for m in pattern.finditer(text):
            leaks.append(Leak(where, name, show(m.group(0))))
            break
    return leaks


def _private(st: os.stat_result) -> bool:
    return stat.S_IMODE(st.st_mode) & 0o077 == 0


def _sqlite_store(path: Path) -> bool:
    """A SQLite database (or its -wal/-shm/-journal) whose main file is private too."""
    main = path.with_name(SQLITE_SIDE.sub("", path.name))
    try:
        with open(main, "rb") as fh:
            magic = fh.read(16)
        return magic == SQLITE_MAGIC and _private(main.stat())
    except OSError:
        return False


def exempt_reason(path: Path, text: str, st: os.stat_result) -> str | None:
    """Why a file may hold secrets, or None. Narrow on purpose: name pattern, content shape, mode."""
    name = path.name
    posix = path.as_posix()
    if STORE_FILE.match(name) or _sqlite_store(path):
        return "SQLite store, mode 0600" if _private(st) and _sqlite_store(path) else None
    if any(fnmatch.fnmatch(posix, pat) for pat in REFRESH_TOKEN_FILES):
        return "refresh-token file, mode 0600" if _private(st) else None
    if name == "amzauth.toml" or fnmatch.fnmatch(posix, "*/amzauth/config.toml"):
        return "profiles file at a lookup location"
    if name.endswith((".toml", ".json")):
        try:
            doc = tomllib.loads(text) if name.endswith(".toml") else json.loads(text)
        except (ValueError, tomllib.TOMLDecodeError):
            return None
        if isinstance(doc, dict) and doc:
            keys = set(doc)
            if name.endswith(".toml") and keys == {"profiles"}:
                return "profiles file written by the test"
            if keys <= WORLD_TOP_KEYS and keys & {"creators_credentials", "spapi_apps", "sellers"}:
                return "sandbox world file"
    return None


def scan_files(roots: Iterable[Path], secrets: Iterable[str] | None = None) -> list[Leak]:
    """Leaks in every regular file under ``roots`` that is not exempt (see :func:`exempt_reason`)."""
    leaks: list[Leak] = []
    seen: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(root):
            for fname in files:
                p = Path(dirpath) / fname
                try:
                    rp = p.resolve()
                    if rp in seen:
                        continue
                    seen.add(rp)
                    st = p.lstat()
                    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
                        continue
                    with open(p, "rb") as fh:
                        raw = fh.read(MAX_FILE_BYTES)
                except OSError:
                    continue
                text = raw.decode("utf-8", "replace")
                found = scan_text(text, str(p), secrets)
                if found and exempt_reason(p, text, st) is None:
                    mode = f"{stat.S_IMODE(st.st_mode):04o}"
                    leaks.extend(Leak(f"{lk.where} (mode {mode})", lk.what, lk.shown) for lk in found)
    return leaks


register_demo_world_secrets()


# -- the plugin ---------------------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "leakscan_allow_files(reason): the test writes a secret-bearing file on purpose"
    )


@pytest.fixture(autouse=True)
def _leak_scan_files(request: pytest.FixtureRequest, _isolated_user_dirs: None) -> Iterator[None]:
    """After each test: scan the files it wrote (tmp_path, isolated home). Depends on the isolation
    fixture so it runs while the XDG variables still point at this test's home."""
    home = Path(os.environ["XDG_CONFIG_HOME"]).parent if "XDG_CONFIG_HOME" in os.environ else None
    yield
    if request.node.get_closest_marker("leakscan_allow_files") is not None:
        return
    roots = [home] if home is not None else []
    tmp = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    if isinstance(tmp, Path):
        roots.append(tmp)
    leaks = scan_files(roots)
    if leaks:
        pytest.fail(
            "leak scanner: secret or token in a written file:\n  "
            + "\n  ".join(map(str, leaks))
            + "\n(a file written on purpose? mark the test @pytest.mark.leakscan_allow_files('why'); "
            "see tests/leakscan.py)"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On the teardown report (the last one of a test), scan every captured section of the test."""
    report = yield
    if report.when == "teardown":
        leaks: list[Leak] = []
        for title, content in report.sections:
            leaks.extend(scan_text(content, f"{title!r} of {item.nodeid}"))
        if leaks:
            report.outcome = "failed"
            report.longrepr = "leak scanner: secret or token in captured output or logs:\n  " + "\n  ".join(
                map(str, leaks)
            )
    return report
