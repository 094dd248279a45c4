from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from frontdesk.models import conversations, team_members, teams
from tests.fixtures.api import Admin, Api, make_admin, make_agent
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.teams.factories import insert_conversation, query

NOT_AUTHORIZED = {"error": "You are not authorized to do this action"}
NOT_FOUND = {"error": "Resource could not be found"}


def create(admin: Admin, **fields: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path("/teams"), json={"team": fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_answers_the_team_partial(admin: Admin) -> None:
    response = admin.api.post(admin.path("/teams"), json={"team": {"name": "Support Team"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["id", "name", "description", "allow_auto_assign", "account_id", "is_member"]
    assert isinstance(body["id"], int)
    assert body["name"] == "support team"
    assert body["description"] is None
    assert body["allow_auto_assign"] is True
    assert body["account_id"] == admin.account_id
    assert body["is_member"] is False


def test_create_flat_and_form(admin: Admin) -> None:
    flat = admin.api.post(
        admin.path("/teams"), json={"name": "Sales", "description": "Closers", "allow_auto_assign": False}
    )
    assert flat.status_code == 200, flat.text
    assert flat.json()["name"] == "sales"
    assert flat.json()["description"] == "Closers"
    assert flat.json()["allow_auto_assign"] is False
    form = admin.api.post(admin.path("/teams"), data={"team[name]": "Billing", "team[allow_auto_assign]": "false"})
    assert form.status_code == 200, form.text
    assert form.json()["name"] == "billing"
    assert form.json()["allow_auto_assign"] is False
    flat_form = admin.api.post(admin.path("/teams"), data={"name": "Ops", "description": "Night shift"})
    assert flat_form.status_code == 200, flat_form.text
    assert flat_form.json()["description"] == "Night shift"
    assert flat_form.json()["allow_auto_assign"] is True


def test_list_is_a_bare_array_of_the_account_teams(server: RunningServer, admin: Admin) -> None:
    assert admin.api.get(admin.path("/teams")).json() == []
    first = create(admin, name="first", description="one")
    second = create(admin, name="second", allow_auto_assign=False)
    other = make_admin(server, account_name="Other")
    create(other, name="elsewhere")
    response = admin.api.get(admin.path("/teams"))
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": first["id"],
            "name": "first",
            "description": "one",
            "allow_auto_assign": True,
            "account_id": admin.account_id,
            "is_member": False,
        },
        {
            "id": second["id"],
            "name": "second",
            "description": None,
            "allow_auto_assign": False,
            "account_id": admin.account_id,
            "is_member": False,
        },
    ]


def test_name_is_required_unique_per_account_and_bounded(server: RunningServer, admin: Admin) -> None:
    create(admin, name="Support")
    taken = admin.api.post(admin.path("/teams"), json={"name": "SUPPORT"})
    assert taken.status_code == 422
    assert taken.json() == {"message": "Name has already been taken", "attributes": ["name"]}
    for body in [{}, {"name": None}, {"team": {"name": "   "}}, {"description": "no name"}]:
        response = admin.api.post(admin.path("/teams"), json=body)
        assert response.status_code == 422, body
        assert response.json() == {"message": "Name must not be blank", "attributes": ["name"]}
    long = admin.api.post(admin.path("/teams"), json={"name": "n" * 256})
    assert long.status_code == 422
    assert long.json() == {"message": "Name is too long (maximum is 255 characters)", "attributes": ["name"]}
    long_description = admin.api.post(admin.path("/teams"), json={"name": "ok", "description": "d" * 20_001})
    assert long_description.status_code == 422
    assert long_description.json()["attributes"] == ["description"]
    for field, value in [("name", 5), ("description", {"a": 1}), ("allow_auto_assign", "sometimes")]:
        body = {"name": "typed", field: value} if field != "name" else {"name": value}
        response = admin.api.post(admin.path("/teams"), json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["attributes"] == [field]
    null_flag = admin.api.post(admin.path("/teams"), json={"name": "flag", "allow_auto_assign": None})
    assert null_flag.status_code == 422
    assert null_flag.json()["attributes"] == ["allow_auto_assign"]
    assert [team["name"] for team in admin.api.get(admin.path("/teams")).json()] == ["support"]
    other = make_admin(server, account_name="Other")
    assert other.api.post(other.path("/teams"), json={"name": "support"}).status_code == 200


def test_show_update_and_validation_on_update(admin: Admin) -> None:
    team = create(admin, name="alpha", description="A team")
    create(admin, name="beta")
    path = admin.path(f"/teams/{team['id']}")
    shown = admin.api.get(path)
    assert shown.status_code == 200
    assert shown.json() == team

    partial = admin.api.patch(path, json={"allow_auto_assign": False})
    assert partial.status_code == 200, partial.text
    assert partial.json() == {**team, "allow_auto_assign": False}
    renamed = admin.api.patch(path, json={"team": {"name": "Gamma", "description": None}})
    assert renamed.status_code == 200
    assert renamed.json() == {**team, "name": "gamma", "description": None, "allow_auto_assign": False}
    same = admin.api.patch(path, json={"name": "GAMMA"})
    assert same.status_code == 200
    taken = admin.api.patch(path, json={"name": "Beta"})
    assert taken.status_code == 422
    assert taken.json() == {"message": "Name has already been taken", "attributes": ["name"]}
    blank = admin.api.patch(path, json={"name": ""})
    assert blank.status_code == 422
    assert blank.json()["attributes"] == ["name"]
    assert admin.api.get(path).json()["name"] == "gamma"


def test_delete_unassigns_conversations_and_drops_members(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    team = create(admin, name="doomed")
    kept = create(admin, name="kept")
    agent = make_agent(server, admin)
    assert (
        admin.api.post(admin.path(f"/teams/{team['id']}/team_members"), json={"user_ids": [agent.user_id]}).status_code
        == 200
    )
    assert (
        admin.api.post(admin.path(f"/teams/{kept['id']}/team_members"), json={"user_ids": [agent.user_id]}).status_code
        == 200
    )
    in_team = insert_conversation(test_database, admin.account_id, team_id=team["id"])
    in_kept = insert_conversation(test_database, admin.account_id, team_id=kept["id"])

    response = admin.api.delete(admin.path(f"/teams/{team['id']}"))
    assert response.status_code == 200
    assert response.json() == {}

    rows = query(test_database, sa.select(conversations.c.id, conversations.c.team_id).order_by(conversations.c.id))
    assert [(row.id, row.team_id) for row in rows] == [(in_team, None), (in_kept, kept["id"])]
    memberships = query(test_database, sa.select(team_members.c.team_id))
    assert [row.team_id for row in memberships] == [kept["id"]]
    assert admin.api.get(admin.path(f"/teams/{team['id']}")).status_code == 404
    assert admin.api.delete(admin.path(f"/teams/{team['id']}")).status_code == 404
    assert [row.name for row in query(test_database, sa.select(teams.c.name))] == ["kept"]


def test_agents_read_but_only_administrators_write(server: RunningServer, admin: Admin) -> None:
    team = create(admin, name="readers")
    agent = make_agent(server, admin)
    path = admin.path(f"/teams/{team['id']}")
    assert agent.api.get(admin.path("/teams")).json() == [team]
    assert agent.api.get(path).json() == team
    assert agent.api.get(f"{path}/team_members").json() == []
    for response in [
        agent.api.post(admin.path("/teams"), json={"name": "mine"}),
        agent.api.patch(path, json={"name": "renamed"}),
        agent.api.delete(path),
        agent.api.post(f"{path}/team_members", json={"user_ids": [agent.user_id]}),
        agent.api.patch(f"{path}/team_members", json={"user_ids": [agent.user_id]}),
        agent.api.request("DELETE", f"{path}/team_members", json={"user_ids": [agent.user_id]}),
    ]:
        assert response.status_code == 401
        assert response.json() == NOT_AUTHORIZED
    assert admin.api.get(admin.path("/teams")).json() == [team]
    assert admin.api.get(f"{path}/team_members").json() == []
    second_admin = make_agent(server, admin, role="administrator")
    assert second_admin.api.post(admin.path("/teams"), json={"name": "by admin"}).status_code == 200


def test_other_accounts_and_strangers(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    theirs = create(other, name="theirs")
    path = admin.path(f"/teams/{theirs['id']}")
    agent = make_agent(server, admin)
    for response in [
        admin.api.get(path),
        admin.api.patch(path, json={"name": "mine"}),
        admin.api.delete(path),
        admin.api.get(f"{path}/team_members"),
        admin.api.post(f"{path}/team_members", json={"user_ids": [admin.user_id]}),
        admin.api.patch(f"{path}/team_members", json={"user_ids": [admin.user_id]}),
        admin.api.request("DELETE", f"{path}/team_members", json={"user_ids": [admin.user_id]}),
        agent.api.get(path),
        agent.api.patch(path, json={"name": "mine"}),
    ]:
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    assert other.api.get(other.path(f"/teams/{theirs['id']}")).json() == theirs
    assert admin.api.get(other.path("/teams")).status_code == 401
    anonymous = Api(server)
    assert anonymous.get(admin.path("/teams")).status_code == 401
    assert anonymous.post(admin.path("/teams"), json={"name": "anon"}).status_code == 401
    assert Api(server, "bogus").get(admin.path("/teams")).status_code == 401


def _agent_partial(admin: Admin, user_id: int, name: str, role: str = "agent") -> dict[str, Any]:
    return {
        "id": user_id,
        "account_id": admin.account_id,
        "availability_status": "online",
        "auto_offline": True,
        "confirmed": False,
        "email": _email_of(admin, user_id),
        "provider": "email",
        "available_name": name,
        "name": name,
        "role": role,
        "thumbnail": "",
    }


def _email_of(admin: Admin, user_id: int) -> str:
    agents = admin.api.get(admin.path("/agents")).json()
    email: str = next(agent["email"] for agent in agents if agent["id"] == user_id)
    return email


def test_team_members_add_replace_and_remove(server: RunningServer, admin: Admin) -> None:
    team = create(admin, name="crew")
    path = admin.path(f"/teams/{team['id']}/team_members")
    ada = make_agent(server, admin, name="Ada")
    bob = make_agent(server, admin, name="Bob")
    cy = make_agent(server, admin, name="Cy", role="administrator")
    assert admin.api.get(path).json() == []

    added = admin.api.post(path, json={"user_ids": [ada.user_id, bob.user_id]})
    assert added.status_code == 200, added.text
    assert added.json() == [_agent_partial(admin, ada.user_id, "Ada"), _agent_partial(admin, bob.user_id, "Bob")]

    again = admin.api.post(path, json={"user_ids": [bob.user_id, cy.user_id, cy.user_id]})
    assert again.status_code == 200
    assert again.json() == [_agent_partial(admin, cy.user_id, "Cy", role="administrator")]
    assert [member["id"] for member in admin.api.get(path).json()] == [ada.user_id, bob.user_id, cy.user_id]

    replaced = admin.api.patch(path, json={"user_ids": [cy.user_id, admin.user_id]})
    assert replaced.status_code == 200, replaced.text
    assert [member["id"] for member in replaced.json()] == [cy.user_id, admin.user_id]
    assert replaced.json()[1]["role"] == "administrator"
    assert replaced.json()[1]["confirmed"] is True
    assert admin.api.get(path).json() == replaced.json()

    removed = admin.api.request("DELETE", path, json={"user_ids": [cy.user_id]})
    assert removed.status_code == 200
    assert removed.json() == {}
    assert [member["id"] for member in admin.api.get(path).json()] == [admin.user_id]

    emptied = admin.api.patch(path, json={"user_ids": []})
    assert emptied.status_code == 200
    assert emptied.json() == []


def test_is_member_reflects_the_requesting_user(server: RunningServer, admin: Admin) -> None:
    mine = create(admin, name="mine")
    theirs = create(admin, name="theirs")
    agent = make_agent(server, admin)
    admin.api.post(admin.path(f"/teams/{mine['id']}/team_members"), json={"user_ids": [admin.user_id]})
    admin.api.post(admin.path(f"/teams/{theirs['id']}/team_members"), json={"user_ids": [agent.user_id]})
    assert [(team["name"], team["is_member"]) for team in admin.api.get(admin.path("/teams")).json()] == [
        ("mine", True),
        ("theirs", False),
    ]
    assert [(team["name"], team["is_member"]) for team in agent.api.get(admin.path("/teams")).json()] == [
        ("mine", False),
        ("theirs", True),
    ]
    assert admin.api.get(admin.path(f"/teams/{mine['id']}")).json()["is_member"] is True
    assert agent.api.get(admin.path(f"/teams/{mine['id']}")).json()["is_member"] is False
    updated = admin.api.patch(admin.path(f"/teams/{mine['id']}"), json={"description": "ours"})
    assert updated.json()["is_member"] is True


def test_team_members_bodies_and_invalid_users(server: RunningServer, admin: Admin) -> None:
    team = create(admin, name="strict")
    path = admin.path(f"/teams/{team['id']}/team_members")
    agent = make_agent(server, admin, name="Ada")
    form = admin.api.post(path, data={"user_ids[]": [str(agent.user_id)]})
    assert form.status_code == 200, form.text
    assert [member["id"] for member in form.json()] == [agent.user_id]

    other = make_admin(server, account_name="Other")
    for method in ("POST", "PATCH", "DELETE"):
        response = admin.api.request(method, path, json={"user_ids": [agent.user_id, other.user_id]})
        assert response.status_code == 401, method
        assert response.json() == {"error": "Invalid User IDs"}
        unknown = admin.api.request(method, path, json={"user_ids": [999_999]})
        assert unknown.status_code == 401
        for body in [{}, {"user_ids": "x"}, {"user_ids": ["abc"]}, {"user_ids": None}]:
            bad = admin.api.request(method, path, json=body)
            assert bad.status_code == 422, (method, body, bad.text)
            assert bad.json()["attributes"] == ["user_ids"]
    assert [member["id"] for member in admin.api.get(path).json()] == [agent.user_id]


def test_ids_beyond_the_integer_range(admin: Admin) -> None:
    for team_id in (2_147_483_648, 99_999_999_999_999_999_999, 0):
        path = admin.path(f"/teams/{team_id}")
        for response in [
            admin.api.get(path),
            admin.api.patch(path, json={"name": "x"}),
            admin.api.delete(path),
            admin.api.get(f"{path}/team_members"),
            admin.api.post(f"{path}/team_members", json={"user_ids": [admin.user_id]}),
        ]:
            assert response.status_code == 404, (team_id, response.text)
            assert response.json() == NOT_FOUND
    team = create(admin, name="ranged")
    for user_id in (2_147_483_648, 99_999_999_999_999_999_999, 0, -1):
        response = admin.api.post(admin.path(f"/teams/{team['id']}/team_members"), json={"user_ids": [user_id]})
        assert response.status_code == 401, (user_id, response.text)
        assert response.json() == {"error": "Invalid User IDs"}


def test_concurrent_creates_of_one_name_make_one_team(server: RunningServer, admin: Admin) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> tuple[int, Any]:
        response = Api(server, admin.token).post(admin.path("/teams"), json={"name": "Race"})
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert sorted(status for status, _ in results) == [200] + [422] * 7
    for status, body in results:
        if status == 422:
            assert body == {"message": "Name has already been taken", "attributes": ["name"]}
    assert [team["name"] for team in admin.api.get(admin.path("/teams")).json()] == ["race"]
