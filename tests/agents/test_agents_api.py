"""``/api/v1/accounts/{id}/agents`` over real HTTP: shapes of Chatwoot's ``_agent`` partial, bodies in
every encoding, validation, the authorization matrix and what removing an agent takes with it."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from frontdesk.kit.time import utc_now
from frontdesk.models import account_users, contacts, conversations, inbox_members, team_members, teams, users
from tests.fixtures.api import Admin, Api, make_admin, make_agent, make_api_inbox, token_of, unique
from tests.fixtures.server import RunningServer, ThrowawayDatabase

AGENT_KEYS = [
    "id",
    "account_id",
    "availability_status",
    "auto_offline",
    "confirmed",
    "email",
    "provider",
    "available_name",
    "name",
    "role",
    "thumbnail",
]


def test_list_shows_the_administrator_as_an_agent_partial(admin: Admin) -> None:
    response = admin.api.get(admin.path("/agents"))
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    agent = body[0]
    assert list(agent) == AGENT_KEYS
    assert agent["id"] == admin.user_id
    assert agent["account_id"] == admin.account_id
    assert agent["availability_status"] == "online"
    assert agent["auto_offline"] is True
    assert agent["confirmed"] is True
    assert agent["email"].endswith("@example.com")
    assert agent["provider"] == "email"
    assert agent["available_name"] == "Admin"
    assert agent["name"] == "Admin"
    assert agent["role"] == "administrator"
    assert agent["thumbnail"] == ""


def test_adding_an_agent_creates_the_user_with_a_working_token(server: RunningServer, admin: Admin) -> None:
    email = f"{unique('new')}@Example.com"
    response = admin.api.post(admin.path("/agents"), json={"name": "Nora", "email": email, "role": "agent"})
    assert response.status_code == 200, response.text
    agent = response.json()
    assert list(agent) == AGENT_KEYS
    assert agent["email"] == email.lower()
    assert agent["name"] == "Nora"
    assert agent["available_name"] == "Nora"
    assert agent["role"] == "agent"
    assert agent["account_id"] == admin.account_id
    assert agent["availability_status"] == "online"
    assert agent["auto_offline"] is True
    assert agent["confirmed"] is False
    token = token_of(server, agent["id"])
    profile = Api(server, token).get("/api/v1/profile")
    assert profile.status_code == 200
    assert profile.json()["accounts"][0]["id"] == admin.account_id
    assert profile.json()["accounts"][0]["role"] == "agent"
    listed = admin.api.get(admin.path("/agents")).json()
    assert [item["name"] for item in listed] == ["Admin", "Nora"]


def test_agent_name_defaults_to_the_email_local_part(admin: Admin) -> None:
    response = admin.api.post(admin.path("/agents"), json={"email": "kim.lee@example.com"})
    assert response.status_code == 200
    assert response.json()["name"] == "kim.lee"
    assert response.json()["role"] == "agent"


def test_wrapped_and_form_bodies(admin: Admin) -> None:
    wrapped = admin.api.post(
        admin.path("/agents"),
        json={"agent": {"name": "Wrapped", "email": "wrapped@example.com", "role": "administrator"}},
    )
    assert wrapped.status_code == 200, wrapped.text
    assert wrapped.json()["role"] == "administrator"
    form = admin.api.post(
        admin.path("/agents"),
        data={"name": "Form", "email": "form@example.com", "availability": "busy", "auto_offline": "false"},
    )
    assert form.status_code == 200, form.text
    assert form.json()["availability_status"] == "busy"
    assert form.json()["auto_offline"] is False
    updated = admin.api.patch(
        admin.path(f"/agents/{form.json()['id']}"), data={"agent[role]": "administrator", "agent[name]": "F2"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["role"] == "administrator"
    assert updated.json()["name"] == "F2"


def test_adding_an_existing_user_joins_them_to_the_account(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, "Other")
    existing = make_agent(server, other, name="Shared")
    email = other.api.get(other.path("/agents")).json()
    shared_email = next(item["email"] for item in email if item["id"] == existing.user_id)
    response = admin.api.post(admin.path("/agents"), json={"email": shared_email, "name": "Ignored"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == existing.user_id
    assert response.json()["name"] == "Shared"
    assert response.json()["account_id"] == admin.account_id
    # Their token now opens both accounts.
    assert existing.api.get(admin.path("/agents")).status_code == 200
    assert existing.api.get(other.path("/agents")).status_code == 200
    again = admin.api.post(admin.path("/agents"), json={"email": shared_email.upper()})
    assert again.status_code == 422
    assert again.json()["attributes"] == ["user_id"]


def test_create_validation_names_the_field(admin: Admin) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "No email"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@example.com", "role": "owner"}, "role"),
        ({"email": "a@example.com", "availability": "away"}, "availability"),
        ({"email": "a@example.com", "auto_offline": "maybe"}, "auto_offline"),
        ({"email": "a@example.com", "name": "x" * 256}, "name"),
        ({"email": "x" * 250 + "@example.com"}, "email"),
        ({"email": ["a@example.com"]}, "email"),
    ]
    for body, field in cases:
        response = admin.api.post(admin.path("/agents"), json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["attributes"] == [field], body
    assert len(admin.api.get(admin.path("/agents")).json()) == 1


def test_update_changes_name_role_availability_and_auto_offline(server: RunningServer, admin: Admin) -> None:
    agent = make_agent(server, admin, name="Before")
    response = admin.api.patch(
        admin.path(f"/agents/{agent.user_id}"),
        json={"agent": {"name": "After", "role": "administrator", "availability": "offline", "auto_offline": False}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == AGENT_KEYS
    assert body["id"] == agent.user_id
    assert body["name"] == "After"
    assert body["role"] == "administrator"
    assert body["availability_status"] == "offline"
    assert body["auto_offline"] is False
    # Fields left out stay as they were.
    partial = admin.api.patch(admin.path(f"/agents/{agent.user_id}"), json={"availability": "busy"})
    assert partial.status_code == 200
    assert partial.json()["name"] == "After"
    assert partial.json()["role"] == "administrator"
    assert partial.json()["availability_status"] == "busy"
    blank = admin.api.patch(admin.path(f"/agents/{agent.user_id}"), json={"name": "  "})
    assert blank.status_code == 422
    assert blank.json()["attributes"] == ["name"]
    bad_role = admin.api.patch(admin.path(f"/agents/{agent.user_id}"), json={"role": "root"})
    assert bad_role.status_code == 422
    assert bad_role.json()["attributes"] == ["role"]


def test_unknown_and_foreign_agent_ids_answer_404(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, "Other")
    stranger = make_agent(server, other)
    for user_id in (stranger.user_id, other.user_id, 99999):
        assert admin.api.patch(admin.path(f"/agents/{user_id}"), json={"name": "x"}).status_code == 404
        assert admin.api.delete(admin.path(f"/agents/{user_id}")).status_code == 404
    assert other.api.get(other.path("/agents")).json()[0]["name"] == "Admin"


def test_the_last_administrator_cannot_be_demoted_or_removed(server: RunningServer, admin: Admin) -> None:
    demote = admin.api.patch(admin.path(f"/agents/{admin.user_id}"), json={"role": "agent"})
    assert demote.status_code == 422
    assert demote.json()["attributes"] == ["role"]
    remove = admin.api.delete(admin.path(f"/agents/{admin.user_id}"))
    assert remove.status_code == 422
    assert remove.json()["attributes"] == ["role"]
    second = make_agent(server, admin, role="administrator")
    assert admin.api.patch(admin.path(f"/agents/{admin.user_id}"), json={"role": "agent"}).status_code == 200
    # Now ``second`` is the only administrator.
    alone = second.api.delete(admin.path(f"/agents/{second.user_id}"))
    assert alone.status_code == 422


def test_agents_may_list_but_not_write(server: RunningServer, admin: Admin) -> None:
    agent = make_agent(server, admin)
    listed = agent.api.get(admin.path("/agents"))
    assert listed.status_code == 200
    assert len(listed.json()) == 2
    denied = {"error": "You are not authorized to do this action"}
    create = agent.api.post(admin.path("/agents"), json={"email": "x@example.com"})
    assert (create.status_code, create.json()) == (401, denied)
    update = agent.api.patch(admin.path(f"/agents/{agent.user_id}"), json={"role": "administrator"})
    assert (update.status_code, update.json()) == (401, denied)
    remove = agent.api.delete(admin.path(f"/agents/{admin.user_id}"))
    assert (remove.status_code, remove.json()) == (401, denied)
    assert len(admin.api.get(admin.path("/agents")).json()) == 2


def test_no_token_and_other_accounts_are_refused(server: RunningServer, admin: Admin) -> None:
    anonymous = Api(server)
    assert anonymous.get(admin.path("/agents")).status_code == 401
    assert anonymous.post(admin.path("/agents"), json={"email": "a@example.com"}).status_code == 401
    other = make_admin(server, "Other")
    response = other.api.get(admin.path("/agents"))
    assert response.status_code == 401
    assert other.api.post(admin.path("/agents"), json={"email": "a@example.com"}).status_code == 401


def _insert_conversation(test_database: ThrowawayDatabase, account_id: int, inbox_id: int, assignee_id: int) -> int:
    now = utc_now()
    with test_database.sync_engine.begin() as conn:
        contact_id = conn.execute(
            sa.insert(contacts).values(account_id=account_id, name="C", created_at=now, updated_at=now)
        ).inserted_primary_key[0]
        display_id = (
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(conversations.c.display_id), 0)).where(
                    conversations.c.account_id == account_id
                )
            ).scalar_one()
            + 1
        )
        return int(
            conn.execute(
                sa.insert(conversations).values(
                    account_id=account_id,
                    display_id=display_id,
                    uuid=str(uuid.uuid4()),
                    inbox_id=inbox_id,
                    contact_id=contact_id,
                    assignee_id=assignee_id,
                    last_activity_at=now,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
        )


def test_removing_an_agent_cleans_up_this_account_only(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    agent = make_agent(server, admin)
    inbox = make_api_inbox(admin)
    added = admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [agent.user_id]})
    assert added.status_code == 200
    conversation_id = _insert_conversation(test_database, admin.account_id, inbox["id"], agent.user_id)
    # The same user also works in another account, with an inbox, a team and a conversation there.
    other = make_admin(server, "Other")
    email = admin.api.get(admin.path("/agents")).json()[1]["email"]
    assert other.api.post(other.path("/agents"), json={"email": email}).status_code == 200
    other_inbox = make_api_inbox(other)
    other.api.post(other.path("/inbox_members"), json={"inbox_id": other_inbox["id"], "user_ids": [agent.user_id]})
    other_conversation = _insert_conversation(test_database, other.account_id, other_inbox["id"], agent.user_id)
    now = utc_now()
    with test_database.sync_engine.begin() as conn:
        team_ids = []
        for account_id in (admin.account_id, other.account_id):
            team_id = conn.execute(
                sa.insert(teams).values(account_id=account_id, name="support", created_at=now, updated_at=now)
            ).inserted_primary_key[0]
            conn.execute(
                sa.insert(team_members).values(team_id=team_id, user_id=agent.user_id, created_at=now, updated_at=now)
            )
            team_ids.append(team_id)

    response = admin.api.delete(admin.path(f"/agents/{agent.user_id}"))
    assert response.status_code == 200
    assert response.json() == {}

    assert [item["id"] for item in admin.api.get(admin.path("/agents")).json()] == [admin.user_id]
    with test_database.sync_engine.connect() as conn:
        memberships = conn.execute(
            sa.select(account_users.c.account_id).where(account_users.c.user_id == agent.user_id)
        ).scalars()
        assert list(memberships) == [other.account_id]
        inboxes_left = conn.execute(
            sa.select(inbox_members.c.inbox_id).where(inbox_members.c.user_id == agent.user_id)
        ).scalars()
        assert list(inboxes_left) == [other_inbox["id"]]
        teams_left = conn.execute(
            sa.select(team_members.c.team_id).where(team_members.c.user_id == agent.user_id)
        ).scalars()
        assert list(teams_left) == [team_ids[1]]
        assignees = dict(
            conn.execute(
                sa.select(conversations.c.id, conversations.c.assignee_id).where(
                    conversations.c.id.in_([conversation_id, other_conversation])
                )
            ).all()
        )
        assert assignees == {conversation_id: None, other_conversation: agent.user_id}
        assert conn.execute(sa.select(users.c.id).where(users.c.id == agent.user_id)).scalar_one() == agent.user_id
    # Their token no longer opens this account, but still opens the other one.
    assert agent.api.get(admin.path("/agents")).status_code == 401
    assert agent.api.get(other.path("/agents")).status_code == 200
