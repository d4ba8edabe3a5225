"""Shared test support: real servers (redis-server), leak scanning, free ports.

Nothing here fakes amzauth: it starts real processes and reads real output.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Secrets of the sandbox demo world and of test profiles. Extended by tests that make their own.
KNOWN_TEST_SECRETS: set[str] = set()


def register_secret(*values: str | None) -> None:
    """Remember secrets and tokens used in a test so the leak scan looks for them."""
    for v in values:
        if v and len(v) >= 8:
            KNOWN_TEST_SECRETS.add(v)


def assert_no_secrets(text: str | bytes, secrets: Iterable[str | None] = ()) -> None:
    """Fail if any known secret or token appears in ``text`` (output, logs, files, reports)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for s in {*KNOWN_TEST_SECRETS, *(x for x in secrets if x)}:
        if len(s) >= 8 and s in text:
            shown = s[:4] + "…" + s[-4:]
            raise AssertionError(f"secret or token leaked ({shown}) in output:\n{text[:2000]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need_binary(name: str, path: str | None = None) -> str:
    """Path of a system binary; skip off CI when missing, fail under CI (it must be installed)."""
    found = path if path and os.path.exists(path) else shutil.which(name)
    if not found:
        if IN_CI:
            pytest.fail(f"{name} is required under CI=true but is not installed (.ci/run installs it)")
        pytest.skip(f"{name} not installed (apt-get install {name}); runs under CI")
    return found


class RedisServer:
    """A real redis-server on a loopback port, in a private temp dir."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="amzauth-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(need_binary("redis-server", "/usr/bin/redis-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 60,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m amzauth ARGS`` in a subprocess, as a user would, and scan its output for leaks."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "amzauth", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        input=stdin,
    )
    assert "Traceback (most recent call last)" not in proc.stderr + proc.stdout, proc.stderr
    assert_no_secrets(proc.stdout + proc.stderr)
    return proc
