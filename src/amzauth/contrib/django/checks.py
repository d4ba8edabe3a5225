"""``manage.py check``: the offline doctor on the site's profile (no request is made)."""

from __future__ import annotations

from typing import Any

from django.core import checks


def check_profile(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """One Error per problem the offline doctor finds (with its catalogue code and fix), else nothing."""
    from amzauth.contrib.django.conf import setting, site_settings
    from amzauth.creators.errors import InvalidInput
    from amzauth.doctor.run import run_doctor

    out: list[checks.CheckMessage] = []
    try:
        site_settings()
    except InvalidInput as exc:
        out.append(checks.Error(str(exc), hint="see docs/site.md for AMZAUTH_SITE keys", id="amzauth.E002"))
    report = run_doctor(
        profile_name=setting("AMZAUTH_PROFILE"), config=setting("AMZAUTH_CONFIG"), offline=True
    )
    if report.exit_code in (0,):
        return out
    diag = report.doc.get("diagnosis") or {}
    code = diag.get("code") or "config"
    summary = diag.get("summary") or diag.get("title") or "the amzauth profile has a problem"
    fixes = diag.get("fix") or []
    out.append(
        checks.Error(
            f"amzauth profile: {summary} ({code})",
            hint="; ".join(str(f) for f in fixes[:2]) + f" — run `amzauth explain {code}`",
            id="amzauth.E001",
        )
    )
    return out
