"""Optional: every block of one HTML response fetched in one lookup (getItems batches of 10).

``MIDDLEWARE += ["amzauth.contrib.django.middleware.AmazonBlocksMiddleware"]``. Without it each
tag renders on its own (still cached; only the batching across blocks is lost).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class AmazonBlocksMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        from amzauth.contrib.django.conf import get_kit

        kit = get_kit()
        with kit.page() as page:
            response = self.get_response(request)
            if (
                hasattr(response, "render")
                and callable(response.render)
                and not getattr(response, "is_rendered", True)
            ):
                response.render()
            if page.blocks and "text/html" in response.get("Content-Type", "") and not response.streaming:
                charset = response.charset or "utf-8"
                response.content = page.finish(response.content.decode(charset)).encode(charset)
        return response
