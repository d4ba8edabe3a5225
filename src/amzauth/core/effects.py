"""The effects and the driver loop shared by every sans-IO flow (token refresh, Creators calls).

A flow is a generator that yields effects (send this request, sleep, take this lock) and gets
back their results; a driver performs them. The loop that feeds results and exceptions back into
the generator is the same for every flow and transport, so it lives here once: a flow module
only says how to perform each of its effects, in a sync and an async variant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

E = TypeVar("E")
R = TypeVar("R")
Q = TypeVar("Q")


@dataclass(frozen=True, slots=True)
class Send(Generic[Q]):
    """Send ``request`` over the flow's transport; the answer comes back into the flow."""

    request: Q


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: float


class Sleep(Pause):
    """Backoff before a retry, through the injected sleep (so tests never really wait)."""

    __slots__ = ()


class Wait(Pause):
    """Real-time wait (another caller's lock, a limiter slot): it waits for real processes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class TryLock:
    """Take the cross-process lock ``key`` as ``owner`` for ``ttl`` seconds; True if taken."""

    key: str
    owner: str
    ttl: float


@dataclass(frozen=True, slots=True)
class Unlock:
    """Release ``key`` if ``owner`` still holds it (compare-and-delete)."""

    key: str
    owner: str


def _advance(gen: Generator[E, Any, R], value: Any, error: BaseException | None) -> tuple[bool, Any]:
    """Send ``value`` into the flow (or throw ``error``): (True, its result) or (False, its next effect)."""
    try:
        return False, gen.throw(error) if error is not None else gen.send(value)
    except StopIteration as stop:
        return True, stop.value


def drive(gen: Generator[E, Any, R], perform: Callable[[E], Any]) -> R:
    """Run ``gen`` to its end: perform each effect and send its result (or throw its error) back."""
    done, out = _advance(gen, None, None)
    while not done:
        try:
            value, error = perform(out), None
        except BaseException as exc:
            value, error = None, exc
        done, out = _advance(gen, value, error)
    result: R = out
    return result


async def adrive(gen: Generator[E, Any, R], perform: Callable[[E], Awaitable[Any]]) -> R:
    """:func:`drive` for asyncio: ``perform`` is awaited (a cancellation is thrown into the flow too)."""
    done, out = _advance(gen, None, None)
    while not done:
        try:
            value, error = await perform(out), None
        except BaseException as exc:
            value, error = None, exc
        done, out = _advance(gen, value, error)
    result: R = out
    return result


async def sleep_maybe_async(sleep: Callable[[float], Any], seconds: float) -> None:
    """Call an injected sleep that may be sync or async (``time.sleep``, ``asyncio.sleep``, a fake)."""
    r = sleep(seconds)
    if asyncio.iscoroutine(r):
        await r
