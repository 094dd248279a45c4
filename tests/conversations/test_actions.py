"""Per-conversation actions: status, priority, assignments, labels, custom attributes, last seen, typing."""

from __future__ import annotations

import time

from tests.conversations.helpers import agent_in, create_conversation, post_message, setup, sql
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.observe import captured_events
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def test_toggle_status(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    path = admin.path(f"/conversations/{conversation['id']}/toggle_status")
    with captured_events(server) as events:
        response = admin.api.post(path)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "meta": {},
        "payload": {
            "success": True,
            "conversation_id": conversation["id"],
            "current_status": "resolved",
            "snoozed_until": None,
        },
    }
    names = [event.name for event in events]
    assert names == ["conversation.status_changed", "conversation.updated"]
    changed = events[0].data["changed_attributes"]
    assert {"status": {"previous_value": "open", "current_value": "resolved"}} in changed
    assert events[0].data["performer_id"] == admin.user_id
    # Resolving clears waiting_since.
    assert sql(test_database, "SELECT waiting_since FROM conversations")[0][0] is None
    assert admin.api.post(path).json()["payload"]["current_status"] == "open"

    response = admin.api.post(path, json={"status": "snoozed", "snoozed_until": "1893456000"})
    assert response.json()["payload"]["current_status"] == "snoozed"
    assert response.json()["payload"]["snoozed_until"] == "2030-01-01T00:00:00.000Z"
    shown = admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()
    assert shown["snoozed_until"] == "2030-01-01T00:00:00.000Z"
    # Leaving snoozed clears snoozed_until; without a status, snoozed → open.
    response = admin.api.post(path)
    assert response.json()["payload"] == {
        "success": True,
        "conversation_id": conversation["id"],
        "current_status": "open",
        "snoozed_until": None,
    }
    assert admin.api.post(path, json={"status": "pending"}).json()["payload"]["current_status"] == "pending"
    assert admin.api.post(path).json()["payload"]["current_status"] == "open"
    response = admin.api.post(path, json={"status": "archived"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["status"]
    # An administrator reopening does not take the conversation.
    assert admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["meta"].get("assignee") is None


def test_agent_reopening_self_assigns(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    agent = agent_in(server, admin, base.inbox_id)
    conversation = create_conversation(admin, base.source_id, status="resolved", assignee_id=admin.user_id)
    path = admin.path(f"/conversations/{conversation['id']}/toggle_status")
    with captured_events(server) as events:
        response = agent.api.post(path, json={"status": "open"})
    assert response.json()["payload"]["current_status"] == "open"
    assert "assignee.changed" in [event.name for event in events]
    shown = admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()
    assert shown["meta"]["assignee"]["id"] == agent.user_id
    # Resolving does not assign.
    response = agent.api.post(path, json={"status": "resolved"})
    assert response.json()["payload"]["current_status"] == "resolved"


def test_priority(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    show = admin.path(f"/conversations/{conversation['id']}")
    path = f"{show}/toggle_priority"
    with captured_events(server) as events:
        response = admin.api.post(path, json={"priority": "urgent"})
    assert response.status_code == 200
    assert [event.name for event in events] == ["conversation.updated"]
    assert events[0].data["changed_attributes"] == [{"priority": {"previous_value": None, "current_value": "urgent"}}]
    assert admin.api.get(show).json()["priority"] == "urgent"
    assert admin.api.post(path, json={"priority": None}).status_code == 200
    assert admin.api.get(show).json()["priority"] is None
    response = admin.api.post(path, json={"priority": "whenever"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["priority"]

    response = admin.api.patch(show, json={"priority": "low"})
    assert response.status_code == 200
    assert response.json()["priority"] == "low"
    assert response.json()["id"] == conversation["id"]


def test_assignments(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    agent = agent_in(server, admin, base.inbox_id, name="Nina")
    conversation = create_conversation(admin, base.source_id)
    path = admin.path(f"/conversations/{conversation['id']}/assignments")
    with captured_events(server) as events:
        response = admin.api.post(path, json={"assignee_id": agent.user_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == agent.user_id
    assert body["name"] == "Nina"
    assert body["role"] == "agent"
    assert body["account_id"] == admin.account_id
    assert set(body) >= {"availability_status", "auto_offline", "confirmed", "email", "provider", "available_name"}
    assert [event.name for event in events] == ["assignee.changed", "conversation.updated"]
    assert events[0].data["changed_attributes"] == [
        {"assignee_id": {"previous_value": None, "current_value": agent.user_id}}
    ]
    shown = admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()
    assert shown["meta"]["assignee"]["id"] == agent.user_id
    assert (
        admin.api.get(admin.path("/conversations"), params={"assignee_type": "assigned"}).json()["data"]["meta"][
            "assigned_count"
        ]
        == 1
    )

    response = admin.api.post(path, json={"assignee_id": None})
    assert response.status_code == 200
    assert response.json() is None
    assert "assignee" not in admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["meta"]

    other = make_admin(server, "Other")
    response = admin.api.post(path, json={"assignee_id": other.user_id})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["assignee_id"]

    team = admin.api.post(admin.path("/teams"), json={"name": "Sales"}).json()
    with captured_events(server) as events:
        response = admin.api.post(path, json={"team_id": team["id"]})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == team["id"]
    assert body["name"] == "sales"
    assert body["account_id"] == admin.account_id
    assert body["created_at"].endswith("Z")
    assert [event.name for event in events] == ["team.changed", "conversation.updated"]
    assert admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["meta"]["team"]["id"] == team["id"]
    assert admin.api.post(path, json={"team_id": 999}).status_code == 422
    assert admin.api.post(path, json={"team_id": None}).json() is None
    assert admin.api.post(path, json={}).json() is None


def test_labels(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    path = admin.path(f"/conversations/{conversation['id']}/labels")
    assert admin.api.get(path).json() == {"payload": []}
    with captured_events(server) as events:
        response = admin.api.post(path, json={"labels": ["billing", " vip ", "billing", ""]})
    assert response.status_code == 200
    assert response.json() == {"payload": ["billing", "vip"]}
    assert [event.name for event in events] == ["conversation.updated"]
    assert events[0].data["changed_attributes"] == [
        {"label_list": {"previous_value": [], "current_value": ["billing", "vip"]}}
    ]
    assert admin.api.get(path).json() == {"payload": ["billing", "vip"]}
    # POST replaces the list.
    assert admin.api.post(path, json={"labels": ["vip", "refund"]}).json() == {"payload": ["vip", "refund"]}
    assert admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["labels"] == ["vip", "refund"]
    rows = sql(test_database, "SELECT title FROM conversation_labels ORDER BY id")
    assert [row[0] for row in rows] == ["vip", "refund"]
    assert sql(test_database, "SELECT cached_label_list FROM conversations")[0][0] == "vip, refund"
    assert admin.api.post(path, json={"labels": []}).json() == {"payload": []}
    assert sql(test_database, "SELECT count(*) FROM conversation_labels")[0][0] == 0
    # Form bodies with Rails brackets.
    response = admin.api.client.post(path, data={"labels[]": ["a", "b"]})
    assert response.json() == {"payload": ["a", "b"]}


def test_custom_attributes_replace(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id, custom_attributes={"plan": "gold", "seats": 3})
    path = admin.path(f"/conversations/{conversation['id']}/custom_attributes")
    with captured_events(server) as events:
        response = admin.api.post(path, json={"custom_attributes": {"plan": "silver"}})
    assert response.status_code == 200
    assert response.json() == {"custom_attributes": {"plan": "silver"}}
    assert [event.name for event in events] == ["conversation.updated"]
    shown = admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()
    assert shown["custom_attributes"] == {"plan": "silver"}
    response = admin.api.post(path, json={"custom_attributes": ["x"]})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["custom_attributes"]


def test_update_last_seen(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    post_message(admin, conversation["id"], content="one", message_type="incoming")
    post_message(admin, conversation["id"], content="two", message_type="incoming")
    show = admin.path(f"/conversations/{conversation['id']}")
    assert admin.api.get(show).json()["unread_count"] == 2
    before = int(time.time())
    response = admin.api.post(f"{show}/update_last_seen")
    assert response.status_code == 200
    seen = response.json()
    assert seen["id"] == conversation["id"]
    assert seen["agent_last_seen_at"] >= before
    assert seen["assignee_last_seen_at"] == 0
    assert seen["unread_count"] == 0
    # The assignee's visit also sets assignee_last_seen_at.
    admin.api.post(f"{show}/assignments", json={"assignee_id": admin.user_id})
    seen = admin.api.post(f"{show}/update_last_seen").json()
    assert seen["assignee_last_seen_at"] >= before
    time.sleep(1.1)
    post_message(admin, conversation["id"], content="three", message_type="incoming")
    assert admin.api.get(show).json()["unread_count"] == 1


def test_typing_status(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    path = admin.path(f"/conversations/{conversation['id']}/toggle_typing_status")
    with captured_events(server) as events:
        response = admin.api.post(path, json={"typing_status": "on", "is_private": True})
        assert response.status_code == 200
        assert admin.api.post(path, json={"typing_status": "off"}).status_code == 200
        assert admin.api.post(path, json={"typing_status": "maybe"}).status_code == 200
    assert [event.name for event in events] == ["conversation.typing_on", "conversation.typing_off"]
    assert events[0].data["is_private"] is True
    assert events[1].data["is_private"] is False
    assert events[0].data["user"]["id"] == admin.user_id
    assert events[0].data["user"]["type"] == "user"


def test_mute_unmute(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    show = admin.path(f"/conversations/{conversation['id']}")
    with captured_events(server) as events:
        response = admin.api.post(f"{show}/mute")
    assert response.status_code == 200
    assert "contact.updated" in [event.name for event in events]
    assert "conversation.status_changed" in [event.name for event in events]
    shown = admin.api.get(show).json()
    assert shown["muted"] is True
    assert shown["status"] == "resolved"
    assert shown["meta"]["sender"]["blocked"] is True
    # A muted conversation stays resolved when the contact writes.
    post_message(admin, conversation["id"], content="hello?", message_type="incoming")
    assert admin.api.get(show).json()["status"] == "resolved"
    assert admin.api.post(f"{show}/unmute").status_code == 200
    shown = admin.api.get(show).json()
    assert shown["muted"] is False
    assert shown["meta"]["sender"]["blocked"] is False
    post_message(admin, conversation["id"], content="now?", message_type="incoming")
    assert admin.api.get(show).json()["status"] == "open"


def test_mark_unread(admin: Admin) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    incoming = post_message(admin, conversation["id"], content="hi", message_type="incoming")
    show = admin.path(f"/conversations/{conversation['id']}")
    admin.api.post(f"{show}/update_last_seen")
    assert admin.api.get(show).json()["unread_count"] == 0
    response = admin.api.post(f"{show}/unread")
    assert response.status_code == 200
    assert response.json()["agent_last_seen_at"] == incoming["created_at"] - 1
    assert response.json()["unread_count"] == 1


def test_delete_conversation(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    post_message(admin, conversation["id"], content="bye")
    admin.api.post(admin.path(f"/conversations/{conversation['id']}/labels"), json={"labels": ["x"]})
    agent = agent_in(server, admin, base.inbox_id)
    path = admin.path(f"/conversations/{conversation['id']}")
    response = agent.api.delete(path)
    assert response.status_code == 401
    assert response.json() == {"error": "You are not authorized to do this action"}
    with captured_events(server) as events:
        assert admin.api.delete(path).status_code == 200
    assert [event.name for event in events] == ["conversation.deleted"]
    assert admin.api.get(path).status_code == 404
    assert sql(test_database, "SELECT count(*) FROM messages")[0][0] == 0
    assert sql(test_database, "SELECT count(*) FROM conversation_labels")[0][0] == 0
    # The display id is not handed out again.
    assert create_conversation(admin, base.source_id)["id"] == conversation["id"] + 1


def test_update_last_seen_is_throttled_when_nothing_is_unread(admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    show = admin.path(f"/conversations/{conversation['id']}")
    post_message(admin, conversation["id"], content="hi", message_type="incoming")
    first = admin.api.post(f"{show}/update_last_seen").json()["agent_last_seen_at"]
    sql(test_database, "UPDATE conversations SET agent_last_seen_at = :at", at="2020-01-01 00:00:00+00:00")
    sql(test_database, "UPDATE messages SET created_at = :at", at="2019-01-01 00:00:00+00:00")
    # Nothing unread but the last visit is older than an hour: written.
    assert admin.api.post(f"{show}/update_last_seen").json()["agent_last_seen_at"] >= first
    stored = sql(test_database, "SELECT agent_last_seen_at FROM conversations")[0][0]
    # Nothing unread and seen within the hour: left alone.
    admin.api.post(f"{show}/update_last_seen")
    assert sql(test_database, "SELECT agent_last_seen_at FROM conversations")[0][0] == stored
