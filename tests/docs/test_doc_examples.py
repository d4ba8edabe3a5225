"""Every example in docs/ runs as written, against a real sandbox on loopback.

Conventions (the docs follow them; see docs/index.md's note for readers):

- A page's fenced blocks run in order in one namespace, the way a reader follows the page, in an
  empty working directory with private user dirs (so the cache starts empty).
- ```python blocks run with ``exec``. ```toml blocks titled ``amzauth.toml``
  (```toml title="amzauth.toml") are written to the working directory first, as the reader
  would save them.
- ```sh blocks: each line ``amzauth ARGS`` runs as ``python -m amzauth ARGS`` and must exit 0,
  or the code a comment ``# exit N`` on the line names; ``export NAME=VALUE`` lines set the environment of the
  lines after them; other lines (``pip install ...``) are not run.
- ``http://127.0.0.1:8700``, the sandbox's default address in the docs, is replaced with the
  address of the test's sandbox (started on a free port).
- A page whose examples need another environment (each third-party SDK lives in its own venv) says
  which test runs them in a comment ``<!-- examples run by tests/PATH.py -->``; this test checks
  that file exists and leaves the page to it.
- A block that cannot run here (it needs Amazon, a browser or a long-running server) says so in
  its title: ```python title="not run: needs a real Amazon account". Such blocks are few; the
  test lists them and caps their number.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DOC_URL = "http://127.0.0.1:8700"
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]+)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
NOT_RUN = re.compile(r'title="not run: [^"]+"')
RUNNABLE = {"python", "sh", "toml"}
MAX_NOT_RUN = 6


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    info: str
    body: str

    @property
    def skipped(self) -> bool:
        return bool(NOT_RUN.search(self.info))

    @property
    def title(self) -> str | None:
        m = re.search(r'title="([^"]+)"', self.info)
        return m.group(1) if m else None


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        body = "\n".join(line[len(m["indent"]) :] for line in m["body"].splitlines())
        line = text.count("\n", 0, m.start()) + 1
        out.append(Block(str(path.relative_to(ROOT)), line, m["lang"], m["info"], body))
    return out


RUN_ELSEWHERE = re.compile(r"<!-- examples run by (tests/[\w/]+\.py) -->")


def _run_elsewhere(path: Path) -> str | None:
    m = RUN_ELSEWHERE.search(path.read_text(encoding="utf-8"))
    return m.group(1) if m else None


def _pages() -> list[Path]:
    return sorted(
        p for p in DOCS.rglob("*.md") if not _run_elsewhere(p) and any(_runs(b) for b in blocks(p))
    )


def test_pages_run_elsewhere_name_a_real_test() -> None:
    elsewhere = {p.name: _run_elsewhere(p) for p in DOCS.rglob("*.md") if _run_elsewhere(p)}
    assert elsewhere == {"integrations.md": "tests/integrations/test_docs.py"}
    for test in elsewhere.values():
        assert (ROOT / str(test)).is_file(), test


def _runs(block: Block) -> bool:
    if block.skipped or block.lang not in RUNNABLE:
        return False
    return block.lang != "toml" or block.title == "amzauth.toml"


def test_the_docs_have_runnable_examples_and_few_exceptions() -> None:
    every = [b for p in DOCS.rglob("*.md") for b in blocks(p)]
    ran = [b for b in every if _runs(b) and b.lang == "python"]
    not_run = [f"{b.page}:{b.line} {b.title}" for b in every if b.skipped]
    assert len(ran) >= 10, "the guides should show runnable Python"
    assert len(not_run) <= MAX_NOT_RUN, not_run


def _run_sh(body: str, url: str, env: dict[str, str]) -> None:
    for raw in body.splitlines():
        line = raw.strip().removeprefix("$ ")
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            env[name] = shlex.split(value.replace(DOC_URL, url))[0] if value else ""
            continue
        if not line.startswith("amzauth "):
            continue
        m = re.search(r"#\s*exit (\d+)\b", line)
        expected = int(m.group(1)) if m else 0
        argv = shlex.split(line.replace(DOC_URL, url), comments=True)[1:]
        done = subprocess.run(
            [sys.executable, "-m", "amzauth", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == expected, (line, done.returncode, done.stdout[-2000:], done.stderr[-2000:])


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(
    page: Path, fresh_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_sandbox.url
    monkeypatch.chdir(tmp_path)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for block in blocks(page):
        if not _runs(block):
            continue
        body = block.body.replace(DOC_URL, url)
        where = f"{block.page}:{block.line}"
        if block.lang == "toml":
            (tmp_path / "amzauth.toml").write_text(body, encoding="utf-8")
        elif block.lang == "python":
            exec(compile(body, where, "exec"), namespace)  # the docs' own examples
        else:
            _run_sh(body, url, env)
        ran += 1
    assert ran
