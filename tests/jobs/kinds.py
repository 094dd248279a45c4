"""Test-only job kinds, registered when this module is imported (by the tests and by runner_process.py).

Every kind records its executions in :data:`EXECUTIONS` (start and end on one monotonic clock), so a test
can count how often a job ran and whether two runs overlapped."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frontdesk.jobs.runner import JobContext, PermanentFailure, RetryLater, handler

RECORD = "test.record"
FLAKY = "test.flaky"
LATER = "test.later"
PERMANENT = "test.permanent"
HANG = "test.hang"
# Set in a runner process whose hanging jobs must never finish (it is killed mid-job).
HANG_ENV = "FRONTDESK_TEST_JOBS_HANG"


@dataclass
class Execution:
    kind: str
    job_id: int
    attempts: int
    payload: dict[str, Any]
    started: float
    ended: float | None = None


EXECUTIONS: list[Execution] = []
# Job id → how many times test.later asked to run later.
_deferred: dict[int, int] = {}


def reset() -> None:
    EXECUTIONS.clear()
    _deferred.clear()


def executions(kind: str | None = None) -> list[Execution]:
    return [item for item in EXECUTIONS if kind is None or item.kind == kind]


def _begin(context: JobContext, payload: dict[str, Any]) -> Execution:
    item = Execution(context.kind, context.job_id, context.attempts, payload, time.monotonic())
    EXECUTIONS.append(item)
    return item


@handler(RECORD)
async def record(context: JobContext, payload: dict[str, Any]) -> None:
    item = _begin(context, payload)
    await asyncio.sleep(float(payload.get("sleep", 0)))
    item.ended = time.monotonic()


@handler(FLAKY)
async def flaky(context: JobContext, payload: dict[str, Any]) -> None:
    """Fails its first ``fail`` attempts (all of them without ``fail``)."""
    item = _begin(context, payload)
    item.ended = time.monotonic()
    if context.attempts <= int(payload.get("fail", 1_000_000)):
        raise RuntimeError(f"boom {context.attempts}")


@handler(LATER)
async def later(context: JobContext, payload: dict[str, Any]) -> None:
    """Asks to run ``delay`` seconds later ``times`` times (once by default), then succeeds."""
    item = _begin(context, payload)
    item.ended = time.monotonic()
    asked = _deferred.get(context.job_id, 0)
    if asked < int(payload.get("times", 1)):
        _deferred[context.job_id] = asked + 1
        raise RetryLater(float(payload["delay"]), "not ready")


@handler(PERMANENT)
async def permanent(context: JobContext, payload: dict[str, Any]) -> None:
    item = _begin(context, payload)
    item.ended = time.monotonic()
    raise PermanentFailure("the file is gone")


@handler(HANG)
async def hang(context: JobContext, payload: dict[str, Any]) -> None:
    """Writes ``payload["marker"]`` when it starts; hangs for ever where HANG_ENV is set."""
    item = _begin(context, payload)
    await asyncio.to_thread(Path(payload["marker"]).write_text, f"{os.getpid()} {context.attempts}\n")
    if os.environ.get(HANG_ENV) == "1":
        await asyncio.Event().wait()
    await asyncio.sleep(float(payload.get("sleep", 0)))
    item.ended = time.monotonic()
