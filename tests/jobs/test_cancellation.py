"""A unit of work cancelled in the middle of a statement (a job's lease lost, a runner stopping) still
rolls back and hands its connection back: the pool does not leak, the next unit of work runs."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.fixtures.server import database_kind
from tests.jobs.support import open_database


def _slow_statement() -> str:
    return (
        "SELECT pg_sleep(5)"
        if database_kind() == "postgres"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000000) SELECT count(*) FROM n"
    )


# On SQLite a writer cancelled mid-statement is interrupted, but its discarded connection may keep the
# write lock until it is collected: only the reader is held to the promise there.
WRITERS = [True, False] if database_kind() == "postgres" else [False]


@pytest.mark.parametrize("write", WRITERS)
def test_a_unit_of_work_cancelled_mid_statement_rolls_back_and_frees_its_connection(url: str, write: bool) -> None:
    async def scenario() -> None:
        async with open_database(url) as database:
            engine = database.write_engine if write else database.read_engine
            pool = engine.pool
            before = pool.checkedout()  # type: ignore[attr-defined]

            async def slow() -> None:
                async with database.unit_of_work(write=write) as uow:
                    await uow.conn.execute(text(_slow_statement()))

            task = asyncio.create_task(slow())
            await asyncio.sleep(1.0)  # the statement is running by now
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The connection went back to the pool, and the database still serves work at once.
            assert pool.checkedout() == before  # type: ignore[attr-defined]
            async with database.unit_of_work() as uow:
                assert (await uow.conn.execute(text("SELECT 1"))).scalar() == 1

    asyncio.run(asyncio.wait_for(scenario(), 30))
