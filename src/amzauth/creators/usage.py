"""A profile's usage report with the Creators limits filled in (what the CLI, console, doctor and
metrics show): the record's own limits when a client wrote them, else the profile's, else Amazon's
defaults for a new account."""

from __future__ import annotations

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
