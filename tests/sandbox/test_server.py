"""run_sandbox: free port, custom world, accepts connections when yielded, stops cleanly."""

from __future__ import annotations

import socket

import httpx
import pytest

from amzauth.sandbox import create_app, load_world, run_sandbox


def test_run_sandbox_with_a_world_and_clean_stop() -> None:
    world = load_world({"creators_credentials": [{"client_id": "c", "client_secret": "s", "version": "2.3"}]})
    with run_sandbox(world) as sb:
        port = int(sb.url.rsplit(":", 1)[1])
        assert sb.health()["world"]["creators_credentials"] == 1
        r = httpx.post(f"{sb.url}/creatorsapi.auth.us-west-2.amazoncognito.com/oauth2/token",
                       data={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"})  # fmt: skip
        assert r.status_code == 200
        sb.reset()
        assert sb.health()["world"]["creators_credentials"] == 1  # reset goes back to *this* world
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_two_sandboxes_side_by_side() -> None:
    with run_sandbox() as a, run_sandbox() as b:
        assert a.url != b.url
        a.add_fault(host="api.amazon.com", status=500)
        assert b.faults() == [] and len(a.faults()) == 1


def test_create_app_is_an_asgi_callable() -> None:
    app = create_app()
    assert callable(app)
    assert app.state.world.catalog
