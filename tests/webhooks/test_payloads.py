"""Each event arrives with Chatwoot's webhook payload, at the API inbox's webhook_url and at subscribed webhooks."""

from __future__ import annotations

import time
from typing import Any

from frontdesk.webhooks.payloads import ALLOWED_WEBHOOK_EVENTS
from tests.fixtures.api import Admin, make_api_inbox, make_contact, make_conversation
from tests.fixtures.receiver import Receiver
from tests.webhooks.support import create_webhook

ISO_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def _by_event(receiver: Receiver, path: str, event: str, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while True:
        found = [item.json for item in receiver.received(path, accepted_only=True) if item.event == event]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"no {event} at {path}: {[i.event for i in receiver.received()]}"
        time.sleep(0.02)


def _setup(owner: Admin, receiver: Receiver) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An account webhook subscribed to everything, an API inbox with a webhook_url, a conversation in it."""
    webhook = create_webhook(owner, receiver.url("/account"), list(ALLOWED_WEBHOOK_EVENTS))
    inbox = make_api_inbox(owner, name="Support API", webhook_url=receiver.url("/api"))
    conversation = make_conversation(owner, inbox["id"])
    contact = _contact_of(owner, conversation["meta"]["sender"]["id"])
    conversation["_source_id"] = contact["contact_inboxes"][0]["source_id"]
    return webhook, inbox, conversation


def _source_id(conversation: dict[str, Any]) -> str:
    source_id: str = conversation["_source_id"]
    return source_id


def _contact_of(owner: Admin, contact_id: int) -> dict[str, Any]:
    response = owner.api.get(owner.path(f"/contacts/{contact_id}"))
    assert response.status_code == 200, response.text
    contact: dict[str, Any] = response.json()["payload"]
    return contact


def _assert_conversation_block(block: dict[str, Any], conversation: dict[str, Any], inbox: dict[str, Any]) -> None:
    """``Conversation#webhook_data`` against the REST conversation."""
    block = {key: value for key, value in block.items() if key not in ("changed_attributes", "event")}
    assert set(block) == {
        "additional_attributes",
        "can_reply",
        "channel",
        "contact_inbox",
        "id",
        "inbox_id",
        "messages",
        "labels",
        "meta",
        "status",
        "custom_attributes",
        "snoozed_until",
        "unread_count",
        "first_reply_created_at",
        "priority",
        "waiting_since",
        "agent_last_seen_at",
        "contact_last_seen_at",
        "last_activity_at",
        "timestamp",
        "created_at",
        "updated_at",
        "account",
    }
    assert block["id"] == conversation["id"]
    assert block["inbox_id"] == inbox["id"]
    assert block["channel"] == "Channel::Api"
    assert block["can_reply"] is True
    assert block["account"] == {"id": conversation["account_id"], "name": "Acme"}
    assert block["labels"] == []
    assert block["custom_attributes"] == {}
    assert block["additional_attributes"] == {}
    assert block["snoozed_until"] is None
    assert block["priority"] is None
    assert isinstance(block["created_at"], int)
    assert isinstance(block["updated_at"], float)
    assert block["timestamp"] == block["last_activity_at"]
    contact_inbox = block["contact_inbox"]
    assert contact_inbox["source_id"] == _source_id(conversation)
    assert contact_inbox["inbox_id"] == inbox["id"]
    assert contact_inbox["contact_id"] == conversation["meta"]["sender"]["id"]
    assert contact_inbox["hmac_verified"] is False
    assert isinstance(contact_inbox["pubsub_token"], str)
    assert contact_inbox["created_at"].endswith("Z")
    meta = block["meta"]
    assert meta["sender"]["id"] == conversation["meta"]["sender"]["id"]
    assert meta["sender"]["type"] == "contact"
    assert meta["assignee"] is None
    assert meta["assignee_type"] is None
    assert meta["team"] is None
    assert meta["hmac_verified"] is False


def test_conversation_created(owner: Admin, receiver: Receiver) -> None:
    _, inbox, conversation = _setup(owner, receiver)
    [at_inbox] = _by_event(receiver, "/api", "conversation_created")
    [at_account] = _by_event(receiver, "/account", "conversation_created")
    assert at_inbox == at_account
    _assert_conversation_block(at_inbox, conversation, inbox)
    assert at_inbox["status"] == "open"
    assert at_inbox["messages"] == []
    assert at_inbox["unread_count"] == 0
    assert at_inbox["created_at"] == conversation["created_at"]
    assert "changed_attributes" not in at_inbox
    assert list(at_inbox)[-1] == "event"


def test_message_created_incoming(owner: Admin, receiver: Receiver) -> None:
    _, inbox, conversation = _setup(owner, receiver)
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"),
        json={"content": "Hi, I need help with order 1234", "message_type": "incoming"},
    )
    assert response.status_code == 200, response.text
    message = response.json()
    [payload] = _by_event(receiver, "/api", "message_created")
    contact = _contact_of(owner, conversation["meta"]["sender"]["id"])
    assert list(payload) == [
        "account",
        "additional_attributes",
        "content_attributes",
        "content_type",
        "content",
        "conversation",
        "created_at",
        "id",
        "inbox",
        "message_type",
        "private",
        "sender",
        "source_id",
        "event",
    ]
    assert payload["account"] == {"id": owner.account_id, "name": "Acme"}
    assert payload["additional_attributes"] == {}
    assert payload["content_attributes"] == {}
    assert payload["content_type"] == "text"
    assert payload["content"] == "Hi, I need help with order 1234"
    assert payload["id"] == message["id"]
    assert payload["inbox"] == {"id": inbox["id"], "name": "Support API"}
    assert payload["message_type"] == "incoming"
    assert payload["private"] is False
    assert payload["source_id"] is None
    assert payload["event"] == "message_created"
    import re

    assert re.match(ISO_PATTERN, payload["created_at"])
    assert payload["sender"] == {
        "account": {"id": owner.account_id, "name": "Acme"},
        "additional_attributes": contact["additional_attributes"],
        "avatar": "",
        "custom_attributes": {},
        "email": contact["email"],
        "id": contact["id"],
        "identifier": contact["identifier"],
        "name": contact["name"],
        "phone_number": contact["phone_number"],
        "thumbnail": "",
        "blocked": False,
    }
    block = payload["conversation"]
    _assert_conversation_block(block, conversation, inbox)
    assert block["unread_count"] == 1
    [pushed] = block["messages"]
    assert pushed["id"] == message["id"]
    assert pushed["message_type"] == 0
    assert pushed["content"] == "Hi, I need help with order 1234"
    assert pushed["processed_message_content"] == "Hi, I need help with order 1234"
    assert pushed["conversation_id"] == conversation["id"]
    assert pushed["status"] == "sent"
    assert pushed["content_type"] == "text"
    assert pushed["sender_type"] == "Contact"
    assert pushed["sender"]["type"] == "contact"
    assert pushed["sentiment"] == {}
    assert pushed["conversation"] == {
        "assignee_id": None,
        "unread_count": 1,
        "last_activity_at": block["last_activity_at"],
        "contact_inbox": {"source_id": _source_id(conversation)},
    }
    assert isinstance(pushed["created_at"], int)
    assert re.match(ISO_PATTERN, pushed["updated_at"])
    # The account webhook gets the same payload.
    assert _by_event(receiver, "/account", "message_created") == [payload]


def test_message_created_outgoing(owner: Admin, receiver: Receiver) -> None:
    _, _inbox, conversation = _setup(owner, receiver)
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"),
        json={"content": "We are on it", "message_type": "outgoing"},
    )
    assert response.status_code == 200, response.text
    message = response.json()
    [payload] = _by_event(receiver, "/api", "message_created")
    assert payload["message_type"] == "outgoing"
    assert payload["id"] == message["id"]
    assert payload["content"] == "We are on it"
    me = owner.api.get("/api/v1/profile").json()
    assert payload["sender"] == {"id": owner.user_id, "name": me["name"], "email": me["email"], "type": "user"}
    [pushed] = payload["conversation"]["messages"]
    assert pushed["message_type"] == 1
    assert pushed["sender_type"] == "User"
    assert pushed["sender"]["type"] == "user"
    assert pushed["sender"]["id"] == owner.user_id


def test_private_notes_are_sent_and_activity_messages_are_not(owner: Admin, receiver: Receiver) -> None:
    _, _, conversation = _setup(owner, receiver)
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"), json={"content": "note", "private": True}
    )
    assert response.status_code == 200, response.text
    [payload] = _by_event(receiver, "/api", "message_created")
    assert payload["private"] is True
    # A private note is not the conversation's last chat message.
    assert payload["conversation"]["messages"] == []
    # Resolving writes an activity message (if the conversations API does); none is sent as message_created.
    owner.api.post(owner.path(f"/conversations/{conversation['id']}/toggle_status"), json={"status": "resolved"})
    _by_event(receiver, "/api", "conversation_status_changed")
    time.sleep(0.3)
    sent = [item.json for item in receiver.received("/api") if item.event == "message_created"]
    assert [item["message_type"] for item in sent] == ["outgoing"]


def test_conversation_status_changed_with_changed_attributes(owner: Admin, receiver: Receiver) -> None:
    _, inbox, conversation = _setup(owner, receiver)
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/toggle_status"), json={"status": "resolved"}
    )
    assert response.status_code == 200, response.text
    [payload] = _by_event(receiver, "/api", "conversation_status_changed")
    _assert_conversation_block(
        {k: v for k, v in payload.items() if k not in ("changed_attributes", "event")}, conversation, inbox
    )
    assert payload["status"] == "resolved"
    assert payload["changed_attributes"][0] == {"status": {"previous_value": "open", "current_value": "resolved"}}
    assert list(payload)[-2:] == ["changed_attributes", "event"]
    [updated] = [p for p in _by_event(receiver, "/api", "conversation_updated") if p["status"] == "resolved"]
    assert {"status": {"previous_value": "open", "current_value": "resolved"}} in updated["changed_attributes"]


def test_typing_events(owner: Admin, receiver: Receiver) -> None:
    _, inbox, conversation = _setup(owner, receiver)
    for state in ("on", "off"):
        response = owner.api.post(
            owner.path(f"/conversations/{conversation['id']}/toggle_typing_status"), json={"typing_status": state}
        )
        assert response.status_code == 200, response.text
    [on] = _by_event(receiver, "/api", "conversation_typing_on")
    [off] = _by_event(receiver, "/api", "conversation_typing_off")
    me = owner.api.get("/api/v1/profile").json()
    for payload in (on, off):
        assert list(payload) == ["event", "user", "conversation", "is_private"]
        assert payload["user"] == {"id": owner.user_id, "name": me["name"], "email": me["email"], "type": "user"}
        assert payload["is_private"] is False
        _assert_conversation_block(payload["conversation"], conversation, inbox)


def test_contact_events_go_to_account_webhooks_only(owner: Admin, receiver: Receiver) -> None:
    create_webhook(owner, receiver.url("/account"), ["contact_created", "contact_updated"])
    inbox = make_api_inbox(owner, webhook_url=receiver.url("/api"))
    created = make_contact(owner, inbox["id"], name="Alice", email="alice@acme.inc")["contact"]
    [payload] = _by_event(receiver, "/account", "contact_created")
    assert payload == {
        "account": {"id": owner.account_id, "name": "Acme"},
        "additional_attributes": {},
        "avatar": "",
        "custom_attributes": {},
        "email": "alice@acme.inc",
        "id": created["id"],
        "identifier": None,
        "name": "Alice",
        "phone_number": None,
        "thumbnail": "",
        "blocked": False,
        "event": "contact_created",
    }
    response = owner.api.put(owner.path(f"/contacts/{created['id']}"), json={"name": "Alice B"})
    assert response.status_code == 200, response.text
    [updated] = _by_event(receiver, "/account", "contact_updated")
    assert updated["name"] == "Alice B"
    assert {"name": {"previous_value": "Alice", "current_value": "Alice B"}} in updated["changed_attributes"]
    assert list(updated)[-2:] == ["changed_attributes", "event"]
    time.sleep(0.3)
    assert receiver.received("/api") == []


def test_only_subscribed_events_are_sent(owner: Admin, receiver: Receiver) -> None:
    create_webhook(owner, receiver.url("/only-messages"), ["message_created"])
    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    owner.api.post(owner.path(f"/conversations/{conversation['id']}/messages"), json={"content": "x"})
    _by_event(receiver, "/only-messages", "message_created")
    time.sleep(0.3)
    assert [item.event for item in receiver.received()] == ["message_created"]


def test_inbox_created_and_updated(owner: Admin, receiver: Receiver) -> None:
    create_webhook(owner, receiver.url("/account"), ["inbox_created", "inbox_updated"])
    inbox = make_api_inbox(owner, name="Ops", webhook_url=receiver.url("/api"))
    [payload] = _by_event(receiver, "/account", "inbox_created")
    assert payload["account"] == {"id": owner.account_id, "name": "Acme"}
    assert payload["channel"]["id"] == inbox["channel_id"]
    assert payload["channel"]["webhook_url"] == receiver.url("/api")
    assert "secret" not in payload["channel"]
    assert payload["timezone"] == "UTC"
    assert payload["sender_name_type"] == "friendly"
    for key in ("enable_auto_assignment", "greeting_enabled", "working_hours_enabled", "csat_survey_enabled"):
        assert isinstance(payload[key], bool)
    response = owner.api.patch(owner.path(f"/inboxes/{inbox['id']}"), json={"name": "Ops 2"})
    assert response.status_code == 200, response.text
    [updated] = _by_event(receiver, "/account", "inbox_updated")
    assert updated["changed_attributes"]
