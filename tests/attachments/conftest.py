"""A server for the attachment tests, once per storage backend (disk, and S3 on a real S3-protocol
server on loopback), with a delivery worker and small upload limits so the limits are cheap to cross."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.api import Admin, make_admin
from tests.fixtures.receiver import Receiver, run_receiver
from tests.fixtures.s3 import s3_server, s3_settings  # noqa: F401 (fixtures)
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve

LIMITS = {"max_upload_mb": 1, "max_attachments": 3}
FAST_WORK = {
    "embedded_worker": True,
    "webhook_allow_private_network": True,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.4,
    "webhook_poll_interval": 0.05,
    "webhook_timeout": 2.0,
    "jobs_poll_interval": 0.1,
}


def storage_params() -> list[Any]:
    return ["disk", "s3"]


@pytest.fixture(scope="module", params=storage_params())
def files_server(request: pytest.FixtureRequest, test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    overrides: dict[str, Any] = {}
    if request.param == "s3":
        overrides = request.getfixturevalue("s3_settings")
    yield from serve(test_database, **FAST_WORK, **LIMITS, **overrides)


@pytest.fixture
def owner(files_server: RunningServer) -> Admin:
    return make_admin(files_server)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from run_receiver()
