"""Creators API client: product data for affiliates, cached, rate-limited per credential, typed.

``CreatorsClient`` / ``AsyncCreatorsClient`` offer search_items, get_items (any number of ASINs,
10 per request), get_variations and get_browse_nodes. Results are pydantic models with the
fields affiliates use (title, price, savings, rating, affiliate URL, ...) and Amazon's document as
``raw``. A cache (memory in front of SQLite or Redis) answers repeated calls without a request
and serves stale copies when Amazon throttles or fails; a limiter shared through the same store
keeps every process of a credential inside its quota. Errors are typed per Amazon ``reason`` and
linked to the error catalogue (``amzauth explain CODE``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from amzauth._lazy import lazy_exports
from amzauth.creators import errors
from amzauth.creators.client import AsyncCreatorsClient, CreatorsClient
from amzauth.creators.errors import *  # noqa: F403  (the typed errors, listed once in errors.__all__)
from amzauth.creators.flow import Stats
from amzauth.creators.limiter import LimitSpec
from amzauth.creators.store import MemoryResultStore, RedisResultStore, ResultStore, SQLiteResultStore

# Old names (not in __all__), kept importable.
from amzauth.creators.store import MemoryStore as MemoryStore
from amzauth.creators.store import RedisStore as RedisStore
from amzauth.creators.store import SQLiteStore as SQLiteStore

if TYPE_CHECKING:
    from amzauth.creators.models import (
        BrowseNode,
        BrowseNodeRef,
        BrowseNodesResult,
        Item,
        ItemError,
        ItemsResult,
        NodeError,
        Savings,
        SearchResult,
        VariationsResult,
    )

# The result models (and pydantic with them) load on first use: the first answer, or an import by name.
_MODELS = (
    "BrowseNode",
    "BrowseNodeRef",
    "BrowseNodesResult",
    "Item",
    "ItemError",
    "ItemsResult",
    "NodeError",
    "Savings",
    "SearchResult",
    "VariationsResult",
)
__getattr__ = lazy_exports(__name__, dict.fromkeys(_MODELS, "amzauth.creators.models"))

__all__ = [
    "AsyncCreatorsClient",
    "BrowseNode",
    "BrowseNodeRef",
    "BrowseNodesResult",
    "CreatorsClient",
    "Item",
    "ItemError",
    "ItemsResult",
    "LimitSpec",
    "MemoryResultStore",
    "NodeError",
    "RedisResultStore",
    "ResultStore",
    "SQLiteResultStore",
    "Savings",
    "SearchResult",
    "Stats",
    "VariationsResult",
]
__all__ += errors.__all__
