"""One diagnosis engine for every surface (issue 19): the same evidence gives the same cause everywhere.

Each case sends the same request to the sandbox through the doctor (or its answer diagnoser), the
`spapi call` / `spapi exchange` commands and the library (SPAPIClient, exchange_callback), and
compares (code, cause, field). Before, the commands and the library disagreed with the doctor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.config import load_profile
from amzauth.doctor import run_doctor
from amzauth.doctor.run import diagnose_api_answer
from amzauth.errors import ApiError
from amzauth.spapi import SPAPIClient
from amzauth.spapi.errors import CodeExchangeError
from amzauth.spapi.exchange import exchange_callback
from tests.spapi._support import EU_REFRESH, NA_REFRESH, app_values, confirm_consent, write_profiles
from tests.support import run_cli

CATALOG = ("GET", "/catalog/2022-04-01/items")
PARTICIPATIONS = ("GET", "/sellers/v1/marketplaceParticipations")
NOTIFICATIONS = "sellingpartnerapi::notifications"


def _cfg(tmp_path: Path, sp: Any, **changes: Any) -> Path:
    return write_profiles(tmp_path / "profiles.toml", {"seller": app_values(sp.url, sp.redirect_uri, **changes)})


def _triple(d: dict[str, Any] | None) -> tuple[Any, ...]:
    assert d is not None
    return d["code"], d["cause"], d["field"]


def _cli_call(cfg: Path, method: str, path: str, *extra: str) -> tuple[Any, ...]:
    p = run_cli("spapi", "call", method, path, "--config", str(cfg), "--profile", "seller", "--json", *extra)
    assert p.returncode == 1, p.stdout + p.stderr
    return _triple(json.loads(p.stdout)["diagnosis"])


def _lib_call(cfg: Path, method: str, path: str, params: dict[str, str] | None = None,
              scope: str | None = None) -> tuple[Any, ...]:
    with SPAPIClient(load_profile("seller", str(cfg)), scope=scope) as client, pytest.raises(ApiError) as info:
        client.request(method, path, params=params)
    return _triple(info.value.diagnosis)  # type: ignore[attr-defined]


def _answer(cfg: Path, method: str, path: str, params: dict[str, str] | None = None,
            scope: str | None = None) -> tuple[Any, ...]:
    """The doctor's diagnoser fed the raw answer Amazon gave to the same request."""
    from amzauth.core.plan import build_plan
    from amzauth.engine.once import fetch_token_once
    from amzauth.spapi.client import grantless_plan

    prof = load_profile("seller", str(cfg))
    plan = grantless_plan(prof, scope) if scope else build_plan(prof)
    token, _ = fetch_token_once(plan, prof.secret("client_secret") or "",
                                refresh_token=None if scope else prof.secret("refresh_token"))
    r = httpx.request(method, plan.api_base_url + path, params=params,
                      headers={"x-amz-access-token": token.access_token})  # type: ignore[union-attr]
    return _triple(diagnose_api_answer(plan, r.status_code, r.headers, r.content, operation=f"{method} {path}"))


def test_eu_refresh_token_with_region_na(tmp_path: Path, sp: Any) -> None:
    cfg = _cfg(tmp_path, sp, refresh_token=EU_REFRESH)
    want = ("Unauthorized", "spapi-wrong-region", "region")
    doctor = run_doctor(load_profile("seller", str(cfg))).doc["diagnosis"]
    assert _triple(doctor) == want and doctor["suggested_value"] == "eu"
    assert _cli_call(cfg, *PARTICIPATIONS) == want
    assert _cli_call(cfg, *CATALOG, "-p", "keywords=kettle", "-p", "marketplaceIds=ATVPDKIKX0DER") == want
    assert _lib_call(cfg, *PARTICIPATIONS) == want
    assert _lib_call(cfg, *CATALOG, {"keywords": "kettle", "marketplaceIds": "ATVPDKIKX0DER"}) == want


def test_grantless_token_on_a_seller_operation(tmp_path: Path, sp: Any) -> None:
    cfg = _cfg(tmp_path, sp, refresh_token=NA_REFRESH)
    want = ("Unauthorized", "grantless-token-on-seller-operation", "scope")
    assert _cli_call(cfg, *PARTICIPATIONS, "--grantless", NOTIFICATIONS) == want
    assert _lib_call(cfg, *PARTICIPATIONS, scope=NOTIFICATIONS) == want
    assert _answer(cfg, *PARTICIPATIONS, scope=NOTIFICATIONS) == want


def test_missing_marketplace_ids(tmp_path: Path, sp: Any) -> None:
    cfg = _cfg(tmp_path, sp, refresh_token=NA_REFRESH)
    want = ("InvalidInput", "spapi-marketplace-ids-missing", "none")
    assert _cli_call(cfg, *CATALOG, "-p", "keywords=kettle") == want
    assert _lib_call(cfg, *CATALOG, {"keywords": "kettle"}) == want
    assert _answer(cfg, *CATALOG, {"keywords": "kettle"}) == want


def _consent(cfg: Path, *extra: str) -> dict[str, Any]:
    p = run_cli("spapi", "consent-url", "--config", str(cfg), "--profile", "seller", "--json", *extra)
    assert p.returncode == 0, p.stderr
    doc: dict[str, Any] = json.loads(p.stdout)
    doc["location"] = confirm_consent(doc["url"])
    return doc


def _cli_exchange(cfg: Path, consent: dict[str, Any], *extra: str) -> str:
    p = run_cli("spapi", "exchange", "--config", str(cfg), "--profile", "seller", "--json", "--store", "file",
                "--callback-url", consent["location"], "--state", consent["state"], *extra)
    assert p.returncode == 1, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["code"] == "invalid_grant"
    return str(doc["cause"])


def _lib_exchange(cfg: Path, consent: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(CodeExchangeError) as info:
        exchange_callback(consent["location"], consent["state"], source=load_profile("seller", str(cfg)), **kw)
    return str(info.value.cause)


def test_code_exchanged_with_another_redirect_uri(tmp_path: Path, sp: Any) -> None:
    cfg = _cfg(tmp_path, sp)
    other = "https://example.com/amazon/callback"  # registered too, but not the one the consent URL named
    assert _cli_exchange(cfg, _consent(cfg), "--redirect-uri", other) == "code-redirect-mismatch"
    assert _lib_exchange(cfg, _consent(cfg), redirect_uri=other) == "code-redirect-mismatch"


def test_code_exchanged_with_a_wrong_pkce_verifier(tmp_path: Path, sp: Any) -> None:
    cfg = _cfg(tmp_path, sp)
    wrong = "w" * 64
    assert _cli_exchange(cfg, _consent(cfg, "--pkce"), "--code-verifier", wrong) == "code-verifier-mismatch"
    assert _lib_exchange(cfg, _consent(cfg, "--pkce"), code_verifier=wrong) == "code-verifier-mismatch"
