"""Selling Partner API: authorization (consent, callback, code exchange), clients, secret rotation.

    from amzauth.spapi import build_consent, exchange_callback, SPAPIClient

    consent = build_consent(profile)                  # URL + state (+ PKCE verifier)
    auth = exchange_callback(query, consent, source=profile)
    with SPAPIClient(profile) as sp:
        sp.marketplace_participations()

Names load on first use, so ``import amzauth.spapi`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from amzauth._lazy import lazy_exports
from amzauth.spapi.errors import __all__ as _ERRORS

if TYPE_CHECKING:
    from amzauth.config.profiles import resolve_profile
    from amzauth.config.storage import load_refresh_token, save_refresh_token
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


# The error classes are listed once, in amzauth.spapi.errors.__all__.
__getattr__ = lazy_exports(
    __name__,
    {
        "authorize": "amzauth.spapi.authorize",
        "AuthorizeResult": "amzauth.spapi.authorize",
        "SPAPIClient": "amzauth.spapi.client",
        "AsyncSPAPIClient": "amzauth.spapi.client",
        "NOTIFICATIONS_SCOPE": "amzauth.spapi.client",
        "ROTATION_SCOPE": "amzauth.spapi.client",
        "diagnose_api_error": "amzauth.spapi.client",
        "grantless_plan": "amzauth.spapi.client",
        "secret_expiry": "amzauth.spapi.client",
        "Callback": "amzauth.spapi.consent",
        "ConsentProblem": "amzauth.spapi.consent",
        "ConsentRequest": "amzauth.spapi.consent",
        "build_consent": "amzauth.spapi.consent",
        "check_consent": "amzauth.spapi.consent",
        "diagnose_consent_page": "amzauth.spapi.consent",
        "parse_callback": "amzauth.spapi.consent",
        "pkce_pair": "amzauth.spapi.consent",
        "Authorization": "amzauth.spapi.exchange",
        "exchange_callback": "amzauth.spapi.exchange",
        "aexchange_callback": "amzauth.spapi.exchange",
        "NewSecret": "amzauth.spapi.rotation",
        "RotationResult": "amzauth.spapi.rotation",
        "parse_new_secret": "amzauth.spapi.rotation",
        "rotate_secret": "amzauth.spapi.rotation",
        "SigV4Signer": "amzauth.spapi.sigv4",
        "load_refresh_token": "amzauth.config.storage",
        "resolve_profile": "amzauth.config.profiles",
        "save_refresh_token": "amzauth.config.storage",
    }
    | dict.fromkeys(_ERRORS, "amzauth.spapi.errors"),
)
