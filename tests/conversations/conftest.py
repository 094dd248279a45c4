"""After each test, let the server's background work settle before the next test empties the tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conversations.helpers import wait_for_quiet_database


@pytest.fixture(autouse=True)
def quiet_database_afterwards(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames or "test_database" in request.fixturenames:
        wait_for_quiet_database(request.getfixturevalue("test_database"))
