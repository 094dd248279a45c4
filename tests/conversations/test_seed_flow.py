"""The seed flow a Chatwoot integrator runs: contact with inbox_id → source_id → conversation → messages."""

from __future__ import annotations

import time
import uuid

from tests.conversations.helpers import sql
from tests.fixtures.api import Admin, make_api_inbox
from tests.fixtures.observe import captured_events
from tests.fixtures.server import RunningServer, ThrowawayDatabase

CONVERSATION_KEYS = [
    "meta",
    "id",
    "messages",
    "account_id",
    "uuid",
    "additional_attributes",
    "agent_last_seen_at",
    "assignee_last_seen_at",
    "can_reply",
    "contact_last_seen_at",
    "custom_attributes",
    "inbox_id",
    "labels",
    "muted",
    "snoozed_until",
    "status",
    "created_at",
    "updated_at",
    "timestamp",
    "first_reply_created_at",
    "unread_count",
    "last_non_activity_message",
    "last_activity_at",
    "priority",
    "waiting_since",
    "sla_policy_id",
]
MESSAGE_KEYS = [
    "id",
    "content",
    "inbox_id",
    "conversation_id",
    "message_type",
    "content_type",
    "status",
    "content_attributes",
    "created_at",
    "private",
    "source_id",
    "sender",
]
PUSH_KEYS = [
    "id",
    "content",
    "account_id",
    "inbox_id",
    "conversation_id",
    "message_type",
    "created_at",
    "updated_at",
    "private",
    "status",
    "source_id",
    "content_type",
    "content_attributes",
    "sender_type",
    "sender_id",
    "external_source_ids",
    "additional_attributes",
    "processed_message_content",
    "sentiment",
    "conversation",
    "sender",
]


def test_seed_flow(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(admin)
    before = int(time.time())

    # 1. contact with inbox_id: its contact_inbox carries the source_id.
    response = admin.api.post(
        admin.path("/contacts"), json={"name": "Alice", "email": "alice@acme.inc", "inbox_id": inbox["id"]}
    )
    assert response.status_code == 200, response.text
    contact = response.json()["payload"]["contact"]
    source_id = response.json()["payload"]["contact_inbox"]["source_id"]

    # 2. conversation from the source_id.
    with captured_events(server) as events:
        response = admin.api.post(admin.path("/conversations"), json={"source_id": source_id})
    assert response.status_code == 200, response.text
    conversation = response.json()
    assert list(conversation) == CONVERSATION_KEYS
    assert conversation["id"] == 1
    assert conversation["account_id"] == admin.account_id
    assert str(uuid.UUID(conversation["uuid"], version=4)) == conversation["uuid"]
    assert conversation["inbox_id"] == inbox["id"]
    assert conversation["messages"] == []
    assert conversation["status"] == "open"
    assert conversation["additional_attributes"] == {}
    assert conversation["custom_attributes"] == {}
    assert conversation["labels"] == []
    assert conversation["muted"] is False
    assert conversation["can_reply"] is True
    assert conversation["snoozed_until"] is None
    assert conversation["agent_last_seen_at"] == 0
    assert conversation["assignee_last_seen_at"] == 0
    assert conversation["contact_last_seen_at"] == 0
    assert conversation["first_reply_created_at"] == 0
    assert conversation["unread_count"] == 0
    assert conversation["last_non_activity_message"] is None
    assert conversation["priority"] is None
    assert conversation["sla_policy_id"] is None
    assert before <= conversation["created_at"] <= int(time.time())
    assert isinstance(conversation["updated_at"], float)
    assert conversation["timestamp"] == conversation["last_activity_at"]
    assert conversation["waiting_since"] == conversation["created_at"]
    meta = conversation["meta"]
    assert list(meta) == ["sender", "channel", "hmac_verified"]
    assert meta["channel"] == "Channel::Api"
    assert meta["hmac_verified"] is False
    sender = meta["sender"]
    assert sender["id"] == contact["id"]
    assert sender["name"] == "Alice"
    assert sender["email"] == "alice@acme.inc"
    assert sender["availability_status"] == "offline"
    assert sender["thumbnail"] == ""
    assert sender["blocked"] is False
    assert sender["additional_attributes"] == {}
    assert sender["custom_attributes"] == {}
    assert "contact_inboxes" not in sender
    assert [event.name for event in events] == ["conversation.created"]
    pk = sql(test_database, "SELECT id FROM conversations WHERE display_id = 1")[0][0]
    assert events[0].subject == {"conversation_id": pk, "inbox_id": inbox["id"]}

    # 3. the contact's incoming message, then the agent's reply.
    path = admin.path(f"/conversations/{conversation['id']}/messages")
    with captured_events(server) as events:
        response = admin.api.post(path, json={"content": "Hello", "message_type": "incoming", "echo_id": "tmp-1"})
    assert response.status_code == 200, response.text
    incoming = response.json()
    assert list(incoming) == [*MESSAGE_KEYS[:3], "echo_id", *MESSAGE_KEYS[3:]]
    assert incoming["content"] == "Hello"
    assert incoming["inbox_id"] == inbox["id"]
    assert incoming["echo_id"] == "tmp-1"
    assert incoming["conversation_id"] == 1
    assert incoming["message_type"] == 0
    assert incoming["content_type"] == "text"
    assert incoming["status"] == "sent"
    assert incoming["content_attributes"] == {}
    assert incoming["private"] is False
    assert incoming["source_id"] is None
    assert incoming["sender"] == {
        "additional_attributes": {},
        "custom_attributes": {},
        "email": "alice@acme.inc",
        "id": contact["id"],
        "identifier": None,
        "name": "Alice",
        "phone_number": None,
        "thumbnail": "",
        "blocked": False,
        "type": "contact",
    }
    assert events[0].name == "message.created"
    assert events[0].subject == {"message_id": incoming["id"], "conversation_id": pk, "inbox_id": inbox["id"]}

    response = admin.api.post(path, json={"content": "Hi Alice, how can I help?"})
    assert response.status_code == 200, response.text
    outgoing = response.json()
    assert list(outgoing) == MESSAGE_KEYS
    assert outgoing["message_type"] == 1
    assert outgoing["sender"]["id"] == admin.user_id
    assert outgoing["sender"]["type"] == "user"
    assert sorted(outgoing["sender"]) == sorted(
        [
            "id",
            "name",
            "available_name",
            "avatar_url",
            "availability_status",
            "thumbnail",
            "type",
        ]
    )

    # 4. the conversation now shows the last message as push data.
    shown = admin.api.get(admin.path("/conversations/1")).json()
    assert list(shown) == CONVERSATION_KEYS
    assert len(shown["messages"]) == 1
    last = shown["messages"][0]
    assert list(last) == PUSH_KEYS
    assert last["id"] == outgoing["id"]
    assert last["conversation_id"] == 1
    assert last["message_type"] == 1
    assert last["content_type"] == "text"
    assert last["status"] == "sent"
    assert last["sender_type"] == "User"
    assert last["sender_id"] == admin.user_id
    assert last["account_id"] == admin.account_id
    assert last["updated_at"].endswith("Z")
    assert last["conversation"] == {
        "assignee_id": None,
        "unread_count": 1,
        "last_activity_at": shown["last_activity_at"],
        "contact_inbox": {"source_id": source_id},
    }
    assert shown["last_non_activity_message"]["id"] == outgoing["id"]
    assert shown["unread_count"] == 1
    assert shown["first_reply_created_at"] == outgoing["created_at"]
    assert shown["waiting_since"] == 0
    assert shown["last_activity_at"] == outgoing["created_at"]

    listed = admin.api.get(admin.path("/conversations")).json()
    assert listed["data"]["meta"] == {"mine_count": 0, "assigned_count": 0, "unassigned_count": 1, "all_count": 1}
    assert [item["id"] for item in listed["data"]["payload"]] == [1]
    assert listed["data"]["payload"][0] == shown

    messages = admin.api.get(path).json()
    assert [m["id"] for m in messages["payload"]] == [incoming["id"], outgoing["id"]]
    assert "echo_id" not in messages["payload"][0]
    assert messages["meta"]["contact"]["id"] == contact["id"]
    assert messages["meta"]["contact"]["type"] == "contact"
    assert messages["meta"]["labels"] == []
    assert messages["meta"]["additional_attributes"] == {}
    assert messages["meta"]["agent_last_seen_at"] is None
    assert messages["meta"]["assignee_last_seen_at"] is None
    assert "assignee" not in messages["meta"]


def test_conversation_from_inbox_and_contact_ids(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    contact = admin.api.post(admin.path("/contacts"), json={"name": "Bob"}).json()["payload"]["contact"]
    response = admin.api.post(
        admin.path("/conversations"),
        json={
            "inbox_id": inbox["id"],
            "contact_id": contact["id"],
            "additional_attributes": {"browser": "firefox"},
            "custom_attributes": {"plan": "gold"},
            "message": {"content": "Welcome!"},
        },
    )
    assert response.status_code == 200, response.text
    conversation = response.json()
    assert conversation["meta"]["sender"]["id"] == contact["id"]
    assert conversation["additional_attributes"] == {"browser": "firefox"}
    assert conversation["custom_attributes"] == {"plan": "gold"}
    assert conversation["messages"][0]["content"] == "Welcome!"
    assert conversation["messages"][0]["message_type"] == 1
    assert conversation["messages"][0]["sender"]["id"] == admin.user_id
    assert conversation["first_reply_created_at"] == conversation["messages"][0]["created_at"]
    shown = admin.api.get(admin.path(f"/contacts/{contact['id']}")).json()["payload"]
    assert len(shown["contact_inboxes"]) == 1
