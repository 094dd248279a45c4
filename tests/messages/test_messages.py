"""…/conversations/{id}/messages: create, list with cursors, delete, status updates, and what a message
does to its conversation (reopen, waiting_since, first reply, unread count, flood guard)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conversations.helpers import (
    agent_in,
    create_conversation,
    post_message,
    setup,
    sql,
)
from tests.fixtures.api import Admin, make_admin, make_contact
from tests.fixtures.observe import captured_events
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve


def _web_inbox(admin: Admin) -> int:
    response = admin.api.post(
        admin.path("/inboxes"),
        json={"name": "Website", "channel": {"type": "web_widget", "website_url": "https://example.com"}},
    )
    assert response.status_code == 200, response.text
    inbox_id: int = response.json()["id"]
    return inbox_id


def test_create_options(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    message = post_message(
        admin,
        conversation["id"],
        content="Pick one",
        content_type="input_select",
        content_attributes={"items": [{"title": "A", "value": "a"}]},
        private=True,
        source_id="ext-42",
        echo_id=17,
    )
    assert message["content_type"] == "input_select"
    assert message["content_attributes"] == {"items": [{"title": "A", "value": "a"}]}
    assert message["private"] is True
    assert message["source_id"] == "ext-42"
    assert message["echo_id"] == "17"
    stored = sql(
        test_database, "SELECT source_id, content_type, private FROM messages WHERE id = :id", id=message["id"]
    )
    assert stored[0][0] == "ext-42"
    assert stored[0][1] == 4
    # content_attributes as a JSON string (multipart clients).
    response = admin.api.client.post(
        admin.path(f"/conversations/{conversation['id']}/messages"),
        data={"content": "form", "content_attributes": '{"in_reply_to": 1}'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["content_attributes"] == {"in_reply_to": 1}
    # Wrapped body.
    wrapped = admin.api.post(
        admin.path(f"/conversations/{conversation['id']}/messages"), json={"message": {"content": "wrapped"}}
    )
    assert wrapped.json()["content"] == "wrapped"
    activity = post_message(admin, conversation["id"], content="Assigned", message_type="activity")
    assert activity["message_type"] == 2
    assert activity["sender"]["type"] == "contact"
    template = post_message(admin, conversation["id"], content="Rate us", message_type="template")
    assert template["message_type"] == 3


def test_create_validation(admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    path = admin.path(f"/conversations/{conversation['id']}/messages")
    response = admin.api.post(path, json={"content": "x", "content_type": "hologram"})
    assert response.status_code == 422
    assert response.json() == {"error": "'hologram' is not a valid content_type", "attributes": ["content_type"]}
    response = admin.api.post(path, json={"content": "x", "message_type": "sideways"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["message_type"]
    response = admin.api.post(path, json={"content": "x" * 150_001})
    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: Content is too long (maximum is 150000 characters)",
        "attributes": ["content"],
    }
    response = admin.api.post(path, json={"content": "Pick", "content_type": "input_select"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: Content attributes At least one item is required.",
        "attributes": ["content_attributes"],
    }
    response = admin.api.post(
        path,
        json={"content": "Pick", "content_type": "input_select", "content_attributes": {"items": [{"label": "A"}]}},
    )
    assert response.json() == {
        "error": "Validation failed: Content attributes contains invalid keys for items : [:label]",
        "attributes": ["content_attributes"],
    }
    response = admin.api.post(
        path,
        json={"content": "Cards", "content_type": "cards", "content_attributes": {"items": [{"title": "A"}]}},
    )
    assert response.json()["error"] == "Validation failed: Content attributes contains items missing actions"
    response = admin.api.post(path, json={"content": "x", "private": "perhaps"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["private"]
    assert sql(test_database, "SELECT count(*) FROM messages")[0][0] == 0
    assert admin.api.post(admin.path("/conversations/999/messages"), json={"content": "x"}).status_code == 404


def test_incoming_only_in_api_inboxes(admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox_id = _web_inbox(admin)
    created = make_contact(admin, inbox_id)
    conversation = create_conversation(admin, created["contact_inbox"]["source_id"])
    path = admin.path(f"/conversations/{conversation['id']}/messages")
    response = admin.api.post(path, json={"content": "hi", "message_type": "incoming"})
    assert response.status_code == 422
    assert response.json() == {"error": "Incoming messages are only allowed in Api inboxes"}
    assert admin.api.post(path, json={"content": "reply"}).status_code == 200


def test_list_cursors(admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    ids = [post_message(admin, conversation["id"], content=f"m{index}")["id"] for index in range(25)]
    path = admin.path(f"/conversations/{conversation['id']}/messages")

    def listed(**params: int) -> list[int]:
        response = admin.api.get(path, params=params)
        assert response.status_code == 200, response.text
        return [message["id"] for message in response.json()["payload"]]

    assert listed() == ids[-20:]
    assert listed(before=ids[5]) == ids[:5]
    assert listed(before=ids[-1]) == ids[4:24]
    assert listed(after=ids[20]) == ids[21:]
    assert listed(after=ids[-1]) == []
    assert listed(after=ids[2], before=ids[6]) == ids[2:6]
    assert listed(before=ids[0]) == []
    response = admin.api.get(path, params={"before": "soon"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["before"]


def test_list_meta_with_assignee_and_labels(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    agent = agent_in(server, admin, base.inbox_id, name="Max")
    conversation = create_conversation(
        admin, base.source_id, assignee_id=agent.user_id, additional_attributes={"browser": "safari"}
    )
    admin.api.post(admin.path(f"/conversations/{conversation['id']}/labels"), json={"labels": ["vip"]})
    admin.api.post(admin.path(f"/conversations/{conversation['id']}/update_last_seen"))
    meta = admin.api.get(admin.path(f"/conversations/{conversation['id']}/messages")).json()["meta"]
    assert list(meta) == [
        "labels",
        "additional_attributes",
        "contact",
        "assignee",
        "agent_last_seen_at",
        "assignee_last_seen_at",
    ]
    assert meta["labels"] == ["vip"]
    assert meta["additional_attributes"] == {"browser": "safari"}
    assert meta["assignee"]["id"] == agent.user_id
    assert meta["assignee"]["name"] == "Max"
    assert meta["assignee"]["type"] == "user"
    assert meta["agent_last_seen_at"].endswith("Z")
    assert meta["assignee_last_seen_at"] is None


def test_delete_is_soft(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    message = post_message(
        admin,
        conversation["id"],
        content="oops",
        content_type="input_select",
        content_attributes={"items": [{"title": "A", "value": "a"}]},
    )
    path = admin.path(f"/conversations/{conversation['id']}/messages/{message['id']}")
    with captured_events(server) as events:
        response = admin.api.delete(path)
    assert response.status_code == 200
    deleted = response.json()
    assert deleted["id"] == message["id"]
    assert deleted["content"] == "This message was deleted"
    assert deleted["content_type"] == "text"
    assert deleted["content_attributes"] == {"deleted": True}
    assert [event.name for event in events] == ["message.updated"]
    assert sql(test_database, "SELECT count(*) FROM messages")[0][0] == 1
    assert admin.api.delete(admin.path(f"/conversations/{conversation['id']}/messages/999999")).status_code == 404
    other = create_conversation(admin, base.source_id)
    assert admin.api.delete(admin.path(f"/conversations/{other['id']}/messages/{message['id']}")).status_code == 404


def test_status_updates(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    message = post_message(admin, conversation["id"], content="sent to the contact")
    path = admin.path(f"/conversations/{conversation['id']}/messages/{message['id']}")
    with captured_events(server) as events:
        response = admin.api.patch(path, json={"status": "delivered"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "delivered"
    assert [event.name for event in events] == ["message.updated"]
    assert admin.api.patch(path, json={"status": "read"}).json()["status"] == "read"
    # Never read → delivered.
    assert admin.api.patch(path, json={"status": "delivered"}).json()["status"] == "read"
    failed = admin.api.patch(path, json={"status": "failed", "external_error": "Number unreachable"}).json()
    assert failed["status"] == "failed"
    assert failed["content_attributes"] == {"external_error": "Number unreachable"}
    assert admin.api.patch(path, json={"status": "sent"}).json()["content_attributes"] == {}

    inbox_id = _web_inbox(admin)
    web = create_conversation(admin, make_contact(admin, inbox_id)["contact_inbox"]["source_id"])
    web_message = post_message(admin, web["id"], content="hello")
    response = admin.api.patch(
        admin.path(f"/conversations/{web['id']}/messages/{web_message['id']}"), json={"status": "read"}
    )
    assert response.status_code == 403
    assert response.json() == {"error": "Message status update is only allowed for API inboxes"}


def test_incoming_reopens_resolved_and_snoozed(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id, status="resolved")
    show = admin.path(f"/conversations/{conversation['id']}")
    with captured_events(server) as events:
        post_message(admin, conversation["id"], content="back again", message_type="incoming")
    assert admin.api.get(show).json()["status"] == "open"
    names = [event.name for event in events]
    assert names[0] == "message.created"
    assert "conversation.status_changed" in names
    # An outgoing message does not reopen.
    admin.api.post(f"{show}/toggle_status", json={"status": "resolved"})
    post_message(admin, conversation["id"], content="bye")
    assert admin.api.get(show).json()["status"] == "resolved"
    admin.api.post(f"{show}/toggle_status", json={"status": "snoozed", "snoozed_until": 1893456000})
    post_message(admin, conversation["id"], content="wake up", message_type="incoming")
    shown = admin.api.get(show).json()
    assert shown["status"] == "open"
    assert shown["snoozed_until"] is None


def test_muted_conversation_stays_resolved(admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id, status="resolved")
    sql(test_database, "UPDATE conversations SET muted = :muted", muted=True)
    post_message(admin, conversation["id"], content="hello?", message_type="incoming")
    assert admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["status"] == "resolved"


def test_waiting_since_and_first_reply(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    show = admin.path(f"/conversations/{conversation['id']}")
    assert conversation["waiting_since"] == conversation["created_at"]
    # A private note neither replies nor clears waiting_since.
    post_message(admin, conversation["id"], content="note", private=True)
    assert admin.api.get(show).json()["first_reply_created_at"] == 0
    with captured_events(server) as events:
        reply = post_message(admin, conversation["id"], content="first answer")
    assert [event.name for event in events][:2] == ["message.created", "first.reply.created"]
    shown = admin.api.get(show).json()
    assert shown["first_reply_created_at"] == reply["created_at"]
    assert shown["waiting_since"] == 0
    incoming = post_message(admin, conversation["id"], content="thanks, one more", message_type="incoming")
    shown = admin.api.get(show).json()
    assert shown["waiting_since"] == incoming["created_at"]
    assert shown["last_activity_at"] == incoming["created_at"]
    post_message(admin, conversation["id"], content="another", message_type="incoming")
    assert admin.api.get(show).json()["waiting_since"] == incoming["created_at"]
    with captured_events(server) as events:
        post_message(admin, conversation["id"], content="second answer")
    assert "first.reply.created" not in [event.name for event in events]
    shown = admin.api.get(show).json()
    assert shown["waiting_since"] == 0
    assert shown["first_reply_created_at"] == reply["created_at"]
    last_activity = sql(test_database, "SELECT last_activity_at FROM contacts WHERE id = :id", id=base.contact_id)
    assert last_activity[0][0] is not None


def test_unread_count_stops_at_ten(admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    for index in range(12):
        post_message(admin, conversation["id"], content=f"ping {index}", message_type="incoming")
    post_message(admin, conversation["id"], content="pong")
    shown = admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()
    assert shown["unread_count"] == 10
    assert shown["messages"][0]["conversation"]["unread_count"] == 10


def test_agent_outside_the_inbox(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    message = post_message(admin, conversation["id"], content="hi")
    outsider = agent_in(server, admin)
    path = admin.path(f"/conversations/{conversation['id']}/messages")
    assert outsider.api.get(path).status_code == 404
    assert outsider.api.post(path, json={"content": "x"}).status_code == 404
    assert outsider.api.delete(f"{path}/{message['id']}").status_code == 404
    member = agent_in(server, admin, base.inbox_id)
    response = member.api.post(path, json={"content": "member reply"})
    assert response.status_code == 200
    assert response.json()["sender"]["id"] == member.user_id
    stranger = make_admin(server, "Stranger")
    assert stranger.api.get(path).status_code == 401


@pytest.fixture
def flood_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, message_flood_limit=5)


def test_flood_guard(server: RunningServer, flood_server: RunningServer, test_database: ThrowawayDatabase) -> None:
    admin = make_admin(flood_server)
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    path = admin.path(f"/conversations/{conversation['id']}/messages")
    for index in range(5):
        assert admin.api.post(path, json={"content": f"m{index}"}).status_code == 200
    response = admin.api.post(path, json={"content": "one too many"})
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Too many messages", "attributes": ["base"]}
    assert sql(test_database, "SELECT count(*) FROM messages")[0][0] == 5
    # A conversation create whose first message floods (a locked inbox hands back the same conversation)
    # answers the record-invalid shape, and writes nothing.
    response = admin.api.patch(admin.path(f"/inboxes/{base.inbox_id}"), json={"lock_to_single_conversation": True})
    assert response.status_code == 200, response.text
    response = admin.api.post(
        admin.path("/conversations"), json={"source_id": base.source_id, "message": {"content": "hi"}}
    )
    assert response.status_code == 422
    assert response.json() == {"message": "Too many messages", "attributes": ["base"]}
    assert sql(test_database, "SELECT count(*) FROM messages")[0][0] == 5
    # Messages older than a minute do not count.
    sql(test_database, "UPDATE messages SET created_at = :old", old="2020-01-01 00:00:00")
    assert admin.api.post(path, json={"content": "later"}).status_code == 200


def test_filter_internal_messages_and_external_created_at(admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    public = post_message(admin, conversation["id"], content="public", external_created_at=1700000000)
    assert public["content_attributes"] == {"external_created_at": 1700000000}
    post_message(admin, conversation["id"], content="note", private=True)
    post_message(admin, conversation["id"], content="Resolved", message_type="activity")
    path = admin.path(f"/conversations/{conversation['id']}/messages")
    assert len(admin.api.get(path).json()["payload"]) == 3
    filtered = admin.api.get(path, params={"filter_internal_messages": "true"}).json()["payload"]
    assert [message["content"] for message in filtered] == ["public"]
