"""The Creators client path imports only what it needs: no server, CLI, Redis or result models.

Checked in a fresh interpreter, the way a user's script starts; the models (and pydantic's model
machinery) arrive with the first answer or when a model is imported by name.
"""

from __future__ import annotations

import json
import subprocess
import sys

NEVER = (
    "fastapi",
    "starlette",
    "uvicorn",
    "typer",
    "redis",
    "jinja2",
    "amzauth.cli",
    "amzauth.sandbox",
    "amzauth.console",
    "amzauth.doctor",
    "amzauth.spapi",
)


def _loaded(code: str) -> list[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(out.stdout.splitlines()[-1]))


def test_client_import_loads_no_server_cli_redis_or_models() -> None:
    mods = _loaded("from amzauth.creators import CreatorsClient, SQLiteStore, MemoryStore")
    assert [m for m in mods if m.split(".")[0] in NEVER or any(m.startswith(n) for n in NEVER)] == []
    assert "amzauth.creators.models" not in mods and "pydantic.main" not in mods


def test_models_load_when_named() -> None:
    mods = _loaded(
        "from amzauth.creators import SearchResult\nassert SearchResult.__name__ == 'SearchResult'"
    )
    assert "amzauth.creators.models" in mods
