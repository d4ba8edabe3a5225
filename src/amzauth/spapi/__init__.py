"""Selling Partner API: authorization (consent, callback, code exchange), clients, secret rotation.

    from amzauth.spapi import build_consent, exchange_callback, SPAPIClient

    consent = build_consent(profile)                  # URL + state (+ PKCE verifier)
    auth = exchange_callback(query, consent, source=profile)
    with SPAPIClient(profile) as sp:
        sp.marketplace_participations()

Names load on first use, so ``import amzauth.spapi`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amzauth.spapi.authorize import AuthorizeResult, authorize
    from amzauth.spapi.client import (
        NOTIFICATIONS_SCOPE,
        ROTATION_SCOPE,
        AsyncSPAPIClient,
        SPAPIClient,
        diagnose_api_error,
        grantless_plan,
        secret_expiry,
    )
    from amzauth.spapi.consent import (
        Callback,
        ConsentProblem,
        ConsentRequest,
        build_consent,
        check_consent,
        diagnose_consent_page,
        parse_callback,
        pkce_pair,
    )
    from amzauth.spapi.errors import (
        AuthorizationError,
        AuthorizationTimeout,
        CallbackError,
        CodeExchangeError,
        ConsentError,
        InvalidInput,
        InvalidSignature,
        MissingAuthenticationToken,
        NotFound,
        QuotaExceeded,
        RotationError,
        SPAPIError,
        SPAPIServerError,
        StateMismatch,
        StorageError,
        Unauthorized,
    )
    from amzauth.spapi.exchange import Authorization, aexchange_callback, exchange_callback
    from amzauth.spapi.rotation import NewSecret, RotationResult, parse_new_secret, rotate_secret
    from amzauth.spapi.sigv4 import SigV4Signer
    from amzauth.spapi.storage import load_refresh_token, resolve_profile, save_refresh_token

_LAZY: dict[str, str] = {
    "authorize": "authorize",
    "AuthorizeResult": "authorize",
    "SPAPIClient": "client",
    "AsyncSPAPIClient": "client",
    "NOTIFICATIONS_SCOPE": "client",
    "ROTATION_SCOPE": "client",
    "diagnose_api_error": "client",
    "grantless_plan": "client",
    "secret_expiry": "client",
    "Callback": "consent",
    "ConsentProblem": "consent",
    "ConsentRequest": "consent",
    "build_consent": "consent",
    "check_consent": "consent",
    "diagnose_consent_page": "consent",
    "parse_callback": "consent",
    "pkce_pair": "consent",
    "Authorization": "exchange",
    "exchange_callback": "exchange",
    "aexchange_callback": "exchange",
    "NewSecret": "rotation",
    "RotationResult": "rotation",
    "parse_new_secret": "rotation",
    "rotate_secret": "rotation",
    "SigV4Signer": "sigv4",
    "load_refresh_token": "storage",
    "resolve_profile": "storage",
    "save_refresh_token": "storage",
}
__all__ = [
    "NOTIFICATIONS_SCOPE",
    "ROTATION_SCOPE",
    "AsyncSPAPIClient",
    "Authorization",
    "AuthorizationError",
    "AuthorizationTimeout",
    "AuthorizeResult",
    "Callback",
    "CallbackError",
    "CodeExchangeError",
    "ConsentError",
    "ConsentProblem",
    "ConsentRequest",
    "InvalidInput",
    "InvalidSignature",
    "MissingAuthenticationToken",
    "NewSecret",
    "NotFound",
    "QuotaExceeded",
    "RotationError",
    "RotationResult",
    "SPAPIClient",
    "SPAPIError",
    "SPAPIServerError",
    "SigV4Signer",
    "StateMismatch",
    "StorageError",
    "Unauthorized",
    "aexchange_callback",
    "authorize",
    "build_consent",
    "check_consent",
    "diagnose_api_error",
    "diagnose_consent_page",
    "exchange_callback",
    "grantless_plan",
    "load_refresh_token",
    "parse_callback",
    "parse_new_secret",
    "pkce_pair",
    "resolve_profile",
    "rotate_secret",
    "save_refresh_token",
    "secret_expiry",
]


def __getattr__(name: str) -> Any:
    # The error classes are the public names not mapped above: amzauth.spapi.errors lists them once.
    mod = _LAZY.get(name) or ("errors" if name in __all__ else None)
    if mod is None:
        raise AttributeError(f"module 'amzauth.spapi' has no attribute {name!r}")
    return getattr(importlib.import_module(f"amzauth.spapi.{mod}"), name)
