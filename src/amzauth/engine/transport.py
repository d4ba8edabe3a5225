"""Thin sync and async shells that move a TokenRequest's bytes over httpx, with a timeout.

They decide nothing: status codes and bodies go back raw to ``parse_token_response``, and
transport failures become :class:`NetworkError` with a ``kind`` (unreachable, timeout, dropped)
that the retry policy and the doctor read.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar, runtime_checkable

import httpx

from amzauth.core.tokens import TokenRequest
from amzauth.errors import NetworkError

DEFAULT_TIMEOUT: Final = 10.0  # seconds per token request (the manager's and the doctor's default)


# -- one TLS context per process and setting ------------------------------------------------------
class _LazyTrust(ssl.SSLContext):
    """An SSLContext that loads its CA bundle on the first handshake, not when a client is made.

    Loading certifi's bundle costs 20 to 40 ms; a client that only ever talks plain http (the
    sandbox) never pays it, and every client of the process shares the one load.
    """

    _load: Callable[[ssl.SSLContext], None] | None

    def _ready(self) -> None:
        if self._load is not None:
            with _TLS_MU:
                if self._load is not None:
                    self._load(self)
                    self._load = None  # only now: another thread may handshake without the lock

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:  # sync httpx (httpcore)
        self._ready()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:  # async httpx (anyio)
        self._ready()
        return super().wrap_bio(*args, **kwargs)


_TLS: dict[tuple[object, ...], ssl.SSLContext] = {}
_TLS_MU = threading.RLock()


def tls_context(verify: bool | str = True) -> ssl.SSLContext:
    """The process's shared context for ``verify`` (True: certifi or $SSL_CERT_FILE/$SSL_CERT_DIR, as
    httpx reads them; a path: that CA file or directory; False: no verification).

    Pass it as ``verify=`` to every httpx client: one context per setting, its CA bundle loaded
    lazily on the first HTTPS handshake (never for http:// URLs).
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else (os.environ.get("SSL_CERT_DIR") or None)
    if isinstance(verify, str):
        cafile, capath = (None, verify) if os.path.isdir(verify) else (verify, None)
    key: tuple[object, ...] = (verify is not False, cafile, capath)
    ctx = _TLS.get(key)
    if ctx is not None:
        return ctx
    with _TLS_MU:
        ctx = _TLS.get(key)
        if ctx is None:
            ctx = _TLS[key] = _new_context(verify is not False, cafile, capath)
        return ctx


def _new_context(verify: bool, cafile: str | None, capath: str | None) -> ssl.SSLContext:
    ctx = _LazyTrust(ssl.PROTOCOL_TLS_CLIENT)
    ctx._load = None
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog:  # as ssl.create_default_context does
        ctx.keylog_filename = keylog

    def load(c: ssl.SSLContext) -> None:
        if cafile or capath:
            c.load_verify_locations(cafile=cafile, capath=capath)
        else:
            import certifi

            c.load_verify_locations(cafile=certifi.where())

    ctx._load = load
    return ctx


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
                    self._client = httpx.Client(
                        transport=self._transport, follow_redirects=False, verify=tls_context()
                    )
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
            async with httpx.AsyncClient(
                transport=self._async_transport, follow_redirects=False, verify=tls_context()
            ) as client:
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
