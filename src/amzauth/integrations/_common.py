"""What every SDK adapter shares: version pins, one token manager per credential, diagnosed errors.

An adapter turns an SDK client's own settings (credential, endpoint) into an amzauth profile, takes
the process-wide :class:`TokenManager` for it (so every client of one credential in a process shares
one manager, and processes share the profile's store), and turns a failed token request into the
SDK's usual exception type carrying the doctor's diagnosis.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Final

from amzauth.config import Profile, profile_from_mapping
from amzauth.core.diagnose import choose, evidence_for
from amzauth.core.inspect import inspect_profile
from amzauth.core.plan import Plan, build_plan
from amzauth.engine import TokenManager, manager_for_profile
from amzauth.errors import AmzAuthError, NetworkError, TokenError

# Distribution name -> (first supported release, first unsupported release, release tested in CI).
SUPPORTED: Final[dict[str, tuple[tuple[int, ...], tuple[int, ...], str]]] = {
    "amazon-creatorsapi-python-sdk": ((1, 2, 0), (1, 3), "1.2.0"),
    "python-amazon-paapi": ((7, 1, 0), (7, 2), "7.1.0"),
    "python-amazon-sp-api": ((2, 1, 35), (2, 2), "2.1.35"),
    "amzn-sp-api": ((1, 13, 0), (1, 14), "1.13.0"),
}


class UnsupportedSDK(AmzAuthError):
    """The installed SDK is missing or outside the range amzauth's integration was tested with."""

    code = "unsupported-sdk"

    def __init__(self, dist: str, installed: str | None) -> None:
        low, high, tested = SUPPORTED[dist]
        self.dist = dist
        self.installed = installed
        self.supported = f">={_dotted(low)},<{_dotted(high)}"
        have = f"{dist} {installed} is installed" if installed else f"{dist} is not installed"
        self.fix = f'pip install "{dist}{self.supported}" (tested: {tested})'
        super().__init__(f"{have}; amzauth.integrations supports {dist}{self.supported}: {self.fix}")


def _dotted(v: tuple[int, ...]) -> str:
    return ".".join(map(str, v))


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version.split("+")[0])[:3])


def check_version(dist: str) -> str:
    """The installed version of ``dist``; raises :class:`UnsupportedSDK` outside the tested range."""
    try:
        installed = metadata.version(dist)
    except metadata.PackageNotFoundError:
        raise UnsupportedSDK(dist, None) from None
    low, high, _ = SUPPORTED[dist]
    if not low <= _release(installed) < high:
        raise UnsupportedSDK(dist, installed)
    return installed


# ---- endpoints --------------------------------------------------------------------------------
_SANDBOX_FORM: Final = re.compile(r"^(https?://[^/]+)/((?:[a-z0-9-]+\.)+[a-z]+)(/.*)?$", re.IGNORECASE)


def endpoint_keys(url: str | None, default: str | None) -> dict[str, str]:
    """Profile keys for an SDK's token URL: none for the default, ``sandbox`` for the sandbox's scheme.

    ``http://127.0.0.1:8700/api.amazon.com/auth/o2/token`` is the sandbox serving Amazon's
    ``https://api.amazon.com/auth/o2/token`` (docs/sandbox.md); anything else is an ``auth_endpoint``.
    """
    if not url or url == default:
        return {}
    m = _SANDBOX_FORM.match(url)
    if m and "amazon" in m.group(2).lower():
        amazon = f"https://{m.group(2)}{m.group(3) or ''}"
        keys = {"sandbox": m.group(1)}
        if amazon != default:
            keys["auth_endpoint"] = amazon
        return keys
    return {"auth_endpoint": url}


# ---- one manager per credential and store, per process ------------------------------------------
@dataclass(frozen=True, slots=True)
class Binding:
    """An SDK client's credential as amzauth sees it: the profile, its plan and the shared manager."""

    profile: Profile | None  # None when a manager was given and the SDK's settings make no profile
    plan: Plan
    manager: TokenManager

    def token(self, make_error: Callable[[str, AmzAuthError, dict[str, Any] | None], Exception]) -> str:
        """An access token from the engine; a failure becomes ``make_error(message, error, diagnosis)``."""
        try:
            return self.manager.get_token().access_token
        except (TokenError, NetworkError) as exc:
            diagnosis = diagnose(exc, self)
            raise make_error(describe(exc, diagnosis), exc, diagnosis) from exc

    def forget(self, access_token: str | None) -> None:
        """The SDK saw its token rejected: the next call refreshes (once, whoever asks first)."""
        self.manager.invalidate(access_token)


_MANAGERS: dict[tuple[Any, ...], TokenManager] = {}
_MANAGERS_LOCK = threading.Lock()


def bind(
    settings: Mapping[str, Any],
    *,
    profile: Profile | str | None = None,
    manager: TokenManager | None = None,
    name: str = "sdk",
    **extra: Any,
) -> Binding:
    """The binding for an SDK client: an explicit manager or profile wins over the client's own settings.

    ``extra`` adds profile keys to the derived profile (``store="redis"``, ``redis_url=...``,
    ``cache_dir=...``, ``timeout=...``). Raises ConfigError naming the key on bad settings.
    """
    if manager is not None:
        return Binding(_profile_of(manager, settings), manager.plan, manager)
    if isinstance(profile, str):
        from amzauth.config import load_profile

        prof = load_profile(profile)
    elif profile is not None:
        prof = profile
    else:
        prof = profile_from_mapping(
            {k: v for k, v in {**settings, **extra}.items() if v is not None}, name=name
        )
    plan = build_plan(prof)
    secret = prof.secret("client_secret") or ""
    refresh = prof.secret("refresh_token") if plan.grant_type == "refresh_token" else None
    key = (
        plan.token_endpoint,
        plan.scope,
        plan.cache_key(secret, refresh),
        prof.get("store"),
        prof.get("cache_dir"),
        prof.get("redis_url"),
    )
    with _MANAGERS_LOCK:
        shared = _MANAGERS.get(key)
        if shared is None:
            shared = _MANAGERS[key] = manager_for_profile(prof, plan=plan)
    return Binding(prof, plan, shared)


def _profile_of(manager: TokenManager, settings: Mapping[str, Any]) -> Profile | None:
    try:
        return profile_from_mapping(
            {k: v for k, v in settings.items() if v is not None}, name=manager.plan.profile
        )
    except Exception:  # only used to refine diagnoses
        return None


# ---- diagnosed errors -----------------------------------------------------------------------------
def diagnose(exc: TokenError | NetworkError, binding: Binding) -> dict[str, Any] | None:
    """The doctor's diagnosis (code, cause, field, fix, ...) of a failed token request, or None."""
    from amzauth.catalogue import load_catalogue

    prof, plan = binding.profile, binding.plan
    try:
        common: dict[str, Any] = dict(
            client_id=plan.client_id,
            client_secret=(prof.secret("client_secret") if prof else None) or "",
            stage="token",
            findings=tuple(inspect_profile(prof, plan)) if prof else (),
            draft=bool(prof.get("draft")) if prof else False,
        )
        if isinstance(exc, NetworkError):
            ev = evidence_for(plan, code="network", message=exc.kind, **common)
        else:
            ev = evidence_for(
                plan,
                code=exc.error or exc.code,
                status=exc.status,
                message=exc.error_description or "",
                clock_skew=binding.manager.last_clock_skew,
                retry_after=exc.retry_after,
                **common,
            )
        choice = choose(ev)
        return load_catalogue().diagnosis_for(choice)
    except Exception:  # a diagnosis is a bonus; never let it hide the token error itself
        return None


def describe(exc: AmzAuthError, diagnosis: dict[str, Any] | None) -> str:
    """One message line: amzauth's error, then the diagnosis (what to change, and how)."""
    text = f"amzauth token request failed: {exc}"
    if diagnosis:
        fix = "; ".join(diagnosis.get("fix") or ())
        text += (
            f" | diagnosis: code={diagnosis['code']} cause={diagnosis['cause']} field={diagnosis['field']}"
            f" | {diagnosis['summary']}" + (f" | fix: {fix}" if fix else "")
        )
    return text


class Diagnosed:
    """Mixed into the SDK's own exception type: amzauth's diagnosis as attributes.

    ``diagnosis`` is the doctor-report object (None when no cause could be chosen); ``code``,
    ``cause``, ``field`` and ``fix`` are its parts (``code`` is the error's own when there is no
    diagnosis); ``amzauth_error`` is the engine's TokenError or NetworkError.
    """

    diagnosis: dict[str, Any] | None
    amzauth_error: AmzAuthError
    code: str
    cause: Any
    field: str | None
    fix: tuple[str, ...]
    sdk_type: type[BaseException]  # the SDK's own exception class this one extends

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (process pools, multiprocessing queues) although the class is made at run time.
        return (_rebuild, (self.sdk_type, getattr(self, "args", ()), dict(self.__dict__)))


_ERROR_TYPES: dict[type[BaseException], type[BaseException]] = {}


def diagnosed_type(base: type[BaseException]) -> type[BaseException]:
    """The subclass of the SDK's exception ``base`` that carries a diagnosis (one per base, same name)."""
    with _MANAGERS_LOCK:
        cls = _ERROR_TYPES.get(base)
        if cls is None:
            cls = _ERROR_TYPES[base] = type(
                base.__name__,
                (Diagnosed, base),
                {
                    "__module__": base.__module__,
                    "__qualname__": base.__qualname__,
                    "__doc__": base.__doc__,
                    "sdk_type": base,
                },
            )
    return cls


def diagnosed_error(
    base: type[BaseException],
    args: tuple[Any, ...],
    error: AmzAuthError,
    diagnosis: dict[str, Any] | None,
) -> BaseException:
    """An instance of a subclass of the SDK's exception ``base`` (built with ``args``) carrying the diagnosis."""
    err = diagnosed_type(base)(*args)
    d = diagnosis or {}
    attrs = {
        "diagnosis": diagnosis,
        "amzauth_error": error,
        "code": d.get("code") or getattr(error, "code", "error"),
        "cause": d.get("cause"),
        "field": d.get("field"),
        "fix": tuple(d.get("fix") or ()),
    }
    for name, value in attrs.items():
        setattr(err, name, value)
    return err


def _rebuild(base: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    cls = diagnosed_type(base)
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err
