"""The jobs table's own upkeep: ``jobs.prune`` removes finished jobs once they are old enough."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select

from frontdesk.jobs.registry import JobContext, handler, periodic
from frontdesk.kit.time import utc_now
from frontdesk.models import jobs

PRUNE_KIND = "jobs.prune"
PRUNE_EVERY_SECONDS = 3600.0
# Rows one transaction deletes, so a large backlog never holds SQLite's single writer for long.
PRUNE_BATCH = 5000


@periodic(PRUNE_KIND, every_seconds=PRUNE_EVERY_SECONDS)
@handler(PRUNE_KIND)
async def prune(context: JobContext, payload: dict[str, Any]) -> None:
    """Delete succeeded jobs finished more than ``jobs_keep_succeeded_hours`` ago and dead ones finished more
    than ``jobs_keep_dead_days`` ago. Idempotent: a second run finds less (or nothing) to delete."""
    del payload
    now = utc_now()
    succeeded_before = now - timedelta(hours=context.settings.jobs_keep_succeeded_hours)
    dead_before = now - timedelta(days=context.settings.jobs_keep_dead_days)
    old = or_(
        and_(jobs.c.status == "succeeded", jobs.c.finished_at < succeeded_before),
        and_(jobs.c.status == "dead", jobs.c.finished_at < dead_before),
    )
    while True:
        async with context.database.unit_of_work() as uow:
            batch = select(jobs.c.id).where(old).order_by(jobs.c.id).limit(PRUNE_BATCH).scalar_subquery()
            deleted = (await uow.conn.execute(delete(jobs).where(jobs.c.id.in_(batch)))).rowcount
        if deleted < PRUNE_BATCH:
            return
