"""The delivery log, redeliver and replay; an API inbox's outgoing message marked failed, then sent again."""

from __future__ import annotations

import time
from typing import Any

from tests.fixtures.api import Admin, make_api_inbox, make_contact, make_conversation
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import ThrowawayDatabase
from tests.webhooks.support import create_webhook, deliveries


def _settled(database: ThrowawayDatabase, count: int, timeout: float = 10) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        rows = deliveries(database)
        if len(rows) >= count and all(row.status in ("succeeded", "dead") for row in rows):
            return rows
        assert time.monotonic() < deadline, [row.status for row in rows]
        time.sleep(0.02)


def test_webhook_delivery_log_newest_first(owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase) -> None:
    webhook = create_webhook(owner, receiver.url("/log"), ["contact_created"])
    receiver.fail(1, status=500)
    for name in ("A", "B", "C"):
        make_contact(owner, name=name)
    receiver.wait_for(3)
    _settled(test_database, 3)
    response = owner.api.get(owner.path(f"/webhooks/{webhook['id']}/deliveries"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"] == {"count": 3, "current_page": 1, "per_page": 25}
    items = body["payload"]
    assert [item["status"] for item in items] == ["succeeded"] * 3
    names = [receiver_name for receiver_name in ("C", "B", "A")]
    by_delivery = {item.delivery: item.json["name"] for item in receiver.received(accepted_only=True)}
    assert [by_delivery[item["id"]] for item in items] == names
    first = items[-1]
    assert list(first) == [
        "id",
        "event_id",
        "event",
        "url",
        "status",
        "attempts",
        "last_error",
        "response_code",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    ]
    # The first contact's delivery failed once (500), then went through; its last_error is cleared.
    assert first["attempts"] == 2
    assert first["response_code"] == 200
    assert first["last_error"] is None
    assert first["event"] == "contact_created"
    assert first["url"] == receiver.url("/log")
    assert first["next_attempt_at"] is None
    assert isinstance(first["delivered_at"], int)
    page_two = owner.api.get(owner.path(f"/webhooks/{webhook['id']}/deliveries"), params={"page": 2}).json()
    assert page_two["payload"] == []


def test_redeliver_sends_the_same_payload_with_the_same_event_id(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    webhook = create_webhook(owner, receiver.url("/again"), ["contact_created"])
    make_contact(owner, name="Zed")
    [original] = receiver.wait_for(1)
    _settled(test_database, 1)
    response = owner.api.post(owner.path(f"/webhook_deliveries/{original.delivery}/redeliver"))
    assert response.status_code == 200, response.text
    created = response.json()["payload"]
    assert created["status"] == "pending"
    assert created["event_id"] == original.headers["webhook-id"]
    assert created["id"] != original.delivery
    _, again = receiver.wait_for(2)
    assert again.body == original.body
    assert again.headers["webhook-id"] == original.headers["webhook-id"]
    assert again.delivery == created["id"]
    log = owner.api.get(owner.path(f"/webhooks/{webhook['id']}/deliveries")).json()["payload"]
    assert [item["id"] for item in log] == [created["id"], original.delivery]
    assert owner.api.post(owner.path("/webhook_deliveries/not-a-delivery/redeliver")).status_code == 404


def test_replay_since_a_delivery_and_since_a_time_in_original_order(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    webhook = create_webhook(owner, receiver.url("/replay"), ["contact_created"])
    for name in ("One", "Two", "Three", "Four"):
        make_contact(owner, name=name)
    originals = receiver.wait_for(4)
    _settled(test_database, 4)
    ordered = sorted(
        originals, key=lambda item: [r.delivery_id for r in deliveries(test_database)].index(item.delivery)
    )
    second = ordered[1]
    response = owner.api.post(
        owner.path(f"/webhooks/{webhook['id']}/replay"), json={"since_delivery_id": second.delivery}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"payload": {"enqueued": 3}}
    replayed = receiver.wait_for(7)[4:]
    assert [item.json["name"] for item in replayed] == [item.json["name"] for item in ordered[1:]]
    assert [item.headers["webhook-id"] for item in replayed] == [item.headers["webhook-id"] for item in ordered[1:]]
    assert not {item.delivery for item in replayed} & {item.delivery for item in originals}
    _settled(test_database, 7)
    # Since a time: every event once, even those replayed already.
    response = owner.api.post(owner.path(f"/webhooks/{webhook['id']}/replay"), json={"since": 0})
    assert response.json() == {"payload": {"enqueued": 4}}
    again = receiver.wait_for(11)[7:]
    assert [item.json["name"] for item in again] == [item.json["name"] for item in ordered]
    response = owner.api.post(owner.path(f"/webhooks/{webhook['id']}/replay"), json={})
    assert response.status_code == 422


def test_api_inbox_log_replay_and_failed_marking(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(owner, webhook_url=receiver.url("/inbox"))
    conversation = make_conversation(owner, inbox["id"])
    receiver.wait_for(1)
    # The integration is failing: the agent's reply cannot be handed over.
    receiver.fail(3, status=502)
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"),
        json={"content": "Reply", "message_type": "outgoing"},
    )
    assert response.status_code == 200, response.text
    message_id = response.json()["id"]
    everything = receiver.wait_for(5, timeout=20)
    # (The first reply also changes the conversation: conversation_updated, not looked at here.)
    received = [item for item in everything if item.event != "conversation_updated"]
    events = [item.event for item in received]
    assert events == ["conversation_created", "message_created", "message_updated", "message_updated"]
    failed_update, sent_update = received[2].json, received[3].json
    assert failed_update["id"] == message_id
    assert failed_update["content_attributes"]["external_error"].startswith("502")
    assert failed_update["conversation"]["messages"][0]["status"] == "failed"
    assert "external_error" not in sent_update["content_attributes"]
    assert sent_update["conversation"]["messages"][0]["status"] == "sent"
    messages = owner.api.get(owner.path(f"/conversations/{conversation['id']}/messages")).json()["payload"]
    [reply] = [item for item in messages if item["id"] == message_id]
    assert reply["status"] == "sent"
    assert "external_error" not in reply["content_attributes"]

    log = owner.api.get(owner.path(f"/inboxes/{inbox['id']}/webhook_deliveries")).json()
    assert [item["event"] for item in log["payload"] if item["event"] != "conversation_updated"] == [
        "message_updated",
        "message_updated",
        "message_created",
        "conversation_created",
    ]
    [created_delivery] = [item for item in log["payload"] if item["event"] == "message_created"]
    assert created_delivery["attempts"] == 4
    response = owner.api.post(owner.path(f"/inboxes/{inbox['id']}/webhook_replay"), json={"since": 0})
    assert response.json() == {"payload": {"enqueued": 5}}
    replayed = receiver.wait_for(10, timeout=20)[5:]
    assert [item.event for item in replayed] == [item.event for item in everything]
    assert owner.api.get(owner.path("/inboxes/999999/webhook_deliveries")).status_code == 404


def test_incoming_messages_are_not_marked_failed(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(owner, webhook_url=receiver.url("/inbox-in"))
    conversation = make_conversation(owner, inbox["id"])
    receiver.wait_for(1)
    receiver.fail(1, status=500)
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"),
        json={"content": "Hello", "message_type": "incoming"},
    )
    assert response.status_code == 200, response.text
    receiver.wait_for(2)
    time.sleep(0.3)
    assert [item.event for item in receiver.received(accepted_only=True)] == ["conversation_created", "message_created"]
