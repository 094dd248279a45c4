"""Two ``frontdesk serve`` processes and two ``frontdesk worker`` processes, on PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.receiver import Receiver, run_receiver
from tests.scaleout.processes import Deployment, deployment, require_postgres_and_redis


@pytest.fixture
def scaled(tmp_path: Path) -> Iterator[Deployment]:
    require_postgres_and_redis()
    for running in deployment(
        tmp_path, FRONTDESK_IDEMPOTENCY_LEASE_SECONDS="5", FRONTDESK_IDEMPOTENCY_WAIT_SECONDS="20"
    ):
        running.serve()
        running.serve()
        running.worker()
        running.worker()
        running.wait_for_workers()
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from run_receiver()
