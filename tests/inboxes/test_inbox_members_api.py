"""``/api/v1/accounts/{id}/inbox_members`` and ``…/inboxes/{id}/assignable_agents`` over real HTTP."""

from __future__ import annotations

from typing import Any

from tests.fixtures.api import Admin, Api, make_admin, make_agent, make_api_inbox
from tests.fixtures.server import RunningServer

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


def _ids(response: Any) -> list[int]:
    return [agent["id"] for agent in response.json()["payload"]]


def test_add_replace_remove_and_show(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    first = make_agent(server, admin, name="First")
    second = make_agent(server, admin, name="Second")
    third = make_agent(server, admin, name="Third")

    empty = admin.api.get(admin.path(f"/inbox_members/{inbox['id']}"))
    assert empty.status_code == 200
    assert empty.json() == {"payload": []}

    added = admin.api.post(
        admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [first.user_id, second.user_id]}
    )
    assert added.status_code == 200, added.text
    assert list(added.json()) == ["payload"]
    assert _ids(added) == [first.user_id, second.user_id]
    member = added.json()["payload"][0]
    assert list(member) == AGENT_KEYS
    assert member["name"] == "First"
    assert member["role"] == "agent"
    assert member["account_id"] == admin.account_id

    # Adding someone already there is harmless.
    again = admin.api.post(
        admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [second.user_id, third.user_id]}
    )
    assert again.status_code == 200
    assert _ids(again) == [first.user_id, second.user_id, third.user_id]

    replaced = admin.api.patch(
        admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [third.user_id, admin.user_id]}
    )
    assert replaced.status_code == 200
    assert _ids(replaced) == [admin.user_id, third.user_id]
    assert _ids(admin.api.get(admin.path(f"/inbox_members/{inbox['id']}"))) == [admin.user_id, third.user_id]

    removed = admin.api.request(
        "DELETE", admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [third.user_id]}
    )
    assert removed.status_code == 200
    assert removed.json() == {}
    assert _ids(admin.api.get(admin.path(f"/inbox_members/{inbox['id']}"))) == [admin.user_id]

    cleared = admin.api.patch(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": []})
    assert cleared.status_code == 200
    assert cleared.json() == {"payload": []}


def test_wrapped_and_form_bodies(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    agent = make_agent(server, admin)
    wrapped = admin.api.post(
        admin.path("/inbox_members"), json={"inbox_member": {"inbox_id": inbox["id"], "user_ids": [agent.user_id]}}
    )
    assert wrapped.status_code == 200, wrapped.text
    assert _ids(wrapped) == [agent.user_id]
    form = admin.api.patch(
        admin.path("/inbox_members"),
        data={"inbox_id": str(inbox["id"]), "user_ids[]": [str(admin.user_id), str(agent.user_id)]},
    )
    assert form.status_code == 200, form.text
    assert _ids(form) == [admin.user_id, agent.user_id]


def test_validation_and_foreign_ids(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    agent = make_agent(server, admin)
    other = make_admin(server, "Other")
    stranger = make_agent(server, other)
    foreign_inbox = make_api_inbox(other)

    cases: list[tuple[dict[str, Any], str]] = [
        ({"user_ids": [agent.user_id]}, "inbox_id"),
        ({"inbox_id": inbox["id"]}, "user_ids"),
        ({"inbox_id": inbox["id"], "user_ids": "all"}, "user_ids"),
        ({"inbox_id": inbox["id"], "user_ids": ["x"]}, "user_ids"),
        ({"inbox_id": "one", "user_ids": [agent.user_id]}, "inbox_id"),
        ({"inbox_id": inbox["id"], "user_ids": [agent.user_id, stranger.user_id]}, "user_ids"),
        ({"inbox_id": inbox["id"], "user_ids": [99999]}, "user_ids"),
    ]
    for method in ("POST", "PATCH"):
        for body, field in cases:
            response = admin.api.request(method, admin.path("/inbox_members"), json=body)
            assert response.status_code == 422, (method, body, response.text)
            assert response.json()["attributes"] == [field], (method, body)
    assert admin.api.get(admin.path(f"/inbox_members/{inbox['id']}")).json() == {"payload": []}

    for method in ("POST", "PATCH", "DELETE"):
        response = admin.api.request(
            method, admin.path("/inbox_members"), json={"inbox_id": foreign_inbox["id"], "user_ids": [agent.user_id]}
        )
        assert response.status_code == 404, method
        missing = admin.api.request(
            method, admin.path("/inbox_members"), json={"inbox_id": 99999, "user_ids": [agent.user_id]}
        )
        assert missing.status_code == 404, method
    assert admin.api.get(admin.path(f"/inbox_members/{foreign_inbox['id']}")).status_code == 404
    assert other.api.get(other.path(f"/inbox_members/{foreign_inbox['id']}")).json() == {"payload": []}


def test_authorization_matrix(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    outside = make_api_inbox(admin, name="Outside")
    agent = make_agent(server, admin)
    admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [agent.user_id]})

    shown = agent.api.get(admin.path(f"/inbox_members/{inbox['id']}"))
    assert shown.status_code == 200
    assert _ids(shown) == [agent.user_id]
    assert agent.api.get(admin.path(f"/inbox_members/{outside['id']}")).status_code == 404

    denied = {"error": "You are not authorized to do this action"}
    for method in ("POST", "PATCH", "DELETE"):
        response = agent.api.request(
            method, admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [agent.user_id]}
        )
        assert (response.status_code, response.json()) == (401, denied), method
    assert _ids(admin.api.get(admin.path(f"/inbox_members/{inbox['id']}"))) == [agent.user_id]

    anonymous = Api(server)
    assert anonymous.get(admin.path(f"/inbox_members/{inbox['id']}")).status_code == 401
    assert (
        anonymous.post(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": []}).status_code == 401
    )


def test_assignable_agents_are_members_and_administrators(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    member = make_agent(server, admin, name="Member")
    make_agent(server, admin, name="Bystander")
    second_admin = make_agent(server, admin, role="administrator", name="Boss")
    admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [member.user_id]})

    response = admin.api.get(admin.path(f"/inboxes/{inbox['id']}/assignable_agents"))
    assert response.status_code == 200
    assert list(response.json()) == ["payload"]
    assert _ids(response) == [member.user_id, admin.user_id, second_admin.user_id]
    assert list(response.json()["payload"][0]) == AGENT_KEYS
    assert [agent["role"] for agent in response.json()["payload"]] == ["agent", "administrator", "administrator"]

    assert _ids(member.api.get(admin.path(f"/inboxes/{inbox['id']}/assignable_agents"))) == [
        member.user_id,
        admin.user_id,
        second_admin.user_id,
    ]
    outside = make_api_inbox(admin, name="Outside")
    assert member.api.get(admin.path(f"/inboxes/{outside['id']}/assignable_agents")).status_code == 404
    other = make_admin(server, "Other")
    foreign = make_api_inbox(other)
    assert admin.api.get(admin.path(f"/inboxes/{foreign['id']}/assignable_agents")).status_code == 404


def test_members_of_an_inbox_removed_from_the_account_are_not_listed(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    leaving = make_agent(server, admin, name="Leaving")
    staying = make_agent(server, admin, name="Staying")
    admin.api.post(
        admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [leaving.user_id, staying.user_id]}
    )
    assert admin.api.delete(admin.path(f"/agents/{leaving.user_id}")).status_code == 200
    assert _ids(admin.api.get(admin.path(f"/inbox_members/{inbox['id']}"))) == [staying.user_id]
