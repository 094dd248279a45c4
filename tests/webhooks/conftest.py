"""A Frontdesk server with an embedded delivery worker, short retry delays and private targets allowed,
and a real receiver for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.api import Admin, make_admin
from tests.fixtures.receiver import Receiver, run_receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve

FAST_DELIVERY = {
    "embedded_worker": True,
    "webhook_allow_private_network": True,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.4,
    "webhook_poll_interval": 0.05,
    "webhook_lease_seconds": 5.0,
    "webhook_timeout": 1.0,
}


@pytest.fixture(scope="module")
def hook_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, **FAST_DELIVERY)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from run_receiver()


@pytest.fixture
def owner(hook_server: RunningServer) -> Admin:
    """An account and its administrator on the webhook server."""
    return make_admin(hook_server, account_name="Acme")
