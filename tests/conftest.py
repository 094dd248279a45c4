"""Shared fixtures: one real server per test session, a clean database for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.api import Admin, Api, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, make_test_database, serve

# The S3 fixtures (s3_server, s3_settings, storage_backend, backend, storage) for every test module.
pytest_plugins = ["tests.fixtures.s3"]


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayDatabase]:
    database = make_test_database(Path(tmp_path_factory.mktemp("db")))
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(scope="session")
def server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database)


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts on empty tables (only when it uses the database)."""
    if "server" in request.fixturenames or "test_database" in request.fixturenames:
        request.getfixturevalue("test_database").reset()
    yield
    Api.close_all()


@pytest.fixture
def admin(server: RunningServer) -> Admin:
    return make_admin(server)
