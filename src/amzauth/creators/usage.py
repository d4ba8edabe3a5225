"""A profile's usage report with the Creators limits filled in (what the CLI, console, doctor and
metrics show): the record's own limits when a client wrote them, else the profile's, else Amazon's
defaults for a new account."""

from __future__ import annotations

import time
from typing import Any

from amzauth.config.profiles import Profile
from amzauth.creators.limiter import DEFAULT_BURST, DEFAULT_DAILY, DEFAULT_RATE
from amzauth.engine.usage import UsageReport, report_for_profile


def profile_limits(profile: Profile) -> dict[str, Any]:
    """The limits a Creators client of this profile enforces (daily None: no cap); {} for SP-API."""
    if profile.get("api") != "creators":
        return {}
    daily = profile.get("creators_daily")
    return {
        "profile": profile.name,
        "api": "creators",
        "daily": DEFAULT_DAILY if daily is None else (int(daily) or None),
        "rate": float(profile.get("creators_rate") or DEFAULT_RATE),
        "burst": int(profile.get("creators_burst") or DEFAULT_BURST),
    }


def usage_report(profile: Profile, *, hours: int = 24, now: float | None = None) -> UsageReport:
    """The profile's figures (this process's pending events included)."""
    return report_for_profile(profile, hours=hours, now=now, limits=profile_limits(profile))


THROTTLE_CAUSES = frozenset({"rate-limit-exceeded", "daily-quota-exceeded"})


def doctor_fields(
    profile: Profile, diagnosis: dict[str, Any] | None, http_status: Any = None
) -> dict[str, Any]:
    """What the doctor's report adds from the usage record (additive fields; None when unknown).

    ``throttle_kind`` answers "account quota or burst?" for a throttling diagnosis: ``daily-quota``
    when the record shows today's quota spent, else ``burst`` (too many requests per second). A
    throttling diagnosis's summary gains one sentence saying which, with the figures.
    """
    out: dict[str, Any] = {
        "quota_used_today": None,
        "quota_daily": None,
        "quota_left_today": None,
        "last_429": None,
        "last_429_retry_after": None,
        "throttle_kind": None,
    }
    try:
        rep = usage_report(profile, hours=1)
    except Exception:  # the record is a help, never a reason for the doctor to fail
        return out
    doc = rep.as_dict()
    last = doc["last_429"]
    out.update(
        quota_used_today=doc["quota"]["used_today"],
        quota_daily=doc["quota"]["daily"],
        quota_left_today=doc["quota"]["left_today"],
        last_429=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(last)) if last else None,
        last_429_retry_after=doc["last_429_retry_after"],
    )
    throttled = http_status == 429 or (diagnosis is not None and diagnosis.get("cause") in THROTTLE_CAUSES)
    if throttled:
        spent = rep.daily_quota is not None and rep.requests_today >= rep.daily_quota
        out["throttle_kind"] = "daily-quota" if spent else "burst"
        if diagnosis is not None and isinstance(diagnosis.get("summary"), str):
            used = (
                f"{rep.requests_today} of {rep.daily_quota}" if rep.daily_quota else f"{rep.requests_today}"
            )
            diagnosis["summary"] += (
                f" The usage record shows {used} requests today: the daily quota is spent."
                if spent
                else f" The usage record shows {used} requests today: a burst (too many per second), "
                "not the daily quota."
            )
    return out
