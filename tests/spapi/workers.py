"""Process entry points for the SP-API fan-out test (importable, so multiprocessing's spawn can run them)."""

from __future__ import annotations

from typing import Any

from tests.workers_common import release_together, reported


def participations(values: dict[str, Any], threads: int, barrier: Any, out: Any) -> None:
    """One SPAPIClient per process, shared by ``threads`` threads that call at the same instant."""
    from amzauth.config import profile_from_mapping
    from amzauth.spapi import SPAPIClient

    client = SPAPIClient(profile_from_mapping(values, name="seller"))
    counts: list[int] = []
    errors: list[str] = []

    def worker() -> None:
        with reported(errors):
            counts.append(len(client.marketplace_participations()))

    release_together(threads, worker, barrier, start_timeout=60)
    client.close()
    out.put({"counts": counts, "errors": errors})
