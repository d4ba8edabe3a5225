"""Profiles reference (docs/reference/config.md): lookup order, env, references, sandbox rewrite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amzauth.config import ConfigError, load_profile, profile_from_mapping
from amzauth.core.plan import build_plan, sandbox_url

CREATORS = """
[profiles.default]
api = "creators"
credential_version = "3.1"
client_id = "amzn1.application-oa2-client.0123abcd"
client_secret = "{secret}"
marketplace = "www.amazon.com"
partner_tag = "mytag-20"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_lookup_order_explicit_then_env_then_cwd_then_user_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    user = write(
        Path(os.environ["XDG_CONFIG_HOME"]) / "amzauth" / "config.toml",
        CREATORS.format(secret="user-dir-secret-0001"),
    )
    assert load_profile().file == str(user)
    cwd = write(Path.cwd() / "amzauth.toml", CREATORS.format(secret="cwd-secret-00000002"))
    assert load_profile().file == str(cwd)
    env = write(tmp_path / "env.toml", CREATORS.format(secret="env-secret-00000003"))
    monkeypatch.setenv("AMZAUTH_CONFIG", str(env))
    assert load_profile().file == str(env)
    explicit = write(tmp_path / "explicit.toml", CREATORS.format(secret="explicit-secret-0004"))
    prof = load_profile(config=str(explicit))
    assert prof.file == str(explicit)
    assert prof.secret("client_secret") == "explicit-secret-0004"


def test_profile_choice_flag_then_env_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = CREATORS.format(secret="s-default-000001") + CREATORS.replace("default", "other").format(
        secret="s-other-00000002"
    )
    cfg = write(tmp_path / "c.toml", text)
    assert load_profile(config=str(cfg)).name == "default"
    monkeypatch.setenv("AMZAUTH_PROFILE", "other")
    assert load_profile(config=str(cfg)).secret("client_secret") == "s-other-00000002"
    assert load_profile("default", str(cfg)).secret("client_secret") == "s-default-000001"


def test_env_override_wins_and_env_reference_reads_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path / "c.toml", CREATORS.format(secret="env:MY_CREATORS_SECRET"))
    monkeypatch.setenv("MY_CREATORS_SECRET", "amzn1.oa2-cs.v1.fromenvironment01")
    prof = load_profile(config=str(cfg))
    assert prof.secret("client_secret") == "amzn1.oa2-cs.v1.fromenvironment01"
    assert prof.sources["client_secret"] == "env:MY_CREATORS_SECRET"
    monkeypatch.setenv("AMZAUTH_MARKETPLACE", "DE")
    monkeypatch.setenv("AMZAUTH_CREDENTIAL_VERSION", "3.2")
    prof = load_profile(config=str(cfg))
    assert prof.get("marketplace") == "DE" and prof.sources["marketplace"] == "AMZAUTH_MARKETPLACE"
    plan = build_plan(prof)
    assert plan.marketplace is not None and plan.marketplace.host == "www.amazon.de"
    assert plan.version_source == "environment"


def test_profile_entirely_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {
        "API": "spapi",
        "REGION": "fe",
        "CLIENT_ID": "amzn1.application-oa2-client.x",
        "CLIENT_SECRET": "amzn1.oa2-cs.v1.envonlysecret0001",
        "REFRESH_TOKEN": "Atzr|envonlyrefresh01",
    }.items():
        monkeypatch.setenv(f"AMZAUTH_{k}", v)
    plan = build_plan(load_profile())
    assert plan.api_base_url == "https://sellingpartnerapi-fe.amazon.com"


def test_unset_env_reference_names_key_profile_file_and_variable(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", CREATORS.format(secret="env:NOT_SET_ANYWHERE_42"))
    with pytest.raises(ConfigError) as info:
        load_profile(config=str(cfg))
    msg = str(info.value)
    assert "NOT_SET_ANYWHERE_42" in msg and "client_secret" in msg and "default" in msg and str(cfg) in msg
    assert info.value.key == "client_secret"


def test_sandbox_rewrites_every_amazon_url_including_overrides() -> None:
    prof = profile_from_mapping(
        {
            "api": "creators",
            "credential_version": "3.2",
            "client_id": "amzn1.application-oa2-client.a",
            "client_secret": "amzn1.oa2-cs.v1.sandboxrewrite01",
            "sandbox": "http://127.0.0.1:8700/",
            "api_endpoint": "https://creatorsapi.amazon/",
        }
    )
    plan = build_plan(prof)
    assert plan.token_endpoint == "http://127.0.0.1:8700/api.amazon.co.uk/auth/o2/token"
    assert plan.amazon_token_endpoint == "https://api.amazon.co.uk/auth/o2/token"
    assert plan.api_base_url == "http://127.0.0.1:8700/creatorsapi.amazon"
    assert (
        sandbox_url("https://api.amazon.com/auth/o2/token?x=1", "http://h:1")
        == "http://h:1/api.amazon.com/auth/o2/token?x=1"
    )
    assert sandbox_url("https://api.amazon.com/auth/o2/token", None) == "https://api.amazon.com/auth/o2/token"


def test_sandbox_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", CREATORS.format(secret="amzn1.oa2-cs.v1.sandboxenv00001"))
    monkeypatch.setenv("AMZAUTH_SANDBOX", "http://127.0.0.1:9999")
    plan = build_plan(load_profile(config=str(cfg)))
    assert plan.token_endpoint.startswith("http://127.0.0.1:9999/api.amazon.com/")


def test_repr_of_profile_is_redacted() -> None:
    prof = profile_from_mapping(
        {
            "api": "spapi",
            "region": "na",
            "client_id": "amzn1.application-oa2-client.b",
            "client_secret": "amzn1.oa2-cs.v1.reprsecretvalue9",
            "refresh_token": "Atzr|reprrefreshtokenvalue7",
        }
    )
    text = repr(prof) + str(prof) + str(prof.redacted())
    assert "reprsecretvalue9" not in text and "reprrefreshtokenvalue7" not in text
    assert "amzn1.oa2-cs.v1.…lue9" in text and "Atzr|…lue7" in text


def test_reference_examples_all_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every profile of docs/reference/config.md's example, as written there, is accepted."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "reference" / "config.md"
    example = re.search(r"```toml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert example is not None
    for var in ("CREATORS_SECRET", "SPAPI_SECRET", "SPAPI_REFRESH_TOKEN"):
        monkeypatch.setenv(var, f"{var.lower()}-value-1234")
    cfg = write(tmp_path / "reference.toml", example.group(1))
    for name in ("default", "seller", "local"):
        plan = build_plan(load_profile(name, str(cfg)))
        assert plan.client_id


def test_reference_lists_every_key() -> None:
    """docs/reference/config.md has a table row for every key a profile accepts."""
    from amzauth.config.profiles import ALL_KEYS

    text = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "config.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    assert documented >= ALL_KEYS, sorted(ALL_KEYS - documented)


def test_fleet_wide_creators_tuning_from_env_leaves_spapi_profiles_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """AMZAUTH_CREATORS_RATE on a host applies to its Creators profiles and is ignored by SP-API ones."""
    monkeypatch.setenv("AMZAUTH_CREATORS_RATE", "2.5")
    monkeypatch.setenv("AMZAUTH_ITEMS_TTL", "120")
    creators = profile_from_mapping(
        {"api": "creators", "credential_version": "3.1", "client_id": "amzn1.application-oa2-client.0123abcd",
         "client_secret": "amzn1.oa2-cs.v1.secretvalue0001"}, env=True)  # fmt: skip
    assert (creators.get("creators_rate"), creators.get("items_ttl")) == (2.5, 120.0)
    assert creators.sources["creators_rate"] == "AMZAUTH_CREATORS_RATE"
    spapi = profile_from_mapping(
        {"api": "spapi", "region": "na", "client_id": "amzn1.application-oa2-client.4567efgh",
         "client_secret": "amzn1.oa2-cs.v1.secretvalue0002", "refresh_token": "Atzr|tokenvalue0003"}, env=True)  # fmt: skip
    assert spapi.get("creators_rate") is None and "items_ttl" not in spapi.values
