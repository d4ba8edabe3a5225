"""Version pins and dispatch: an SDK outside the tested range is refused with the range, never patched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from amzauth.integrations import SUPPORTED, UnsupportedSDK, check_version, use_amzauth
from amzauth.integrations._common import endpoint_keys
from tests.integrations.conftest import ROOT

SCRIPT = """
from amzauth.integrations import UnsupportedSDK, use_amzauth
class AmazonCreatorsApi: pass
AmazonCreatorsApi.__module__ = "amazon_creatorsapi.api"
try:
    use_amzauth(AmazonCreatorsApi())
except UnsupportedSDK as exc:
    print(exc.supported, "|", exc)
"""


def _installed(site: Path, dist: str, version: str) -> None:
    """What pip leaves for an installed distribution: its dist-info METADATA."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")


def test_an_older_sdk_is_refused_naming_the_supported_range(tmp_path: Path) -> None:
    _installed(tmp_path, "python-amazon-paapi", "6.3.0")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "src")])}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        ">=7.1.0,<7.2 | python-amazon-paapi 6.3.0 is installed; amzauth.integrations supports "
        'python-amazon-paapi>=7.1.0,<7.2: pip install "python-amazon-paapi>=7.1.0,<7.2" (tested: 7.1.0)'
    )


def test_a_missing_sdk_is_named() -> None:
    with pytest.raises(UnsupportedSDK, match=r"^amzn-sp-api is not installed; .* \(tested: 1\.13\.0\)$"):
        check_version("amzn-sp-api")


def test_the_test_extra_pins_the_tested_creators_sdk() -> None:
    assert check_version("amazon-creatorsapi-python-sdk") == SUPPORTED["amazon-creatorsapi-python-sdk"][2]


def test_an_unknown_client_is_refused_with_the_supported_list() -> None:
    with pytest.raises(
        TypeError, match=r"use_amzauth does not know builtins\.object; supported: .*amzn-sp-api \(1\.13\.0\)"
    ):
        use_amzauth(object())


@pytest.mark.parametrize(
    ("url", "default", "keys"),
    [
        (None, "https://api.amazon.com/auth/o2/token", {}),
        ("https://api.amazon.com/auth/o2/token", "https://api.amazon.com/auth/o2/token", {}),
        ("http://127.0.0.1:8700/api.amazon.com/auth/o2/token", "https://api.amazon.com/auth/o2/token",
         {"sandbox": "http://127.0.0.1:8700"}),
        ("http://127.0.0.1:8700/api.amazon.co.uk/auth/o2/token", "https://api.amazon.com/auth/o2/token",
         {"sandbox": "http://127.0.0.1:8700", "auth_endpoint": "https://api.amazon.co.uk/auth/o2/token"}),
        ("https://proxy.example.com/token", "https://api.amazon.com/auth/o2/token",
         {"auth_endpoint": "https://proxy.example.com/token"}),
    ],
)  # fmt: skip
def test_sdk_token_urls_become_profile_keys(url: str | None, default: str, keys: dict[str, str]) -> None:
    assert endpoint_keys(url, default) == keys
