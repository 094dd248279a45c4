"""A server with an embedded delivery worker and a real receiver, as for the webhook tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.receiver import Receiver, run_receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.webhooks.conftest import FAST_DELIVERY


@pytest.fixture(scope="module")
def hook_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, **FAST_DELIVERY)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from run_receiver()
