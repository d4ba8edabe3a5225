"""The public surface: the top-level names, what ``import amzauth`` costs, and the ``amzauth`` launcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import amzauth

SRC = Path(__file__).resolve().parents[2] / "src"

# Pinned: adding a public name is a decision, not an accident.
PUBLIC = [
    "AmazonAuth",
    "AmazonUnavailable",
    "AmzAuthError",
    "ApiError",
    "AsyncCreatorsClient",
    "AsyncSPAPIClient",
    "ConfigError",
    "CreatorsClient",
    "CreatorsError",
    "NetworkError",
    "SPAPIClient",
    "SPAPIError",
    "SandboxError",
    "TokenError",
    "__version__",
    "explain",
    "load_profile",
    "run_doctor",
]
HEAVY = ("typer", "rich", "click", "fastapi", "starlette", "uvicorn", "jinja2", "redis")


def _python(code: str, *, isolated: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter on this checkout's sources (``isolated``: no site-packages)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    flags = ["-I", "-S"] if isolated else []
    if isolated:  # -I ignores PYTHONPATH: put the sources on sys.path by hand
        code = f"import sys; sys.path.insert(0, {str(SRC)!r}); " + code
    return subprocess.run(
        [sys.executable, *flags, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_all_is_pinned_and_every_name_resolves() -> None:
    assert sorted(amzauth.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(amzauth, name) is not None, name


def test_top_level_names_are_the_subpackages_objects() -> None:
    from amzauth.creators import CreatorsClient
    from amzauth.errors import AmzAuthError
    from amzauth.spapi import SPAPIClient

    assert amzauth.CreatorsClient is CreatorsClient
    assert amzauth.SPAPIClient is SPAPIClient
    assert amzauth.AmzAuthError is AmzAuthError
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = amzauth.Nope  # type: ignore[attr-defined]


def test_every_error_class_is_an_amzauth_error() -> None:
    for name in PUBLIC:
        obj = getattr(amzauth, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, amzauth.AmzAuthError), name


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert amzauth.__version__ == version("amzauth")


def test_import_amzauth_loads_nothing_heavy() -> None:
    out = _python(
        "import sys, json, amzauth; print(json.dumps(sorted(m for m in sys.modules if m.startswith('amzauth'))))"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == ["amzauth", "amzauth._lazy"]


@pytest.mark.parametrize(
    "module",
    [
        "amzauth.errors",
        "amzauth.config",
        "amzauth.catalogue",
        "amzauth.core.plan",
        "amzauth.core.tokens",
        "amzauth.engine",
        "amzauth.creators",
        "amzauth.spapi",
        "amzauth.spapi.client",
        "amzauth.doctor",
    ],
)
def test_library_layers_load_no_server_or_cli_library(module: str) -> None:
    """The library works on a core install: none of the extras' modules load with it."""
    out = _python(
        f"import sys, json, {module}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout))
    # httpx itself loads click and rich for its own CLI when they happen to be installed (they are here,
    # with the cli extra); .ci/run checks a core-only install loads neither.
    assert loaded.isdisjoint(set(HEAVY) - {"click", "rich"}), loaded & set(HEAVY)


def test_the_command_without_its_extras_names_the_pip_line() -> None:
    """No site-packages at all: the launcher must still answer, with the exact install line and exit 2."""
    cases = {
        (): 'pip install "amzauth[cli]"',
        ("search", "kettle"): 'pip install "amzauth[cli]"',
        ("sandbox", "--port", "0"): 'pip install "amzauth[cli,sandbox]"',
        ("demo",): 'pip install "amzauth[cli,sandbox]"',
        ("console",): 'pip install "amzauth[console]"',
        ("site", "serve"): 'pip install "amzauth[cli,site]"',
    }
    for argv, line in cases.items():
        out = _python(
            f"import sys; sys.argv = ['amzauth', *{list(argv)!r}]; from amzauth.cli.launch import main; main()",
            isolated=True,
        )
        assert out.returncode == 2, (argv, out.stderr)
        assert out.stderr.strip().endswith(line), (argv, out.stderr)
        assert "Traceback" not in out.stderr


def test_version_flag_works_without_any_extra() -> None:
    out = _python(
        "import sys; sys.argv = ['amzauth', '--version']; from amzauth.cli.launch import main; main()",
        isolated=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("amzauth ")


def test_version_flag_of_the_installed_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "amzauth", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"amzauth {amzauth.__version__}"


def test_store_redis_without_the_redis_package_names_the_extra() -> None:
    """redis is an extra: a profile asking for it on a core install gets a ConfigError, not ImportError."""
    code = (
        "import sys; sys.modules['redis'] = None\n"  # what a missing package looks like to import
        "from amzauth.engine.redis_store import RedisTokenStore\n"
        "from amzauth.errors import ConfigError\n"
        "try:\n    RedisTokenStore('redis://127.0.0.1:1/0')\n"
        "except ConfigError as e:\n    print(e.key, '|', e)\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("store |")
    assert 'pip install "amzauth[redis]"' in out.stdout
