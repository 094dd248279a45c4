"""POST …/conversations: sources of the contact inbox, options, validation, authorization, display ids."""

from __future__ import annotations

import concurrent.futures

import httpx

from tests.conversations.helpers import agent_in, create_conversation, setup, sql
from tests.fixtures.api import Admin, make_admin, make_api_inbox, make_contact
from tests.fixtures.observe import captured_events
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def test_display_ids_count_per_account(server: RunningServer, admin: Admin) -> None:
    first = setup(admin)
    assert create_conversation(admin, first.source_id)["id"] == 1
    assert create_conversation(admin, first.source_id)["id"] == 2
    other = make_admin(server, "Other")
    other_setup = setup(other)
    assert create_conversation(other, other_setup.source_id)["id"] == 1
    assert create_conversation(admin, first.source_id)["id"] == 3


def test_concurrent_creates_get_distinct_display_ids(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)

    def create(_: int) -> int:
        with httpx.Client(base_url=server.base_url, headers={"api_access_token": admin.token}, timeout=60) as client:
            response = client.post(admin.path("/conversations"), json={"source_id": base.source_id})
            assert response.status_code == 200, response.text
            display_id: int = response.json()["id"]
            return display_id

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        ids = list(pool.map(create, range(20)))
    assert sorted(ids) == list(range(1, 21))


def test_options_are_stored(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    agent = agent_in(server, admin, base.inbox_id, name="Zoe")
    team = admin.api.post(admin.path("/teams"), json={"name": "Support"}).json()
    with captured_events(server) as events:
        conversation = create_conversation(
            admin, base.source_id, status="pending", assignee_id=agent.user_id, team_id=team["id"]
        )
    assert conversation["status"] == "pending"
    meta = conversation["meta"]
    assert list(meta) == ["sender", "channel", "assignee", "assignee_type", "team", "hmac_verified"]
    assert meta["assignee"]["id"] == agent.user_id
    assert meta["assignee"]["name"] == "Zoe"
    assert meta["assignee"]["role"] == "agent"
    assert meta["assignee"]["account_id"] == admin.account_id
    assert meta["assignee_type"] == "User"
    assert meta["team"] == {
        "id": team["id"],
        "name": "support",
        "description": team["description"],
        "allow_auto_assign": True,
        "account_id": admin.account_id,
        "is_member": False,
    }
    assert [event.name for event in events] == ["conversation.created", "assignee.changed", "team.changed"]

    snoozed = create_conversation(admin, base.source_id, status="snoozed", snoozed_until=1893456000)
    assert snoozed["status"] == "snoozed"
    assert snoozed["snoozed_until"] == "2030-01-01T00:00:00.000Z"


def test_blocked_contact_starts_resolved(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    created = make_contact(admin, inbox["id"], blocked=True)
    conversation = create_conversation(admin, created["contact_inbox"]["source_id"])
    assert conversation["status"] == "resolved"


def test_lock_to_single_conversation_returns_the_last(admin: Admin) -> None:
    base = setup(admin)
    response = admin.api.patch(admin.path(f"/inboxes/{base.inbox_id}"), json={"lock_to_single_conversation": True})
    assert response.status_code == 200, response.text
    first = create_conversation(admin, base.source_id)
    again = create_conversation(admin, base.source_id, message={"content": "again"})
    assert again["id"] == first["id"]
    assert again["messages"][0]["content"] == "again"
    other_contact = make_contact(admin, base.inbox_id)
    assert create_conversation(admin, other_contact["contact_inbox"]["source_id"])["id"] == first["id"] + 1


def test_unknown_source_id_is_404(admin: Admin) -> None:
    setup(admin)
    response = admin.api.post(admin.path("/conversations"), json={"source_id": "nope"})
    assert response.status_code == 404
    assert response.json() == {"error": "Resource could not be found"}
    assert admin.api.post(admin.path("/conversations"), json={}).status_code == 404


def test_source_id_of_another_account_is_404(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    other = make_admin(server, "Other")
    foreign = setup(other)
    setup(admin)
    response = admin.api.post(admin.path("/conversations"), json={"source_id": foreign.source_id})
    assert response.status_code == 404
    assert sql(test_database, "SELECT count(*) FROM conversations")[0][0] == 0


def test_inbox_and_contact_of_another_account_are_404(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, "Other")
    foreign = setup(other)
    mine = setup(admin)
    body = {"inbox_id": foreign.inbox_id, "contact_id": mine.contact_id}
    assert admin.api.post(admin.path("/conversations"), json=body).status_code == 404
    body = {"inbox_id": mine.inbox_id, "contact_id": foreign.contact_id}
    assert admin.api.post(admin.path("/conversations"), json=body).status_code == 404


def test_agent_needs_the_inbox(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    outsider = agent_in(server, admin)
    response = outsider.api.post(admin.path("/conversations"), json={"source_id": base.source_id})
    assert response.status_code == 401
    assert response.json() == {"error": "You are not authorized to do this action"}
    member = agent_in(server, admin, base.inbox_id)
    response = member.api.post(admin.path("/conversations"), json={"source_id": base.source_id})
    assert response.status_code == 200, response.text


def test_validation_errors_name_the_field(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    base = setup(admin)
    other = make_admin(server, "Other")
    cases = [
        ({"status": "closed"}, "status"),
        ({"assignee_id": other.user_id}, "assignee_id"),
        ({"team_id": 999}, "team_id"),
        ({"snoozed_until": "tomorrow"}, "snoozed_until"),
        ({"custom_attributes": "x"}, "custom_attributes"),
        ({"assignee_id": "abc"}, "assignee_id"),
    ]
    for fields, attribute in cases:
        response = admin.api.post(admin.path("/conversations"), json={"source_id": base.source_id, **fields})
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["attributes"] == [attribute], fields
    assert sql(test_database, "SELECT count(*) FROM conversations")[0][0] == 0


def test_invalid_first_message_writes_nothing(admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    response = admin.api.post(
        admin.path("/conversations"),
        json={"source_id": base.source_id, "message": {"content": "hi", "content_type": "hologram"}},
    )
    assert response.status_code == 422
    assert response.json()["attributes"] == ["content_type"]
    response = admin.api.post(
        admin.path("/conversations"),
        json={"source_id": base.source_id, "message": {"content": "x" * 150_001}},
    )
    assert response.status_code == 422
    assert response.json() == {
        "message": "Content is too long (maximum is 150000 characters)",
        "attributes": ["content"],
    }
    assert sql(test_database, "SELECT count(*) FROM conversations")[0][0] == 0
    assert sql(test_database, "SELECT count(*) FROM messages")[0][0] == 0
    # The display id handed out in the rolled-back transaction is handed out again.
    assert create_conversation(admin, base.source_id)["id"] == 1


def test_wrapped_and_form_bodies(admin: Admin) -> None:
    base = setup(admin)
    response = admin.api.post(admin.path("/conversations"), json={"conversation": {"source_id": base.source_id}})
    assert response.status_code == 200, response.text
    response = admin.api.client.post(
        admin.path("/conversations"),
        data={"source_id": base.source_id, "custom_attributes[plan]": "gold", "message[content]": "hey"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["custom_attributes"] == {"plan": "gold"}
    assert response.json()["messages"][0]["content"] == "hey"
