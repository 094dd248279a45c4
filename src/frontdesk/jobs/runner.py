"""The job runner: claims due jobs under a lease, runs their kind's handler, records the outcome.

Guarantees (docs/jobs.md):

* **At least once.** A job is finished (succeeded/dead) only after its handler returned or gave up; a
  runner that dies mid-job leaves a lease that expires, and the job is claimed again. While a handler
  runs, its runner renews the lease, so a slow handler is not run twice at once.
* **In order per ordering key.** Only the oldest unfinished job of a key is eligible, so one key's jobs
  run one after another in id order while other keys go on.
* **Many runners.** On PostgreSQL the claim is ``FOR UPDATE SKIP LOCKED`` in a short transaction that
  sets the lease; on SQLite the single writer already serializes claims.
* **Dead letters.** A job whose handler raised :class:`PermanentFailure`, whose kind has no handler, or
  that failed ``max_attempts`` times stays in the table as ``dead`` with its ``last_error``.

Outcomes: a return → succeeded. :class:`RetryLater` → due again after its delay (not an attempt that
counts). Any other exception → failed and due again after exponential backoff with full jitter, until
``max_attempts`` → dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.config import Settings
from frontdesk.db import Database, UnitOfWork
from frontdesk.jobs.queue import NOTIFY_CHANNEL, PERIODIC_LOCKS, enqueue, lock_key
from frontdesk.jobs.registry import (
    Handler,
    JobContext,
    PermanentFailure,
    RetryLater,
    handler,
    handler_for,
    periodic,
    periodic_kinds,
    unregister,
)
from frontdesk.kit.time import utc_now
from frontdesk.models import jobs
from frontdesk.observability import metrics
from frontdesk.storage.base import Storage
from frontdesk.storage.factory import storage_from_settings
from frontdesk.webhooks.outbox import wake_soon

__all__ = [
    "HANDLER_MODULES",
    "Handler",
    "JobContext",
    "JobRunner",
    "PermanentFailure",
    "RetryLater",
    "backoff_seconds",
    "handler",
    "load_handlers",
    "periodic",
    "unregister",
]

logger = logging.getLogger(__name__)

# The modules that register job kinds: every runner imports them when it starts. Add a kind module here.
HANDLER_MODULES: tuple[str, ...] = (
    "frontdesk.jobs.builtin",
    "frontdesk.attachments.jobs",
    "frontdesk.avatars.jobs",
    "frontdesk.message_templates.jobs",
)

PENDING = "pending"
FAILED = "failed"
SUCCEEDED = "succeeded"
DEAD = "dead"
UNFINISHED = (PENDING, FAILED)
# Literal, so SQLite and PostgreSQL use the partial indexes on unfinished rows.
_UNFINISHED_SQL = "status IN ('pending', 'failed')"
# How often at most a runner checks that a periodic kind has its next job.
PERIODIC_CHECK_SECONDS = 60.0
MAX_ERROR_CHARS = 4000


def load_handlers() -> None:
    """Import every module of :data:`HANDLER_MODULES`, which registers their kinds."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Full jitter: uniform(0, min(max, base·2^(attempts-1)))."""
    ceiling = min(settings.jobs_retry_max_seconds, settings.jobs_retry_base_seconds * 2 ** max(0, attempts - 1))
    return random.uniform(0, ceiling)


@dataclass
class Claimed:
    id: int
    kind: str
    account_id: int | None
    payload: dict[str, Any]
    # Counting this attempt (the claim adds it, so a job whose runner keeps dying still runs out).
    attempts: int
    max_attempts: int


@dataclass
class Outcome:
    claimed: Claimed
    status: str
    attempts: int
    next_attempt_at: datetime
    error: str | None = None


def _describe(error: BaseException) -> str:
    message = str(error)
    return (f"{type(error).__name__}: {message}" if message else type(error).__name__)[:MAX_ERROR_CHARS]


class JobRunner:
    """One runner: a claim loop with up to ``jobs_concurrency`` handlers running at once."""

    def __init__(self, database: Database, settings: Settings, *, name: str | None = None) -> None:
        self.database = database
        self.settings = settings
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.storage: Storage | None = None
        self._own_storage = False
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._listener: AsyncConnection | None = None
        self._commit_hook: Any = None
        self._periodic_checked: dict[str, float] = {}
        self._renewed_at = time.monotonic()
        # Jobs whose handler returned or gave up, by this runner (tests and logs read it).
        self.finished = 0

    # Lifecycle.

    async def start(self) -> None:
        load_handlers()
        if self.storage is None:
            # The serving process's storage when it has one (its files, its HTTP sessions).
            self._own_storage = self.database.storage is None
            self.storage = self.database.storage or storage_from_settings(self.settings)
        wake = wake_soon(asyncio.get_running_loop(), self._wake)

        def on_commit(tables: set[str]) -> None:
            if "jobs" in tables:
                wake()

        self._commit_hook = on_commit
        self.database.commit_hooks.append(on_commit)
        if not self.database.is_sqlite:
            await self._listen()
        self._task = asyncio.create_task(self.run(), name=f"job-runner-{self.owner}")

    async def _listen(self) -> None:
        """PostgreSQL: wake on ``NOTIFY`` from any process's enqueue (see queue.NOTIFY_CHANNEL)."""
        try:
            self._listener = await self.database.write_engine.connect()
            raw = await self._listener.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except Exception:
            # Polling still finds every job; only the latency is worse.
            logger.warning("LISTEN %s failed; polling only", NOTIFY_CHANNEL, exc_info=True)
            await self._close_listener()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Claim nothing more, let running handlers finish and record them for up to
        ``shutdown_grace_seconds``; then cancel them (their jobs run again once their leases expire)."""
        self._stopping = True
        self._wake.set()
        if self._commit_hook is not None:
            with contextlib.suppress(ValueError):
                self.database.commit_hooks.remove(self._commit_hook)
            self._commit_hook = None
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=self.settings.shutdown_grace_seconds)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        await self._close_listener()
        if self.storage is not None:
            if self._own_storage:
                await self.storage.close()
            self.storage = None

    async def run_until_stopped(self) -> None:
        await self.start()
        assert self._task is not None
        await self._task

    # The loop.

    async def run(self) -> None:
        in_flight: dict[asyncio.Task[Outcome], Claimed] = {}
        outcomes: list[Outcome] = []
        try:
            while True:
                if self._stopping and not in_flight and not outcomes:
                    return
                self._wake.clear()
                if not self._stopping:
                    await self._schedule_periodic()
                limit = 0 if self._stopping else self.settings.jobs_concurrency - len(in_flight)
                try:
                    claimed = await self.cycle(outcomes, limit, self._renewals(in_flight))
                except Exception:
                    # Unrecorded outcomes are lost, not their jobs: the leases expire and they run again.
                    logger.exception("recording or claiming jobs failed")
                    claimed = []
                outcomes = []
                if self._stopping and not in_flight:
                    return
                for item in claimed:
                    in_flight[asyncio.create_task(self.execute(item), name=f"job-{item.id}")] = item
                waker = asyncio.create_task(self._wake.wait())
                timeout = self._wait_seconds(bool(in_flight))
                await asyncio.wait({*in_flight, waker}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
                for task in [task for task in in_flight if task.done()]:
                    del in_flight[task]
                    if not task.cancelled():
                        outcomes.append(task.result())
        except asyncio.CancelledError:
            # Stopped past the grace period: the handlers stop too, and their jobs are freed for the next claim.
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._release([item.id for item in in_flight.values()]), timeout=5)
            raise

    def _wait_seconds(self, running: bool) -> float:
        if not running:
            return self.settings.jobs_poll_interval
        # Wake in time to renew the leases of running handlers.
        return max(0.01, min(self.settings.jobs_poll_interval, self.settings.jobs_lease_seconds / 3))

    def _renewals(self, in_flight: dict[asyncio.Task[Outcome], Claimed]) -> list[int]:
        if not in_flight or time.monotonic() - self._renewed_at < self.settings.jobs_lease_seconds / 3:
            return []
        self._renewed_at = time.monotonic()
        return [item.id for task, item in in_flight.items() if not task.done()]

    async def cycle(self, outcomes: list[Outcome], limit: int, renew: list[int] | None = None) -> list[Claimed]:
        """Record finished jobs, renew the leases of running ones and claim up to ``limit`` due jobs, in one
        short transaction (a recorded success frees the next job of its ordering key for this very claim)."""
        if not outcomes and limit <= 0 and not renew:
            return []
        async with self.database.unit_of_work() as uow:
            if outcomes:
                await self.record(uow, outcomes)
            if renew:
                await self._renew(uow, renew)
            if limit <= 0:
                return []
            return await self.claim(uow, limit)

    async def claim(self, uow: UnitOfWork, limit: int) -> list[Claimed]:
        j = jobs
        older = jobs.alias("older")
        now = utc_now()
        blocked = exists(
            select(older.c.id).where(
                older.c.ordering_key == j.c.ordering_key,
                text(f"older.{_UNFINISHED_SQL}"),
                older.c.id < j.c.id,
            )
        )
        eligible = (
            select(j.c.id)
            .where(
                text(f"jobs.{_UNFINISHED_SQL}"),
                j.c.next_attempt_at <= now,
                or_(j.c.leased_until.is_(None), j.c.leased_until < now),
                ~blocked,
            )
            .order_by(j.c.next_attempt_at, j.c.id)
            .limit(limit)
        )
        if not self.database.is_sqlite:
            eligible = eligible.with_for_update(skip_locked=True, of=j)
        statement = (
            update(j)
            .where(j.c.id.in_(eligible.scalar_subquery()))
            .values(
                leased_until=now + timedelta(seconds=self.settings.jobs_lease_seconds),
                lease_owner=self.owner,
                attempts=j.c.attempts + 1,
            )
            .returning(j.c.id, j.c.kind, j.c.account_id, j.c.payload, j.c.attempts, j.c.max_attempts)
        )
        claimed = [
            Claimed(
                id=row.id,
                kind=row.kind,
                account_id=row.account_id,
                payload=dict(row.payload or {}),
                attempts=row.attempts,
                max_attempts=row.max_attempts,
            )
            for row in await uow.conn.execute(statement)
        ]
        claimed.sort(key=lambda item: item.id)
        return claimed

    async def execute(self, item: Claimed) -> Outcome:
        """Run one claimed job's handler; the outcome to record (never raises, except when cancelled)."""
        now = utc_now
        if item.attempts > item.max_attempts:
            # Its last allowed attempt was claimed and never recorded: that runner died (or lost its outcome).
            error = f"The runner of attempt {item.attempts - 1} vanished (its lease expired)"
            return Outcome(item, DEAD, item.attempts - 1, now(), error)
        run = handler_for(item.kind)
        if run is None:
            return Outcome(item, DEAD, item.attempts, now(), f"No handler is registered for job kind {item.kind!r}")
        assert self.storage is not None
        context = JobContext(
            database=self.database,
            settings=self.settings,
            storage=self.storage,
            job_id=item.id,
            kind=item.kind,
            attempts=item.attempts,
            account_id=item.account_id,
        )
        try:
            await run(context, item.payload)
        except RetryLater as retry:
            return Outcome(item, PENDING, item.attempts - 1, now() + timedelta(seconds=retry.seconds), str(retry))
        except PermanentFailure as error:
            logger.warning("job %s (%s) failed permanently: %s", item.id, item.kind, error)
            return Outcome(item, DEAD, item.attempts, now(), _describe(error))
        except asyncio.CancelledError as error:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            return self._failed(item, error)
        except Exception as error:
            logger.exception("job %s (%s) attempt %s failed", item.id, item.kind, item.attempts)
            return self._failed(item, error)
        return Outcome(item, SUCCEEDED, item.attempts, now())

    def _failed(self, item: Claimed, error: BaseException) -> Outcome:
        if item.attempts >= item.max_attempts:
            return Outcome(item, DEAD, item.attempts, utc_now(), _describe(error))
        delay = backoff_seconds(self.settings, item.attempts)
        return Outcome(item, FAILED, item.attempts, utc_now() + timedelta(seconds=delay), _describe(error))

    async def record(self, uow: UnitOfWork, outcomes: list[Outcome]) -> None:
        """Write outcomes, each only if this runner still holds the job (a runner whose lease expired and
        was taken over leaves the outcome to the new holder)."""
        j = jobs
        now = utc_now()
        statement = (
            update(j)
            .where(j.c.id == bindparam("b_id"), j.c.lease_owner == self.owner, text(f"jobs.{_UNFINISHED_SQL}"))
            .values(
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                next_attempt_at=bindparam("b_next"),
                last_error=func.coalesce(bindparam("b_error"), j.c.last_error),
                finished_at=bindparam("b_finished"),
                leased_until=None,
                lease_owner=None,
            )
        )
        rows = [
            {
                "b_id": outcome.claimed.id,
                "b_status": outcome.status,
                "b_attempts": outcome.attempts,
                "b_next": outcome.next_attempt_at,
                "b_error": outcome.error,
                "b_finished": now if outcome.status in (SUCCEEDED, DEAD) else None,
            }
            for outcome in outcomes
        ]
        await uow.conn.execute(statement, rows)
        metrics.count_jobs((outcome.claimed.kind, outcome.status) for outcome in outcomes)
        self.finished += sum(1 for outcome in outcomes if outcome.status in (SUCCEEDED, DEAD))

    async def _renew(self, uow: UnitOfWork, job_ids: list[int]) -> None:
        await uow.conn.execute(
            update(jobs)
            .where(jobs.c.id.in_(job_ids), jobs.c.lease_owner == self.owner)
            .values(leased_until=utc_now() + timedelta(seconds=self.settings.jobs_lease_seconds))
        )

    async def _release(self, job_ids: list[int]) -> None:
        if not job_ids:
            return
        async with self.database.unit_of_work() as uow:
            await uow.conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(job_ids), jobs.c.lease_owner == self.owner)
                .values(leased_until=None, lease_owner=None)
            )

    # Periodic kinds.

    async def _schedule_periodic(self) -> None:
        clock = time.monotonic()
        for schedule in periodic_kinds():
            interval = min(schedule.every_seconds, PERIODIC_CHECK_SECONDS)
            checked = self._periodic_checked.get(schedule.kind)
            if checked is not None and clock - checked < interval:
                continue
            self._periodic_checked[schedule.kind] = clock
            try:
                await self.ensure_periodic(schedule.kind, schedule.every_seconds)
            except Exception:
                logger.exception("scheduling periodic job %s failed", schedule.kind)

    async def ensure_periodic(self, kind: str, every_seconds: float) -> int | None:
        """Enqueue ``kind`` due in ``every_seconds`` unless an unfinished job of it exists; the new job's id.

        Race-free across runners: PostgreSQL serializes the check and the insert under a transaction-scoped
        advisory lock of the kind, SQLite under its single writer."""
        async with self.database.unit_of_work() as uow:
            if not uow.is_sqlite:
                await uow.conn.execute(
                    select(func.pg_advisory_xact_lock(literal(PERIODIC_LOCKS), literal(lock_key(kind))))
                )
            found = await uow.conn.execute(
                select(jobs.c.id).where(text(f"jobs.{_UNFINISHED_SQL}"), jobs.c.kind == kind).limit(1)
            )
            if found.first() is not None:
                return None
            return await enqueue(uow, kind, {}, run_at=utc_now() + timedelta(seconds=every_seconds))
