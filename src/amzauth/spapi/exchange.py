"""Exchanging the consent callback's code for a refresh token: the library API for web apps.

    consent = build_consent(profile)                 # keep consent.state in the user's session
    ...redirect the seller to consent.url...
    auth = exchange_callback(request.query_string, consent, source=profile)
    save(auth.selling_partner_id, auth.refresh_token.reveal())

The code is single-use and lives 5 minutes, so it is sent exactly once, at once, form-encoded,
with the same ``redirect_uri`` as the consent URL (through the token engine's request builder and
transport, never retried). A refusal becomes a :class:`CodeExchangeError` whose diagnosis names
the 5-minute single-use rule, the redirect mismatch or the PKCE verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from amzauth.config.profiles import ConfigError, Profile
from amzauth.config.redact import Secret, redact
from amzauth.core.plan import Plan
from amzauth.core.tokens import Token, TokenRequest, build_token_request
from amzauth.errors import NetworkError, TokenError
from amzauth.spapi.consent import (
    Callback,
    ConsentRequest,
    consent_plan,
    parse_callback,
    pkce_challenge,
    recall_consent,
)
from amzauth.spapi.errors import CodeExchangeError

DEFAULT_TIMEOUT = 15.0
P = ParamSpec("P")
_shared_transport: object | None = None


def _transport() -> object:
    """One token transport per process: a new httpx client costs tens of ms (its TLS context)."""
    global _shared_transport
    if _shared_transport is None:
        from amzauth.engine.transport import HttpxTokenTransport

        _shared_transport = HttpxTokenTransport()
    return _shared_transport


@dataclass(frozen=True, slots=True)
class Authorization:
    """A seller's authorization of the app: the refresh token to keep and a first access token."""

    selling_partner_id: str
    refresh_token: Secret
    access_token: Secret
    expires_at: float
    region: str | None = None
    mws_auth_token: Secret | None = field(default=None)

    def __repr__(self) -> str:
        return (
            f"Authorization(selling_partner_id={self.selling_partner_id!r}, "
            f"refresh_token={redact(self.refresh_token.reveal())!r}, region={self.region!r})"
        )


@dataclass(frozen=True, slots=True)
class _Exchange:
    plan: Plan
    secret: str
    callback: Callback
    redirect_uri: str
    code_verifier: str | None
    consent_redirect_uri: str | None
    challenge_sent: bool
    verifier_differs: bool = False  # a verifier was given that is not the consent request's
    transport: object | None = None
    timeout: float = DEFAULT_TIMEOUT

    def request(self) -> TokenRequest:
        return code_exchange_request(
            self.plan, self.secret, self.callback.code, self.redirect_uri, self.code_verifier
        )


def code_exchange_request(
    plan: Plan, client_secret: str, code: str, redirect_uri: str, code_verifier: str | None = None
) -> TokenRequest:
    """The ``authorization_code`` token request (form-encoded, client id and secret in the body)."""
    return build_token_request(
        plan,
        client_secret,
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
    )


def diagnose_exchange_error(
    exc: TokenError,
    plan: Plan,
    *,
    redirect_uri: str | None = None,
    consent_redirect_uri: str | None = None,
    verifier_sent: bool = False,
    challenge_sent: bool = False,
    verifier_differs: bool = False,
) -> CodeExchangeError:
    """Turn LwA's refusal of a code into a diagnosed error.

    ``invalid_grant ... : code`` has three causes that Amazon does not tell apart; what we know
    locally does: a redirect_uri that differs from the consent step's, a PKCE challenge without its
    verifier, else the code was reused or is older than 5 minutes.
    """
    from amzauth.catalogue import load_catalogue
    from amzauth.core.diagnose import choose, evidence_for

    ev = evidence_for(
        plan,
        client_id=plan.client_id,
        client_secret="",
        stage="token",
        code=exc.error or (str(exc.status) if exc.status else None),
        status=exc.status,
        message=exc.error_description,
        retry_after=exc.retry_after,
    )
    choice = choose(ev)
    code_key = choice.catalogue_code or choice.code
    cause = choice.cause
    if exc.error == "invalid_grant":
        code_key = "invalid_grant"
        if (
            consent_redirect_uri is not None
            and redirect_uri is not None
            and redirect_uri != consent_redirect_uri
        ):
            cause = "code-redirect-mismatch"
        elif (challenge_sent and not verifier_sent) or verifier_differs:
            cause = "code-verifier-mismatch"
        elif cause not in ("code-redirect-mismatch", "code-verifier-mismatch"):
            cause = "code-reused-or-expired"
    elif exc.error == "invalid_request" and "code_verifier" in (exc.error_description or ""):
        code_key, cause = "invalid_grant", "code-verifier-mismatch"
    values = dict(choice.values)
    values["redirect_uri"] = redirect_uri
    cat = load_catalogue()
    entry = cat.get(code_key)
    diagnosis: dict[str, Any] | None = None
    if entry is not None and entry.find_cause(cause) is not None:
        field_override = choice.field if cause == choice.cause else None
        diagnosis = entry.diagnosis(cause, values=values, code=choice.code, field=field_override)
    summary = (diagnosis or {}).get("summary") or str(exc)
    message = f"the authorization code was refused: {exc.error or 'HTTP ' + str(exc.status)}"
    if exc.error_description:
        message += f" ({exc.error_description})"
    message += f". {summary}"
    return CodeExchangeError(
        message,
        code=choice.code,
        cause=cause,
        diagnosis=diagnosis,
        status=exc.status,
        request_id=exc.request_id,
        oauth_error=exc.error,
    )


def _prepare(
    query: Mapping[str, Any] | str,
    expected_state: str | ConsentRequest,
    *,
    source: Profile | Plan,
    client_secret: str | None = None,
    redirect_uri: str | None = None,
    code_verifier: str | None = None,
    transport: object | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> _Exchange:
    """Everything but the one token request: the arguments of (a)exchange_callback, checked."""
    consent = expected_state if isinstance(expected_state, ConsentRequest) else None
    state = consent.state if consent else str(expected_state)
    callback = parse_callback(query, state)  # state first, before anything else is read
    if isinstance(source, Profile):
        plan = consent_plan(source)
        secret = client_secret or source.secret("client_secret")
        redirect = redirect_uri or (consent.redirect_uri if consent else None) or source.get("redirect_uri")
        name, file = source.name, source.file
    else:
        plan = source
        secret = client_secret
        redirect = redirect_uri or (consent.redirect_uri if consent else None)
        name, file = plan.profile, None
    if not secret:
        raise ConfigError(
            "missing required key 'client_secret'", key="client_secret", profile=name, file=file
        )
    if not redirect:
        raise ConfigError(
            "the code exchange needs the redirect_uri used in the consent URL",
            key="redirect_uri",
            profile=name,
            file=file,
            fix="set redirect_uri in the profile to the URI the consent URL used",
        )
    verifier = code_verifier or (consent.code_verifier if consent else None)
    consent_redirect = consent.redirect_uri if consent else None
    challenge = consent.code_challenge if consent else None
    if consent is None:
        # A state from another run (`spapi consent-url`, then `spapi exchange`): what that step noted,
        # else the page the browser landed on, which is the redirect_uri the consent URL named.
        noted = recall_consent(state) or {}
        consent_redirect = noted.get("redirect_uri") or _landing_uri(query)
        challenge = noted.get("code_challenge")
    return _Exchange(
        plan=plan,
        secret=secret,
        callback=callback,
        redirect_uri=redirect,
        code_verifier=verifier,
        consent_redirect_uri=consent_redirect,
        challenge_sent=bool(challenge),
        verifier_differs=bool(challenge and verifier and pkce_challenge(verifier) != challenge),
        transport=transport,
        timeout=timeout,
    )


def _landing_uri(query: Mapping[str, Any] | str) -> str | None:
    """``https://host/path`` of a pasted callback URL (None for a bare query string or a mapping)."""
    if isinstance(query, str) and "://" in query:
        return query.strip().split("?", 1)[0].split("#", 1)[0] or None
    return None


def _finish(ex: _Exchange, outcome: Token | TokenError | NetworkError) -> Authorization:
    if isinstance(outcome, NetworkError):
        raise outcome
    if isinstance(outcome, TokenError):
        raise diagnose_exchange_error(
            outcome,
            ex.plan,
            redirect_uri=ex.redirect_uri,
            consent_redirect_uri=ex.consent_redirect_uri,
            verifier_sent=ex.code_verifier is not None,
            challenge_sent=ex.challenge_sent,
            verifier_differs=ex.verifier_differs,
        ) from None
    if not outcome.refresh_token:
        raise CodeExchangeError(
            "the token endpoint answered the code exchange without a refresh_token",
            code="invalid_token_response",
            field="none",
        )
    mws = ex.callback.mws_auth_token
    return Authorization(
        selling_partner_id=ex.callback.selling_partner_id,
        refresh_token=Secret(outcome.refresh_token),
        access_token=Secret(outcome.access_token),
        expires_at=outcome.expires_at,
        region=ex.plan.region,
        mws_auth_token=Secret(mws) if mws else None,
    )


def _public(shell: Callable[..., Any], name: str, doc: str) -> None:
    """Give a shell over :func:`_prepare` its public name, docstring and signature."""
    import inspect

    shell.__name__ = shell.__qualname__ = name
    shell.__doc__ = doc
    shell.__signature__ = inspect.signature(_prepare).replace(  # type: ignore[attr-defined]
        return_annotation="Authorization"
    )


def _sync(prepare: Callable[P, _Exchange]) -> Callable[P, Authorization]:
    def exchange_callback(*args: P.args, **kwargs: P.kwargs) -> Authorization:
        from amzauth.engine.once import fetch_token_once

        ex = prepare(*args, **kwargs)
        transport = ex.transport or _transport()
        outcome, _info = fetch_token_once(
            ex.plan, ex.secret, request=ex.request(), transport=transport, timeout=ex.timeout
        )
        return _finish(ex, outcome)

    _public(
        exchange_callback,
        "exchange_callback",
        """Check the callback's ``state``, then exchange its code once for a refresh token.

    ``expected_state`` is the state you kept, or the whole :class:`ConsentRequest` (then its
    redirect_uri and PKCE verifier are used too). Raises StateMismatch, CallbackError,
    CodeExchangeError (diagnosed), ConfigError or NetworkError.
    """,
    )
    return exchange_callback


def _async(prepare: Callable[P, _Exchange]) -> Callable[P, Coroutine[Any, Any, Authorization]]:
    async def aexchange_callback(*args: P.args, **kwargs: P.kwargs) -> Authorization:
        from amzauth.engine.once import afetch_token_once

        ex = prepare(*args, **kwargs)
        outcome, _info = await afetch_token_once(
            ex.plan, ex.secret, request=ex.request(), transport=ex.transport, timeout=ex.timeout
        )
        return _finish(ex, outcome)

    _public(aexchange_callback, "aexchange_callback", "The asyncio twin of :func:`exchange_callback`.")
    return aexchange_callback


#: ``exchange_callback(query, expected_state, *, source, client_secret=None, redirect_uri=None,
#: code_verifier=None, transport=None, timeout=15.0) -> Authorization``: the arguments are
#: :func:`_prepare`'s, written once for both shells.
exchange_callback = _sync(_prepare)
aexchange_callback = _async(_prepare)
