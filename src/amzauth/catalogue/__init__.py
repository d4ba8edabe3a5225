"""The error catalogue: what each Amazon error means, its causes, the setting to change.

One data file (``errors.toml``) read by the library, ``amzauth explain``, the doctor and the
console. Light to import: pydantic and the standard library only.
"""

from __future__ import annotations

from amzauth.catalogue._catalogue import (
    FIELDS,
    KINDS,
    PLACEHOLDERS,
    Catalogue,
    CatalogueError,
    Cause,
    Entry,
    FieldName,
    Kind,
    explain,
    load_catalogue,
    parse_catalogue,
    read_catalogue_text,
    render,
)

__all__ = [
    "FIELDS",
    "KINDS",
    "PLACEHOLDERS",
    "Catalogue",
    "CatalogueError",
    "Cause",
    "Entry",
    "FieldName",
    "Kind",
    "explain",
    "load_catalogue",
    "parse_catalogue",
    "read_catalogue_text",
    "render",
]
