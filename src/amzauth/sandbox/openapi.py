"""OpenAPI 3.1 document of the control API (``GET /_sandbox/openapi.json``), for tools and fuzzers.

Written by hand from the same pydantic models the control API validates with, so the schema and
the behaviour cannot drift apart for request bodies.
"""

from __future__ import annotations

from typing import Any

from amzauth.sandbox.specs import ClockSpec, FaultSpec, RevokeSpec

_ERR = {"$ref": "#/components/schemas/ControlError"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(ref: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


_CLEARED = _json(_obj(cleared={"type": "integer"}))
_BAD = _json(_ERR, "Bad request: the message and key name what is wrong")


def control_openapi() -> dict[str, Any]:
    request_entry = {
        "type": "object",
        "required": ["time", "method", "host", "path", "status", "error", "grant_type", "client_id"],
        "properties": {
            "time": {"type": "string"}, "ts": {"type": "number"}, "method": {"type": "string"},
            "host": {"type": "string"}, "path": {"type": "string"}, "status": {"type": ["integer", "null"]},
            "error": {"type": ["string", "null"]}, "grant_type": {"type": ["string", "null"]},
            "client_id": {"type": ["string", "null"]}, "request_id": {"type": "string"},
            "query": {"type": "object"}, "fault": {"type": ["string", "null"]}, "dropped": {"type": "boolean"},
        },
    }  # fmt: skip
    world_ok = _json(_obj(ok={"type": "boolean"}, world={"type": "object"}))
    paths: dict[str, Any] = {
        "/_sandbox/health": {"get": {"summary": "Liveness and a summary of the world", "responses": {
            "200": _json({"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}})}}},
        "/_sandbox/requests": {
            "get": {"summary": "Requests served since the last reset, oldest first (no secrets)",
                    "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                                   for n in ("host", "path", "status", "error")],
                    "responses": {"200": _json({"type": "array", "items": request_entry})}},
            "delete": {"summary": "Empty the request log", "responses": {"200": _CLEARED}},
        },
        "/_sandbox/faults": {
            "get": {"summary": "Active faults", "responses": {"200": _json({"type": "array", "items": {"type": "object"}})}},
            "post": {"summary": "Add a fault", "requestBody": _body("FaultSpec"),
                     "responses": {"200": _json(_obj(id={"type": "string"})), "400": _BAD}},
            "delete": {"summary": "Remove all faults", "responses": {"200": _CLEARED}},
        },
        "/_sandbox/faults/{fault_id}": {"delete": {
            "summary": "Remove one fault",
            "parameters": [{"name": "fault_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _CLEARED, "404": _json(_ERR, "No such fault")}}},
        "/_sandbox/clock": {
            "get": {"summary": "Clock offset and sandbox time",
                    "responses": {"200": _json(_obj(offset_seconds={"type": "number"}, now={"type": "number"}))}},
            "post": {"summary": "Shift the sandbox clock", "requestBody": _body("ClockSpec"),
                     "responses": {"200": _json(_obj(offset_seconds={"type": "number"}, now={"type": "number"})),
                                   "400": _BAD}},
        },
        "/_sandbox/world": {
            "get": {"summary": "The world in force (JSON)", "responses": {"200": _json({"type": "object"})}},
            "post": {"summary": "Replace the world (TOML or JSON body)",
                     "requestBody": {"required": True, "content": {
                         "application/toml": {"schema": {"type": "string"}},
                         "application/json": {"schema": {"type": "object"}}}},
                     "responses": {"200": world_ok, "400": _BAD}},
        },
        "/_sandbox/tokens": {"get": {"summary": "How many tokens were issued, by kind",
                                     "responses": {"200": _json({"type": "object"})}}},
        "/_sandbox/tokens/expire": {"post": {"summary": "Expire every token issued so far",
                                             "responses": {"200": _json(_obj(expired={"type": "integer"}, ts={"type": "number"}))}}},
        "/_sandbox/revoke": {"post": {"summary": "Revoke seller authorizations in place",
                                      "requestBody": _body("RevokeSpec"),
                                      "responses": {"200": _json(_obj(revoked={"type": "integer"})), "400": _BAD}}},
        "/_sandbox/notifications": {
            "get": {"summary": "Notifications sent (e.g. APPLICATION_OAUTH_CLIENT_NEW_SECRET)",
                    "responses": {"200": _json({"type": "array", "items": {"type": "object"}})}},
            "delete": {"summary": "Forget notifications", "responses": {"200": _CLEARED}},
        },
        "/_sandbox/reset": {"post": {"summary": "Back to the world loaded at start; clear log, faults, clock, tokens",
                                     "responses": {"200": world_ok}}},
        "/_sandbox/openapi.json": {"get": {"summary": "This document",
                                           "responses": {"200": _json({"type": "object"})}}},
    }  # fmt: skip
    schemas = {
        "FaultSpec": FaultSpec.model_json_schema(),
        "ClockSpec": ClockSpec.model_json_schema(),
        "RevokeSpec": RevokeSpec.model_json_schema(),
        "ControlError": {
            "type": "object", "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "key": {"type": ["string", "null"]}},
        },
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "amzauth sandbox control API",
            "version": "1",
            "description": "Controls a running amzauth sandbox. Amazon's own endpoints are served at "
            "/<amazon host>/<path>; see docs/sandbox.md.",
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }
