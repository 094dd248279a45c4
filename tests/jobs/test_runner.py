"""The runner against a real database (SQLite, or PostgreSQL with FRONTDESK_TEST_DATABASE=postgres)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontdesk.config import Settings
from frontdesk.jobs.builtin import PRUNE_KIND
from frontdesk.jobs.queue import enqueue
from frontdesk.jobs.runner import JobRunner, backoff_seconds, handler, periodic, unregister
from frontdesk.kit.time import utc_now
from frontdesk.models import jobs
from frontdesk.observability import metrics
from tests.jobs import kinds
from tests.jobs.support import (
    add_job,
    job_row,
    job_rows,
    open_database,
    running,
    wait_for_status,
    wait_until,
)


async def test_a_job_runs_once_after_commit_and_not_when_its_transaction_rolls_back(
    url: str, settings: Settings
) -> None:
    async with open_database(url) as database, running(database, settings):
        committed = await add_job(database, kinds.RECORD, {"n": 1}, account_id=7)
        with pytest.raises(RuntimeError):
            async with database.unit_of_work() as uow:
                await enqueue(uow, kinds.RECORD, {"n": 2})
                raise RuntimeError("the change fails")
        row = await wait_for_status(database, committed)
        # A later job finishing shows the runner had its chance to run anything else.
        sentinel = await add_job(database, kinds.RECORD, {"n": 3})
        await wait_for_status(database, sentinel)
        assert [item.payload["n"] for item in kinds.executions()] == [1, 3]
        assert len(await job_rows(database, jobs.c.kind == kinds.RECORD)) == 2
    assert row.attempts == 1
    assert row.finished_at is not None
    assert row.lease_owner is None and row.leased_until is None
    assert row.account_id == 7


async def test_failures_back_off_and_end_dead_after_max_attempts(url: str, settings: Settings) -> None:
    async with open_database(url) as database, running(database, settings):
        doomed = await add_job(database, kinds.FLAKY, {}, max_attempts=3)
        recovering = await add_job(database, kinds.FLAKY, {"fail": 2}, max_attempts=5)
        dead = await wait_for_status(database, doomed, ("dead",))
        succeeded = await wait_for_status(database, recovering)
    assert dead.attempts == 3
    assert dead.last_error == "RuntimeError: boom 3"
    assert dead.finished_at is not None
    assert [item.attempts for item in kinds.executions() if item.job_id == doomed] == [1, 2, 3]
    assert succeeded.attempts == 3
    # The error of the last failure stays for the record.
    assert succeeded.last_error == "RuntimeError: boom 2"


def test_backoff_is_full_jitter_under_an_exponential_ceiling(settings: Settings) -> None:
    settings = dataclasses.replace(settings, jobs_retry_base_seconds=2.0, jobs_retry_max_seconds=3600.0)
    random.seed(1)
    for attempts, ceiling in ((1, 2.0), (2, 4.0), (5, 32.0), (20, 3600.0)):
        delays = [backoff_seconds(settings, attempts) for _ in range(500)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling * 0.9 and min(delays) < ceiling * 0.1


async def test_retry_later_reschedules_without_using_an_attempt(url: str, settings: Settings) -> None:
    async with open_database(url) as database, running(database, settings):
        job_id = await add_job(database, kinds.LATER, {"delay": 0.5, "times": 2}, max_attempts=1)

        async def deferred() -> bool:
            return len(kinds.executions()) >= 1 and (await job_row(database, job_id)).leased_until is None

        await wait_until(deferred, what="the first attempt to ask for later")
        waiting = await job_row(database, job_id)
        assert waiting.status == "pending"
        assert waiting.attempts == 0
        assert waiting.last_error == "not ready"
        assert waiting.next_attempt_at > utc_now() + timedelta(seconds=0.2)
        row = await wait_for_status(database, job_id)
    runs = kinds.executions()
    assert len(runs) == 3
    assert runs[1].started - runs[0].started >= 0.5
    assert runs[2].started - runs[1].started >= 0.5
    # max_attempts=1, yet it ran three times: asking for later is not a failure.
    assert row.attempts == 1


async def test_permanent_failure_and_unknown_kinds_are_dead_at_once(url: str, settings: Settings) -> None:
    async with open_database(url) as database, running(database, settings):
        permanent = await add_job(database, kinds.PERMANENT)
        unknown = await add_job(database, "test.nobody-handles-this")
        gone = await wait_for_status(database, permanent, ("dead",))
        orphan = await wait_for_status(database, unknown, ("dead",))
    assert (gone.attempts, gone.last_error) == (1, "PermanentFailure: the file is gone")
    assert len(kinds.executions()) == 1
    assert orphan.last_error == "No handler is registered for job kind 'test.nobody-handles-this'"
    assert orphan.finished_at is not None


async def test_one_key_runs_in_id_order_one_at_a_time_while_other_keys_proceed(url: str, settings: Settings) -> None:
    async with open_database(url) as database:
        ids: dict[str, list[int]] = {"a": [], "b": [], "c": []}
        async with database.unit_of_work() as uow:
            # The first job of "stuck" waits a minute: the rest of its key waits, the other keys do not.
            stuck = [
                await enqueue(uow, kinds.LATER, {"delay": 60}, ordering_key="stuck"),
                await enqueue(uow, kinds.RECORD, {"key": "stuck"}, ordering_key="stuck"),
            ]
            for _ in range(6):
                for key in ids:
                    ids[key].append(await enqueue(uow, kinds.RECORD, {"key": key, "sleep": 0.02}, ordering_key=key))
            free = [await enqueue(uow, kinds.RECORD, {"key": None, "sleep": 0.02}) for _ in range(4)]
        async with running(database, settings):
            for job_id in [*free, *(job_id for key_ids in ids.values() for job_id in key_ids)]:
                await wait_for_status(database, job_id)
            assert (await job_row(database, stuck[0])).status == "pending"
            assert (await job_row(database, stuck[1])).status == "pending"
    runs = {item.job_id: item for item in kinds.executions(kinds.RECORD)}
    assert stuck[1] not in runs
    for key_ids in ids.values():
        assert sorted(key_ids, key=lambda job_id: runs[job_id].started) == key_ids
        for earlier, later in itertools.pairwise(key_ids):
            ended = runs[earlier].ended
            assert ended is not None and ended <= runs[later].started
    # Different keys did run side by side (concurrency 4).
    first = {key: runs[key_ids[0]] for key, key_ids in ids.items()}
    assert any(
        other.started < (item.ended or 0) for item in first.values() for other in first.values() if other is not item
    )


async def test_two_runners_never_run_one_job_twice(url: str, settings: Settings) -> None:
    """Many jobs, two runners with their own pools (as two processes have): each job runs exactly once."""
    async with open_database(url) as one, open_database(url) as two:
        async with one.unit_of_work() as uow:
            ids = [
                await enqueue(uow, kinds.RECORD, {"sleep": 0.003}, ordering_key=f"k{n % 5}" if n % 2 else None)
                for n in range(150)
            ]
        async with running(one, settings, "runner-one") as first, running(two, settings, "runner-two") as second:

            async def all_done() -> bool:
                rows = await job_rows(one, jobs.c.kind == kinds.RECORD, jobs.c.status != "succeeded")
                return not rows

            await wait_until(all_done, within=60, what="every job to succeed")
            assert first.finished > 0 and second.finished > 0, "both runners should have had work"
    counts: dict[int, int] = {}
    for item in kinds.executions():
        counts[item.job_id] = counts.get(item.job_id, 0) + 1
    assert counts == dict.fromkeys(ids, 1)
    assert all(row.attempts == 1 for row in await _all_rows(url))


async def _all_rows(url: str) -> list[sa.Row[tuple[object, ...]]]:
    async with open_database(url) as database:
        return await job_rows(database, jobs.c.kind == kinds.RECORD)


async def test_a_running_handler_keeps_its_lease_beyond_the_lease_time(url: str, settings: Settings) -> None:
    """A handler slower than the lease is not taken over: its runner renews the lease while it runs."""
    settings = dataclasses.replace(settings, jobs_lease_seconds=1.5)
    async with open_database(url) as one, open_database(url) as two:
        job_id = await add_job(one, kinds.RECORD, {"sleep": 3.5})
        async with running(one, settings, "runner-one"), running(two, settings, "runner-two"):
            await wait_for_status(one, job_id, within=15)
    assert len(kinds.executions()) == 1


async def test_a_runner_cancelled_past_its_grace_frees_its_jobs_for_another(url: str, settings: Settings) -> None:
    settings = dataclasses.replace(settings, shutdown_grace_seconds=0.2)
    async with open_database(url) as database:
        job_id = await add_job(database, kinds.RECORD, {"sleep": 30})
        runner = JobRunner(database, settings, name="impatient")
        await runner.start()
        await wait_until(lambda: _started(job_id), what="the slow job to start")
        await runner.stop()
        row = await job_row(database, job_id)
        assert (row.status, row.lease_owner, row.attempts) == ("pending", None, 1)
        kinds.reset()
        faster = dataclasses.replace(settings, shutdown_grace_seconds=5.0)
        async with database.unit_of_work() as uow:
            await uow.conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(payload={"sleep": 0}))
        async with running(database, faster, "successor"):
            row = await wait_for_status(database, job_id)
    assert row.attempts == 2


async def _started(job_id: int) -> bool:
    return any(item.job_id == job_id for item in kinds.executions())


async def test_stop_waits_for_running_handlers(url: str, settings: Settings) -> None:
    async with open_database(url) as database:
        job_id = await add_job(database, kinds.RECORD, {"sleep": 0.5})
        runner = JobRunner(database, settings)
        await runner.start()
        await wait_until(lambda: _started(job_id), what="the job to start")
        await runner.stop()
        row = await job_row(database, job_id)
    assert row.status == "succeeded"


async def test_periodic_kinds_have_at_most_one_unfinished_job(url: str, settings: Settings) -> None:
    tick = "test.tick"
    periodic(tick, every_seconds=0.3)
    handler(tick)(kinds.record)
    try:
        async with open_database(url) as one, open_database(url) as two:
            runners = [JobRunner(one, settings, name="p1"), JobRunner(two, settings, name="p2")]
            # Many concurrent checks, from both databases' runners: one job.
            created = await asyncio.gather(*(runners[n % 2].ensure_periodic(tick, 0.3) for n in range(12)))
            assert len([job_id for job_id in created if job_id is not None]) == 1
            unfinished = await job_rows(one, jobs.c.kind == tick, jobs.c.status.in_(("pending", "failed")))
            assert len(unfinished) == 1
            async with running(one, settings, "p1"), running(two, settings, "p2"):

                async def ticked_thrice() -> bool:
                    rows = await job_rows(one, jobs.c.kind == tick)
                    unfinished = [row for row in rows if row.status in ("pending", "failed")]
                    assert len(unfinished) <= 1, "two unfinished jobs of one periodic kind"
                    return sum(row.status == "succeeded" for row in rows) >= 3

                await wait_until(ticked_thrice, within=15, what="three periodic runs")
        ticks = sorted(item.started for item in kinds.executions(tick))
        # Two runners, yet about one run per interval.
        assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(ticks))
    finally:
        unregister(tick)


async def test_prune_deletes_old_succeeded_and_dead_jobs(url: str, settings: Settings) -> None:
    now = utc_now()
    ages = {
        "old succeeded": ("succeeded", timedelta(hours=169)),
        "recent succeeded": ("succeeded", timedelta(hours=167)),
        "old dead": ("dead", timedelta(days=31)),
        "recent dead": ("dead", timedelta(days=29)),
        "old failed": ("failed", None),
    }
    async with open_database(url) as database:
        async with database.unit_of_work() as uow:
            for name, (status, age) in ages.items():
                await uow.conn.execute(
                    sa.insert(jobs).values(
                        kind=kinds.RECORD,
                        payload={"name": name},
                        status=status,
                        created_at=now - timedelta(days=60),
                        # Unfinished, but not due: the runner leaves it alone.
                        next_attempt_at=now + timedelta(days=1),
                        finished_at=now - age if age is not None else None,
                    )
                )
        async with running(database, settings):
            prune = await add_job(database, PRUNE_KIND)
            await wait_for_status(database, prune)
            left = {row.payload["name"] for row in await job_rows(database, jobs.c.kind == kinds.RECORD)}
    assert left == {"recent succeeded", "recent dead", "old failed"}


async def test_prune_is_a_periodic_kind(url: str, settings: Settings) -> None:
    async with open_database(url) as database, running(database, settings):

        async def scheduled() -> bool:
            return bool(await job_rows(database, jobs.c.kind == PRUNE_KIND))

        await wait_until(scheduled, what="jobs.prune to be scheduled")
        (row,) = await job_rows(database, jobs.c.kind == PRUNE_KIND)
    assert row.status == "pending"
    assert row.next_attempt_at > utc_now() + timedelta(minutes=50)


async def test_metrics_count_outcomes_by_kind_and_show_unfinished_jobs(url: str, settings: Settings) -> None:
    def count(kind: str, outcome: str) -> float:
        return metrics.job_outcomes.values.get((kind, outcome), 0)

    before = (count(kinds.FLAKY, "retried"), count(kinds.FLAKY, "dead"), count(kinds.RECORD, "succeeded"))
    async with open_database(url) as database:
        async with running(database, settings):
            dead = await add_job(database, kinds.FLAKY, {}, max_attempts=2)
            done = await add_job(database, kinds.RECORD)
            await wait_for_status(database, dead, ("dead",))
            await wait_for_status(database, done)
        await add_job(database, kinds.RECORD, run_at=utc_now() - timedelta(seconds=30))
        text = await metrics.render(database, None)
    after = (count(kinds.FLAKY, "retried"), count(kinds.FLAKY, "dead"), count(kinds.RECORD, "succeeded"))
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
    assert f'frontdesk_jobs_total{{kind="{kinds.FLAKY}",outcome="dead"}}' in text
    assert f'frontdesk_jobs_unfinished{{kind="{kinds.RECORD}"}} 1' in text
    name = f'frontdesk_jobs_oldest_due_seconds{{kind="{kinds.RECORD}"}}'
    (oldest,) = [line for line in text.splitlines() if line.startswith(name)]
    assert float(oldest.split()[-1]) >= 29
