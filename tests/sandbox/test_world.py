"""World files: validation that names the key, the loaders, and what the demo world promises."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from amzauth.config.marketplaces import BY_HOST
from amzauth.sandbox.world import World, WorldError, demo_world, load_world

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "sandbox-world.example.toml"


def test_reference_example_world_loads() -> None:
    w = load_world(EXAMPLE)
    assert w.creators_credentials[0].version == "3.1"
    assert w.sellers[0].authorizations[0].application_id == w.spapi_apps[0].application_id


def _model_keys(model: Any, prefix: str = "") -> set[str]:
    """Dotted names of every field of a world model and of the models nested in it."""
    out: set[str] = set()
    for name, info in model.model_fields.items():
        out.add(prefix + name)
        inner = info.annotation
        args = getattr(inner, "__args__", ())
        for cand in (inner, *args):
            if isinstance(cand, type) and hasattr(cand, "model_fields"):
                out |= _model_keys(cand, f"{prefix}{name}.")
    return out


def _doc_keys(doc: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    rows = doc if isinstance(doc, list) else [doc]
    for row in rows:
        if isinstance(row, dict):
            for k, v in row.items():
                out.add(prefix + k)
                if isinstance(v, dict | list) and not (isinstance(v, dict) and k in {"partner_tags", "variation_attributes"}):
                    out |= _doc_keys(v, f"{prefix}{k}.")
    return out


def test_reference_example_world_shows_every_key() -> None:
    """The shipped example names every key the loader accepts (so the reference cannot fall behind)."""
    import tomllib

    written = _doc_keys(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    missing = _model_keys(World) - written
    assert not missing, f"docs/reference/sandbox-world.example.toml lacks {sorted(missing)}"


def test_load_from_dict_text_path_and_json(tmp_path: Path) -> None:
    doc = {"creators_credentials": [{"client_id": "a", "client_secret": "b", "version": "2.1"}]}
    assert load_world(doc).creators_credentials[0].client_id == "a"
    toml = '[[creators_credentials]]\nclient_id = "a"\nclient_secret = "b"\nversion = "2.1"\n'
    assert load_world(toml).creators_credentials[0].version == "2.1"
    f = tmp_path / "w.toml"
    f.write_text(toml)
    assert load_world(f).creators_credentials[0].client_secret == "b"
    assert load_world(str(f)).creators_credentials[0].client_secret == "b"
    assert load_world(json.dumps(doc)).creators_credentials[0].client_id == "a"


def test_empty_world_is_valid() -> None:
    w = load_world({})
    assert w.catalog == [] and w.limits.token_lifetime == 3600


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"limit": {}}, "limit"),
        ({"limits": {"token_lifetime": 0}}, "limits.token_lifetime"),
        ({"creators_credentials": [{"client_id": "a", "client_secret": "b"}]}, "creators_credentials[0].version"),
        ({"creators_credentials": [{"client_id": "a", "client_secret": "b", "version": "2.4"}]},
         "creators_credentials[0].version"),
        ({"creators_credentials": [{"client_id": "a", "client_secret": "b", "version": "4.0"}]},
         "creators_credentials[0].version"),
        ({"creators_credentials": [{"client_id": "a", "client_secret": "b", "version": "3.1",
                                    "marketplaces": ["amazon.com"]}]}, "creators_credentials[0].marketplaces"),
        ({"creators_credentials": [{"client_id": "a", "client_secret": "b", "version": "3.1", "secret": "x"}]},
         "creators_credentials[0].secret"),
        ({"creators_credentials": [{"client_id": "a", "client_secret": "b", "version": "3.1"},
                                   {"client_id": "a", "client_secret": "c", "version": "3.2"}]},
         "creators_credentials[1].client_id"),
        ({"spapi_apps": [{"application_id": "x", "client_id": "c", "client_secret": "s", "state": "live"}]},
         "spapi_apps[0].state"),
        ({"spapi_apps": [{"application_id": "x", "client_id": "c", "client_secret": "s",
                          "grantless_scopes": ["sellingpartnerapi::client_credentials:rotation"]}]},
         "spapi_apps[0].grantless_scopes"),
        ({"sellers": [{"selling_partner_id": "A", "region": "eu", "marketplaces": ["DE"]}]}, "sellers[0].marketplaces"),
        ({"spapi_apps": [{"application_id": "x", "client_id": "c", "client_secret": "s"}],
          "sellers": [{"selling_partner_id": "A", "region": "eu",
                       "authorizations": [{"application_id": "y", "refresh_token": "Atzr|1"}]}]},
         "sellers[0].authorizations[0].application_id"),
        ({"catalog": [{"asin": "B0SBX00001", "marketplace": "www.amazon.com", "title": "t", "price": 1,
                       "currency": "usd"}]}, "catalog[0].currency"),
        ({"catalog": [{"asin": "B0SBX00001", "marketplace": "www.amazon.com", "title": "t", "price": 1,
                       "currency": "USD", "rating": 7}]}, "catalog[0].rating"),
    ],
)  # fmt: skip
def test_errors_name_the_key(doc: dict[str, Any], key: str) -> None:
    with pytest.raises(WorldError) as exc:
        load_world(doc)
    assert exc.value.key == key
    assert str(exc.value).startswith(key + ": ")


def test_unknown_key_message() -> None:
    with pytest.raises(WorldError, match=r"^limits\.token_lifetme: unknown key$"):
        load_world("[limits]\ntoken_lifetme = 3\n")


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="invalid TOML"):
        load_world("[limits\n")
    with pytest.raises(WorldError, match="cannot read"):
        load_world(tmp_path / "missing.toml")


# ---------------------------------------------------------------- the demo world


@pytest.fixture(scope="module")
def demo() -> World:
    return demo_world()


def test_demo_has_a_credential_per_version(demo: World) -> None:
    versions = {c.version for c in demo.creators_credentials if c.enabled and c.eligible}
    assert versions == {"2.1", "2.2", "2.3", "3.1", "3.2", "3.3"}
    for c in demo.creators_credentials:
        if c.version.startswith("3."):
            assert c.client_id.startswith("amzn1.application-oa2-client.")
            assert c.client_secret.startswith("amzn1.oa2-cs.v1.")
        else:
            assert not c.client_secret.startswith("amzn1.")
        for mp in c.marketplaces:  # every approved marketplace has a tag and regional sense
            assert c.partner_tags.get(mp)
            region = BY_HOST[mp].region
            assert {"2.1": "na", "3.1": "na", "2.2": "eu", "3.2": "eu", "2.3": "fe", "3.3": "fe"}[
                c.version
            ] == region


def test_demo_apps_and_sellers(demo: World) -> None:
    states = {a.state for a in demo.spapi_apps}
    assert {"draft", "published"} <= states
    for a in demo.spapi_apps:
        if a.redirect_uris:
            assert "http://127.0.0.1:8765/callback" in a.redirect_uris
            assert "http://localhost:8765/callback" in a.redirect_uris or a.hybrid
    assert {s.region for s in demo.sellers} == {"na", "eu", "fe"}
    assert all(s.authorizations for s in demo.sellers)


def test_demo_catalogue_is_realistic(demo: World) -> None:
    assert len(demo.catalog) >= 40
    by_mp: dict[str, int] = {}
    for it in demo.catalog:
        by_mp[it.marketplace] = by_mp.get(it.marketplace, 0) + 1
        assert it.currency == BY_HOST[it.marketplace].currency
        assert it.brand and it.title and it.image.startswith("https://") and it.browse_nodes
        assert it.rating is not None and it.review_count > 0
        assert re.fullmatch(r"B0[A-Z0-9]{8}", it.asin)
    for mp in ("www.amazon.com", "www.amazon.co.uk", "www.amazon.de", "www.amazon.co.jp"):
        assert by_mp.get(mp, 0) >= 8
    assert sum(1 for it in demo.catalog if it.savings_percent) >= 15
    families = {(it.marketplace, it.parent_asin) for it in demo.catalog if it.parent_asin}
    assert len(families) >= 3
    nodes = {(n.marketplace, n.id) for n in demo.browse_nodes}
    for it in demo.catalog:
        for nid in it.browse_nodes:
            assert (it.marketplace, nid) in nodes


def test_demo_world_round_trips_through_json(demo: World) -> None:
    again = load_world(json.loads(json.dumps(demo.model_dump(mode="json"))))
    assert again == demo
