"""Enqueueing durable work: a ``jobs`` row written in the transaction of the change that needs it, so
a rolled-back change leaves no job and a committed one always has it (the webhook outbox's rule)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert

from frontdesk.db import UnitOfWork
from frontdesk.kit.time import utc_now
from frontdesk.models import jobs


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
    """Write a job of ``kind`` (a handler registered with :func:`frontdesk.jobs.runner.handler`)."""
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
