"""Thin sync and async shells that move a TokenRequest's bytes over httpx, with a timeout.

They decide nothing: status codes and bodies go back raw to ``parse_token_response``, and
transport failures become :class:`NetworkError` with a ``kind`` (unreachable, timeout, dropped)
that the retry policy and the doctor read.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

import httpx

from amzauth.core.tokens import TokenRequest
from amzauth.errors import NetworkError


@dataclass(frozen=True, slots=True)
class RawResponse:
    """What came back, untouched."""

    status: int
    headers: Mapping[str, str] = field(hash=False)
    body: bytes


@runtime_checkable
class TokenTransport(Protocol):
    def send(self, request: TokenRequest, timeout: float) -> RawResponse: ...
    async def asend(self, request: TokenRequest, timeout: float) -> RawResponse: ...


N = TypeVar("N", bound=NetworkError)


def network_error(
    exc: BaseException,
    url: str,
    timeout: float,
    *,
    what: str = "token request",
    cls: type[N] = NetworkError,  # type: ignore[assignment]
) -> N:
    """Classify an httpx failure (the one classifier: tokens, Creators and SP-API calls).

    ``what`` names the call in the message, ``cls`` the error raised (``CreatorsNetworkError``...);
    the message names the URL, which never holds a secret.
    """
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return cls(f"{what} to {url} timed out after {timeout:g} s ({name})", url=url, kind="timeout")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return cls(f"connection to {url} dropped before an answer ({name})", url=url, kind="dropped")
    return cls(f"cannot reach {url} ({name}: {exc})", url=url, kind="unreachable")


class HttpxTokenTransport:
    """Token requests over httpx; pass ``transport``/``async_transport`` to reroute (tests, proxies)."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx.Client | None = None
        self._mu = threading.Lock()

    def _sync_client(self) -> httpx.Client:
        if self._client is None:
            with self._mu:
                if self._client is None:
                    self._client = httpx.Client(transport=self._transport, follow_redirects=False)
        return self._client

    def send(self, request: TokenRequest, timeout: float) -> RawResponse:
        try:
            r = self._sync_client().request(
                request.method, request.url, headers=request.headers, content=request.body, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise network_error(exc, request.url, timeout) from None
        return RawResponse(r.status_code, dict(r.headers), r.content)

    async def asend(self, request: TokenRequest, timeout: float) -> RawResponse:
        # One short-lived client per refresh: refreshes are rare and an AsyncClient is bound to its loop.
        try:
            async with httpx.AsyncClient(transport=self._async_transport, follow_redirects=False) as client:
                r = await client.request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    content=request.body,
                    timeout=timeout,
                )
        except httpx.HTTPError as exc:
            raise network_error(exc, request.url, timeout) from None
        return RawResponse(r.status_code, dict(r.headers), r.content)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def as_token_transport(transport: object | None) -> TokenTransport:
    """Accept our transport protocol, an httpx transport, or None (plain httpx)."""
    if transport is None:
        return HttpxTokenTransport()
    if isinstance(transport, httpx.AsyncBaseTransport):
        return HttpxTokenTransport(async_transport=transport)
    if isinstance(transport, httpx.BaseTransport):
        return HttpxTokenTransport(transport=transport)
    if isinstance(transport, TokenTransport):
        return transport
    raise TypeError(f"not a token transport: {type(transport).__name__}")
