"""A job runner in a process of its own, with the test kinds: ``python -m tests.jobs.runner_process URL DATA_DIR``.

Its lease is short (FRONTDESK_JOBS_LEASE_SECONDS, else 1 s) so a test that SIGKILLs it sees the lease expire soon.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import tests.jobs.kinds  # noqa: F401 (registers the test kinds)
from tests.jobs.support import job_settings, open_database, running


async def main(url: str, data_dir: Path) -> None:
    settings = job_settings(
        url, data_dir, jobs_lease_seconds=float(os.environ.get("FRONTDESK_JOBS_LEASE_SECONDS", "1"))
    )
    async with open_database(url) as database, running(database, settings, name=f"process-{os.getpid()}"):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
