"""The error catalogue: ``errors.toml`` loaded into frozen, validated models.

Knowledge lives in data so the library, ``amzauth explain``, the doctor and the web console say the
same thing about every error. This module only reads, validates, looks up and renders; it never
decides which cause applies (that is the doctor's job, from evidence).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, field_validator, model_validator

# The doctor report's `field` values (docs/reference/doctor-report.md): profile keys plus
# clock, account, network and none.
FieldName = Literal[
    "credential_version",
    "client_id",
    "client_secret",
    "scope",
    "grant_type",
    "auth_endpoint",
    "api_endpoint",
    "marketplace",
    "partner_tag",
    "region",
    "refresh_token",
    "redirect_uri",
    "application_id",
    "draft",
    "clock",
    "account",
    "network",
    "none",
]
FIELDS: Final[frozenset[str]] = frozenset(get_args(FieldName))

Kind = Literal["oauth", "creators", "spapi", "consent", "http", "sigv4", "local"]
KINDS: Final[tuple[str, ...]] = get_args(Kind)

# Placeholders a cause's summary and fix may use; the doctor fills them, `explain` shows <name>.
PLACEHOLDERS: Final[Mapping[str, str]] = {
    "profile": "profile name",
    "version": "configured credential_version",
    "suggested": "the suggested value for the diagnosis' field",
    "marketplace": "marketplace host or id in use",
    "region": "configured SP-API region (na, eu, fe)",
    "expected_region": "region the credential or refresh token belongs to",
    "key": "profile key concerned",
    "value": "the offending value, redacted when secret",
    "endpoint": "URL concerned (token endpoint, API endpoint, sandbox)",
    "host": "host name concerned",
    "family": "credential family of an endpoint or value (cognito, lwa)",
    "secret_family": "family the client secret's format belongs to",
    "scope": "scope sent",
    "grant_type": "grant type sent",
    "skew": "clock difference with Amazon, in seconds",
    "retry_after": "seconds from the Retry-After header",
    "redirect_uri": "redirect URI in use",
    "message": "Amazon's message or the loader's error text",
    "parameter": "request parameter named by Amazon",
    "expires": "expiry date of the client secret",
    "role": "SP-API role an operation needs",
}

_KEBAB: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_KIND_RANK: Final[Mapping[str, int]] = {
    k: i for i, k in enumerate(("oauth", "creators", "spapi", "sigv4", "consent", "http", "local"))
}
# Words people put around a code when they paste it: "HTTP 405", "error: invalid_client", "...Exception".
_PREFIXES: Final = ("errorcode", "error", "http", "status", "code", "reason", "amazon")
_SUFFIXES: Final = ("exception", "errors", "error")
_DATA_FILE: Final = "errors.toml"


class CatalogueError(ValueError):
    """The catalogue data is invalid (raised at load, so a bad edit fails every test at once)."""


def _norm(text: str) -> str:
    """Lower case, letters and digits only: ``INVALID-CLIENT`` and ``invalid client`` meet here."""
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


def _exact(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".")


def render(text: str, values: Mapping[str, object] | None = None) -> str:
    """Fill ``{name}`` placeholders; unknown or missing ones become ``<name>`` (readable in explain)."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if values is not None and values.get(name) is not None:
            return str(values[name])
        return f"<{name}>"

    return _PLACEHOLDER.sub(sub, text)


def _check_placeholders(texts: tuple[str, ...] | list[str]) -> None:
    for t in texts:
        for name in _PLACEHOLDER.findall(t):
            if name not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{name}}} in {t!r}; known: {', '.join(PLACEHOLDERS)}")


def _non_empty(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty")
    return v


def _fix_steps(v: tuple[str, ...]) -> tuple[str, ...]:
    if not v or any(not s.strip() for s in v):
        raise ValueError("fix needs at least one non-empty step")
    return v


Text = Annotated[str, AfterValidator(_non_empty)]  # a catalogue text that must say something
Steps = Annotated[tuple[str, ...], AfterValidator(_fix_steps)]  # ordered fix steps, at least one


class Cause(BaseModel):
    """One reason an error happens, with the single setting it points at and how to fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    field: FieldName
    summary: Text
    evidence: Text
    fix: Steps
    retryable: bool | None = None  # None: the entry's
    messages: tuple[str, ...] = ()  # Amazon texts that select this cause

    @field_validator("id")
    @classmethod
    def _kebab(cls, v: str) -> str:
        if not _KEBAB.match(v):
            raise ValueError(f"cause id {v!r} is not kebab-case")
        return v

    @model_validator(mode="after")
    def _placeholders(self) -> Cause:
        _check_placeholders([self.summary, *self.fix])
        return self

    def render_summary(self, values: Mapping[str, object] | None = None) -> str:
        return render(self.summary, values)

    def render_fix(self, values: Mapping[str, object] | None = None) -> list[str]:
        return [render(s, values) for s in self.fix]


class Entry(BaseModel):
    """Everything known about one error code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Text
    aliases: tuple[str, ...] = ()
    kind: Kind
    title: Text
    meaning: Text
    retryable: bool
    fix: Steps
    field: FieldName
    causes: tuple[Cause, ...]
    http_status: tuple[int, ...] = ()
    types: tuple[str, ...] = ()  # Creators API exception type(s) carrying this reason
    forms: Mapping[str, str] = {}  # how it looks on the wire, per endpoint family
    messages: tuple[str, ...] = ()  # texts Amazon sends with it
    see_also: tuple[str, ...] = ()
    explain_only: bool = False  # no sandbox world state produces it: tests reach it through explain

    @model_validator(mode="after")
    def _unique_causes(self) -> Entry:
        if not self.causes:
            raise ValueError(f"entry {self.code!r} has no causes")
        seen: set[str] = set()
        for c in self.causes:
            if c.id in seen:
                raise ValueError(f"entry {self.code!r}: duplicate cause id {c.id!r}")
            seen.add(c.id)
        _check_placeholders(list(self.fix))
        return self

    @property
    def cause_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.causes)

    def find_cause(self, cause_id: str) -> Cause | None:
        return next((c for c in self.causes if c.id == cause_id), None)

    def cause(self, cause_id: str) -> Cause:
        """The cause with this id; ``KeyError`` naming the known ids otherwise."""
        c = self.find_cause(cause_id)
        if c is None:
            raise KeyError(f"{self.code} has no cause {cause_id!r} (known: {', '.join(self.cause_ids)})")
        return c

    def cause_retryable(self, cause: Cause | str) -> bool:
        c = self.cause(cause) if isinstance(cause, str) else cause
        return self.retryable if c.retryable is None else c.retryable

    def causes_for_message(self, text: str | None) -> list[Cause]:
        """Causes whose Amazon message occurs in ``text`` (several share "Access ... denied.")."""
        if not text:
            return []
        t = _exact(text)
        return [c for c in self.causes if any(_exact(m) in t for m in c.messages)]

    def to_explain_json(self, values: Mapping[str, object] | None = None) -> dict[str, Any]:
        """The ``amzauth explain --json`` document (contract keys first, extras after)."""
        return {
            "code": self.code,
            "title": self.title,
            "meaning": self.meaning,
            "causes": [
                {
                    "id": c.id,
                    "field": c.field,
                    "summary": c.render_summary(values),
                    "evidence": c.evidence,
                    "fix": c.render_fix(values),
                    "retryable": self.cause_retryable(c),
                }
                for c in self.causes
            ],
            "fix": list(self.fix),
            "field": self.field,
            "retryable": self.retryable,
            "kind": self.kind,
            "aliases": list(self.aliases),
            "http_status": list(self.http_status),
            "types": list(self.types),
            "forms": dict(self.forms),
            "messages": list(self.messages),
            "see_also": list(self.see_also),
        }

    def diagnosis(
        self,
        cause_id: str,
        *,
        values: Mapping[str, object] | None = None,
        suggested_value: str | None = None,
        field: str | None = None,
        code: str | None = None,
        retryable: bool | None = None,
    ) -> dict[str, Any]:
        """A doctor-report ``diagnosis`` object for this entry and cause, placeholders filled.

        ``code`` lets the doctor keep Amazon's exact spelling; ``field`` overrides the cause's field
        (e.g. ``client_id`` for a padded client id) and must be one of :data:`FIELDS`.
        """
        c = self.cause(cause_id)
        f = field or c.field
        if f not in FIELDS:
            raise ValueError(f"field {f!r} is not a doctor-report field")
        vals: dict[str, object] = dict(values or {})
        if suggested_value is not None:
            vals.setdefault("suggested", suggested_value)
        return {
            "code": code or self.code,
            "cause": c.id,
            "field": f,
            "suggested_value": suggested_value,
            "summary": c.render_summary(vals),
            "fix": c.render_fix(vals),
            "retryable": self.cause_retryable(c) if retryable is None else retryable,
        }


class Catalogue:
    """All entries, indexed for exact and forgiving lookup. Immutable once built."""

    __slots__ = ("_by_norm", "_entries", "_exact", "_fuzzy_keys", "_norm_keys")

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        self._entries = entries
        self._exact: dict[str, Entry] = {}
        self._by_norm: dict[str, list[Entry]] = {}
        self._fuzzy_keys: list[str] = []  # normalized codes and aliases (not messages)
        for e in entries:
            for name in (e.code, *e.aliases):
                key = _exact(name)
                other = self._exact.get(key)
                if other is not None:
                    what = "code" if name == e.code else "alias"
                    raise CatalogueError(f"{what} {name!r} of {e.code!r} is already used by {other.code!r}")
                self._exact[key] = e
        codes = {e.code for e in entries}
        for e in entries:
            for ref in e.see_also:
                if ref not in codes:
                    raise CatalogueError(f"{e.code!r}: see_also names unknown code {ref!r}")
            names = (e.code, *e.aliases)
            msgs = (*e.messages, *(m for c in e.causes for m in c.messages))
            for name in (*names, *msgs):
                n = _norm(name)
                if not n:
                    continue
                bucket = self._by_norm.setdefault(n, [])
                if e not in bucket:
                    bucket.append(e)
                if name in names and n not in self._fuzzy_keys:
                    self._fuzzy_keys.append(n)
        for bucket in self._by_norm.values():
            bucket.sort(key=lambda x: _KIND_RANK[x.kind])
        self._norm_keys = sorted(self._by_norm, key=len, reverse=True)

    # -- collection -------------------------------------------------------------------------

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self._entries)

    def cause_refs(self) -> list[tuple[str, str]]:
        """Every (code, cause id) pair: what a scenario suite must reach."""
        return [(e.code, c.id) for e in self._entries for c in e.causes]

    def explain_only_codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self._entries if e.explain_only)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    # -- lookup -----------------------------------------------------------------------------

    def get(self, code: str) -> Entry | None:
        """Exact code or alias, case-insensitive (surrounding spaces and a final dot ignored)."""
        return self._exact.get(_exact(code)) if code else None

    def __getitem__(self, code: str) -> Entry:
        e = self.get(code)
        if e is None:
            raise KeyError(code)
        return e

    def cause(self, code: str, cause_id: str) -> Cause:
        """The cause ``cause_id`` of entry ``code``; ``KeyError`` when either is unknown."""
        return self[code].cause(cause_id)

    def diagnosis_for(self, choice: Any) -> dict[str, Any] | None:
        """The doctor-report diagnosis for a cause selection (``amzauth.core.diagnose.Choice``), or
        None when the catalogue lacks the entry or cause. Every surface goes through here."""
        entry = self.get(choice.catalogue_code or choice.code)
        if entry is None or entry.find_cause(choice.cause) is None:
            return None
        return entry.diagnosis(
            choice.cause,
            values=choice.values,
            suggested_value=choice.suggested_value,
            field=choice.field,
            code=choice.code,
        )

    def diagnose(self, code: str, cause_id: str, **kwargs: Any) -> dict[str, Any]:
        """Shortcut for ``catalogue[code].diagnosis(cause_id, code=code, ...)`` keeping Amazon's spelling."""
        kwargs.setdefault("code", code)
        return self[code].diagnosis(cause_id, **kwargs)

    def lookup(self, text: str) -> Entry | None:
        """Forgiving lookup: near spellings, status codes, pasted messages and pasted JSON bodies.

        ``invalid client``, ``INVALID-CLIENT``, ``md5110``, ``throttle``, ``Throttling``, ``403``,
        ``HTTP 405``, ``{"error":"invalid_client"}`` and Amazon's own messages all resolve. Returns
        None rather than guess between unrelated entries.
        """
        if not text or not text.strip():
            return None
        exact = self.get(text)
        if exact is not None:
            return exact
        from_json = self._from_json(text)
        if from_json is not None:
            return from_json
        named = self._named_code(text)
        if named is not None:
            return named  # "invalid_request ... : code": the code Amazon gave beats words of a message
        n = _norm(text)
        if not n:
            return None
        group = self._type_members(n)
        if len(group) > 1:
            return None  # an exception type with several reasons: the caller must name one
        if len(group) == 1:
            return self[group[0]]
        for cand in self._variants(n):
            if cand in self._by_norm:
                return self._by_norm[cand][0]
        if len(n) >= 4:
            hits = self._unique([k for k in self._by_norm if k.startswith(n)])
            if hits is not None:
                return hits
        # Part of one of Amazon's sentences ("signature we calculated does not match").
        part = self._message_part(n)
        if part is not None:
            return part
        # A known code or message inside a longer paste ("HTTP/1.1 400 ... invalid_client ...").
        for key in self._norm_keys:
            if len(key) >= 6 and key in n:
                return self._by_norm[key][0]
        if len(n) >= 4 and not any(ch.isdigit() for ch in n):
            close = difflib.get_close_matches(n, self._fuzzy_keys, n=1, cutoff=0.8)
            if close:
                return self._by_norm[close[0]][0]
        # Last resort: a cause id ("version-mismatch", "timeout") that belongs to a single entry.
        owners = [e for e in self._entries if any(_norm(c.id) == n for c in e.causes)]
        return owners[0] if len(owners) == 1 else None

    def related(self, text: str) -> list[str]:
        """Codes that ``text`` covers as a group: an exception type (``UnauthorizedException``) or a status."""
        n = _norm(text)
        if not n:
            return []
        stripped = n.removeprefix("http").removeprefix("status")
        if stripped.isdigit():
            status = int(stripped)
            return [e.code for e in self._entries if status in e.http_status]
        return self._type_members(n)

    def _type_members(self, n: str) -> list[str]:
        return [e.code for e in self._entries if any(_norm(t) in (n, n + "exception") for t in e.types)]

    def suggest(self, text: str, n: int = 5) -> list[str]:
        """Up to ``n`` codes close to ``text``, best first (group members, then difflib matches)."""
        out: list[str] = []

        def add(code: str) -> None:
            if code not in out:
                out.append(code)

        found = self.lookup(text)
        if found is not None:
            add(found.code)
        for code in self.related(text):
            add(code)
        key = _norm(text)
        if key:
            for k in difflib.get_close_matches(key, self._fuzzy_keys, n=max(n * 3, 10), cutoff=0.6):
                add(self._by_norm[k][0].code)
            if len(key) >= 3:
                for k in self._fuzzy_keys:
                    if key in k or (len(k) >= 4 and k in key):
                        add(self._by_norm[k][0].code)
            for e in self._entries:  # cause ids shared by several entries ("clock-skew")
                if any(_norm(c.id) == key for c in e.causes):
                    add(e.code)
        return out[:n]

    # -- helpers ----------------------------------------------------------------------------

    def _named_code(self, text: str) -> Entry | None:
        """A code spelled exactly as Amazon spells it (``invalid_grant``, ``TokenExpired``) among other words."""
        words = re.findall(r"[A-Za-z0-9_]+", text)
        if len(words) < 2:
            return None
        for w in words:
            if len(w) < 5 or not ("_" in w or (w[0].isupper() and any(c.isupper() for c in w[1:]))):
                continue
            e = self._exact.get(_exact(w))
            if e is not None and _exact(e.code) == _exact(w):
                return e
        return None

    def _message_part(self, n: str) -> Entry | None:
        """The one entry one of whose messages contains ``n`` (a distinctive part pasted alone)."""
        if len(n) < 12:
            return None
        for strip in (False, True):  # then without digits: timestamps and ids vary from paste to paste
            q = re.sub(r"[0-9]+", "", n) if strip else n
            if len(q) < 12:
                continue
            found: list[Entry] = []
            for e in self._entries:
                msgs = (*e.messages, *e.aliases, *(m for c in e.causes for m in c.messages))
                norms = (re.sub(r"[0-9]+", "", _norm(m)) if strip else _norm(m) for m in msgs)
                if any(q in m for m in norms) and e not in found:
                    found.append(e)
            if len(found) == 1:
                return found[0]
            if found:
                return None
        return None

    def _unique(self, keys: list[str]) -> Entry | None:
        found: list[Entry] = []
        for k in keys:
            for e in self._by_norm[k]:
                if e not in found:
                    found.append(e)
        return found[0] if len(found) == 1 else None

    @staticmethod
    def _variants(n: str) -> Iterator[str]:
        yield n
        for p in _PREFIXES:
            if n.startswith(p) and len(n) > len(p):
                rest = n[len(p) :]
                yield rest
                for s in _SUFFIXES:
                    if rest.endswith(s) and len(rest) > len(s):
                        yield rest[: -len(s)]
        for s in _SUFFIXES:
            if n.endswith(s) and len(n) > len(s):
                yield n[: -len(s)]
        if n.isdigit() and len(n) == 4:
            yield "md" + n  # consent codes quoted without their letters

    def _from_json(self, text: str) -> Entry | None:
        t = text.strip()
        if not t.startswith("{"):
            return None
        try:
            doc = json.loads(t)
        except ValueError:
            return None
        if not isinstance(doc, dict):
            return None
        candidates: list[Any] = [doc.get("reason"), doc.get("error"), doc.get("code")]
        errors = doc.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            candidates.insert(0, errors[0].get("code"))
        diag = doc.get("diagnosis")
        if isinstance(diag, dict):
            candidates.insert(0, diag.get("code"))
        candidates.append(doc.get("type"))
        for c in candidates:
            if isinstance(c, str) and c:
                e = self.get(c)
                if e is not None:
                    return e
        return None


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    """Validate raw catalogue data (the parsed TOML) into a :class:`Catalogue`."""
    raw = data.get("entries")
    if not isinstance(raw, list) or not raw:
        raise CatalogueError("the catalogue needs a non-empty [[entries]] list")
    unknown = set(data) - {"entries"}
    if unknown:
        raise CatalogueError(f"unknown top-level keys: {', '.join(sorted(unknown))}")
    entries: list[Entry] = []
    for i, item in enumerate(raw):
        try:
            entries.append(Entry.model_validate(item))
        except ValidationError as exc:
            code = item.get("code", f"#{i}") if isinstance(item, dict) else f"#{i}"
            raise CatalogueError(f"entry {code!r} is invalid: {exc}") from None
    return Catalogue(tuple(entries))


def read_catalogue_text() -> str:
    """The packaged ``errors.toml`` as text (for tools that want the raw data)."""
    return resources.files("amzauth.catalogue").joinpath(_DATA_FILE).read_text(encoding="utf-8")


@functools.cache
def load_catalogue() -> Catalogue:
    """The packaged catalogue, parsed and validated once per process."""
    try:
        data = tomllib.loads(read_catalogue_text())
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{_DATA_FILE} is not valid TOML: {exc}") from None
    return parse_catalogue(data)


def explain(code: object) -> Entry | None:
    """The catalogue entry for an error code, reason, status or pasted message, or an error raised by amzauth.

    ``amzauth.explain(exc)`` uses the error's ``code``; None when nothing matches (no guessing).
    """
    text = code if isinstance(code, str) else str(getattr(code, "code", code))
    return load_catalogue().lookup(text)
