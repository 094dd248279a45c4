"""A runner process SIGKILLed mid-job: its lease expires and another runner completes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from frontdesk.config import Settings
from tests.jobs import kinds
from tests.jobs.support import add_job, job_row, open_database, running, wait_for_status, wait_until

ROOT = Path(__file__).resolve().parents[2]


async def test_a_killed_runner_leaves_a_lease_that_expires_and_another_runner_finishes(
    url: str, settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    async with open_database(url) as database:
        job_id = await add_job(database, kinds.HANG, {"marker": str(marker)}, ordering_key="file:1")
        follower = await add_job(database, kinds.RECORD, {}, ordering_key="file:1")
        process = subprocess.Popen(  # noqa: ASYNC220 (started once, never waited on in the loop)
            [sys.executable, "-m", "tests.jobs.runner_process", url, str(tmp_path / "child")],
            cwd=ROOT,
            env={**os.environ, kinds.HANG_ENV: "1"},
        )
        try:

            async def started() -> bool:
                return marker.exists()

            await wait_until(started, within=30, what="the child's handler to start")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        orphaned = await job_row(database, job_id)
        assert orphaned.status == "pending"
        assert orphaned.lease_owner == f"process-{process.pid}"
        assert orphaned.attempts == 1
        # The key's next job waits behind the orphaned one.
        assert (await job_row(database, follower)).status == "pending"
        async with running(database, settings, "successor"):
            done = await wait_for_status(database, job_id, within=20)
            await wait_for_status(database, follower)
    assert done.attempts == 2
    assert marker.read_text().split() == [str(os.getpid()), "2"]
    assert [item.job_id for item in kinds.executions()] == [job_id, follower]
