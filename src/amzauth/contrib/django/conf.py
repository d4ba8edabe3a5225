"""Settings read lazily (at first use, never at import), with defaults, and the process's one kit."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from amzauth.site import SiteKit, SiteSettings

_kit: SiteKit | None = None
_mu = threading.Lock()


def setting(name: str, default: Any = None) -> Any:
    from django.conf import settings

    return getattr(settings, name, default)


def site_settings() -> SiteSettings:
    """``AMZAUTH_SITE`` (a dict of SiteSettings fields) over ``AMZAUTH_SITE_*`` variables; unknown keys
    name themselves."""
    import os

    values = {
        k.lower().removeprefix("amzauth_site_"): v
        for k, v in os.environ.items()
        if k.startswith("AMZAUTH_SITE_")
    }
    values.update(setting("AMZAUTH_SITE", {}) or {})
    return SiteSettings.from_mapping(values)


def template_dirs() -> list[str]:
    """The project's template directories, then each installed app's ``templates/`` (Django's order)."""
    from django.apps import apps
    from django.conf import settings

    dirs: list[str] = []
    for engine in getattr(settings, "TEMPLATES", []):
        dirs += [str(d) for d in engine.get("DIRS", [])]
    for cfg in apps.get_app_configs():
        p = Path(cfg.path) / "templates"
        if p.is_dir() and cfg.name != "amzauth.contrib.django":
            dirs.append(str(p))
    return dirs


def get_kit() -> SiteKit:
    """The kit for ``AMZAUTH_PROFILE`` (or the default profile), made once per process."""
    global _kit
    with _mu:
        if _kit is None:
            from amzauth.config import load_profile
            from amzauth.creators import CreatorsClient

            profile = load_profile(setting("AMZAUTH_PROFILE"), setting("AMZAUTH_CONFIG"))
            client = CreatorsClient(profile)
            _kit = SiteKit(client, site_settings(), template_dirs=template_dirs(), owns_client=True)
        return _kit


def reset_kit() -> None:
    """Close and forget the kit (tests, settings changes)."""
    global _kit
    with _mu:
        if _kit is not None:
            _kit.close()
        _kit = None
