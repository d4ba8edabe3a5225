"""Client-secret rotation end to end: grantless rotation scope, new secret from the notification, saved in place."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzauth.config import profile_from_mapping
from amzauth.engine import fetch_token_once
from amzauth.spapi import SPAPIClient
from amzauth.spapi.client import ROTATION_SCOPE, grantless_plan
from amzauth.spapi.errors import RotationError
from amzauth.spapi.rotation import parse_new_secret
from tests.spapi._support import CLIENT_ID, CLIENT_SECRET, app_values, write_profiles
from tests.support import assert_no_secrets, register_secret, run_cli

CB = "https://example.com/amazon/callback"


def _new_secret_in_sandbox(sandbox: Any) -> str:
    notes = [
        n for n in sandbox.notifications() if n["notificationType"] == "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
    ]
    secret = str(notes[-1]["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"])
    register_secret(secret)
    return secret


def _token_ok(sandbox_url: str, secret: str) -> bool:
    prof = profile_from_mapping(app_values(sandbox_url, CB, client_secret=secret))
    outcome, _ = fetch_token_once(grantless_plan(prof, ROTATION_SCOPE), secret)
    return not isinstance(outcome, Exception)


def test_rotate_secret_end_to_end_rewrites_the_profiles_file(tmp_path: Path, fresh_sandbox: Any) -> None:
    soon = (datetime.now(UTC) + timedelta(days=12)).date().isoformat()
    values = app_values(fresh_sandbox.url, CB, secret_expires=soon)
    cfg = write_profiles(
        tmp_path / "amzauth.toml", {"seller": values, "keep": {"api": "creators", "x": "y"}}, "# top"
    )
    before = tomllib.loads(cfg.read_text())
    os.chmod(cfg, 0o640)
    p = run_cli("spapi", "rotate-secret", "--config", str(cfg), "--profile", "seller", "--json")
    assert p.returncode == 0, p.stderr
    new_secret = _new_secret_in_sandbox(fresh_sandbox)
    assert_no_secrets(p.stdout + p.stderr, [new_secret, CLIENT_SECRET])
    assert "expires in" in p.stderr  # the warning that led here
    doc = json.loads(p.stdout)
    assert doc["rotated"] and doc["verified"] and doc["saved_in"] == "profile-file"
    assert doc["client_secret"].endswith(new_secret[-4:]) and new_secret not in doc["client_secret"]
    # the wire: a grantless token with the rotation scope, then the rotation call
    tokens = [r for r in fresh_sandbox.requests() if r["path"] == "/auth/o2/token"]
    assert tokens[0]["grant_type"] == "client_credentials"
    rot = fresh_sandbox.requests(path="/applications/2023-11-30/clientSecret")
    assert [r["status"] for r in rot] == [204]
    # the file: new secret and expiry in place, everything else as it was, mode kept
    after_text = cfg.read_text()
    after = tomllib.loads(after_text)
    assert after["profiles"]["seller"]["client_secret"] == new_secret
    expires = datetime.fromisoformat(after["profiles"]["seller"]["secret_expires"]).date()
    assert 175 <= (expires - datetime.now(UTC).date()).days <= 181
    before["profiles"]["seller"].update(client_secret=new_secret, secret_expires=str(expires))
    assert after == before
    assert after_text.startswith("# top") and "# profile keep: kept by amzauth edits" in after_text
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640
    # both secrets work: the old one for 7 more days
    assert _token_ok(fresh_sandbox.url, new_secret) and _token_ok(fresh_sandbox.url, CLIENT_SECRET)
    # and no warning any more
    again = run_cli("spapi", "consent-url", "--config", str(cfg), "--profile", "seller")
    assert "warning" not in again.stderr


def test_env_secret_goes_to_a_private_file_with_instructions(
    tmp_path: Path, fresh_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPAPI_SECRET", CLIENT_SECRET)
    values = app_values(fresh_sandbox.url, CB, client_secret="env:SPAPI_SECRET")
    cfg = write_profiles(tmp_path / "profiles.toml", {"seller": values})
    p = run_cli("spapi", "rotate-secret", "--config", str(cfg), "--profile", "seller", "--json")
    assert p.returncode == 0, p.stderr
    new_secret = _new_secret_in_sandbox(fresh_sandbox)
    doc = json.loads(p.stdout)
    assert doc["saved_in"].startswith("file:")
    path = Path(doc["saved_in"][5:])
    assert path.read_text().strip() == new_secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert any("SPAPI_SECRET" in step and str(path) in step for step in doc["instructions"])
    table = tomllib.loads(cfg.read_text())["profiles"]["seller"]
    assert table["client_secret"] == "env:SPAPI_SECRET" and table["secret_expires"]
    assert_no_secrets(p.stdout + p.stderr, [new_secret])


def test_outside_the_sandbox_the_secret_comes_from_the_sqs_message(
    tmp_path: Path, fresh_sandbox: Any
) -> None:
    """With explicit endpoints (no `sandbox` key) amzauth behaves as with Amazon: rotate, then apply the message."""
    sb = fresh_sandbox.url
    values = app_values(
        None,
        CB,
        auth_endpoint=f"{sb}/api.amazon.com/auth/o2/token",
        api_endpoint=f"{sb}/sellingpartnerapi-na.amazon.com",
    )
    cfg = write_profiles(tmp_path / "profiles.toml", {"seller": values})
    first = run_cli("spapi", "rotate-secret", "--config", str(cfg), "--profile", "seller", "--json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["rotated"] and doc["pending"] and "--apply-only --new-secret-from" in doc["pending"]
    assert tomllib.loads(cfg.read_text())["profiles"]["seller"]["client_secret"] == CLIENT_SECRET
    new_secret = _new_secret_in_sandbox(fresh_sandbox)
    # the SQS receive-message answer, as `aws sqs receive-message` prints it
    sqs = {"Messages": [{"MessageId": "m1", "Body": json.dumps(n)} for n in fresh_sandbox.notifications()]}
    second = run_cli(
        "spapi", "rotate-secret", "--config", str(cfg), "--profile", "seller", "--json",
        "--apply-only", "--new-secret-from", "-", stdin=json.dumps(sqs),
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    doc2 = json.loads(second.stdout)
    assert not doc2["rotated"] and doc2["verified"] and doc2["saved_in"] == "profile-file"
    assert tomllib.loads(cfg.read_text())["profiles"]["seller"]["client_secret"] == new_secret
    rot = fresh_sandbox.requests(path="/applications/2023-11-30/clientSecret")
    assert len(rot) == 1  # apply-only did not rotate again


def test_apply_only_needs_a_notification(tmp_path: Path, fresh_sandbox: Any) -> None:
    cfg = write_profiles(tmp_path / "profiles.toml", {"seller": app_values(fresh_sandbox.url, CB)})
    p = run_cli("spapi", "rotate-secret", "--config", str(cfg), "--profile", "seller", "--apply-only")
    assert p.returncode == 1 and "new-secret-from" in p.stderr
    bad = run_cli(
        "spapi", "rotate-secret", "--config", str(cfg), "--profile", "seller", "--apply-only",
        "--new-secret-from", "-", stdin='{"Messages": []}',
    )  # fmt: skip
    assert bad.returncode == 1 and "APPLICATION_OAUTH_CLIENT_NEW_SECRET" in bad.stderr


def test_rotation_needs_the_grantless_scope(fresh_sandbox: Any) -> None:
    """An app not allowed the rotation scope gets unauthorized_client from LwA, surfaced as such."""
    world = fresh_sandbox.world()
    for app in world["spapi_apps"]:
        if app["client_id"] == CLIENT_ID:
            app["grantless_scopes"] = ["sellingpartnerapi::notifications"]
    fresh_sandbox.set_world(world)
    from amzauth.engine import MemoryTokenStore
    from amzauth.errors import TokenError

    prof = profile_from_mapping(app_values(fresh_sandbox.url, CB))
    with (
        SPAPIClient.grantless(prof, ROTATION_SCOPE, store=MemoryTokenStore()) as sp,
        pytest.raises(TokenError) as ei,
    ):
        sp.rotate_client_secret()
    assert ei.value.error == "unauthorized_client"
    assert fresh_sandbox.requests(path="/applications/2023-11-30/clientSecret") == []


# ---- the notification, parsed ------------------------------------------------------------------------


def _note(client_id: str = CLIENT_ID, secret: str = "amzn1.oa2-cs.v1.newnewnew") -> dict[str, Any]:
    return {
        "notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        "payload": {
            "applicationOAuthClientNewSecret": {
                "clientId": client_id,
                "newClientSecret": secret,
                "newClientSecretExpiryTime": "2027-05-20T10:00:00.000Z",
                "oldClientSecretExpiryTime": "2026-11-30T10:00:00.000Z",
            }
        },
        "notificationMetadata": {"applicationId": "amzn1.sp.solution.x", "notificationId": "n1"},
    }


@pytest.mark.parametrize(
    "wrap",
    [
        lambda n: n,
        lambda n: json.dumps(n),
        lambda n: {"Messages": [{"Body": json.dumps(n)}]},
        lambda n: {"Body": json.dumps({"Type": "Notification", "Message": json.dumps(n)})},
        lambda n: [{"notificationType": "OTHER"}, n],
    ],
    ids=["raw", "text", "sqs-answer", "sqs-over-sns", "list"],
)
def test_notification_shapes(wrap: Any) -> None:
    new = parse_new_secret(wrap(_note()), CLIENT_ID)
    assert new.client_secret.reveal() == "amzn1.oa2-cs.v1.newnewnew"
    assert new.expires_date() == "2027-05-20"
    assert new.old_secret_expires == "2026-11-30T10:00:00.000Z"
    assert "newnewnew" not in repr(new)


def test_notification_for_another_client_or_none_is_an_error() -> None:
    with pytest.raises(RotationError):
        parse_new_secret(_note(client_id="amzn1.application-oa2-client.other"), CLIENT_ID)
    with pytest.raises(RotationError):
        parse_new_secret({"Messages": []})
    newest = parse_new_secret([_note(secret="amzn1.oa2-cs.v1.first"), _note(secret="amzn1.oa2-cs.v1.second")])
    assert newest.client_secret.reveal().endswith("second")


def test_sandbox_notification_queue_is_readable(fresh_sandbox: Any) -> None:
    r = httpx.get(f"{fresh_sandbox.url}/_sandbox/notifications", timeout=10)
    assert r.status_code == 200 and r.json() == []
