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
from amzauth.creators.errors import *  # noqa: F403  (the typed errors, listed once in errors.__all__)

if TYPE_CHECKING:
    from amzauth.creators.client import AsyncCreatorsClient, CreatorsClient
    from amzauth.creators.flow import Stats
    from amzauth.creators.limiter import LimitSpec
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
    from amzauth.creators.store import (
        MemoryResultStore,
        RedisResultStore,
        ResultStore,
        SQLiteResultStore,
    )
    from amzauth.creators.store import (
        MemoryStore as MemoryStore,
    )
    from amzauth.creators.store import (
        RedisStore as RedisStore,
    )
    from amzauth.creators.store import (
        SQLiteStore as SQLiteStore,
    )

# The result models (and pydantic with them) load on first use: the first answer, or an import by
# name. The clients, stores and limiter load on first use too, so a module of this package (the
# doctor reads ``amzauth.creators.usage``) does not bring the HTTP client, asyncio and the stores.
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
# MemoryStore, RedisStore and SQLiteStore are old names (not in __all__), kept importable.
_STORES = (
    "MemoryResultStore",
    "RedisResultStore",
    "ResultStore",
    "SQLiteResultStore",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
)
__getattr__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(_MODELS, "amzauth.creators.models"),
        **dict.fromkeys(_STORES, "amzauth.creators.store"),
        "AsyncCreatorsClient": "amzauth.creators.client",
        "CreatorsClient": "amzauth.creators.client",
        "Stats": "amzauth.creators.flow",
        "LimitSpec": "amzauth.creators.limiter",
    },
)

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
