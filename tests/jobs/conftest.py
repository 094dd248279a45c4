"""Every job test starts on empty tables and an empty execution log; runners run on the test's loop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.config import Settings
from tests.fixtures.server import ThrowawayDatabase
from tests.jobs import kinds
from tests.jobs.support import job_settings


@pytest.fixture(autouse=True)
def execution_log() -> Iterator[None]:
    kinds.reset()
    yield
    kinds.reset()


@pytest.fixture
def url(test_database: ThrowawayDatabase) -> str:
    return test_database.async_url


@pytest.fixture
def settings(url: str, tmp_path: Path) -> Settings:
    return job_settings(url, tmp_path)
