"""A message's source_id is unique per inbox for incoming messages: a redelivery never makes a copy."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
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
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert count(test_database, "wamid-1") == 1
    # The same external message arriving in another conversation of the inbox is still the first one.
    elsewhere = make_conversation(admin, inbox["id"])
    third = post(admin, elsewhere, content="hi", message_type="incoming", source_id="wamid-1")
    assert third.status_code == 200, third.text
    assert third.json()["id"] == first.json()["id"]
    assert third.json()["conversation_id"] == conversation["id"]
    assert count(test_database, "wamid-1") == 1


def test_concurrent_redeliveries_store_one_message(admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    display_id = conversation["id"]
    url = admin.api.server.base_url + admin.path(f"/conversations/{display_id}/messages")
    body = {"content": "once", "message_type": "incoming", "source_id": "wamid-race"}

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers={"api_access_token": admin.token}, timeout=30) as client:
            return await asyncio.gather(*(client.post(url, json=body) for _ in range(6)))

    answers = asyncio.run(send_all())
    assert [answer.status_code for answer in answers] == [200] * 6, [a.text for a in answers]
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert count(test_database, "wamid-race") == 1


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
