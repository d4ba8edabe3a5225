"""LwA client-secret lifecycle: rotate with the grantless rotation scope, pick up the new secret, save it.

Amazon's secrets expire every 180 days (notice 90 days ahead); after a rotation the old secret works
7 more days. ``POST /applications/2023-11-30/clientSecret`` answers 204 and the new secret arrives
as an ``APPLICATION_OAUTH_CLIENT_NEW_SECRET`` notification (an SQS message for a real app; the
sandbox's notification queue for a profile that points at it). The new secret is then written
where the profile's secret lives: the profiles file (rewritten atomically, nothing else touched),
or, for ``env:NAME`` secrets, a private file plus the instructions to update the variable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from amzauth.config.files import write_text_atomic
from amzauth.config.profiles import Profile
from amzauth.config.redact import Secret, redact
from amzauth.spapi.errors import RotationError

NEW_SECRET_TYPE: Final = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
SECRET_LIFETIME_DAYS: Final = 180


@dataclass(frozen=True, slots=True)
class NewSecret:
    """The new client secret from a rotation notification (the value is a :class:`Secret`)."""

    client_id: str
    client_secret: Secret
    expires: str | None = None  # ISO 8601, newClientSecretExpiryTime
    old_secret_expires: str | None = None  # oldClientSecretExpiryTime (7 days after rotation)
    application_id: str | None = None
    notification_id: str | None = None

    def expires_date(self, now: datetime | None = None) -> str:
        """The ``secret_expires`` value to record (YYYY-MM-DD); 180 days from now when not given."""
        if self.expires:
            try:
                return datetime.fromisoformat(self.expires.replace("Z", "+00:00")).date().isoformat()
            except ValueError:
                pass
        return ((now or datetime.now(UTC)) + timedelta(days=SECRET_LIFETIME_DAYS)).date().isoformat()


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Where the new secret went, and what the user still has to do."""

    secret_saved_in: str  # "profile-file" | "file:<path>"
    profile_file: str | None
    secret_expires: str
    instructions: tuple[str, ...] = ()
    updated_keys: tuple[str, ...] = field(default=())


def _unwrap(doc: Any) -> Iterable[Any]:
    """Yield notification objects from a raw notification, an SQS message/answer or an SNS envelope."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return
        yield from _unwrap(doc)
        return
    if isinstance(doc, list):
        for d in doc:
            yield from _unwrap(d)
        return
    if not isinstance(doc, Mapping):
        return
    if "notificationType" in doc or "NotificationType" in doc:
        yield doc
        return
    for key in ("Messages", "messages"):
        if isinstance(doc.get(key), list):
            yield from _unwrap(doc[key])
            return
    for key in ("Body", "body", "Message", "message"):
        if key in doc:
            yield from _unwrap(doc[key])
            return


def parse_new_secret(doc: Any, client_id: str | None = None) -> NewSecret:
    """The newest ``APPLICATION_OAUTH_CLIENT_NEW_SECRET`` in ``doc`` (for ``client_id`` when given).

    ``doc`` may be the notification itself, its JSON text, an SQS ``receive-message`` answer, one
    SQS message (``Body`` holds the JSON), an SNS envelope (``Message``) or a list of any of these.
    """
    found: list[NewSecret] = []
    for n in _unwrap(doc):
        ntype = n.get("notificationType") or n.get("NotificationType")
        if ntype != NEW_SECRET_TYPE:
            continue
        payload = n.get("payload") or n.get("Payload") or {}
        body = payload.get("applicationOAuthClientNewSecret") if isinstance(payload, Mapping) else None
        if not isinstance(body, Mapping):
            continue
        cid, secret = body.get("clientId"), body.get("newClientSecret")
        if not isinstance(cid, str) or not isinstance(secret, str) or not secret:
            continue
        if client_id is not None and cid != client_id:
            continue
        meta = n.get("notificationMetadata") or {}
        found.append(
            NewSecret(
                client_id=cid,
                client_secret=Secret(secret),
                expires=body.get("newClientSecretExpiryTime"),
                old_secret_expires=body.get("oldClientSecretExpiryTime"),
                application_id=meta.get("applicationId") if isinstance(meta, Mapping) else None,
                notification_id=meta.get("notificationId") if isinstance(meta, Mapping) else None,
            )
        )
    if not found:
        who = f" for client {client_id}" if client_id else ""
        raise RotationError(
            f"no {NEW_SECRET_TYPE} notification{who} found; pass the SQS message Amazon sent after the rotation"
        )
    return found[-1]


def read_notification_source(source: str, stdin_text: str | None = None) -> Any:
    """The JSON document from a file path or ``-`` (stdin text)."""
    if source == "-":
        text = stdin_text if stdin_text is not None else __import__("sys").stdin.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise RotationError(f"cannot read {source}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError:
        raise RotationError(f"{'stdin' if source == '-' else source} does not hold JSON") from None


def sandbox_new_secret(sandbox: str, client_id: str, *, timeout: float = 10.0) -> NewSecret:
    """The new secret from the sandbox's notification queue (its stand-in for SQS)."""
    import httpx

    try:
        r = httpx.get(f"{sandbox.rstrip('/')}/_sandbox/notifications", timeout=timeout)
        r.raise_for_status()
        doc = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RotationError(f"cannot read the sandbox's notifications ({type(exc).__name__})") from None
    return parse_new_secret(doc, client_id)


def apply_new_secret(
    profile: Profile,
    new: NewSecret,
    *,
    secret_file: str | Path | None = None,
    now: datetime | None = None,
) -> ApplyResult:
    """Save the new secret where the profile's secret lives, and record ``secret_expires``.

    - secret written in the profiles file: both values rewritten there, atomically;
    - secret from ``env:NAME`` or ``AMZAUTH_CLIENT_SECRET``: written to a private 0600 file, with
      instructions to update the variable (the secret is never printed), and ``secret_expires``
      updated in the profiles file when there is one.
    """
    from amzauth.spapi.tomledit import set_profile_values

    expires = new.expires_date(now)
    source = profile.sources.get("client_secret", "file")
    file = profile.file
    if source == "file" and file:
        set_profile_values(
            file, profile.name, {"client_secret": new.client_secret.reveal(), "secret_expires": expires}
        )
        return ApplyResult("profile-file", file, expires, updated_keys=("client_secret", "secret_expires"))
    path = Path(secret_file) if secret_file else _secret_file_path(new.client_id)
    write_text_atomic(path, new.client_secret.reveal() + "\n", private_dir=True)
    instructions: list[str] = []
    var = source[4:] if source.startswith("env:") else source if source.startswith("AMZAUTH_") else None
    if var:
        instructions.append(f'update ${var} with the new secret, e.g.: export {var}="$(cat {path})"')
    else:
        instructions.append(f"put the new secret from {path} into client_secret of profile {profile.name!r}")
    instructions.append(
        f"then delete {path}; the old secret keeps working until {new.old_secret_expires or '7 days from now'}"
    )
    updated: tuple[str, ...] = ()
    if file:
        set_profile_values(file, profile.name, {"secret_expires": expires})
        updated = ("secret_expires",)
    return ApplyResult(f"file:{path}", file, expires, tuple(instructions), updated)


def _secret_file_path(client_id: str) -> Path:
    from platformdirs import user_config_dir

    tail = "".join(ch for ch in client_id[-12:] if ch.isalnum())
    return Path(user_config_dir("amzauth")) / "credentials" / f"new-client-secret-{tail}.secret"


@dataclass(frozen=True, slots=True)
class RotationResult:
    rotated: bool
    new_secret: NewSecret | None
    applied: ApplyResult | None
    verified: bool = False
    pending: str | None = None  # what to do when the new secret has not arrived yet

    def to_dict(self) -> dict[str, Any]:
        return {
            "rotated": self.rotated,
            "client_secret": redact(self.new_secret.client_secret.reveal()) if self.new_secret else None,
            "secret_expires": self.applied.secret_expires if self.applied else None,
            "old_secret_expires": self.new_secret.old_secret_expires if self.new_secret else None,
            "saved_in": self.applied.secret_saved_in if self.applied else None,
            "profile_file": self.applied.profile_file if self.applied else None,
            "verified": self.verified,
            "instructions": list(self.applied.instructions) if self.applied else [],
            "pending": self.pending,
        }


def rotate_secret(
    profile: Profile,
    *,
    new_secret_from: str | None = None,
    apply_only: bool = False,
    stdin_text: str | None = None,
    verify: bool = True,
    secret_file: str | Path | None = None,
    token_transport: object | None = None,
    api_transport: Any = None,
) -> RotationResult:
    """Rotate the profile's client secret end to end (see the module docstring).

    With ``apply_only`` nothing is sent to Amazon: the notification from ``new_secret_from`` is
    applied (for a rotation made earlier). Without a notification source and outside the sandbox,
    the rotation is made and ``pending`` says how to apply the secret once the SQS message arrives.
    """
    from amzauth.spapi.client import ROTATION_SCOPE, SPAPIClient, grantless_plan

    client_id = str(profile.get("client_id") or "")
    rotated = False
    if not apply_only:
        with SPAPIClient.grantless(
            profile,
            scope=ROTATION_SCOPE,
            store="memory",
            token_transport=token_transport,
            transport=api_transport,
        ) as client:
            client.rotate_client_secret()
        rotated = True
    elif not new_secret_from:
        raise RotationError("apply-only needs the notification: pass --new-secret-from FILE or -")
    sandbox = profile.get("sandbox")
    if new_secret_from:
        new = parse_new_secret(read_notification_source(new_secret_from, stdin_text), client_id)
    elif sandbox:
        new = sandbox_new_secret(str(sandbox), client_id)
    else:
        return RotationResult(
            rotated,
            None,
            None,
            pending=(
                "Amazon sends the new secret as an APPLICATION_OAUTH_CLIENT_NEW_SECRET notification to your "
                "SQS destination; save that message and run "
                f"`amzauth spapi rotate-secret --profile {profile.name} --apply-only --new-secret-from MESSAGE.json`"
            ),
        )
    applied = apply_new_secret(profile, new, secret_file=secret_file)
    verified = False
    if verify:
        from amzauth.engine.once import fetch_token_once

        plan = grantless_plan(profile, ROTATION_SCOPE)
        outcome, _ = fetch_token_once(plan, new.client_secret.reveal(), transport=token_transport)
        verified = not isinstance(outcome, Exception)
    return RotationResult(rotated, new, applied, verified)
