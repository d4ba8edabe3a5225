"""The README's code runs as written, against the sandbox on loopback (its documented default URL
``http://127.0.0.1:8700`` swapped for the test sandbox's)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from amzauth.sandbox import demo_world

README = Path(__file__).resolve().parents[2] / "README.md"
DOC_URL = "http://127.0.0.1:8700"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.M | re.S)


def _code_lines(block: str) -> int:
    return sum(1 for line in block.splitlines() if line.strip() and not line.strip().startswith("#"))


def _run(block: str, sandbox: Any) -> None:
    exec(compile(block.replace(DOC_URL, sandbox.url), str(README), "exec"), {"__name__": "__readme__"})


@pytest.fixture()
def profiles_file(fresh_sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The README's profiles block, as amzauth.toml in the working directory."""
    (toml,) = _blocks("toml")
    path = tmp_path / "amzauth.toml"
    path.write_text(toml.replace(DOC_URL, fresh_sandbox.url), encoding="utf-8")
    monkeypatch.setenv("AMZAUTH_CONFIG", str(path))
    return path


def test_the_first_product_takes_five_lines_and_no_file(
    fresh_sandbox: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = _blocks("python")[0]
    assert _code_lines(first) <= 5
    assert "load_profile" not in first and "toml" not in first
    assert not list(tmp_path.glob("*.toml"))
    _run(first, fresh_sandbox)
    title = next(i.title for i in demo_world().catalog if i.asin == "B0SBXUS001")
    assert capsys.readouterr().out.strip() == title
    assert fresh_sandbox.requests(host="creatorsapi.amazon")  # it really asked the (local) Amazon


def test_the_library_block_runs_against_the_readme_profiles(
    profiles_file: Path, fresh_sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    library = _blocks("python")[1]
    _run(library, fresh_sandbox)
    out = capsys.readouterr().out.splitlines()
    assert "Amazon is unavailable right now" not in out
    found = [line for line in out if line.startswith("B0")]
    assert found, out
    # The SP-API search in the profile's marketplace (UK) finds the world's kettles.
    kettles = [i for i in demo_world().catalog if "Kettle" in i.title and i.marketplace == "www.amazon.co.uk"]
    assert out[-1] == str(len(kettles)) and kettles


def test_the_library_block_degrades_when_amazon_is_down(
    profiles_file: Path, fresh_sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_sandbox.add_fault(host="creatorsapi.amazon", status=503, times=-1)
    library = _blocks("python")[1]
    _run(library, fresh_sandbox)
    assert "Amazon is unavailable right now" in capsys.readouterr().out.splitlines()


def test_every_readme_profile_loads(profiles_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from amzauth.config import list_profiles, load_profile

    for name in ("CREATORS_SECRET", "SPAPI_SECRET", "SPAPI_REFRESH_TOKEN"):
        monkeypatch.setenv(name, f"value-of-{name}")
    names = list_profiles(str(profiles_file))
    assert {"default", "seller", "grantless", "local", "local-seller"} <= set(names)
    for name in names:
        assert load_profile(name, str(profiles_file)).name == name


def test_the_readme_install_line_for_the_command() -> None:
    text = README.read_text(encoding="utf-8")
    assert 'pip install "amzauth[cli]"' in text
