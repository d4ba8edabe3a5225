"""AmazonRequestsAuth: AmazonAuth for code written on ``requests`` (the optional ``requests`` extra).

Same decisions as :class:`amzauth.engine.AmazonAuth` (the header from :class:`TokenHeader`, the
refresh decision from :func:`needs_refresh`): set the plan's token header, and when Amazon says the
token is expired or invalid, refresh once and resend once.
"""

from __future__ import annotations

from typing import Any

import requests

from amzauth.engine import TokenManager
from amzauth.engine.auth import TokenHeader, needs_refresh


class AmazonRequestsAuth(requests.auth.AuthBase):
    """``requests.get(url, auth=AmazonRequestsAuth(manager))``, or ``session.auth = ...``."""

    def __init__(self, manager: TokenManager) -> None:
        self.manager = manager
        self.plan = manager.plan
        self.header = TokenHeader.for_plan(manager.plan)

    def __repr__(self) -> str:
        return f"AmazonRequestsAuth(profile={self.plan.profile!r}, header={self.plan.authorization_header!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.manager.get_token().access_token
        request.headers[self.header.name] = self.header.value(token)

        def retry_once(response: requests.Response, **send_kwargs: Any) -> requests.Response:
            if not needs_refresh(self.plan, response.status_code, lambda: response.content):
                return response
            self.manager.invalidate(token)
            again = response.request.copy()
            again.deregister_hook("response", retry_once)
            again.headers[self.header.name] = self.header.value(self.manager.get_token().access_token)
            response.close()
            retried: requests.Response = response.connection.send(again, **send_kwargs)
            retried.history.append(response)
            retried.request = again
            return retried

        request.register_hook("response", retry_once)
        return request
