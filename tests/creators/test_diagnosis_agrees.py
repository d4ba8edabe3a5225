"""CreatorsClient errors carry the doctor's diagnosis (issue 19: one diagnosis engine for every surface).

The same profile against the sandbox: the doctor's report, the library exception and the CLI's JSON
name the same (code, cause, field).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from amzauth.config import profile_from_mapping
from amzauth.creators import CreatorsClient
from amzauth.creators.errors import CreatorsError
from amzauth.doctor import run_doctor
from tests.doctor.test_scenarios import C31, C32, creators
from tests.support import run_cli

CASES = [
    ("credential of another region", creators(C32, "3.2", marketplace="JP", partner_tag="demouk-21"),
     ("AuthorizationFailed", "credential-region-marketplace", "marketplace")),
    ("unknown partner tag", creators(C31, "3.1", partner_tag="nosuchtag-20"),
     ("InvalidPartnerTag", "partner-tag-unknown", "partner_tag")),
    ("tag of another marketplace", creators(C31, "3.1", partner_tag="democa-20"),
     ("InvalidAssociate", "partner-tag-wrong-marketplace", "partner_tag")),
]


def _triple(d: dict[str, Any] | None) -> tuple[Any, ...]:
    assert d is not None
    return d["code"], d["cause"], d["field"]


@pytest.mark.parametrize(("name", "values", "want"), CASES, ids=[c[0] for c in CASES])
def test_doctor_library_and_cli_agree(fresh_sandbox: Any, tmp_path: Path, name: str, values: dict[str, Any],
                                      want: tuple[str, str, str]) -> None:
    values = {**values, "sandbox": fresh_sandbox.url}
    prof = profile_from_mapping(values)
    assert _triple(run_doctor(prof).doc["diagnosis"]) == want
    with CreatorsClient(prof) as client, pytest.raises(CreatorsError) as info:
        client.search_items("headphones", use_cache=False)
    assert _triple(info.value.diagnosis) == want
    cfg = tmp_path / "amzauth.toml"
    cfg.write_text("[profiles.default]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
    out = run_cli("search", "headphones", "--config", str(cfg), "--json", "--no-cache")
    assert out.returncode == 1, out.stdout + out.stderr
    assert _triple(json.loads(out.stdout).get("diagnosis")) == want
