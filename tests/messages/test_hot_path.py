"""Creating a message is the hot path: a handful of statements, whatever the conversation holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tests.conversations.helpers import create_conversation, post_message, setup
from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer


@contextmanager
def request_statements(server: RunningServer) -> Iterator[list[str]]:
    """The statements run on the first connection checked out while the block runs: the request's own
    transaction (after-commit listeners and the webhook outbox work on other connections or tables)."""
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
        first = seen[0][0]
        own.extend(
            statement
            for conn, statement in seen
            if conn is first and "webhook" not in statement and not statement.strip().upper().startswith("BEGIN")
        )


def test_message_create_runs_a_handful_of_statements(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    for index in range(30):
        post_message(admin, conversation["id"], content=f"filler {index}", message_type="incoming")
    with request_statements(server) as incoming:
        post_message(admin, conversation["id"], content="hello", message_type="incoming")
    with request_statements(server) as outgoing:
        post_message(admin, conversation["id"], content="hi there")
    # Token, account, conversation (locked), flood count, INSERT, conversation UPDATE, sender.
    for statements in (incoming, outgoing):
        assert len(statements) <= 7, statements
        assert sum(1 for s in statements if s.lstrip().upper().startswith("UPDATE CONVERSATIONS")) == 1
        assert sum(1 for s in statements if s.lstrip().upper().startswith("INSERT INTO MESSAGES")) == 1
