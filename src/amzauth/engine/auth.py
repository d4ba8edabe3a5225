"""AmazonAuth: an httpx.Auth that sets the plan's token header and recovers from a rejected token.

On an answer that says the token is expired or invalid (Creators 401 ``TokenExpired`` /
``InvalidToken``; SP-API 403 "The access token you provided is revoked, malformed or invalid.")
it refreshes once and retries once. If another caller already replaced the token, the refresh is
skipped and the request simply goes again with the new token. The decision is the pure function
:func:`token_rejected`; the two flows only move requests.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Final

import httpx

from amzauth.core.plan import Plan
from amzauth.engine.manager import TokenManager

CREATORS_REFRESH_REASONS: Final = frozenset({"TokenExpired", "InvalidToken"})
_SPAPI_TOKEN_WORDS: Final = ("revoked", "malformed", "invalid", "expired")


def token_rejected(plan: Plan, status: int, body: bytes) -> bool:
    """Whether an API answer says the access token itself is expired or invalid (so a refresh can help)."""
    if status not in (401, 403):
        return False
    try:
        doc = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        doc = None
    if plan.api == "creators":
        if status != 401:
            return False
        if not isinstance(doc, dict):
            return True  # a bare 401: the token is the only credential on the request
        reason = doc.get("reason")
        return reason is None or reason in CREATORS_REFRESH_REASONS
    if status != 403 or not isinstance(doc, dict):
        return False
    errors = doc.get("errors")
    if not isinstance(errors, list):
        return False
    for err in errors:
        if not isinstance(err, dict):
            continue
        text = f"{err.get('message') or ''} {err.get('details') or ''}".lower()
        if "access token" in text and "missing" not in text and any(w in text for w in _SPAPI_TOKEN_WORDS):
            return True
    return False


@dataclass(frozen=True, slots=True)
class TokenHeader:
    """The header a plan's API reads the access token from (pure; shared by every HTTP client's auth).

    Creators 2.x: ``Authorization: Bearer <t>, Version <v>``; 3.x: ``Authorization: Bearer <t>``;
    SP-API: ``x-amz-access-token: <t>``.
    """

    name: str
    prefix: str
    suffix: str

    @classmethod
    def for_plan(cls, plan: Plan) -> TokenHeader:
        prefix, _, suffix = plan.auth_header_template.partition("{token}")
        return cls(plan.auth_header_name, prefix, suffix)

    def value(self, access_token: str) -> str:
        return f"{self.prefix}{access_token}{self.suffix}"


def needs_refresh(plan: Plan, status: int, read_body: Callable[[], bytes]) -> bool:
    """Whether an answer calls for the one refresh-and-retry; reads the body only for a 401 or 403."""
    return status in (401, 403) and token_rejected(plan, status, read_body())


class AmazonAuth(httpx.Auth):
    """``httpx.Client(auth=AmazonAuth(manager))`` and the same for ``httpx.AsyncClient``."""

    requires_request_body = True  # so the one retry can resend the body
    requires_response_body = False  # read only 401/403 answers, never stream the rest

    def __init__(self, manager: TokenManager) -> None:
        self.manager = manager
        self.plan = manager.plan
        self.header = TokenHeader.for_plan(manager.plan)

    def __repr__(self) -> str:
        return f"AmazonAuth(profile={self.plan.profile!r}, header={self.plan.authorization_header!r})"

    def _apply(self, request: httpx.Request, access_token: str) -> None:
        request.headers[self.header.name] = self.header.value(access_token)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.manager.get_token()
        self._apply(request, token.access_token)
        response = yield request
        if needs_refresh(self.plan, response.status_code, response.read):
            self.manager.invalidate(token.access_token)
            self._apply(request, self.manager.get_token().access_token)
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.manager.aget_token()
        self._apply(request, token.access_token)
        response = yield request
        if response.status_code in (401, 403) and token_rejected(
            self.plan, response.status_code, await response.aread()
        ):
            await self.manager.ainvalidate(token.access_token)
            self._apply(request, (await self.manager.aget_token()).access_token)
            yield request
