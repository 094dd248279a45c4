"""A message's source_id is unique per inbox for incoming messages: a redelivery never makes a copy."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.fixtures.api import Admin, make_api_inbox, make_conversation
from tests.fixtures.server import ThrowawayDatabase


def count(test_database: ThrowawayDatabase, source_id: str) -> int:
    with test_database.sync_engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT count(*) FROM messages WHERE source_id = :s"), {"s": source_id}).scalar_one()
        )


def post(admin: Admin, conversation: dict[str, Any], **body: Any) -> Any:
    return admin.api.post(admin.path(f"/conversations/{conversation['id']}/messages"), json=body)


def test_a_second_incoming_message_with_the_same_source_id_is_not_a_copy(
    admin: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    first = post(admin, conversation, content="hi", message_type="incoming", source_id="wamid-1")
    assert first.status_code == 200, first.text
    second = post(admin, conversation, content="hi", message_type="incoming", source_id="wamid-1")
    # The messages service answers the first message (or, until it looks it up, the constraint's 422).
    assert second.status_code in (200, 422), second.text
    if second.status_code == 200:
        assert second.json()["id"] == first.json()["id"]
    assert count(test_database, "wamid-1") == 1


def test_outgoing_messages_and_other_inboxes_may_repeat_a_source_id(
    admin: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    for _ in range(2):
        assert post(admin, conversation, content="out", source_id="ext-9").status_code == 200
    other = make_conversation(admin, make_api_inbox(admin, name="Second")["id"])
    assert post(admin, conversation, content="in", message_type="incoming", source_id="ext-9").status_code == 200
    assert post(admin, other, content="in", message_type="incoming", source_id="ext-9").status_code == 200
    assert count(test_database, "ext-9") == 4
