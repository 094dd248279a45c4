"""Domain events become Chatwoot's ActionCable frames, for the right recipients only."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from tests.conversations.helpers import add_member, create_conversation, post_message, setup
from tests.fixtures.api import Admin, make_admin, make_agent
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.realtime.cable import Cable, contact_inbox_pubsub_token, identifier, user_pubsub_token


def _row(database: ThrowawayDatabase, sql: str, **params: Any) -> Any:
    with database.sync_engine.connect() as conn:
        return conn.execute(sa.text(sql), params).one()


def _agent_cable(server: RunningServer, database: ThrowawayDatabase, account_id: int, user_id: int) -> Cable:
    cable = Cable(server)
    ident = identifier(user_pubsub_token(database, user_id), account_id, user_id)
    assert cable.subscribe(ident)["type"] == "confirm_subscription"
    cable.ident = ident  # type: ignore[attr-defined]
    return cable


def test_message_created_reaches_admin_with_chatwoot_payload(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    with _agent_cable(server, test_database, admin.account_id, admin.user_id) as cable:
        started = time.monotonic()
        created = post_message(admin, conversation["id"], content="Hi there", message_type="incoming")
        frame_message = cable.event("message.created")
        assert time.monotonic() - started < 2
        assert cable.frames[-1]["identifier"] == cable.ident  # type: ignore[attr-defined]
    assert set(frame_message) == {"event", "data", "cursor"}
    data = frame_message["data"]
    assert data["id"] == created["id"]
    assert data["content"] == "Hi there"
    assert data["account_id"] == admin.account_id
    assert data["inbox_id"] == ready.inbox_id
    assert data["conversation_id"] == conversation["id"]
    assert data["message_type"] == 0
    assert data["created_at"] == created["created_at"]
    assert isinstance(data["created_at"], int)
    assert isinstance(data["updated_at"], str) and data["updated_at"].endswith("Z")
    assert data["private"] is False
    assert data["status"] == "sent"
    assert data["source_id"] is None
    assert data["content_type"] == "text"
    assert data["content_attributes"] == {}
    assert data["sender_type"] == "Contact"
    assert data["sender_id"] == ready.contact_id
    assert data["external_source_ids"] == {}
    assert data["additional_attributes"] == {}
    assert data["processed_message_content"] == "Hi there"
    assert data["sentiment"] == {}
    assert data["conversation"] == {
        "assignee_id": None,
        "unread_count": 1,
        "last_activity_at": data["conversation"]["last_activity_at"],
        "contact_inbox": {"source_id": ready.source_id},
    }
    assert isinstance(data["conversation"]["last_activity_at"], int)
    assert abs(data["conversation"]["last_activity_at"] - data["created_at"]) <= 1
    sender = data["sender"]
    assert sender["id"] == ready.contact_id
    assert sender["type"] == "contact"
    assert sender["name"] == ready.contact["name"]
    assert "echo_id" not in data
    # The request's user performed it.
    assert data["performer"]["id"] == admin.user_id
    assert data["performer"]["type"] == "user"
    assert isinstance(frame_message["cursor"], str)


def test_agent_outside_the_inbox_gets_nothing_member_and_admin_do(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    member = make_agent(server, admin)
    outsider = make_agent(server, admin)
    add_member(admin, ready.inbox_id, [member.user_id])
    cables = {
        "admin": _agent_cable(server, test_database, admin.account_id, admin.user_id),
        "member": _agent_cable(server, test_database, admin.account_id, member.user_id),
        "outsider": _agent_cable(server, test_database, admin.account_id, outsider.user_id),
    }
    try:
        created = post_message(admin, conversation["id"], content="Reply", message_type="outgoing")
        received = {name: cable.events(quiet=0.7) for name, cable in cables.items()}
    finally:
        for cable in cables.values():
            cable.close()
    for name in ("admin", "member"):
        names = [message["event"] for message in received[name]]
        assert "message.created" in names, (name, names)
        message = next(m for m in received[name] if m["event"] == "message.created")
        assert message["data"]["id"] == created["id"]
        assert message["data"]["message_type"] == 1
        assert message["data"]["sender"]["id"] == admin.user_id
        assert message["data"]["sender"]["type"] == "user"
    assert received["outsider"] == []


def test_contact_gets_public_messages_not_private_notes(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    other = setup(admin)
    other_conversation = create_conversation(admin, other.source_id)
    token = contact_inbox_pubsub_token(test_database, ready.source_id)
    with Cable(server) as cable:
        ident = identifier(token)
        assert cable.subscribe(ident) == {"identifier": ident, "type": "confirm_subscription"}
        assert "contacts" not in cable.presence["data"]
        public = post_message(admin, conversation["id"], content="Public reply")
        post_message(admin, conversation["id"], content="Internal note", private=True)
        post_message(admin, other_conversation["id"], content="Someone else's conversation")
        messages = [m for m in cable.events(quiet=0.8) if m["event"].startswith("message.")]
    assert [m["event"] for m in messages] == ["message.created"]
    assert messages[0]["data"]["id"] == public["id"]
    assert messages[0]["data"]["content"] == "Public reply"


def test_conversation_events_carry_push_event_data(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    ready = setup(admin)
    contact_token = contact_inbox_pubsub_token(test_database, ready.source_id)
    with (
        _agent_cable(server, test_database, admin.account_id, admin.user_id) as cable,
        Cable(server) as contact_cable,
    ):
        assert contact_cable.subscribe(identifier(contact_token))["type"] == "confirm_subscription"
        conversation = create_conversation(admin, ready.source_id)
        created = cable.event("conversation.created")["data"]
        assert created["id"] == conversation["id"]
        assert created["inbox_id"] == ready.inbox_id
        assert created["account_id"] == admin.account_id
        assert created["status"] == "open"
        assert created["channel"] == "Channel::Api"
        assert created["meta"]["sender"]["id"] == ready.contact_id
        assert created["meta"]["assignee"] is None
        assert created["messages"] == []
        assert created["labels"] == []
        assert "account" not in created
        assert contact_cable.event("conversation.created")["data"]["id"] == conversation["id"]

        response = admin.api.post(
            admin.path(f"/conversations/{conversation['id']}/toggle_status"), json={"status": "resolved"}
        )
        assert response.status_code == 200, response.text
        changed = cable.event("conversation.status_changed")["data"]
        assert changed["status"] == "resolved"
        assert changed["id"] == conversation["id"]
        assert contact_cable.event("conversation.status_changed")["data"]["status"] == "resolved"

        response = admin.api.post(
            admin.path(f"/conversations/{conversation['id']}/assignments"), json={"assignee_id": admin.user_id}
        )
        assert response.status_code == 200, response.text
        assigned = cable.event("assignee.changed")["data"]
        assert assigned["meta"]["assignee"]["id"] == admin.user_id
        # assignee.changed is for agents only.
        names = [m["event"] for m in contact_cable.events(quiet=0.6)]
        assert "assignee.changed" not in names


def test_contact_events_go_to_the_account_stream(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    agent = make_agent(server, admin)
    with _agent_cable(server, test_database, admin.account_id, agent.user_id) as cable:
        response = admin.api.post(admin.path("/contacts"), json={"name": "Streamed", "email": "streamed@example.com"})
        assert response.status_code == 200, response.text
        contact_id = response.json()["payload"]["contact"]["id"]
        created = cable.event("contact.created")["data"]
        assert created["id"] == contact_id
        assert created["name"] == "Streamed"
        assert created["email"] == "streamed@example.com"
        assert created["type"] == "contact"
        assert created["account_id"] == admin.account_id
        response = admin.api.put(admin.path(f"/contacts/{contact_id}"), json={"name": "Renamed"})
        assert response.status_code == 200, response.text
        assert cable.event("contact.updated")["data"]["name"] == "Renamed"
        response = admin.api.delete(admin.path(f"/contacts/{contact_id}"))
        assert response.status_code == 200, response.text
        deleted = cable.event("contact.deleted")["data"]
        assert deleted["id"] == contact_id
        assert deleted["account_id"] == admin.account_id


def test_echo_id_and_message_updated(server: RunningServer, test_database: ThrowawayDatabase, admin: Admin) -> None:
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    with _agent_cable(server, test_database, admin.account_id, admin.user_id) as cable:
        created = post_message(admin, conversation["id"], content="Optimistic", echo_id="tmp-42")
        message = cable.event("message.created")["data"]
        assert message["echo_id"] == "tmp-42"
        assert message["id"] == created["id"]
        response = admin.api.delete(admin.path(f"/conversations/{conversation['id']}/messages/{created['id']}"))
        assert response.status_code == 200, response.text
        updated = cable.event("message.updated")["data"]
        assert updated["id"] == created["id"]
        assert updated["content"] == "This message was deleted"
        assert updated["content_attributes"] == {"deleted": True}
        assert updated["previous_changes"]["content"] == ["Optimistic", "This message was deleted"]
        assert "echo_id" not in updated


def test_typing_reaches_everyone_but_the_typer(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    member = make_agent(server, admin, name="Typist")
    add_member(admin, ready.inbox_id, [member.user_id])
    contact_token = contact_inbox_pubsub_token(test_database, ready.source_id)
    with (
        _agent_cable(server, test_database, admin.account_id, admin.user_id) as admin_cable,
        _agent_cable(server, test_database, admin.account_id, member.user_id) as typer_cable,
        Cable(server) as contact_cable,
    ):
        assert contact_cable.subscribe(identifier(contact_token))["type"] == "confirm_subscription"
        response = member.api.post(
            f"/api/v1/accounts/{admin.account_id}/conversations/{conversation['id']}/toggle_typing_status",
            json={"typing_status": "on", "is_private": True},
        )
        assert response.status_code == 200, response.text
        typing = admin_cable.event("conversation.typing_on")["data"]
        assert typing["conversation"]["id"] == conversation["id"]
        assert typing["user"]["id"] == member.user_id
        assert typing["user"]["name"] == "Typist"
        assert typing["user"]["type"] == "user"
        assert typing["is_private"] is True
        assert typing["account_id"] == admin.account_id
        assert contact_cable.event("conversation.typing_on")["data"]["user"]["id"] == member.user_id
        assert [m for m in typer_cable.events(quiet=0.5) if m["event"].startswith("conversation.typing")] == []


def test_another_account_gets_nothing(server: RunningServer, test_database: ThrowawayDatabase, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    with _agent_cable(server, test_database, other.account_id, other.user_id) as cable:
        post_message(admin, conversation["id"], content="Account one only")
        response = admin.api.post(admin.path("/contacts"), json={"name": "Account one contact"})
        assert response.status_code == 200, response.text
        assert cable.events(quiet=0.7) == []
