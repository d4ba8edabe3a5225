"""Load one profile from the profiles file, the environment and ``env:NAME`` references.

Lookup order (contract): ``--config PATH``, ``$AMZAUTH_CONFIG``, ``./amzauth.toml``, then the user
config dir. Every error names the key, the profile and the file, because "invalid config" without
those three costs users an afternoon.
"""

from __future__ import annotations

import contextlib
import math
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from amzauth.config.redact import Secret, redact
from amzauth.errors import ConfigError as ConfigError  # its old home: kept importable

COMMON_KEYS: Final = frozenset(
    {
        "api",
        "client_id",
        "client_secret",
        "marketplace",
        "auth_endpoint",
        "scope",
        "grant_type",
        "api_endpoint",
        "sandbox",
        "store",
        "redis_url",
        "timeout",
        "cache_dir",
    }
)
# Creators client tuning: the shared rate limiter (Amazon's per-account quota) and result-cache TTLs.
# Like any key they can come from AMZAUTH_<KEY>, e.g. AMZAUTH_CREATORS_RATE=10 for a whole fleet.
CREATORS_TUNING: Final[dict[str, tuple[type, float, str]]] = {
    # key: (type, smallest allowed value, what it is)
    "creators_rate": (float, 0.001, "requests per second the account may send"),
    "creators_burst": (int, 1, "requests the limiter lets through at once"),
    "creators_daily": (int, 0, "requests per day the account may send (0: no daily cap)"),
    "search_ttl": (float, 0, "seconds a search result stays fresh in the cache"),
    "items_ttl": (float, 0, "seconds an item stays fresh in the cache"),
    "stale_ttl": (float, 0, "seconds an expired answer is kept to serve when Amazon fails"),
}
CREATORS_KEYS: Final = COMMON_KEYS | {"credential_version", "partner_tag"} | set(CREATORS_TUNING)
SPAPI_KEYS: Final = COMMON_KEYS | {
    "region",
    "refresh_token",
    "application_id",
    "redirect_uri",
    "draft",
    "secret_expires",
    "vendor",
}
ALL_KEYS: Final = CREATORS_KEYS | SPAPI_KEYS
SECRET_KEYS: Final = frozenset({"client_secret", "refresh_token"})
BOOL_KEYS: Final = frozenset({"draft", "vendor"})
STORES: Final = ("sqlite", "redis", "memory")
# Environment names that configure the lookup itself, not profile keys.
_RESERVED_ENV: Final = frozenset({"AMZAUTH_CONFIG", "AMZAUTH_PROFILE"})


@dataclass(frozen=True)
class Profile:
    """A profile's values after file, environment and ``env:`` resolution.

    Secrets are held as :class:`Secret`, so ``repr(profile)`` is safe to log. ``sources`` says where
    each value came from (``file``, ``env:NAME``, ``AMZAUTH_KEY``), which the doctor reports.
    """

    name: str
    file: str | None
    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return str(self.values.get("api", ""))

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key, default)
        return v.reveal() if isinstance(v, Secret) else v

    def secret(self, key: str) -> str | None:
        v = self.values.get(key)
        if v is None:
            return None
        return v.reveal() if isinstance(v, Secret) else str(v)

    def redacted(self) -> dict[str, Any]:
        """Values safe to print: secrets redacted, everything else as is."""
        out: dict[str, Any] = {}
        for k in sorted(self.values):
            v = self.values[k]
            out[k] = redact(v.reveal()) if isinstance(v, Secret) else v
        return out

    def replace(self, **changes: Any) -> Profile:
        """A copy with some values changed (secrets wrapped), used by the console and the demo."""
        vals = dict(self.values)
        srcs = dict(self.sources)
        for k, v in changes.items():
            if v is None:
                vals.pop(k, None)
                srcs.pop(k, None)
                continue
            vals[k] = Secret(v) if k in SECRET_KEYS and isinstance(v, str) else v
            srcs[k] = "override"
        return Profile(self.name, self.file, vals, srcs)

    def __repr__(self) -> str:
        return f"Profile(name={self.name!r}, file={self.file!r}, values={self.redacted()!r})"


def config_search_paths(explicit: str | None = None) -> list[Path]:
    """Where a profiles file is looked for, in order."""
    if explicit:
        return [Path(explicit)]
    paths: list[Path] = []
    env = os.environ.get("AMZAUTH_CONFIG")
    if env:
        return [Path(env)]
    paths.append(Path.cwd() / "amzauth.toml")
    from platformdirs import user_config_dir

    paths.append(Path(user_config_dir("amzauth")) / "config.toml")
    return paths


def find_config_file(explicit: str | None = None) -> Path | None:
    """The first existing profiles file; an explicit path that does not exist is an error."""
    paths = config_search_paths(explicit)
    if explicit or os.environ.get("AMZAUTH_CONFIG"):
        p = paths[0]
        if not p.is_file():
            raise ConfigError(
                "profiles file not found",
                file=str(p),
                fix="check the path given with --config or $AMZAUTH_CONFIG",
            )
        return p
    return next((p for p in paths if p.is_file()), None)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read profiles file: {exc.strerror}", file=str(path), fix="check the file's permissions"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("profiles file is not UTF-8 text", file=str(path), fix="save it as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"not valid TOML: {exc}", file=str(path), fix="check quoting: strings need double quotes"
        ) from None
    except RecursionError:
        raise ConfigError(
            "profiles file is nested too deeply to read",
            file=str(path),
            fix="flatten the nested arrays or tables",
        ) from None


def _profiles_table(doc: Mapping[str, Any], file: str | None) -> Mapping[str, Any]:
    unknown = [k for k in doc if k != "profiles"]
    if unknown:
        raise ConfigError(
            f"unknown top-level table or key {unknown[0]!r}",
            key=unknown[0],
            file=file,
            fix="put profiles under [profiles.NAME]",
        )
    profiles = doc.get("profiles", {})
    if not isinstance(profiles, Mapping):
        raise ConfigError(
            "'profiles' must be a table of named profiles",
            key="profiles",
            file=file,
            fix="write [profiles.NAME] tables",
        )
    return profiles


def list_profiles(config: str | None = None) -> list[str]:
    """Profile names in the profiles file (empty when there is no file)."""
    path = find_config_file(config)
    if path is None:
        return []
    return sorted(_profiles_table(_read_toml(path), str(path)))


def _env_overrides() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in os.environ.items():
        if name.startswith("AMZAUTH_") and name not in _RESERVED_ENV:
            key = name[len("AMZAUTH_") :].lower()
            if key in ALL_KEYS:
                out[key] = value
    return out


def load_profile(name: str | None = None, config: str | None = None) -> Profile:
    """Resolve the named profile (``--profile``, ``$AMZAUTH_PROFILE``, then ``default``).

    With no profiles file, a profile can still come entirely from ``AMZAUTH_<KEY>`` variables.
    """
    pname = name or os.environ.get("AMZAUTH_PROFILE") or "default"
    path = find_config_file(config)
    file = str(path) if path else None
    table: Mapping[str, Any] = {}
    if path is not None:
        profiles = _profiles_table(_read_toml(path), file)
        if pname in profiles:
            raw = profiles[pname]
            if not isinstance(raw, Mapping):
                raise ConfigError(
                    "a profile must be a table", profile=pname, file=file, fix=f"write [profiles.{pname}]"
                )
            table = raw
        elif not _env_overrides():
            names = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"profile not found (profiles in the file: {names})",
                profile=pname,
                file=file,
                fix="pass --profile NAME or add [profiles." + pname + "]",
            )
    elif not _env_overrides():
        looked = ", ".join(str(p) for p in config_search_paths(config))
        raise ConfigError(
            f"no profiles file found (looked in {looked})",
            profile=pname,
            fix="create amzauth.toml (see README), set AMZAUTH_CONFIG, or try `amzauth demo`",
        )
    return resolve_stored(profile_from_mapping(table, name=pname, file=file, env=True))


def resolve_stored(profile: Profile, *, path: str | Path | None = None) -> Profile:
    """The profile with ``refresh_token = "stored:<id>"`` replaced by the stored token.

    Raises ConfigError naming refresh_token when nothing is stored under that reference.
    """
    from amzauth.config.storage import STORED_PREFIX, is_stored_reference, load_refresh_token, stored_entry
    from amzauth.errors import StorageError

    ref = profile.secret("refresh_token")
    if not is_stored_reference(ref):
        return profile
    assert ref is not None
    spid = ref[len(STORED_PREFIX) :].strip()
    region = profile.get("region")
    if not region and profile.get("marketplace"):
        from amzauth.config.marketplaces import find_marketplace

        mp = find_marketplace(str(profile.get("marketplace")))
        if mp is None:
            raise ConfigError(
                f"unknown marketplace {profile.get('marketplace')!r}",
                key="marketplace",
                profile=profile.name,
                file=profile.file,
                fix='use a country code such as "US" or a host such as "www.amazon.com"',
            )
        region = mp.region
    client_id = str(profile.get("client_id") or "")
    try:
        if spid:
            entry = stored_entry(client_id, str(region or ""), spid, path=path)
            if entry is not None:
                _check_binding(profile, entry, spid, path)
        token = load_refresh_token(client_id, str(region or ""), spid, path=path) if spid else None
    except StorageError as exc:
        raise ConfigError(
            str(exc), key="refresh_token", profile=profile.name, file=profile.file, fix="see the message"
        ) from None
    if not token:
        raise ConfigError(
            f"no stored refresh token for selling partner {spid!r} of this app in region {region!r}",
            key="refresh_token",
            profile=profile.name,
            file=profile.file,
            fix=f"run `amzauth spapi authorize --profile {profile.name}`",
        )
    resolved = profile.replace(refresh_token=token)
    sources = dict(resolved.sources)
    sources["refresh_token"] = ref
    return Profile(resolved.name, resolved.file, resolved.values, sources)


def _check_binding(profile: Profile, entry: Mapping[str, Any], spid: str, path: str | Path | None) -> None:
    """Refuse a stored token to a profile whose token endpoint is not the one the token came from.

    The token stays unread, so it cannot be sent. Entries stored before endpoints were recorded
    carry none and are not checked.
    """
    from amzauth.config.endpoints import stored_token_endpoint
    from amzauth.config.storage import FileTokenStorage

    recorded = entry.get("token_endpoint")
    if not isinstance(recorded, str) or not recorded:
        return
    now = stored_token_endpoint(profile)
    if now["token_endpoint"] == recorded:
        return
    key = "auth_endpoint"
    if "sandbox" in entry and (entry.get("sandbox") or None) != now["sandbox"]:
        key = "sandbox"
    before = entry.get(key) or "(not set)"
    after = now[key] or "(not set)"
    source = profile.sources.get(key)
    origin = f" (set by {source})" if source and source != "file" else ""
    store = FileTokenStorage(path).path
    raise ConfigError(
        f"the stored refresh token for selling partner {spid} was obtained from {recorded}; "
        f"this profile would send it to {now['token_endpoint']} because {key} changed "
        f"from {before} to {after}{origin}; it was not sent",
        key=key,
        profile=profile.name,
        file=profile.file,
        fix=(f"set {key} back to {before}" if entry.get(key) else f"remove {key}")
        + f", or authorize again with this {key} "
        f"(`amzauth spapi authorize --profile {profile.name}`, `spapi self-authorize`, or the "
        f"console's Authorize a seller); the record is in {store}",
    )


# The name amzauth.spapi exports.
resolve_profile = resolve_stored


# The name of a profile built from keyword arguments (no file).
KEYWORDS_PROFILE: Final = "arguments"


def profile_from_keywords(
    api: str, values: Mapping[str, object], keywords: Mapping[str, str] | None = None
) -> Profile:
    """A profile from a client's keyword arguments: no file, no environment, the same checks as a file.

    ``None`` values are left out; a bad value raises :class:`ConfigError` naming the keyword
    (``keywords`` maps a profile key to the keyword that set it, e.g. credential_version -> version).
    """
    table = {"api": api, **{k: v for k, v in values.items() if v is not None}}
    with keyword_errors(keywords or {}):
        return profile_from_mapping(table, name=KEYWORDS_PROFILE)


@contextlib.contextmanager
def keyword_errors(keywords: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a ConfigError about a profile key as one about the keyword argument that set it."""
    try:
        yield
    except ConfigError as exc:
        keyword = keywords.get(exc.key or "")
        if keyword is None:
            raise
        raise ConfigError(exc.message, key=keyword, fix=exc.fix) from None


def profile_from_mapping(
    table: Mapping[str, Any], *, name: str = "default", file: str | None = None, env: bool = False
) -> Profile:
    """Validate and resolve a profile given as a mapping (from TOML, a web form or a test)."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(key, str) or key not in ALL_KEYS:
            close = _close_key(str(key))
            raise ConfigError(
                f"unknown key {key!r}",
                key=str(key),
                profile=name,
                file=file,
                fix=f"did you mean {close!r}?" if close else "remove it (see README for keys)",
            )
        values[key] = value
        sources[key] = "file"
    if env:
        overrides = _env_overrides()
        api = overrides.get("api", values.get("api"))
        for key, value in overrides.items():
            if key in CREATORS_TUNING and api != "creators":
                continue  # fleet-wide Creators tuning must not break the same host's SP-API profiles
            values[key] = value
            sources[key] = "AMZAUTH_" + key.upper()
    resolved: dict[str, Any] = {}
    for key, value in values.items():
        value = _resolve_env_ref(key, value, name, file, sources)
        resolved[key] = _coerce(key, value, name, file)
    _check_api_keys(resolved, name, file)
    wrapped = {k: (Secret(v) if k in SECRET_KEYS and isinstance(v, str) else v) for k, v in resolved.items()}
    return Profile(name=name, file=file, values=wrapped, sources=sources)


def _close_key(key: str) -> str | None:
    import difflib

    m = difflib.get_close_matches(key.lower(), sorted(ALL_KEYS), n=1, cutoff=0.6)
    return m[0] if m else None


def _resolve_env_ref(key: str, value: Any, profile: str, file: str | None, sources: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("env:"):
        var = value[4:]
        if not var:
            raise ConfigError(
                "'env:' needs a variable name", key=key, profile=profile, file=file, fix="write env:MY_SECRET"
            )
        if var not in os.environ:
            raise ConfigError(
                f"environment variable {var} is not set",
                key=key,
                profile=profile,
                file=file,
                fix=f"export {var}=... or put the value in the file",
            )
        sources[key] = f"env:{var}"
        return os.environ[var]
    return value


def _coerce(key: str, value: Any, profile: str, file: str | None) -> Any:
    if key in BOOL_KEYS:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "false", "0", "no"}:
            return value.strip().lower() in {"true", "1", "yes"}
        raise ConfigError(
            f"{key} must be true or false, got {value!r}",
            key=key,
            profile=profile,
            file=file,
            fix=f"write {key} = true or {key} = false (no quotes)",
        )
    if key == "timeout":
        try:
            t = float(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"timeout must be a number of seconds, got {value!r}",
                key=key,
                profile=profile,
                file=file,
                fix="use e.g. timeout = 10",
            ) from None
        if not 0 < t <= 300:
            raise ConfigError(
                "timeout must be between 0 and 300 seconds",
                key=key,
                profile=profile,
                file=file,
                fix="use e.g. timeout = 10",
            )
        return t
    if key in CREATORS_TUNING:
        return _coerce_number(key, value, profile, file)
    if key == "credential_version" and isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else f"{value}.0"
    if key == "secret_expires" and not isinstance(value, str) and hasattr(value, "isoformat"):
        # TOML dates and datetimes arrive as objects; keep their ISO text.
        return str(value.isoformat())
    if not isinstance(value, str):
        raise ConfigError(
            f"{key} must be a string, got {type(value).__name__}",
            key=key,
            profile=profile,
            file=file,
            fix=f'write it in double quotes: {key} = "..."',
        )
    return value


def _coerce_number(key: str, value: Any, profile: str, file: str | None) -> float | int:
    kind, low, meaning = CREATORS_TUNING[key]
    example = {"creators_rate": "1", "creators_burst": "1", "creators_daily": "8640"}.get(key, "1800")
    err = ConfigError(
        f"{key} ({meaning}) must be {'a whole number' if kind is int else 'a number'} >= {low:g}, got {value!r}",
        key=key,
        profile=profile,
        file=file,
        fix=f"use e.g. {key} = {example} (no quotes)",
    )
    if isinstance(value, bool):
        raise err
    try:
        number: float | int = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise err from None
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise err
    if not (math.isfinite(number) and number >= low):
        raise err
    return number


def _check_api_keys(values: Mapping[str, Any], profile: str, file: str | None) -> None:
    api = values.get("api")
    if api is None:
        raise ConfigError(
            "missing required key 'api'",
            key="api",
            profile=profile,
            file=file,
            fix='add api = "creators" or api = "spapi"',
        )
    if api not in ("creators", "spapi"):
        raise ConfigError(
            f"unknown api {api!r}",
            key="api",
            profile=profile,
            file=file,
            fix='use "creators" (affiliates; PA-API 5 was retired) or "spapi" (sellers)',
        )
    allowed = CREATORS_KEYS if api == "creators" else SPAPI_KEYS
    for key in values:
        if key not in allowed:
            other = "spapi" if api == "creators" else "creators"
            raise ConfigError(
                f"key {key!r} does not apply to api = {api!r} (it is a {other} key)",
                key=key,
                profile=profile,
                file=file,
                fix="remove it or change api",
            )
    required = ["client_id", "client_secret"] + (["credential_version"] if api == "creators" else [])
    for key in required:
        if key not in values:
            raise ConfigError(
                f"missing required key {key!r}",
                key=key,
                profile=profile,
                file=file,
                fix=f'add {key} = "..." (or env:NAME, or set AMZAUTH_{key.upper()})',
            )
    store = values.get("store")
    if store is not None and store not in STORES:
        raise ConfigError(
            f"unknown store {store!r}",
            key="store",
            profile=profile,
            file=file,
            fix="use sqlite (default), redis or memory",
        )
