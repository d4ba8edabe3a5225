"""4 processes x 8 threads on one freshly authorized refresh token: one token request in the sandbox log."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

from amzauth.config.storage import save_refresh_token
from amzauth.spapi.consent import build_consent
from amzauth.spapi.exchange import exchange_callback
from tests.spapi import workers
from tests.spapi._support import CLIENT_ID, app_values, confirm_consent, make_profile, world_with
from tests.support import register_secret

PROCS = 4
THREADS = 8


def test_four_processes_eight_threads_one_token_request(sp: Any, tmp_path: Path) -> None:
    sp.sandbox.set_world(world_with(sp.sandbox.world(), limits={"spapi_rate": 10000.0, "spapi_burst": 10000}))
    # a real authorization: consent, exchange, stored privately, referenced from the profile
    prof = make_profile(sp.url, sp.redirect_uri)
    consent = build_consent(prof)
    auth = exchange_callback(confirm_consent(consent.url), consent, source=prof)
    register_secret(auth.refresh_token.reveal(), auth.access_token.reveal())
    stored = save_refresh_token(
        CLIENT_ID, "na", auth.selling_partner_id, auth.refresh_token.reveal(), prefer="file"
    )
    values = app_values(
        sp.url, sp.redirect_uri, refresh_token=stored.reference, cache_dir=str(tmp_path / "cache")
    )
    sp.sandbox.clear_requests()

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    barrier = ctx.Barrier(PROCS)
    procs = [
        ctx.Process(target=workers.participations, args=(values, THREADS, barrier, out)) for _ in range(PROCS)
    ]
    for p in procs:
        p.start()
    deadline = time.monotonic() + 120
    try:
        results = [out.get(timeout=max(1.0, deadline - time.monotonic())) for _ in procs]
    finally:
        for p in procs:
            p.join(max(1.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
    assert [r["errors"] for r in results] == [[]] * PROCS
    assert sum(len(r["counts"]) for r in results) == PROCS * THREADS
    assert all(c == 2 for r in results for c in r["counts"])
    tokens = [r for r in sp.sandbox.requests() if r["path"] == "/auth/o2/token"]
    assert [r["grant_type"] for r in tokens] == ["refresh_token"]
    calls = sp.sandbox.requests(path="/sellers/v1/marketplaceParticipations")
    assert len(calls) == PROCS * THREADS and {r["status"] for r in calls} == {200}
