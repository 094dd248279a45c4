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
    # Token, account, conversation (locked), flood count, INSERT, conversation UPDATE, sender.
    for statements in (incoming, outgoing):
        own = [s for s in statements if not s.strip().upper().startswith(("BEGIN", "SAVEPOINT"))]
        assert len(own) <= 7, own
        assert sum(1 for s in statements if s.lstrip().upper().startswith("UPDATE CONVERSATIONS")) == 1
        assert sum(1 for s in statements if s.lstrip().upper().startswith("INSERT INTO MESSAGES")) == 1
