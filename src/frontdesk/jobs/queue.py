"""Enqueueing durable work: a ``jobs`` row written in the transaction of the change that needs it, so
a rolled-back change leaves no job and a committed one always has it (the webhook outbox's rule).

On PostgreSQL the same transaction also queues a ``NOTIFY frontdesk_jobs``, which the database delivers
to every runner's ``LISTEN`` when (and only if) it commits; runners of this process are woken by the
database's commit hook (see :class:`frontdesk.jobs.runner.JobRunner`).
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select

from frontdesk.db import UnitOfWork
from frontdesk.kit.time import utc_now
from frontdesk.models import jobs

# PostgreSQL channel an enqueue notifies on commit, so runners in other processes wake at once.
NOTIFY_CHANNEL = "frontdesk_jobs"
# Key spaces of the two-integer advisory locks (distinct from the webhook outbox's one-bigint locks).
ORDERING_LOCKS = 74_001
PERIODIC_LOCKS = 74_002


def lock_key(value: str) -> int:
    """A string as an int4 advisory-lock key."""
    return zlib.crc32(value.encode()) - 2**31


async def enqueue(
    uow: UnitOfWork,
    kind: str,
    payload: dict[str, Any],
    *,
    account_id: int | None = None,
    ordering_key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 10,
) -> int:
    """Write a job of ``kind`` (a handler registered with :func:`frontdesk.jobs.runner.handler`); it runs
    at least once after this transaction commits, and never if it rolls back. Returns the job's id.

    ``payload`` is JSON (ids, not objects: the handler reloads what it needs). Jobs with one
    ``ordering_key`` run one at a time in id order; ``run_at`` delays the first attempt."""
    if not uow.is_sqlite:
        notify = func.pg_notify(literal(NOTIFY_CHANNEL), literal(""))
        if ordering_key is not None:
            # Writers of one key queue up until the first commits, so ids follow commit order per key and
            # a runner never sees a newer job of the key before an older one commits (SQLite's single
            # writer gives that for free).
            lock = func.pg_advisory_xact_lock(literal(ORDERING_LOCKS), literal(lock_key(ordering_key)))
            await uow.conn.execute(select(lock, notify))
        elif "jobs" not in uow.written:
            # One NOTIFY per transaction is enough: the runners then claim every due job.
            await uow.conn.execute(select(notify))
    now = utc_now()
    job_id: int = (
        await uow.conn.execute(
            insert(jobs)
            .values(
                kind=kind,
                account_id=account_id,
                payload=payload,
                ordering_key=ordering_key,
                status="pending",
                attempts=0,
                max_attempts=max_attempts,
                next_attempt_at=run_at or now,
                created_at=now,
            )
            .returning(jobs.c.id)
        )
    ).scalar_one()
    return job_id
