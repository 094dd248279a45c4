"""Helpers of the job tests: fast settings, a database and runners on the test's own loop, waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from frontdesk.config import Settings
from frontdesk.db import Database
from frontdesk.jobs.queue import enqueue
from frontdesk.jobs.runner import JobRunner
from frontdesk.models import jobs
from tests.fixtures.server import settings_for

FAST_JOBS: dict[str, Any] = {
    "jobs_poll_interval": 0.05,
    "jobs_lease_seconds": 5.0,
    "jobs_retry_base_seconds": 0.05,
    "jobs_retry_max_seconds": 0.2,
    "jobs_concurrency": 4,
    "shutdown_grace_seconds": 5.0,
}


def job_settings(url: str, data_dir: Path, **overrides: Any) -> Settings:
    return settings_for(url, data_dir, **{**FAST_JOBS, **overrides})


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[Database]:
    database = Database(url, pool_size=4)
    try:
        yield database
    finally:
        await database.dispose()


@asynccontextmanager
async def running(database: Database, settings: Settings, name: str | None = None) -> AsyncIterator[JobRunner]:
    runner = JobRunner(database, settings, name=name)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


async def add_job(database: Database, kind: str, payload: dict[str, Any] | None = None, **options: Any) -> int:
    async with database.unit_of_work() as uow:
        return await enqueue(uow, kind, payload or {}, **options)


async def job_row(database: Database, job_id: int) -> Any:
    async with database.read_engine.connect() as conn:
        return (await conn.execute(sa.select(jobs).where(jobs.c.id == job_id))).one()


async def job_rows(database: Database, *conditions: Any) -> list[Any]:
    async with database.read_engine.connect() as conn:
        return list(await conn.execute(sa.select(jobs).where(*conditions).order_by(jobs.c.id)))


async def wait_until(check: Callable[[], Awaitable[bool]], within: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g}s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_status(
    database: Database, job_id: int, statuses: tuple[str, ...] = ("succeeded",), within: float = 10.0
) -> Any:
    async def finished() -> bool:
        return (await job_row(database, job_id)).status in statuses

    await wait_until(finished, within, f"job {job_id} to be {' or '.join(statuses)}")
    return await job_row(database, job_id)
