"""A job enqueued by the server's own work is picked up at once, not at the next poll (30 s here): the
commit hook wakes the embedded runner; on PostgreSQL so does the NOTIFY of a commit in another process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from frontdesk.jobs.queue import enqueue
from tests.fixtures.server import RunningServer, ThrowawayDatabase, database_kind, serve
from tests.jobs import kinds
from tests.jobs.support import FAST_JOBS, add_job, open_database

SLOW_POLL = {
    **FAST_JOBS,
    "embedded_worker": True,
    "jobs_poll_interval": 30.0,
    "jobs_lease_seconds": 300.0,
    "webhook_poll_interval": 30.0,
}


@pytest.fixture(scope="module")
def job_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, **SLOW_POLL)


def _wait_for_run(job_id: int, within: float = 10.0) -> float:
    started = time.monotonic()
    while not any(item.job_id == job_id for item in kinds.executions()):
        assert time.monotonic() - started < within, f"job {job_id} did not run within {within:g}s"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_job_enqueued_in_the_servers_transaction_wakes_its_runner(
    job_server: RunningServer, test_database: ThrowawayDatabase
) -> None:
    # Let the runner settle into its 30 s wait (its first cycle may still be running).
    time.sleep(0.3)

    async def enqueue_one() -> int:
        async with job_server.database.unit_of_work() as uow:
            return await enqueue(uow, kinds.RECORD, {"via": "server"})

    job_id = job_server.run(enqueue_one)
    # Far sooner than the 30 s poll (or any other timer of the runner).
    assert _wait_for_run(job_id) < 1.0


@pytest.mark.skipif(database_kind() != "postgres", reason="NOTIFY is PostgreSQL's")
def test_a_job_enqueued_by_another_process_wakes_the_runner_by_notify(
    job_server: RunningServer, test_database: ThrowawayDatabase
) -> None:
    time.sleep(0.3)

    async def enqueue_elsewhere() -> int:
        # A Database of its own: no commit hook reaches the server's runner, only the NOTIFY.
        async with open_database(test_database.async_url) as other:
            return await add_job(other, kinds.RECORD, {"via": "notify"})

    job_id = asyncio.run(enqueue_elsewhere())
    # Far sooner than the 30 s poll (or any other timer of the runner).
    assert _wait_for_run(job_id) < 1.0
