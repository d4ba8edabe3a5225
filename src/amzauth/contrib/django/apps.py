"""The AppConfig: registers the system check; the kit itself is made on first use."""

from __future__ import annotations

from django.apps import AppConfig


class AmazonSiteConfig(AppConfig):
    name = "amzauth.contrib.django"
    label = "amzauth_site"
    verbose_name = "Amazon product blocks (amzauth)"

    def ready(self) -> None:
        from django.core import checks

        from amzauth.contrib.django.checks import check_profile

        checks.register(check_profile, "amzauth")
