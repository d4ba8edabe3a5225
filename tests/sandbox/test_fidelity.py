"""Sandbox fidelity (issue 19, class 5): Amazon behaviour the sandbox now reproduces, over real HTTP.

Roles added after an authorization (tests/doctor/test_audit_causes.py covers the diagnosis), the
token path's letter case, and SigV4 signatures recomputed so a mismatch can be produced.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from amzauth.sandbox.messages import SIGV4_MISMATCH
from amzauth.spapi.errors import InvalidSignature
from tests.spapi._support import CLIENT_ID, CLIENT_SECRET, NA_REFRESH, make_profile

EXAMPLE_KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


@pytest.mark.parametrize("path", ["/auth/o2/token", "/auth/O2/token"])
def test_token_path_in_either_case(fresh_sandbox: Any, path: str) -> None:
    r = httpx.post(f"{fresh_sandbox.url}/api.amazon.com{path}",
                   data={"grant_type": "refresh_token", "refresh_token": NA_REFRESH, "client_id": CLIENT_ID,
                         "client_secret": CLIENT_SECRET})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer"


def _signer(secret: str) -> Any:
    from amzauth.spapi.sigv4 import SigV4Signer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SigV4Signer(EXAMPLE_KEY[0], secret, "us-east-1")


def test_sigv4_signature_is_verified(fresh_sandbox: Any) -> None:
    pytest.importorskip("botocore")
    from amzauth.engine.stores import MemoryStore
    from amzauth.spapi import SPAPIClient

    prof = make_profile(fresh_sandbox.url, "https://example.com/amazon/callback", refresh_token=NA_REFRESH)
    with SPAPIClient(prof, sigv4=_signer(EXAMPLE_KEY[1]), store=MemoryStore()) as sp:
        assert sp.marketplace_participations()
    wrong = EXAMPLE_KEY[1][:-4] + "XXXX"
    with SPAPIClient(prof, sigv4=_signer(wrong), store=MemoryStore()) as sp, pytest.raises(InvalidSignature) as ei:
        sp.marketplace_participations()
    assert ei.value.message == SIGV4_MISMATCH
    d = ei.value.diagnosis
    assert d is not None and d["cause"] == "sigv4-signature-mismatch"
    assert "wJalr" not in str(ei.value) and wrong not in str(d)


def test_a_request_changed_after_signing_is_refused(fresh_sandbox: Any) -> None:
    pytest.importorskip("botocore")
    from amzauth.core.plan import build_plan
    from amzauth.engine.once import fetch_token_once

    prof = make_profile(fresh_sandbox.url, "https://example.com/amazon/callback", refresh_token=NA_REFRESH)
    plan = build_plan(prof)
    token, _ = fetch_token_once(plan, CLIENT_SECRET, refresh_token=NA_REFRESH)
    url = plan.api_base_url + "/sellers/v1/marketplaceParticipations"
    req = httpx.Request("GET", url, headers={"x-amz-access-token": token.access_token})  # type: ignore[union-attr]
    _signer(EXAMPLE_KEY[1]).sign(req)
    with httpx.Client() as c:
        assert c.send(req).status_code == 200
        req.headers["x-amz-access-token"] = token.access_token + "x"  # type: ignore[union-attr]
        r = c.send(req)
    assert r.status_code == 403 and r.json()["errors"][0]["message"] == SIGV4_MISMATCH
