"""The token engine: one token per credential across threads, tasks, processes and hosts.

``TokenManager`` hands out tokens through a memory snapshot layered over a store (SQLite by
default, Redis or memory); ``AmazonAuth`` plugs it into httpx; ``fetch_token_once`` is the raw,
uncached request the doctor uses. The wire format lives in :mod:`amzauth.core.tokens`, retry
decisions in :mod:`amzauth.core.retry`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from amzauth._lazy import lazy_exports

if TYPE_CHECKING:
    from amzauth.engine.auth import AmazonAuth, token_rejected
    from amzauth.engine.manager import (
        DEFAULT_ADVISORY,
        DEFAULT_MANDATORY,
        DEFAULT_TIMEOUT,
        TokenManager,
        clear_profile,
        manager_for_profile,
        store_for_profile,
    )
    from amzauth.engine.once import FetchInfo, afetch_token_once, fetch_token_once
    from amzauth.engine.redis_store import RedisTokenStore
    from amzauth.engine.stores import (
        MemoryTokenStore,
        NegativeEntry,
        SQLiteTokenStore,
        TokenStore,
        shared_sqlite_store,
    )
    from amzauth.engine.transport import HttpxTokenTransport, RawResponse, TokenTransport


# Every name loads its module on first use: a caller of one part (the doctor's one raw token
# request, the usage record) does not import the manager, asyncio and the stores with it.
# RedisTokenStore imports redis (the ``redis`` extra).
__getattr__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(("AmazonAuth", "token_rejected"), "amzauth.engine.auth"),
        **dict.fromkeys(
            (
                "DEFAULT_ADVISORY",
                "DEFAULT_MANDATORY",
                "DEFAULT_TIMEOUT",
                "TokenManager",
                "clear_profile",
                "manager_for_profile",
                "store_for_profile",
            ),
            "amzauth.engine.manager",
        ),
        **dict.fromkeys(("FetchInfo", "afetch_token_once", "fetch_token_once"), "amzauth.engine.once"),
        **dict.fromkeys(
            ("MemoryTokenStore", "NegativeEntry", "SQLiteTokenStore", "TokenStore", "shared_sqlite_store"),
            "amzauth.engine.stores",
        ),
        **dict.fromkeys(("HttpxTokenTransport", "RawResponse", "TokenTransport"), "amzauth.engine.transport"),
        "RedisTokenStore": "amzauth.engine.redis_store",
        # Old names (not in __all__), kept importable.
        "MemoryStore": "amzauth.engine.stores",
        "SQLiteStore": "amzauth.engine.stores",
        "RedisStore": "amzauth.engine.redis_store",
    },
)

__all__ = [
    "DEFAULT_ADVISORY",
    "DEFAULT_MANDATORY",
    "DEFAULT_TIMEOUT",
    "AmazonAuth",
    "FetchInfo",
    "HttpxTokenTransport",
    "MemoryTokenStore",
    "NegativeEntry",
    "RawResponse",
    "RedisTokenStore",
    "SQLiteTokenStore",
    "TokenManager",
    "TokenStore",
    "TokenTransport",
    "afetch_token_once",
    "clear_profile",
    "fetch_token_once",
    "manager_for_profile",
    "shared_sqlite_store",
    "store_for_profile",
    "token_rejected",
]
