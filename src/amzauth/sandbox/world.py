"""The sandbox world: who exists, what they may do, and what the catalogue holds.

A world is plain data (TOML or JSON, see ``docs/sandbox.md`` and the contract's example file),
validated here with pydantic models that forbid unknown keys, so a typo in a world file fails loudly
and the error names the key path (``creators_credentials[0].versoin``).
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from amzauth.config.marketplaces import BY_HOST, BY_ID, Region
from amzauth.errors import SandboxError

__all__ = [
    "BrowseNodeDef",
    "CatalogItem",
    "CreatorsCredential",
    "Limits",
    "Seller",
    "SellerAuthorization",
    "SpapiApp",
    "World",
    "WorldError",
    "demo_world",
    "load_world",
]

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")
COGNITO_VERSIONS = ("2.1", "2.2", "2.3")
SPAPI_GRANTLESS_SCOPES = (
    "sellingpartnerapi::notifications",
    "sellingpartnerapi::client_credential:rotation",
    "sellingpartnerapi::migration",
)


class WorldError(SandboxError, ValueError):
    """A world file that cannot be used; ``key`` is the dotted path of the first bad key."""

    code = "world"

    def __init__(self, key: str, message: str) -> None:
        self.message = message
        super().__init__(f"{key}: {message}" if key else message, status=400, key=key)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)


class Limits(_Model):
    """Token lifetime and the token-bucket limits enforced per credential (Creators) or seller+operation."""

    token_lifetime: int = Field(3600, ge=1)
    creators_rate: float = Field(1.0, gt=0)
    creators_burst: int = Field(1, ge=1)
    creators_daily: int = Field(8640, ge=1)
    spapi_rate: float = Field(2.0, gt=0)
    spapi_burst: int = Field(5, ge=1)


class CreatorsCredential(_Model):
    """A Creators API credential; valid only at the token endpoint of its ``version``."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    version: str
    enabled: bool = True
    eligible: bool = True
    marketplaces: list[str] = Field(default_factory=list)
    old_secrets: list[str] = Field(default_factory=list)
    partner_tags: dict[str, list[str]] = Field(default_factory=dict)
    name: str = ""

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        m = _VERSION_RE.match(v)
        if not m:
            raise ValueError(f"version must look like 2.1 or 3.1, not {v!r}")
        major = int(m.group(1))
        if major == 2 and v not in COGNITO_VERSIONS:
            raise ValueError(f"unknown Cognito version {v!r} (known: {', '.join(COGNITO_VERSIONS)})")
        if major not in (2, 3):
            raise ValueError(f"unknown credential family {v!r}: only 2.x (Cognito) and 3.x (LwA) exist")
        return v

    @field_validator("marketplaces")
    @classmethod
    def _marketplaces(cls, v: list[str]) -> list[str]:
        for host in v:
            if host not in BY_HOST:
                raise ValueError(f"unknown marketplace host {host!r} (use e.g. 'www.amazon.com')")
        return v

    @field_validator("partner_tags")
    @classmethod
    def _tags(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for host in v:
            if host not in BY_HOST:
                raise ValueError(f"unknown marketplace host {host!r} in partner_tags")
        return v

    @property
    def family(self) -> Literal["cognito", "lwa"]:
        return "cognito" if self.version.startswith("2.") else "lwa"


class SpapiApp(_Model):
    """An SP-API application (LwA client) as registered in Seller Central's Developer Console."""

    application_id: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    name: str = ""
    state: Literal["draft", "published"] = "draft"
    redirect_uris: list[str] = Field(default_factory=list)
    login_uri: str = ""
    roles: list[str] = Field(default_factory=list)
    hybrid: bool = False
    mws_regions: list[Region] = Field(default_factory=list)
    grantless_scopes: list[str] = Field(default_factory=list)
    secret_expires: datetime | None = None
    old_secrets: list[str] = Field(default_factory=list)

    @field_validator("grantless_scopes")
    @classmethod
    def _scopes(cls, v: list[str]) -> list[str]:
        for s in v:
            if s not in SPAPI_GRANTLESS_SCOPES:
                raise ValueError(
                    f"unknown grantless scope {s!r} (known: {', '.join(SPAPI_GRANTLESS_SCOPES)})"
                )
        return v

    @field_validator("secret_expires")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        return v

    @property
    def display_name(self) -> str:
        return self.name or self.application_id


class SellerAuthorization(_Model):
    """A seller's consent to one app, represented by the refresh token it produced."""

    application_id: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)
    revoked: bool = False
    # The app's roles when the seller consented. Amazon: a role added to the app later does not reach
    # this authorization until the seller authorizes again. Absent in a world file: the app's roles
    # at load time.
    roles: list[str] | None = None


class Seller(_Model):
    """A selling partner account; authorizations are regional."""

    selling_partner_id: str = Field(min_length=1)
    name: str = ""
    region: Region
    marketplaces: list[str] = Field(default_factory=list)
    account_healthy: bool = True
    authorizations: list[SellerAuthorization] = Field(default_factory=list)

    @field_validator("marketplaces")
    @classmethod
    def _marketplaces(cls, v: list[str]) -> list[str]:
        for mid in v:
            if mid not in BY_ID:
                raise ValueError(f"unknown marketplace id {mid!r} (use e.g. 'ATVPDKIKX0DER')")
        return v

    @property
    def display_name(self) -> str:
        return self.name or self.selling_partner_id


class CatalogItem(_Model):
    """One item in one marketplace, as searchItems/getItems/getVariations return it."""

    asin: str = Field(pattern=r"^[A-Z0-9]{10}$")
    marketplace: str
    title: str
    brand: str = ""
    manufacturer: str = ""
    price: float = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    savings_percent: int = Field(0, ge=0, le=99)
    availability: Literal["IN_STOCK", "OUT_OF_STOCK", "PREORDER", "BACKORDER"] = "IN_STOCK"
    prime: bool = False
    rating: float | None = Field(None, ge=1, le=5)
    review_count: int = Field(0, ge=0)
    browse_nodes: list[str] = Field(default_factory=list)
    sales_rank: int | None = Field(None, ge=1)
    image: str = ""
    variant_images: list[str] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)
    color: str = ""
    size: str = ""
    model: str = ""
    product_group: str = ""
    search_index: str = ""
    binding: str = ""
    eans: list[str] = Field(default_factory=list)
    upcs: list[str] = Field(default_factory=list)
    merchant: str = ""
    deal_badge: str = ""
    parent_asin: str = Field("", pattern=r"^([A-Z0-9]{10})?$")
    variation_attributes: dict[str, str] = Field(default_factory=dict)
    release_date: str = ""
    offers: bool = True  # false: Amazon has no offer for it (no offersV2, no price: "currently unavailable")

    @field_validator("marketplace")
    @classmethod
    def _mp(cls, v: str) -> str:
        if v not in BY_HOST:
            raise ValueError(f"unknown marketplace host {v!r} (use e.g. 'www.amazon.com')")
        return v


class BrowseNodeDef(_Model):
    """A browse node name (and parent) so browseNodeInfo and getBrowseNodes can show names."""

    id: str = Field(pattern=r"^\d{1,19}$")
    marketplace: str
    name: str
    parent: str = ""
    is_root: bool = False

    @field_validator("marketplace")
    @classmethod
    def _mp(cls, v: str) -> str:
        if v not in BY_HOST:
            raise ValueError(f"unknown marketplace host {v!r}")
        return v


class World(_Model):
    """Everything the sandbox knows; replaced wholesale by ``POST /_sandbox/world``."""

    limits: Limits = Field(default_factory=Limits)
    creators_credentials: list[CreatorsCredential] = Field(default_factory=list)
    spapi_apps: list[SpapiApp] = Field(default_factory=list)
    sellers: list[Seller] = Field(default_factory=list)
    catalog: list[CatalogItem] = Field(default_factory=list)
    browse_nodes: list[BrowseNodeDef] = Field(default_factory=list)
    # AWS access key id -> secret access key: SigV4 signatures made with these keys are verified.
    aws_keys: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross(self) -> World:
        seen: dict[str, str] = {}
        for i, c in enumerate(self.creators_credentials):
            key = f"creators_credentials[{i}].client_id"
            if c.client_id in seen:
                raise _CrossError(key, f"duplicate client_id (also {seen[c.client_id]})")
            seen[c.client_id] = key
        app_ids: set[str] = set()
        for i, a in enumerate(self.spapi_apps):
            key = f"spapi_apps[{i}].client_id"
            if a.client_id in seen:
                raise _CrossError(key, f"duplicate client_id (also {seen[a.client_id]})")
            seen[a.client_id] = key
            if a.application_id in app_ids:
                raise _CrossError(f"spapi_apps[{i}].application_id", "duplicate application_id")
            app_ids.add(a.application_id)
        sp_ids: set[str] = set()
        tokens: set[str] = set()
        for i, s in enumerate(self.sellers):
            if s.selling_partner_id in sp_ids:
                raise _CrossError(f"sellers[{i}].selling_partner_id", "duplicate selling_partner_id")
            sp_ids.add(s.selling_partner_id)
            for j, auth in enumerate(s.authorizations):
                key = f"sellers[{i}].authorizations[{j}]"
                if auth.application_id not in app_ids:
                    raise _CrossError(
                        f"{key}.application_id", f"no spapi_apps entry has {auth.application_id!r}"
                    )
                if auth.refresh_token in tokens:
                    raise _CrossError(f"{key}.refresh_token", "duplicate refresh_token")
                tokens.add(auth.refresh_token)
        items: set[tuple[str, str]] = set()
        for i, it in enumerate(self.catalog):
            if (it.asin, it.marketplace) in items:
                raise _CrossError(f"catalog[{i}].asin", f"duplicate item {it.asin} in {it.marketplace}")
            items.add((it.asin, it.marketplace))
        return self


class _CrossError(ValueError):
    """Raised inside the model validator so the key path survives pydantic's wrapping."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


def _loc_to_key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _from_validation_error(exc: ValidationError) -> WorldError:
    err = exc.errors(include_url=False)[0]
    ctx = err.get("ctx") or {}
    cross = ctx.get("error")
    if isinstance(cross, _CrossError):
        return WorldError(cross.key, cross.message)
    key = _loc_to_key(tuple(err["loc"]))
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "missing required key"
    msg = msg.removeprefix("Value error, ")
    return WorldError(key, msg)


def parse_world_text(text: str) -> dict[str, Any]:
    """Parse TOML, or JSON when the text starts with ``{`` (the control API accepts both)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorldError("", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        except RecursionError:
            raise WorldError("", "invalid JSON: nested too deeply") from None
        if not isinstance(data, dict):
            raise WorldError("", "the world must be a JSON object")
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorldError("", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise WorldError("", "invalid TOML: nested too deeply") from None


def load_world(source: str | Path | dict[str, Any] | World) -> World:
    """Validate a world from a dict, a TOML/JSON file path, or TOML/JSON text.

    A ``str`` that names an existing file is read as a file; any other ``str`` is parsed as text.
    Raises ``WorldError`` whose ``key`` names the offending key path.
    """
    if isinstance(source, World):
        return source.model_copy(deep=True)
    data: dict[str, Any]
    if isinstance(source, dict):
        data = source
    elif isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and _is_file(source)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise WorldError("", f"cannot read world file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise WorldError("", f"world file {path} is not UTF-8") from None
        data = parse_world_text(text)
    else:
        data = parse_world_text(source)
    try:
        return World.model_validate(data)
    except ValidationError as exc:
        raise _from_validation_error(exc) from None


def _is_file(s: str) -> bool:
    try:
        return Path(s).is_file()
    except (OSError, ValueError):
        return False


def demo_world() -> World:
    """The built-in demo world (packaged ``demo_world.toml``), freshly validated each call."""
    text = resources.files("amzauth.sandbox").joinpath("demo_world.toml").read_text(encoding="utf-8")
    return load_world(text)
