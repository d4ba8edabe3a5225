"""Routing table: every version, region and marketplace; parity with Amazon's official SDK."""

from __future__ import annotations

import pytest

from amzauth.config import ConfigError, profile_from_mapping
from amzauth.config.marketplaces import MARKETPLACES, find_marketplace
from amzauth.core.plan import build_plan

SECRET = "amzn1.oa2-cs.v1.routingtablesecret1"

# (version, token host, family, scope, body, header) from docs/reference/wire.md section 1.
VERSIONS = [
    (
        "2.1",
        "creatorsapi.auth.us-east-1.amazoncognito.com",
        "cognito",
        "creatorsapi/default",
        "form",
        "Bearer <token>, Version 2.1",
    ),
    (
        "2.2",
        "creatorsapi.auth.eu-south-2.amazoncognito.com",
        "cognito",
        "creatorsapi/default",
        "form",
        "Bearer <token>, Version 2.2",
    ),
    (
        "2.3",
        "creatorsapi.auth.us-west-2.amazoncognito.com",
        "cognito",
        "creatorsapi/default",
        "form",
        "Bearer <token>, Version 2.3",
    ),
    ("3.1", "api.amazon.com", "lwa", "creatorsapi::default", "json", "Bearer <token>"),
    ("3.2", "api.amazon.co.uk", "lwa", "creatorsapi::default", "json", "Bearer <token>"),
    ("3.3", "api.amazon.co.jp", "lwa", "creatorsapi::default", "json", "Bearer <token>"),
    ("3.4", "api.amazon.com", "lwa", "creatorsapi::default", "json", "Bearer <token>"),
    ("3.17", "api.amazon.com", "lwa", "creatorsapi::default", "json", "Bearer <token>"),
]


def creators(**kw: str) -> dict[str, str]:
    return {"api": "creators", "client_id": "amzn1.application-oa2-client.r", "client_secret": SECRET, **kw}


@pytest.mark.parametrize(("version", "host", "family", "scope", "body", "header"), VERSIONS)
def test_creators_versions(version: str, host: str, family: str, scope: str, body: str, header: str) -> None:
    plan = build_plan(profile_from_mapping(creators(credential_version=version)))
    path = "/oauth2/token" if family == "cognito" else "/auth/o2/token"
    assert plan.token_endpoint == f"https://{host}{path}"
    assert (plan.family, plan.scope, plan.body_format, plan.authorization_header) == (
        family,
        scope,
        body,
        header,
    )
    assert plan.grant_type == "client_credentials"
    assert plan.api_base_url == "https://creatorsapi.amazon"
    assert plan.auth_header("T0K") == ("Authorization", header.replace("<token>", "T0K"))
    assert plan.overrides == frozenset()


@pytest.mark.parametrize("version", ["4.0", "1.0", "2.9", "3.0", "three", "", "3", "v3.1"])
def test_unknown_versions_refused_naming_the_key(version: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_plan(profile_from_mapping(creators(credential_version=version)))
    assert info.value.key == "credential_version"


def test_custom_endpoint_does_not_make_unknown_major_usable() -> None:
    with pytest.raises(ConfigError):
        build_plan(
            profile_from_mapping(creators(credential_version="4.0", auth_endpoint="https://x.example/token"))
        )


@pytest.mark.parametrize("version", ["2.1", "2.2", "2.3", "3.1", "3.2", "3.3"])
def test_plan_matches_official_sdk(version: str) -> None:
    sdk = pytest.importorskip("creatorsapi_python_sdk.auth.oauth2_config")
    cfg = sdk.OAuth2Config("id", SECRET, version, None)
    plan = build_plan(profile_from_mapping(creators(credential_version=version)))
    assert plan.token_endpoint == cfg.get_cognito_endpoint()
    assert plan.scope == cfg.get_scope()
    assert plan.grant_type == cfg.get_grant_type()
    assert (plan.body_format == "json") == cfg.is_lwa()


@pytest.mark.parametrize("mp", MARKETPLACES, ids=lambda m: m.country)
def test_every_marketplace_by_host_country_and_id(mp: object) -> None:
    from amzauth.config.marketplaces import Marketplace

    assert isinstance(mp, Marketplace)
    for key in (mp.host, mp.country, mp.country.lower(), mp.marketplace_id):
        assert find_marketplace(key) is mp
    plan = build_plan(
        profile_from_mapping(creators(credential_version=mp.creators_version, marketplace=mp.country))
    )
    assert plan.marketplace is mp
    sp = build_plan(
        profile_from_mapping(
            {
                "api": "spapi",
                "marketplace": mp.marketplace_id,
                "client_id": "c",
                "client_secret": SECRET,
                "refresh_token": "Atzr|routingrefresh",
            }
        )
    )
    assert sp.region == mp.region
    assert sp.seller_central_host == mp.seller_central
    assert sp.api_base_url == f"https://sellingpartnerapi-{mp.region}.amazon.com"


def test_marketplace_table_matches_wire_reference() -> None:
    expected = {
        "US": "www.amazon.com",
        "CA": "www.amazon.ca",
        "MX": "www.amazon.com.mx",
        "BR": "www.amazon.com.br",
        "UK": "www.amazon.co.uk",
        "DE": "www.amazon.de",
        "FR": "www.amazon.fr",
        "IT": "www.amazon.it",
        "ES": "www.amazon.es",
        "NL": "www.amazon.nl",
        "BE": "www.amazon.com.be",
        "PL": "www.amazon.pl",
        "SE": "www.amazon.se",
        "TR": "www.amazon.com.tr",
        "AE": "www.amazon.ae",
        "SA": "www.amazon.sa",
        "EG": "www.amazon.eg",
        "IN": "www.amazon.in",
        "JP": "www.amazon.co.jp",
        "AU": "www.amazon.com.au",
        "SG": "www.amazon.sg",
    }
    assert {m.country: m.host for m in MARKETPLACES} == expected
    assert find_marketplace("GB") is find_marketplace("UK")
    assert find_marketplace("XX") is None


@pytest.mark.parametrize(
    ("region", "api_host", "aws", "sc"),
    [
        ("na", "sellingpartnerapi-na.amazon.com", "us-east-1", "sellercentral.amazon.com"),
        ("eu", "sellingpartnerapi-eu.amazon.com", "eu-west-1", "sellercentral-europe.amazon.com"),
        ("fe", "sellingpartnerapi-fe.amazon.com", "us-west-2", "sellercentral.amazon.co.jp"),
    ],
)
def test_spapi_regions(region: str, api_host: str, aws: str, sc: str) -> None:
    plan = build_plan(
        profile_from_mapping(
            {
                "api": "spapi",
                "region": region,
                "client_id": "c",
                "client_secret": SECRET,
                "refresh_token": "Atzr|regionrefresh01",
            }
        )
    )
    assert plan.token_endpoint == "https://api.amazon.com/auth/o2/token"
    assert (plan.grant_type, plan.scope, plan.body_format) == ("refresh_token", None, "form")
    assert plan.api_base_url == f"https://{api_host}"
    assert (plan.aws_region, plan.seller_central_host) == (aws, sc)
    assert plan.auth_header("Atza|x") == ("x-amz-access-token", "Atza|x")


def test_spapi_grantless_plan() -> None:
    plan = build_plan(
        profile_from_mapping(
            {
                "api": "spapi",
                "region": "na",
                "client_id": "c",
                "client_secret": SECRET,
                "scope": "sellingpartnerapi::notifications",
            }
        )
    )
    assert (plan.grant_type, plan.scope) == ("client_credentials", "sellingpartnerapi::notifications")


def test_overrides_are_honoured_and_marked() -> None:
    plan = build_plan(
        profile_from_mapping(
            creators(
                credential_version="3.1",
                scope="creatorsapi/default",
                grant_type="authorization_code",
                auth_endpoint="https://creatorsapi.auth.us-east-1.amazoncognito.com/oauth2/token",
                api_endpoint="https://creatorsapi.example",
            )
        )
    )
    assert plan.overrides == {"scope", "grant_type", "auth_endpoint", "api_endpoint"}
    assert plan.scope == "creatorsapi/default" and plan.derived["scope"] == "creatorsapi::default"
    assert plan.derived["auth_endpoint"] == "https://api.amazon.com/auth/o2/token"
    assert plan.api_base_url == "https://creatorsapi.example"


def test_override_equal_to_default_is_not_marked() -> None:
    plan = build_plan(profile_from_mapping(creators(credential_version="2.1", scope="creatorsapi/default")))
    assert plan.overrides == frozenset()


def test_cache_key_changes_with_secret_and_version_and_hides_secret() -> None:
    a = build_plan(profile_from_mapping(creators(credential_version="3.1")))
    b = build_plan(profile_from_mapping(creators(credential_version="3.2")))
    assert a.cache_key(SECRET) != a.cache_key(SECRET + "x")
    assert a.cache_key(SECRET) != b.cache_key(SECRET)
    assert a.cache_key(SECRET) == a.cache_key(SECRET)
    assert SECRET not in a.cache_key(SECRET) and "routingtablesecret1" not in a.cache_key(SECRET)
