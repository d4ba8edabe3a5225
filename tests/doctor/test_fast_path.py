"""``amzauth doctor --json`` runs without typer (issue 17): the same report, the same exit code,
and typer still owns every usage message.

The fast path and the typer command both call :func:`amzauth.cli.fast.doctor_report`; these tests
hold the two argument parsers to each other and the two outputs to each other, against the sandbox.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from amzauth.cli import fast
from amzauth.cli import main as cli_main
from tests.doctor.test_scenarios import C31
from tests.support import run_cli

VOLATILE = ("token_expires_in", "latency_ms", "clock_skew_seconds", "token_cached", "request_id")


def _cfg(tmp_path: Path, sandbox: str, secret: str = C31[1]) -> Path:
    cfg = tmp_path / "amzauth.toml"
    values = {"api": "creators", "credential_version": "3.1", "client_id": C31[0], "client_secret": secret,
              "partner_tag": "demo-20", "sandbox": sandbox}
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
    return cfg


def _stable(doc: dict[str, Any]) -> dict[str, Any]:
    """The report without what differs from run to run (a token's last 4 characters, times)."""
    fields = {k: v for k, v in doc["fields"].items() if k not in VOLATILE}
    text = json.dumps({**doc, "fields": fields}, ensure_ascii=False)
    return dict(json.loads(re.sub(r"(Atza\|…)\S{4}|expires in \d+ s", r"\1", text)))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["doctor", "--json"], {"config": None, "profile": None, "offline": False, "timeout": 10.0}),
        (
            ["doctor", "--config", "a.toml", "--json", "--profile=p", "--timeout", "2.5", "--offline"],
            {"config": "a.toml", "profile": "p", "offline": True, "timeout": 2.5},
        ),
        (["doctor", "--profile", "a", "--profile", "b", "--json"],  # click keeps the last
         {"config": None, "profile": "b", "offline": False, "timeout": 10.0}),
        (["doctor", "--json", "--config=x=y.toml"], {"config": "x=y.toml", "profile": None,
                                                     "offline": False, "timeout": 10.0}),
    ],
)
def test_plain_shapes_take_the_fast_path(argv: list[str], expected: dict[str, Any]) -> None:
    assert fast.doctor_args(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["doctor"],  # people's output: rich, through typer
        ["token", "--json"],
        ["doctor", "--json", "--help"],
        ["doctor", "--json", "--debug"],
        ["doctor", "--json", "--timeout", "0"],
        ["doctor", "--json", "--timeout", "nan"],
        ["doctor", "--json", "--timeout", "601"],
        ["doctor", "--json", "--timeout", "soon"],
        ["doctor", "--json", "--profile"],
        ["doctor", "--json", "extra"],
        ["doctor", "--json", "--"],
    ],
)
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert fast.doctor_args(argv) is None


def test_the_fast_parser_knows_only_the_commands_options() -> None:
    command = typer.main.get_group(cli_main.build_app()).commands["doctor"]
    flags = {opt for param in command.params for opt in param.opts}
    assert set(fast._VALUED) | set(fast._FLAGS) <= flags


def test_fast_path_writes_what_the_typer_command_writes(fresh_sandbox: Any, tmp_path: Path) -> None:
    for secret in (C31[1], C31[1][:-4] + "XXXX"):  # a healthy profile, then a rejected secret
        cfg = str(_cfg(tmp_path, fresh_sandbox.url, secret))
        proc = run_cli("doctor", "--json", "--config", cfg)
        typed = CliRunner().invoke(cli_main.build_app(), ["doctor", "--json", "--config", cfg])
        assert proc.returncode == typed.exit_code
        assert _stable(json.loads(proc.stdout)) == _stable(json.loads(typed.stdout))
    assert proc.returncode == 1 and json.loads(proc.stdout)["diagnosis"]["code"]


def test_fast_path_loads_no_cli_framework(fresh_sandbox: Any, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "amzauth", "doctor", "--json", "--config",
         str(_cfg(tmp_path, fresh_sandbox.url))],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"] is True
    loaded = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "amzauth.doctor.run" in loaded
    assert not {"typer", "click", "rich", "pygments"} & loaded  # httpx._main: refused, not loaded


def test_steps_are_plain_lines_in_a_pipe(fresh_sandbox: Any, tmp_path: Path) -> None:
    out = run_cli("doctor", "--json", "--config", str(_cfg(tmp_path, fresh_sandbox.url)))
    steps = [line for line in out.stderr.splitlines() if line.startswith(("token:", "api:"))]
    assert len(steps) == 2 and all(line.endswith("…") for line in steps)
    assert "\x1b" not in out.stderr
