"""A bad edit of errors.toml fails at load with a message that names the problem."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from typing import Any

import pytest

from amzauth.catalogue import CatalogueError, parse_catalogue, read_catalogue_text

RAW: dict[str, Any] = tomllib.loads(read_catalogue_text())


def _entry(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(e for e in data["entries"] if e["code"] == code)


def _dup_code(d: dict[str, Any]) -> None:
    d["entries"].append(copy.deepcopy(_entry(d, "MD5110")))


def _dup_alias(d: dict[str, Any]) -> None:
    _entry(d, "MD5110").setdefault("aliases", []).append("Throttling")


def _dup_cause(d: dict[str, Any]) -> None:
    e = _entry(d, "invalid_client")
    e["causes"].append(copy.deepcopy(e["causes"][0]))


def _bad_field(d: dict[str, Any]) -> None:
    _entry(d, "invalid_client")["causes"][0]["field"] = "secret"


def _bad_entry_field(d: dict[str, Any]) -> None:
    _entry(d, "invalid_client")["field"] = "credentials"


def _not_kebab(d: dict[str, Any]) -> None:
    _entry(d, "invalid_client")["causes"][0]["id"] = "Version_Mismatch"


def _unknown_placeholder(d: dict[str, Any]) -> None:
    _entry(d, "invalid_client")["causes"][0]["summary"] = "secret for {verison}"


def _unknown_key(d: dict[str, Any]) -> None:
    _entry(d, "invalid_client")["retriable"] = True


def _unknown_see_also(d: dict[str, Any]) -> None:
    _entry(d, "invalid_client")["see_also"] = ["invalid_cleint"]


def _empty_fix(d: dict[str, Any]) -> None:
    _entry(d, "invalid_client")["causes"][0]["fix"] = []


def _no_causes(d: dict[str, Any]) -> None:
    _entry(d, "MD5110")["causes"] = []


def _bad_kind(d: dict[str, Any]) -> None:
    _entry(d, "MD5110")["kind"] = "seller"


def _top_level_key(d: dict[str, Any]) -> None:
    d["groups"] = {}


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (_dup_code, "MD5110"),
        (_dup_alias, "Throttling"),
        (_dup_cause, "duplicate cause id"),
        (_bad_field, "secret"),
        (_bad_entry_field, "credentials"),
        (_not_kebab, "kebab"),
        (_unknown_placeholder, "verison"),
        (_unknown_key, "retriable"),
        (_unknown_see_also, "invalid_cleint"),
        (_empty_fix, "fix"),
        (_no_causes, "no causes"),
        (_bad_kind, "seller"),
        (_top_level_key, "groups"),
    ],
)
def test_bad_data_is_refused(mutate: Callable[[dict[str, Any]], None], needle: str) -> None:
    data = copy.deepcopy(RAW)
    mutate(data)
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(data)
    assert needle in str(info.value)


def test_unmodified_data_parses() -> None:
    assert len(parse_catalogue(copy.deepcopy(RAW))) == len(RAW["entries"])
