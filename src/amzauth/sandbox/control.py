"""The control API under ``/_sandbox/``: health, request log, faults, clock, world, tokens, notifications.

JSON in, JSON out. Bad input answers 400 ``{"error", "message", "key"}`` naming the offending key;
unknown paths 404; wrong methods 405. ``GET /_sandbox/openapi.json`` documents all of it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from amzauth.sandbox.messages import BadBody, Req, Resp, json_resp
from amzauth.sandbox.openapi import control_openapi
from amzauth.sandbox.specs import ClockSpec, FaultSpec, RevokeSpec
from amzauth.sandbox.state import Fault, SandboxState
from amzauth.sandbox.world import WorldError, load_world, parse_world_text


def iso_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _bad(message: str, key: str | None = None, error: str = "bad_request") -> Resp:
    return json_resp(400, {"error": error, "message": message, "key": key}, error=error)


def _not_found(req: Req) -> Resp:
    return json_resp(
        404, {"error": "not_found", "message": f"no control endpoint {req.path}"}, error="not_found"
    )


def _method(req: Req, allowed: str) -> Resp:
    return json_resp(
        405,
        {"error": "method_not_allowed", "message": f"use {allowed}"},
        headers=[("Allow", allowed)],
        error="method_not_allowed",
    )


def _json_object(req: Req) -> dict[str, Any] | Resp:
    if not req.body.strip():
        return {}
    try:
        doc = req.json()
    except BadBody as exc:
        return _bad(str(exc))
    if not isinstance(doc, dict):
        return _bad("the body must be a JSON object")
    return doc


def _pydantic_error(exc: ValidationError) -> Resp:
    err = exc.errors(include_url=False)[0]
    key = ".".join(str(p) for p in err["loc"])
    msg = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
    return _bad(f"{key}: {msg}", key)


def world_summary(state: SandboxState) -> dict[str, int]:
    w = state.world
    return {
        "creators_credentials": len(w.creators_credentials),
        "spapi_apps": len(w.spapi_apps),
        "sellers": len(w.sellers),
        "catalog": len(w.catalog),
        "browse_nodes": len(w.browse_nodes),
    }


def handle(state: SandboxState, req: Req) -> Resp:
    path = req.path.rstrip("/") or "/"
    m = req.method
    if path == "/health":
        return json_resp(
            200,
            {"ok": True, "now": req.now, "clock_offset": state.clock_offset, "world": world_summary(state)},
        )
    if path == "/requests":
        if m == "GET":
            q = req.query_params()
            out = [
                e
                for e in state.requests
                if ("host" not in q or e["host"] == q["host"])
                and ("path" not in q or e["path"] == q["path"])
                and ("status" not in q or str(e["status"]) == q["status"])
                and ("error" not in q or e["error"] == q["error"])
            ]
            for e in out:
                if e["time"] is None:
                    e["time"] = iso_time(e["ts"])
            return json_resp(200, out)
        if m == "DELETE":
            n = len(state.requests)
            state.requests.clear()
            state.generation += 1  # requests still in flight belong to the cleared log
            return json_resp(200, {"cleared": n})
        return _method(req, "GET, DELETE")
    if path == "/faults":
        if m == "GET":
            return json_resp(200, [f.public() for f in state.faults])
        if m == "DELETE":
            n = len(state.faults)
            state.faults.clear()
            return json_resp(200, {"cleared": n})
        if m == "POST":
            return _add_fault(state, req)
        return _method(req, "GET, POST, DELETE")
    if path.startswith("/faults/"):
        if m != "DELETE":
            return _method(req, "DELETE")
        fid = path.removeprefix("/faults/")
        before = len(state.faults)
        state.faults[:] = [f for f in state.faults if f.id != fid]
        if len(state.faults) == before:
            return _not_found(req)
        return json_resp(200, {"cleared": 1})
    if path == "/clock":
        if m == "GET":
            return json_resp(200, {"offset_seconds": state.clock_offset, "now": req.now})
        if m != "POST":
            return _method(req, "GET, POST")
        doc = _json_object(req)
        if isinstance(doc, Resp):
            return doc
        try:
            spec = ClockSpec.model_validate(doc)
        except ValidationError as exc:
            return _pydantic_error(exc)
        state.clock_offset = spec.offset_seconds
        return json_resp(200, {"offset_seconds": state.clock_offset, "now": state.now()})
    if path == "/world":
        if m == "GET":
            return json_resp(200, state.world.model_dump(mode="json"))
        if m != "POST":
            return _method(req, "GET, POST")
        try:
            text = req.text()
        except BadBody as exc:
            return _bad(str(exc), error="invalid_world")
        try:
            world = load_world(parse_world_text(text))
        except WorldError as exc:
            return _bad(str(exc), exc.key or None, error="invalid_world")
        state.set_world(world)
        return json_resp(200, {"ok": True, "world": world_summary(state)})
    if path == "/tokens/expire":
        if m != "POST":
            return _method(req, "POST")
        at = state.now()
        return json_resp(200, {"expired": state.expire_tokens(at), "ts": at})
    if path == "/revoke":
        if m != "POST":
            return _method(req, "POST")
        return _revoke(state, req)
    if path == "/tokens":
        if m != "GET":
            return _method(req, "GET")
        counts: dict[str, int] = {}
        for info in state.tokens.values():
            counts[info.kind] = counts.get(info.kind, 0) + 1
        return json_resp(200, {"count": len(state.tokens), "by_kind": counts})
    if path == "/notifications":
        if m == "GET":
            return json_resp(200, state.notifications)
        if m == "DELETE":
            n = len(state.notifications)
            state.notifications.clear()
            return json_resp(200, {"cleared": n})
        return _method(req, "GET, DELETE")
    if path == "/reset":
        if m != "POST":
            return _method(req, "POST")
        state.reset()
        return json_resp(200, {"ok": True, "world": world_summary(state)})
    if path == "/openapi.json":
        if m != "GET":
            return _method(req, "GET")
        return json_resp(200, control_openapi())
    return _not_found(req)


def _add_fault(state: SandboxState, req: Req) -> Resp:
    doc = _json_object(req)
    if isinstance(doc, Resp):
        return doc
    try:
        spec = FaultSpec.model_validate(doc)
    except ValidationError as exc:
        return _pydantic_error(exc)
    if spec.status is None and spec.body is None and not spec.drop and spec.delay_ms == 0:
        return _bad("a fault needs at least one of status, body, delay_ms or drop", "status")
    if spec.times == 0:
        return _bad("times must be -1 (always) or at least 1", "times")
    host = spec.host
    if host is not None:
        host = host.lower().removeprefix("https://").removeprefix("http://").strip("/")
    path = spec.path
    if path is not None and not path.startswith("/"):
        path = "/" + path
    state.fault_seq += 1
    fid = f"f{state.fault_seq}-{secrets.token_hex(3)}"
    state.faults.append(
        Fault(
            id=fid,
            host=host,
            path=path,
            method=spec.method,
            status=spec.status,
            error=spec.error,
            error_description=spec.error_description,
            retry_after=spec.retry_after,
            delay_ms=spec.delay_ms,
            drop=spec.drop,
            times=spec.times,
            body=spec.body,
            content_type=spec.content_type,
            headers=dict(spec.headers),
        )
    )
    return json_resp(200, {"id": fid})


def _revoke(state: SandboxState, req: Req) -> Resp:
    doc = _json_object(req)
    if isinstance(doc, Resp):
        return doc
    try:
        spec = RevokeSpec.model_validate(doc)
    except ValidationError as exc:
        return _pydantic_error(exc)
    if not (spec.refresh_token or spec.selling_partner_id or spec.application_id):
        return _bad("name a refresh_token, a selling_partner_id and/or an application_id", "refresh_token")
    n = 0
    for seller in state.world.sellers:
        if spec.selling_partner_id and seller.selling_partner_id != spec.selling_partner_id:
            continue
        for auth in seller.authorizations:
            if spec.refresh_token and auth.refresh_token != spec.refresh_token:
                continue
            if spec.application_id and auth.application_id != spec.application_id:
                continue
            if not auth.revoked:
                auth.revoked = True
                n += 1
    return json_resp(200, {"revoked": n})
