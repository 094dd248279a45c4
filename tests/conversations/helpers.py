"""Helpers for the conversation and message tests: a ready inbox and contact, members, SQL and events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from frontdesk.events.dispatcher import Event
from tests.fixtures.api import Admin, Agent, make_agent, make_api_inbox, make_contact
from tests.fixtures.server import RunningServer, ThrowawayDatabase


@dataclass
class Setup:
    """An API inbox and a contact with a session (source_id) on it."""

    inbox: dict[str, Any]
    contact: dict[str, Any]
    source_id: str

    @property
    def inbox_id(self) -> int:
        return int(self.inbox["id"])

    @property
    def contact_id(self) -> int:
        return int(self.contact["id"])


def setup(admin: Admin, **contact_fields: Any) -> Setup:
    inbox = make_api_inbox(admin)
    created = make_contact(admin, inbox["id"], **contact_fields)
    return Setup(inbox, created["contact"], created["contact_inbox"]["source_id"])


def new_source_id(admin: Admin, inbox_id: int, **contact_fields: Any) -> str:
    created = make_contact(admin, inbox_id, **contact_fields)
    source_id: str = created["contact_inbox"]["source_id"]
    return source_id


def create_conversation(admin: Admin, source_id: str, **fields: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path("/conversations"), json={"source_id": source_id, **fields})
    assert response.status_code == 200, response.text
    conversation: dict[str, Any] = response.json()
    return conversation


def post_message(admin: Admin, display_id: int, **fields: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path(f"/conversations/{display_id}/messages"), json=fields)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()
    return message


def add_member(admin: Admin, inbox_id: int, user_ids: list[int]) -> None:
    response = admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox_id, "user_ids": user_ids})
    assert response.status_code == 200, response.text


def agent_in(server: RunningServer, admin: Admin, inbox_id: int | None = None, name: str = "Agent") -> Agent:
    agent = make_agent(server, admin, name=name)
    if inbox_id is not None:
        add_member(admin, inbox_id, [agent.user_id])
    return agent


def sql(test_database: ThrowawayDatabase, statement: str, **params: Any) -> list[Any]:
    with test_database.sync_engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return list(result) if result.returns_rows else []


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
    """The statements of the requests made while the block runs: those on connections that looked up an
    access token (so the realtime hub's and the webhook worker's background queries do not count)."""
    seen: list[tuple[Any, str]] = []
    own: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append((conn, statement))

    engines = {server.database.write_engine.sync_engine, server.database.read_engine.sync_engine}
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield own
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", before)
        requests = [conn for conn, statement in seen if "access_tokens" in statement]
        own.extend(
            statement
            for conn, statement in seen
            if any(conn is request for request in requests) and "webhook" not in statement
        )
