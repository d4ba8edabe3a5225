""" "Authorize a seller" in the browser: the console as the consent flow's redirect target.

The SP-API library (:mod:`amzauth.spapi`) builds the consent URL (state + PKCE), checks the
callback and exchanges the code; this module only keeps each pending flow server-side, bound to
the browser session that started it, for Amazon's 10 minutes, and stores the result. A callback
whose ``state`` is unknown, expired, already used or started by another session is refused.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from amzauth.config.profiles import ConfigError, Profile
from amzauth.config.redact import redact

if TYPE_CHECKING:
    from amzauth.console.profiles_file import ProfilesFile
    from amzauth.spapi.consent import ConsentRequest

FLOW_TTL: Final = 600.0  # Amazon: the whole workflow must finish within 10 minutes
MAX_PENDING: Final = 200


class FlowError(Exception):
    """The consent flow cannot start (bad profile for consent, library missing)."""


def available() -> bool:
    """Whether the SP-API authorization library is installed in this build."""
    try:
        import amzauth.config.storage
        import amzauth.spapi.consent
        import amzauth.spapi.exchange  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class PendingFlow:
    """One started consent flow; ``consent`` holds the state and PKCE verifier (never shown)."""

    profile: str
    consent: ConsentRequest = field(repr=False)
    session_id: str = field(repr=False)
    started: float
    callback_url: str

    @property
    def url(self) -> str:
        return self.consent.url

    @property
    def expires_in(self) -> int:
        return max(0, int(self.started + FLOW_TTL - time.time()))

    @property
    def warnings(self) -> list[str]:
        return [w.message for w in self.consent.warnings]


@dataclass
class Outcome:
    """What the callback page shows: success (stored seller) or a diagnosed failure."""

    ok: bool
    profile: str | None = None
    seller: str | None = None
    code: str | None = None
    message: str | None = None
    fix: tuple[str, ...] = ()
    field: str | None = None


@dataclass
class Authorized:
    """A seller authorized through this console (shown even when the token went to the OS keyring)."""

    profile: str
    selling_partner_id: str
    region: str | None
    application_id: str | None
    stored_in: str
    reference: str
    refresh_token: str | None  # redacted form only
    at: float
    profile_updated: bool


class PendingFlows:
    """Pending consent flows by state, and the sellers authorized since the console started."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingFlow] = {}
        self._lock = threading.Lock()
        self.authorized: list[Authorized] = []

    def start(self, profile: Profile, callback_url: str, session_id: str) -> PendingFlow:
        """Build the consent URL for ``profile`` with the console as redirect target (PKCE on)."""
        if not available():
            raise FlowError("SP-API authorization is not available in this build of amzauth")
        from amzauth.spapi.authorize import preflight_consent
        from amzauth.spapi.consent import build_consent
        from amzauth.spapi.errors import ConsentError

        try:
            consent = build_consent(profile, redirect_uri=callback_url, pkce=True)
            if profile.get("sandbox"):  # as the CLI does: read the page once, MD1000/MD5101 shown here
                preflight_consent(consent, profile)
        except ConsentError as exc:
            raise FlowError(f"{exc.code}: {exc.message}") from None
        flow = PendingFlow(profile.name, consent, session_id, time.time(), callback_url)
        with self._lock:
            self._expire()
            self._pending[consent.state] = flow
            while len(self._pending) > MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
        return flow

    def _expire(self) -> None:
        now = time.time()
        for st in [s for s, f in self._pending.items() if now - f.started > FLOW_TTL]:
            del self._pending[st]

    def _take(self, state: str | None) -> PendingFlow | None:
        if not state:
            return None
        with self._lock:
            self._expire()
            for key in list(self._pending):
                if hmac.compare_digest(key.encode(), state.encode()):
                    return self._pending.pop(key)  # single use, whatever happens next
        return None

    def finish(
        self,
        query: Mapping[str, str],
        session_id: str,
        load: Callable[[str], Profile | None],
        profiles: ProfilesFile,
    ) -> Outcome:
        """Check the callback against its pending flow, exchange the code, store the refresh token."""
        flow = self._take(query.get("state"))
        if flow is None:
            return Outcome(
                False,
                code="state_mismatch",
                message="This callback does not belong to an authorization started here (unknown, used or "
                "expired state). It was refused.",
                fix=("Start again from Authorize a seller and finish within 10 minutes.",),
                field="none",
            )
        if not hmac.compare_digest(flow.session_id.encode(), session_id.encode()):
            return Outcome(
                False,
                profile=flow.profile,
                code="state_mismatch",
                message="This authorization was started in another browser session; it was refused.",
                fix=("Start again from Authorize a seller in this browser.",),
                field="none",
            )
        profile = load(flow.profile)
        if profile is None:
            return Outcome(
                False,
                profile=flow.profile,
                code="config",
                message=f"Profile {flow.profile} cannot be read any more.",
                field="none",
            )
        from amzauth.config.endpoints import stored_token_endpoint
        from amzauth.config.storage import save_refresh_token
        from amzauth.errors import AmzAuthError
        from amzauth.spapi.errors import AuthorizationError
        from amzauth.spapi.exchange import exchange_callback

        try:
            auth = exchange_callback(dict(query), flow.consent, source=profile)
            region = auth.region or str(profile.get("region") or "")
            stored = save_refresh_token(
                str(profile.get("client_id")),
                region,
                auth.selling_partner_id,
                auth.refresh_token.reveal(),
                application_id=flow.consent.application_id,
                endpoint=stored_token_endpoint(profile),
            )
        except AuthorizationError as exc:
            return Outcome(
                False, profile=flow.profile, code=exc.code, message=exc.message, fix=exc.fix, field=exc.field
            )
        except ConfigError as exc:
            return Outcome(
                False,
                profile=flow.profile,
                code="config",
                message=str(exc),
                fix=(exc.fix,) if exc.fix else (),
                field=exc.key,
            )
        except AmzAuthError as exc:
            return Outcome(False, profile=flow.profile, code=exc.code, message=str(exc))
        updated = _point_profile_at(profiles, flow.profile, stored.reference)
        self.authorized.append(
            Authorized(
                profile=flow.profile,
                selling_partner_id=auth.selling_partner_id,
                region=region or None,
                application_id=flow.consent.application_id,
                stored_in=stored.stored_in,
                reference=stored.reference,
                refresh_token=redact(auth.refresh_token.reveal()),
                at=time.time(),
                profile_updated=updated,
            )
        )
        return Outcome(True, profile=flow.profile, seller=auth.selling_partner_id)


def _point_profile_at(profiles: ProfilesFile, name: str, reference: str) -> bool:
    """Give a profile without a refresh token the new seller (``refresh_token = "stored:<id>"``)."""
    try:
        table = profiles.read().get(name)
    except ConfigError:
        return False
    if table is None or table.get("refresh_token"):
        return False
    profiles.update(name, {**table, "refresh_token": reference})
    return True


def stored_sellers(profiles: ProfilesFile, flows: PendingFlows, name: str) -> list[dict[str, Any]]:
    """Sellers this profile's app has authorizations for: the token file's entries plus this run's."""
    try:
        table = profiles.read().get(name) or {}
    except ConfigError:
        table = {}
    client_id = table.get("client_id")
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    if available():
        from amzauth.config.storage import FileTokenStorage, load_refresh_token
        from amzauth.spapi.errors import StorageError

        try:
            entries = FileTokenStorage().entries()
        except StorageError:
            entries = []
        for e in entries:
            if e.get("client_id") != client_id:
                continue
            spid, region = str(e.get("selling_partner_id")), str(e.get("region") or "")
            try:
                token = load_refresh_token(str(client_id), region, spid)
            except StorageError:
                token = None
            rows[(spid, region)] = {
                "selling_partner_id": spid,
                "region": region or None,
                "application_id": e.get("application_id"),
                "stored_in": "file",
                "stored_at": e.get("stored_at"),
                "refresh_token": redact(token) if token else None,
                "reference": "stored:" + spid,
                "in_use": table.get("refresh_token") == "stored:" + spid,
            }
    for a in flows.authorized:
        if a.profile != name:
            continue
        key = (a.selling_partner_id, a.region or "")
        row = rows.setdefault(key, {})
        row.update(
            selling_partner_id=a.selling_partner_id,
            region=a.region,
            application_id=a.application_id,
            stored_in=a.stored_in,
            stored_at=int(a.at),
            refresh_token=a.refresh_token,
            reference=a.reference,
            in_use=table.get("refresh_token") == a.reference,
            this_session=True,
        )
    return sorted(rows.values(), key=lambda r: -(r.get("stored_at") or 0))
