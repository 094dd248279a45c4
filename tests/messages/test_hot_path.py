"""Creating a message is the hot path: a handful of statements, whatever the conversation holds."""

from __future__ import annotations

from tests.conversations.helpers import create_conversation, post_message, setup
from tests.fixtures.api import Admin
from tests.fixtures.observe import counted_queries
from tests.fixtures.server import RunningServer


def test_message_create_runs_a_handful_of_statements(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    for index in range(30):
        post_message(admin, conversation["id"], content=f"filler {index}", message_type="incoming")
    with counted_queries(server) as incoming:
        post_message(admin, conversation["id"], content="hello", message_type="incoming")
    with counted_queries(server) as outgoing:
        post_message(admin, conversation["id"], content="hi there")
    # The conversation (locked, with its contact, contact inbox and counts), then the INSERT and the
    # conversation's UPDATE (and the contact's): one statement on PostgreSQL (data-modifying CTEs), one each on
    # SQLite. The token and the account are in the process's cache after the first request.
    for statements in (incoming, outgoing):
        own = [s for s in statements if not s.strip().upper().startswith(("BEGIN", "SAVEPOINT"))]
        assert len(own) <= 4, own
        assert sum(s.upper().count("UPDATE CONVERSATIONS") for s in statements) == 1
        assert sum(s.upper().count("INSERT INTO MESSAGES") for s in statements) == 1
