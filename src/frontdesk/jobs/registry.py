"""Job kinds: the handler of each kind, the kinds enqueued periodically, and what a handler is given.

A kind module (``frontdesk.attachments.jobs`` …) registers its handlers at import time::

    @handler("blobs.purge")
    async def purge(context: JobContext, payload: dict[str, Any]) -> None:
        async with context.database.unit_of_work() as uow:
            ...

and is listed in :data:`frontdesk.jobs.runner.HANDLER_MODULES`, which every runner imports when it starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from frontdesk.config import Settings
    from frontdesk.db import Database
    from frontdesk.storage.base import Storage


@dataclass(frozen=True)
class JobContext:
    """What one attempt of a job is given besides its payload."""

    database: Database
    settings: Settings
    storage: Storage
    job_id: int
    kind: str
    # This attempt's number: 1 for the first.
    attempts: int
    account_id: int | None


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
H = TypeVar("H", bound=Handler)


class RetryLater(Exception):
    """Raised by a handler: run the job again after ``seconds``. Does not count toward ``max_attempts``."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {seconds:g}s")
        self.seconds = max(0.0, float(seconds))


class PermanentFailure(Exception):
    """Raised by a handler: retrying cannot help, the job is dead at once (with this message as its error)."""


@dataclass(frozen=True)
class Periodic:
    kind: str
    every_seconds: float


_handlers: dict[str, Handler] = {}
_periodic: dict[str, Periodic] = {}


def handler(kind: str) -> Callable[[H], H]:
    """Register ``async def run(context, payload) -> None`` as the handler of ``kind``.

    The handler does its writes in its own ``context.database.unit_of_work()`` and must be idempotent:
    a job runs at least once (again after a crash, a lost outcome or a retry). A kind has one handler;
    registering another one for it is an error (re-importing the same function is not)."""

    def register(function: H) -> H:
        existing = _handlers.get(kind)
        if existing is not None and _name(existing) != _name(function):
            raise ValueError(f"job kind {kind!r} already has a handler: {_name(existing)}")
        _handlers[kind] = function
        return function

    return register


def periodic(kind: str, *, every_seconds: float) -> Callable[[H], H]:
    """Enqueue ``kind`` about every ``every_seconds``: a runner that finds no unfinished job of the kind
    enqueues one due ``every_seconds`` from then. Registers when called; usable as a decorator on (or
    beside) the kind's :func:`handler`."""
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    _periodic[kind] = Periodic(kind, float(every_seconds))

    def keep(function: H) -> H:
        return function

    return keep


def unregister(kind: str) -> None:
    """Forget a kind's handler and schedule (for tests that register kinds of their own)."""
    _handlers.pop(kind, None)
    _periodic.pop(kind, None)


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def periodic_kinds() -> list[Periodic]:
    return list(_periodic.values())


def _name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"
