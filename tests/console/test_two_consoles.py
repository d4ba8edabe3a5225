"""Two console processes on one profiles file (issue 16, finding 4): no acknowledged edit is lost,
two saves of one form version cannot both win, a symlinked file stays a symlink, and a temp file a
killed writer left behind does not survive the next save.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.conftest import C31_ID, C31_SECRET, creators_profile, csrf_of, write_profiles
from tests.support import register_secret

EDITS = 100
LOST: dict[str, int] = {}  # figures for the report


def _start(config_path: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "amzauth",
            "console",
            "--port",
            "0",
            "--no-auth",
            "--config",
            str(config_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("console listening on "), line
    return proc, line.split()[-1]


@pytest.fixture()
def two_consoles(config_path: Path) -> Iterator[list[str]]:
    with two_console_processes(config_path) as urls:
        yield urls


def _version(html: str) -> str:
    m = re.search(r'name="version" value="([^"]*)"', html)
    assert m
    return m.group(1)


def _form(name: str, tag: str) -> dict[str, str]:
    return {
        "name": name,
        "api": "creators",
        "credential_version": "3.1",
        "client_id": C31_ID,
        "client_secret": C31_SECRET,
        "marketplace": "www.amazon.com",
        "partner_tag": tag,
    }


def concurrent_creates(urls: list[str], config_path: Path) -> tuple[int, int]:
    """EDITS new profiles created by 4 threads over the consoles at ``urls``: (acknowledged, lost)."""
    acknowledged: dict[str, str] = {}
    errors: list[str] = []
    mu = threading.Lock()

    def writer(url: str, prefix: str, n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            for i in range(n):
                name, tag = f"{prefix}{i}", f"tag{i}-20"
                page = c.get("/profiles/new").text
                r = c.post("/profiles/new", data={**_form(name, tag), "csrf_token": csrf_of(page)})
                if r.status_code == 303:
                    with mu:
                        acknowledged[name] = tag
                elif r.status_code not in (400, 409):
                    errors.append(f"{name}: {r.status_code}")

    per = EDITS // 4
    threads = [threading.Thread(target=writer, args=(urls[i % 2], f"p{i}-", per)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors[:5]
    saved = tomllib.loads(config_path.read_text())["profiles"]
    assert "seed" in saved
    lost = [n for n, tag in acknowledged.items() if saved.get(n, {}).get("partner_tag") != tag]
    return len(acknowledged), len(lost)


@contextlib.contextmanager
def two_console_processes(config_path: Path) -> Iterator[list[str]]:
    """Two ``amzauth console`` processes on one profiles file (seeded with one profile)."""
    write_profiles(config_path, {"seed": creators_profile("http://127.0.0.1:9")})
    started = [_start(config_path) for _ in range(2)]
    try:
        yield [url for _, url in started]
    finally:
        for proc, _ in started:
            proc.terminate()
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            assert "Traceback" not in err


def test_two_consoles_lose_no_acknowledged_edit(two_consoles: list[str], config_path: Path) -> None:
    acknowledged, lost = concurrent_creates(two_consoles, config_path)
    LOST["two consoles"] = lost
    print(f"\nedits acknowledged {acknowledged}/{EDITS}, lost {lost}")
    assert acknowledged == EDITS and lost == 0


def _save_seed(
    client: httpx.Client, page: str, tag: str, barrier: threading.Barrier, codes: list[int], i: int
) -> None:
    """Save the seed profile from ``page`` (its form version) once released together with the other."""
    data = {
        **_form("seed", tag),
        "client_secret": "",
        "sandbox": "http://127.0.0.1:9",
        "csrf_token": csrf_of(page),
        "version": _version(page),
    }
    barrier.wait(30)
    r = client.post("/profiles/seed", data=data)
    codes[i] = r.status_code
    if r.status_code != 303:
        assert "changed elsewhere" in r.text


def test_two_saves_of_one_form_version_exactly_one_wins(two_consoles: list[str], config_path: Path) -> None:
    clients = [httpx.Client(base_url=u, timeout=60) for u in two_consoles]
    try:
        for round_ in range(10):
            pages = [c.get("/profiles/seed").text for c in clients]
            assert _version(pages[0]) == _version(pages[1])
            barrier = threading.Barrier(2)
            codes: list[int] = [0, 0]
            threads = [
                threading.Thread(
                    target=_save_seed, args=(clients[i], pages[i], f"r{round_}c{i}-20", barrier, codes, i)
                )
                for i in range(2)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert sorted(codes) in ([303, 400], [303, 409]), (round_, codes)
            tag = tomllib.loads(config_path.read_text())["profiles"]["seed"]["partner_tag"]
            assert tag == f"r{round_}c{codes.index(303)}-20"
    finally:
        for c in clients:
            c.close()


def test_symlinked_profiles_file_stays_a_symlink(
    client: httpx.Client, config_path: Path, tmp_path: Path
) -> None:
    real = tmp_path / "dotfiles" / "amzauth.toml"
    real.parent.mkdir()
    write_profiles(real, {"shop": creators_profile("http://127.0.0.1:9")})
    config_path.symlink_to(real)
    page = client.get("/profiles/shop").text
    r = client.post(
        "/profiles/shop",
        data={**_form("shop", "edited-20"), "client_secret": "", "sandbox": "http://127.0.0.1:9",
              "csrf_token": csrf_of(page), "version": _version(page)},
    )  # fmt: skip
    assert r.status_code == 303
    page = client.get("/profiles/new").text
    assert (
        client.post("/profiles/new", data={**_form("added", "a-20"), "csrf_token": csrf_of(page)}).status_code
        == 303
    )
    page = client.get("/profiles/added").text
    assert client.post("/profiles/added/delete", data={"csrf_token": csrf_of(page)}).status_code == 303
    assert config_path.is_symlink() and os.readlink(config_path) == str(real)
    doc = tomllib.loads(real.read_text())["profiles"]
    assert doc["shop"]["partner_tag"] == "edited-20" and "added" not in doc
    assert oct(real.stat().st_mode & 0o777) == "0o600"


def test_a_temp_file_left_by_a_killed_save_is_removed_by_the_next(
    client: httpx.Client, config_path: Path, console: Any
) -> None:
    write_profiles(config_path, {"shop": creators_profile("http://127.0.0.1:9")})
    # What a writer killed between writing its temp file and renaming it leaves behind.
    leftover = config_path.parent / f".{config_path.name}.k1ll3d.tmp"
    leftover.write_text(config_path.read_text())
    page = client.get("/profiles/new").text
    assert (
        client.post("/profiles/new", data={**_form("next", "n-20"), "csrf_token": csrf_of(page)}).status_code
        == 303
    )
    assert not leftover.exists()
    assert [p.name for p in config_path.parent.glob(f".{config_path.name}.*.tmp")] == []


KILLED_SECRET = "amzn1.oa2-cs.v1.k1lledm1dsave0000000000000000000000000000000000009"
register_secret(KILLED_SECRET)

# The writer that gets killed: the console's own ProfilesFile.update in a child process. Only the
# standard library's os.replace is wrapped, so the child says where it is and then waits between
# writing its temp file (every secret in it) and renaming it: the parent kills it exactly there.
_KILLED_WRITER = r"""
import os, sys, time
from amzauth.console.profiles_file import ProfilesFile
real_replace = os.replace
def paused_replace(src, dst, *a, **k):
    print("in-window", src, flush=True)
    time.sleep(120)
    real_replace(src, dst, *a, **k)
os.replace = paused_replace
table = {"api": "creators", "credential_version": "3.1", "client_id": sys.argv[2],
         "client_secret": sys.argv[3], "marketplace": "www.amazon.com", "partner_tag": "killed-20"}
ProfilesFile(sys.argv[1]).update("killed", table)
"""


def kill_mid_save(config_path: Path) -> Path:
    """SIGKILL a profile save between its temp write and its rename; returns the temp file it left."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(config_path), C31_ID, KILLED_SECRET],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("in-window "), line + proc.stderr.read() if proc.stderr else line
        leftover = Path(line.split(" ", 1)[1].strip())
        assert KILLED_SECRET in leftover.read_text()  # the window really holds the secrets
    finally:
        proc.kill()  # SIGKILL: no finally, no cleanup in the writer
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    return leftover


def test_kill_9_mid_save_leaves_no_secrets_after_the_next_save(
    client: httpx.Client, config_path: Path
) -> None:
    write_profiles(config_path, {"shop": creators_profile("http://127.0.0.1:9")})
    before = config_path.read_text()
    leftover = kill_mid_save(config_path)
    assert leftover.exists() and leftover.parent == config_path.parent
    assert config_path.read_text() == before  # the old file, whole: the rename never happened
    page = client.get("/profiles/new").text
    r = client.post("/profiles/new", data={**_form("next", "n-20"), "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    assert not leftover.exists()
    assert list(config_path.parent.glob(f".{config_path.name}.*.tmp")) == []
    saved = tomllib.loads(config_path.read_text())["profiles"]
    assert set(saved) == {"shop", "next"} and KILLED_SECRET not in config_path.read_text()
    assert oct(config_path.stat().st_mode & 0o777) == "0o600"
