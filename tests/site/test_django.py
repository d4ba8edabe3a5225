"""The Django app: template tags, lazy settings, batching middleware and the system check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings

from tests.creators import _world
from tests.site.conftest import api_calls


@pytest.fixture(scope="module", autouse=True)
def _django() -> None:
    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=["amzauth.contrib.django"],
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": []}],
            USE_TZ=True,
            SECRET_KEY="tests-only-not-a-secret",
        )
        django.setup()


@pytest.fixture()
def site(tmp_path: Path, sb: Any) -> Iterator[Path]:
    from django.test import override_settings

    from amzauth.contrib.django.conf import reset_kit

    cfg = tmp_path / "profiles.toml"
    cfg.write_text(_world.toml_profile(sb.url))
    overrides = tmp_path / "templates"
    with override_settings(
        AMZAUTH_CONFIG=str(cfg),
        AMZAUTH_SITE={"theme": "compact", "budget_ms": 10_000},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(overrides)]}],
    ):
        reset_kit()
        yield overrides
        reset_kit()


def _render(text: str) -> str:
    from django.template import Context, Template

    return Template("{% load amazon %}" + text).render(Context({}))


def test_tags_render_blocks_with_tag_rel_and_escaping(site: Path, sb: Any) -> None:
    html = _render(
        '{% amazon_box "B0SBXUS017" %}{% amazon_table "B0SBXUS001,B0SBXUS004" %}{% amazon_link "B0SBXUS008" "novel" %}'
    )
    assert "amz-theme-compact" in html and "<script>" not in html and "&lt;script&gt;" in html
    assert 'rel="sponsored nofollow noopener"' in html and "tag=demo-20" in html and ">novel</a>" in html
    assert len(api_calls(sb)) == 2  # no middleware: each tag looks up on its own


def test_middleware_batches_a_response(site: Path, sb: Any) -> None:
    from django.http import HttpResponse

    from amzauth.contrib.django.middleware import AmazonBlocksMiddleware

    asins = [it.asin for it in _world.catalogue("www.amazon.com")][:12]
    body = "".join(f'{{% amazon_box "{a}" %}}' for a in asins)
    mw = AmazonBlocksMiddleware(lambda request: HttpResponse(_render(body)))
    html = mw(None).content.decode()
    assert html.count('class="amz-block amz-box') == 12 and "<!--amzauth:" not in html
    assert len(api_calls(sb)) == 2


def test_template_override_by_name(site: Path) -> None:
    (site / "amzauth").mkdir(parents=True)
    (site / "amzauth" / "box.html").write_text("<div class=mine>{{ p.title }}</div>")
    from amzauth.contrib.django.conf import reset_kit

    reset_kit()
    assert _render('{% amazon_box "B0SBXUS005" %}').startswith("<div class=mine>Brewline")


def test_system_check_runs_the_offline_doctor(site: Path, tmp_path: Path) -> None:
    from django.core import checks
    from django.test import override_settings

    assert [m for m in checks.run_checks(tags=["amzauth"]) if m.is_serious()] == []
    bad = tmp_path / "bad.toml"
    bad.write_text('[profiles.default]\napi = "creators"\nclient_id = "x"\n')
    with override_settings(AMZAUTH_CONFIG=str(bad), AMZAUTH_SITE={"theme": "neon"}):
        found = checks.run_checks(tags=["amzauth"])
    ids = {m.id for m in found}
    assert {"amzauth.E001", "amzauth.E002"} <= ids
    assert any("amzauth explain" in (m.hint or "") for m in found)
