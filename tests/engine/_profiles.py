"""Demo-world credentials of the sandbox (src/amzauth/sandbox/demo_world.toml) as profiles and plans."""

from __future__ import annotations

from typing import Any

from amzauth.config import Profile, profile_from_mapping
from amzauth.core.plan import Plan, build_plan
from tests.support import register_secret

CREATORS_31 = {
    "api": "creators",
    "credential_version": "3.1",
    "client_id": "amzn1.application-oa2-client.5a4db0x31demo00000000000000031",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0x31demosecretnotreal000000000000000000000031",
    "partner_tag": "demo-20",
}
CREATORS_31_OLD_SECRET = "amzn1.oa2-cs.v1.5a4db0x31rotatedoutnotreal00000000000000000000031"
CREATORS_21 = {
    "api": "creators",
    "credential_version": "2.1",
    "client_id": "2f5ndbx21demo7cognito0a1b2",
    "client_secret": "sandbox21demosecretnotreal0000000000000000000000021",
    "partner_tag": "demo-20",
}
SPAPI_NA = {
    "api": "spapi",
    "region": "na",
    "client_id": "amzn1.application-oa2-client.5a4db0xsp01draft000000000000001",
    "client_secret": "amzn1.oa2-cs.v1.5a4db0xsp01draftsecretnotreal0000000000000000001",
    "refresh_token": "Atzr|IwEBsandbox-demo-na-repricer-000000000000000000000000000001",
    "marketplace": "ATVPDKIKX0DER",
}
register_secret(
    CREATORS_31["client_secret"],
    CREATORS_31_OLD_SECRET,
    CREATORS_21["client_secret"],
    SPAPI_NA["client_secret"],
    SPAPI_NA["refresh_token"],
)


def profile(base: dict[str, Any], sandbox: str | None = None, **changes: Any) -> Profile:
    values = {**base, **changes}
    if sandbox:
        values["sandbox"] = sandbox
    return profile_from_mapping({k: v for k, v in values.items() if v is not None})


def plan(base: dict[str, Any], sandbox: str | None = None, **changes: Any) -> Plan:
    return build_plan(profile(base, sandbox, **changes))
