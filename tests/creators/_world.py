"""Demo-world facts for the Creators tests, read from the sandbox's world file (never hard-coded).

Credentials, partner tags and catalogue items come from ``amzauth.sandbox.world.demo_world()``, so
the tests follow the world if it changes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from amzauth.config import Profile, profile_from_mapping
from amzauth.creators import CreatorsClient
from amzauth.sandbox.world import CatalogItem, CreatorsCredential, World, demo_world
from tests.support import register_secret


@cache
def world() -> World:
    w = demo_world()
    for c in w.creators_credentials:
        register_secret(c.client_secret, *c.old_secrets)
    return w


def credential(version: str, *, eligible: bool = True, marketplace: str | None = None) -> CreatorsCredential:
    """The first enabled demo credential of ``version`` (eligible or not) serving ``marketplace``."""
    for c in world().creators_credentials:
        if c.version != version or not c.enabled or c.eligible != eligible:
            continue
        if marketplace is None or marketplace in c.marketplaces:
            return c
    raise LookupError(f"no demo credential {version} eligible={eligible} for {marketplace}")


def profile(
    sandbox_url: str,
    version: str = "3.1",
    marketplace: str | None = None,
    *,
    eligible: bool = True,
    **extra: Any,
) -> Profile:
    """A profile for a demo credential pointed at the sandbox (partner tag of the marketplace)."""
    cred = credential(version, eligible=eligible, marketplace=marketplace)
    mp = marketplace or cred.marketplaces[0]
    values: dict[str, Any] = {
        "api": "creators",
        "credential_version": cred.version,
        "client_id": cred.client_id,
        "client_secret": cred.client_secret,
        "marketplace": mp,
        "partner_tag": cred.partner_tags[mp][0],
        "sandbox": sandbox_url,
    }
    values.update(extra)
    return profile_from_mapping({k: v for k, v in values.items() if v is not None})


def toml_profile(sandbox_url: str, version: str = "3.1", marketplace: str | None = None, **extra: Any) -> str:
    """The same profile as a profiles file, for CLI tests."""
    p = profile(sandbox_url, version, marketplace, **extra)
    lines = ["[profiles.default]"]
    for k in sorted(p.values):
        v = p.secret(k) if k == "client_secret" else p.get(k)
        lines.append(f'{k} = "{v}"')
    return "\n".join(lines) + "\n"


def catalogue(marketplace: str) -> list[CatalogItem]:
    return [it for it in world().catalog if it.marketplace == marketplace]


def item(marketplace: str, asin: str) -> CatalogItem:
    return next(it for it in world().catalog if it.marketplace == marketplace and it.asin == asin)


def api_log(sandbox: Any, operation: str | None = None) -> list[dict[str, Any]]:
    """Creators API requests the sandbox served (optionally one operation), oldest first."""
    path = f"/catalog/v1/{operation}" if operation else None
    return [r for r in sandbox.requests(host="creatorsapi.amazon", path=path)]


def make_client(
    sb: Any, store: Any, version: str = "3.1", marketplace: str | None = None, **kw: Any
) -> CreatorsClient:
    """A client for a demo credential, paced to the demo world's limits (world rate and burst)."""
    limits = world().limits
    kw.setdefault("rate", limits.creators_rate)
    kw.setdefault("burst", limits.creators_burst)
    return CreatorsClient(profile(sb.url, version, marketplace), store=store, **kw)
