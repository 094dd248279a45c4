"""Helpers for the contacts tests: direct SQL checks and event capture."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from frontdesk.events.dispatcher import Event
from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase

CONTACT_KEYS = [
    "additional_attributes",
    "availability_status",
    "email",
    "id",
    "name",
    "phone_number",
    "blocked",
    "identifier",
    "thumbnail",
    "custom_attributes",
    "created_at",
]


def count_rows(test_database: ThrowawayDatabase, table: str, where: str = "1=1", **params: Any) -> int:
    with test_database.sync_engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one())


def make_web_inbox(admin: Admin, name: str = "Website") -> dict[str, Any]:
    response = admin.api.post(
        admin.path("/inboxes"),
        json={"name": name, "channel": {"type": "web_widget", "website_url": "https://example.com"}},
    )
    assert response.status_code == 200, response.text
    inbox: dict[str, Any] = response.json()
    return inbox


def create(admin: Admin, **body: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path("/contacts"), json=body)
    assert response.status_code == 200, response.text
    contact: dict[str, Any] = response.json()["payload"]["contact"]
    return contact


@contextmanager
def captured_events(server: RunningServer) -> Iterator[list[Event]]:
    """Events published after commit while the block runs."""
    seen: list[Event] = []

    async def listener(events: list[Event]) -> None:
        seen.extend(events)

    listeners = server.database.dispatcher.after_commit_listeners
    listeners.append(listener)
    try:
        yield seen
    finally:
        listeners.remove(listener)


@contextmanager
def counted_queries(server: RunningServer) -> Iterator[list[str]]:
    """SQL statements the server runs while the block runs (both engines)."""
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engines = {server.database.write_engine.sync_engine, server.database.read_engine.sync_engine}
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", before)
