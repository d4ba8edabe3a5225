"""Legacy AWS SigV4 signing of SP-API calls (deprecated: Amazon stopped requiring it on 2023-10-02).

Old integrations still sign with an IAM user or role; SP-API checks such a signature's region scope
and 5-minute window. Signing goes through botocore (extra ``amzauth[sigv4]``), after the access
token header is set, so ``x-amz-access-token`` is among the signed headers.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, Generator

import httpx

from amzauth.config.redact import redact

SERVICE = "execute-api"


class SigV4Signer:
    """Signs httpx requests for one AWS region with static or session credentials.

    Deprecated: SP-API has not needed SigV4 since 2023-10-02; remove the IAM setup when you can.
    """

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        region: str,
        *,
        session_token: str | None = None,
        service: str = SERVICE,
    ) -> None:
        warnings.warn(
            "SigV4 signing of SP-API calls is deprecated: Amazon has not required it since 2023-10-02 "
            "(the LWA access token alone authenticates a call)",
            DeprecationWarning,
            stacklevel=2,
        )
        try:
            from botocore.credentials import Credentials
        except ImportError:
            raise ImportError("SigV4 signing needs botocore: pip install 'amzauth[sigv4]'") from None
        self._credentials = Credentials(access_key_id, secret_access_key, session_token)
        self.access_key_id = access_key_id
        self.region = region
        self.service = service

    def __repr__(self) -> str:
        return f"SigV4Signer(access_key_id={redact(self.access_key_id)!r}, region={self.region!r})"

    def sign(self, request: httpx.Request) -> None:
        """Add Authorization, X-Amz-Date (and X-Amz-Security-Token) to the request in place."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "x-amz-date")
        }
        aws = AWSRequest(method=request.method, url=str(request.url), data=request.content, headers=headers)
        SigV4Auth(self._credentials, self.service, self.region).add_auth(aws)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = aws.headers.get(name)
            if value is not None:
                request.headers[name] = value


class SignedAuth(httpx.Auth):
    """Wraps another httpx.Auth (the token header) and signs every request it yields."""

    requires_request_body = True
    requires_response_body = False

    def __init__(self, inner: httpx.Auth, signer: SigV4Signer) -> None:
        self.inner = inner
        self.signer = signer

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self.inner.sync_auth_flow(request)
        req = next(flow)
        while True:
            self.signer.sign(req)
            response = yield req
            try:
                req = flow.send(response)
            except StopIteration:
                return

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self.inner.async_auth_flow(request)
        req = await flow.__anext__()
        while True:
            self.signer.sign(req)
            response = yield req
            try:
                req = await flow.asend(response)
            except StopAsyncIteration:
                return
