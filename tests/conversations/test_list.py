"""GET …/conversations, …/conversations/meta and …/contacts/{id}/conversations."""

from __future__ import annotations

from typing import Any

from tests.conversations.helpers import (
    Setup,
    agent_in,
    create_conversation,
    new_source_id,
    post_message,
    setup,
    sql,
)
from tests.fixtures.api import Admin, make_admin, make_api_inbox
from tests.fixtures.observe import counted_queries
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]["payload"]]


def counts(response: Any) -> dict[str, int]:
    meta: dict[str, int] = response.json()["data"]["meta"]
    return meta


def test_status_and_assignee_filters_with_counts(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    agent = agent_in(server, admin, base.inbox_id)
    open_mine = create_conversation(admin, base.source_id, assignee_id=admin.user_id)["id"]
    open_other = create_conversation(admin, base.source_id, assignee_id=agent.user_id)["id"]
    open_free = create_conversation(admin, base.source_id)["id"]
    resolved = create_conversation(admin, base.source_id, status="resolved")["id"]
    pending = create_conversation(admin, base.source_id, status="pending")["id"]
    snoozed = create_conversation(admin, base.source_id, status="snoozed")["id"]

    path = admin.path("/conversations")
    response = admin.api.get(path)
    assert sorted(ids(response)) == [open_mine, open_other, open_free]
    assert counts(response) == {"mine_count": 1, "assigned_count": 2, "unassigned_count": 1, "all_count": 3}
    response = admin.api.get(path, params={"assignee_type": "me"})
    assert ids(response) == [open_mine]
    # The counts are those before the assignee filter (the tab badges).
    assert counts(response) == {"mine_count": 1, "assigned_count": 2, "unassigned_count": 1, "all_count": 3}
    assert ids(admin.api.get(path, params={"assignee_type": "unassigned"})) == [open_free]
    assert sorted(ids(admin.api.get(path, params={"assignee_type": "assigned"}))) == [open_mine, open_other]
    assert len(ids(admin.api.get(path, params={"assignee_type": "all"}))) == 3
    assert ids(admin.api.get(path, params={"status": "resolved"})) == [resolved]
    assert ids(admin.api.get(path, params={"status": "pending"})) == [pending]
    assert ids(admin.api.get(path, params={"status": "snoozed"})) == [snoozed]
    response = admin.api.get(path, params={"status": "all"})
    assert len(ids(response)) == 6
    assert counts(response)["all_count"] == 6

    meta = admin.api.get(admin.path("/conversations/meta"), params={"status": "all"})
    assert meta.status_code == 200
    assert meta.json() == {"meta": {"mine_count": 1, "assigned_count": 2, "unassigned_count": 4, "all_count": 6}}
    default_meta = admin.api.get(admin.path("/conversations/meta")).json()
    assert default_meta == {"meta": {"mine_count": 1, "assigned_count": 2, "unassigned_count": 1, "all_count": 3}}


def test_inbox_team_label_and_query_filters(admin: Admin) -> None:
    base = setup(admin)
    other_inbox = make_api_inbox(admin, "Second")
    team = admin.api.post(admin.path("/teams"), json={"name": "Billing"}).json()
    in_team = create_conversation(admin, base.source_id, team_id=team["id"])["id"]
    labelled = create_conversation(admin, base.source_id)["id"]
    admin.api.post(admin.path(f"/conversations/{labelled}/labels"), json={"labels": ["vip", "billing"]})
    searched = create_conversation(admin, base.source_id)["id"]
    post_message(admin, searched, content="My INVOICE is wrong", message_type="incoming")
    post_message(admin, in_team, content="a private invoice note", private=True)
    elsewhere = create_conversation(admin, new_source_id(admin, other_inbox["id"]))["id"]

    path = admin.path("/conversations")
    assert ids(admin.api.get(path, params={"inbox_id": other_inbox["id"]})) == [elsewhere]
    assert ids(admin.api.get(path, params={"team_id": team["id"]})) == [in_team]
    assert admin.api.get(path, params={"team_id": 999}).status_code == 404
    assert ids(admin.api.get(path, params={"labels[]": "vip"})) == [labelled]
    assert ids(admin.api.get(path, params={"labels[]": ["nope", "billing"]})) == [labelled]
    assert ids(admin.api.get(path, params={"labels[]": "nope"})) == []
    # q searches incoming/outgoing message content, case-insensitively, whatever the status.
    assert sorted(ids(admin.api.get(path, params={"q": "invoice"}))) == sorted([searched, in_team])
    admin.api.post(admin.path(f"/conversations/{searched}/toggle_status"), json={"status": "resolved"})
    assert searched in ids(admin.api.get(path, params={"q": "Invoice"}))
    assert ids(admin.api.get(path, params={"q": "100%"})) == []
    assert admin.api.get(path, params={"inbox_id": "abc"}).json()["attributes"] == ["inbox_id"]


def test_sorting(admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    first = create_conversation(admin, base.source_id, priority=None)["id"]
    second = create_conversation(admin, base.source_id)["id"]
    third = create_conversation(admin, base.source_id)["id"]
    sql(test_database, "UPDATE conversations SET priority = 0 WHERE display_id = :id", id=first)
    sql(test_database, "UPDATE conversations SET priority = 3 WHERE display_id = :id", id=third)
    base_time = "2026-01-01 00:00:00"
    for offset, display_id in ((3, first), (1, second), (2, third)):
        sql(
            test_database,
            "UPDATE conversations SET last_activity_at = :at, waiting_since = :at WHERE display_id = :id",
            at=base_time.replace("00:00:00", f"0{offset}:00:00"),
            id=display_id,
        )
    sql(test_database, "UPDATE conversations SET waiting_since = NULL WHERE display_id = :id", id=first)
    path = admin.path("/conversations")
    assert ids(admin.api.get(path)) == [first, third, second]
    assert ids(admin.api.get(path, params={"sort_by": "last_activity_at_desc"})) == [first, third, second]
    assert ids(admin.api.get(path, params={"sort_by": "last_activity_at_asc"})) == [second, third, first]
    assert ids(admin.api.get(path, params={"sort_by": "created_at_asc"})) == [first, second, third]
    assert ids(admin.api.get(path, params={"sort_by": "created_at_desc"})) == [third, second, first]
    assert ids(admin.api.get(path, params={"sort_by": "priority_desc"})) == [third, first, second]
    assert ids(admin.api.get(path, params={"sort_by": "priority_asc"})) == [first, third, second]
    assert ids(admin.api.get(path, params={"sort_by": "waiting_since_asc"})) == [second, third, first]
    assert ids(admin.api.get(path, params={"sort_by": "waiting_since_desc"})) == [third, second, first]
    assert ids(admin.api.get(path, params={"sort_by": "bogus"})) == [first, third, second]


def test_pagination(admin: Admin) -> None:
    base = setup(admin)
    for _ in range(27):
        create_conversation(admin, base.source_id)
    path = admin.path("/conversations")
    page1 = ids(admin.api.get(path))
    assert len(page1) == 25
    page2 = ids(admin.api.get(path, params={"page": 2}))
    assert len(page2) == 2
    assert sorted(page1 + page2) == list(range(1, 28))
    empty = admin.api.get(path, params={"page": 3})
    assert ids(empty) == []
    assert counts(empty)["all_count"] == 27
    assert ids(admin.api.get(path, params={"page": 0})) == page1


def test_agents_see_only_their_inboxes(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    other_inbox = make_api_inbox(admin, "Hidden")
    visible = create_conversation(admin, base.source_id)["id"]
    hidden = create_conversation(admin, new_source_id(admin, other_inbox["id"]))["id"]
    agent = agent_in(server, admin, base.inbox_id)
    path = admin.path("/conversations")
    response = agent.api.get(path)
    assert ids(response) == [visible]
    assert counts(response)["all_count"] == 1
    assert agent.api.get(admin.path("/conversations/meta")).json()["meta"]["all_count"] == 1
    assert ids(agent.api.get(path, params={"inbox_id": other_inbox["id"]})) == []
    assert agent.api.get(admin.path(f"/conversations/{hidden}")).status_code == 404
    assert agent.api.get(admin.path(f"/conversations/{hidden}/messages")).status_code == 404
    assert agent.api.post(admin.path(f"/conversations/{hidden}/messages"), json={"content": "x"}).status_code == 404
    assert agent.api.get(admin.path(f"/conversations/{visible}")).status_code == 200
    assert sorted(ids(admin.api.get(path))) == [visible, hidden]


def test_agent_sees_a_conversation_of_their_team(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    agent = agent_in(server, admin)
    team = admin.api.post(admin.path("/teams"), json={"name": "Escalations"}).json()
    response = admin.api.post(admin.path(f"/teams/{team['id']}/team_members"), json={"user_ids": [agent.user_id]})
    assert response.status_code == 200, response.text
    conversation = create_conversation(admin, base.source_id, team_id=team["id"])
    shown = agent.api.get(admin.path(f"/conversations/{conversation['id']}"))
    assert shown.status_code == 200
    assert shown.json()["meta"]["team"]["is_member"] is True


def test_other_accounts_display_ids_are_404(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, "Other")
    create_conversation(other, setup(other).source_id)
    for method, suffix in [
        ("GET", ""),
        ("GET", "/messages"),
        ("POST", "/messages"),
        ("POST", "/toggle_status"),
        ("POST", "/labels"),
        ("GET", "/labels"),
        ("POST", "/assignments"),
        ("POST", "/custom_attributes"),
        ("POST", "/update_last_seen"),
        ("PATCH", ""),
    ]:
        response = admin.api.request(method, admin.path(f"/conversations/1{suffix}"), json={})
        assert response.status_code == 404, (method, suffix, response.text)
    # And the other account's token cannot reach this account at all.
    assert other.api.get(admin.path("/conversations")).status_code == 401


def _fill(admin: Admin, base: Setup, count: int, agent_id: int, team_id: int) -> None:
    for index in range(count):
        source_id = new_source_id(admin, base.inbox_id)
        conversation = create_conversation(admin, source_id, assignee_id=agent_id, team_id=team_id)
        post_message(admin, conversation["id"], content=f"question {index}", message_type="incoming")
        post_message(admin, conversation["id"], content=f"answer {index}")
        admin.api.post(admin.path(f"/conversations/{conversation['id']}/labels"), json={"labels": ["a", "b"]})


def test_list_runs_a_fixed_number_of_queries(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    agent = agent_in(server, admin, base.inbox_id)
    team = admin.api.post(admin.path("/teams"), json={"name": "Queries"}).json()
    _fill(admin, base, 1, agent.user_id, team["id"])
    with counted_queries(server) as one:
        assert len(ids(admin.api.get(admin.path("/conversations")))) == 1
    _fill(admin, base, 24, agent.user_id, team["id"])
    with counted_queries(server) as many:
        payload = admin.api.get(admin.path("/conversations")).json()["data"]["payload"]
    assert len(payload) == 25
    assert all(item["meta"]["assignee"]["id"] == agent.user_id for item in payload)
    assert all(item["messages"][0]["sender"]["type"] == "user" for item in payload)
    assert all(item["labels"] == ["a", "b"] for item in payload)
    assert len(many) == len(one), (one, many)


def test_contact_conversations(server: RunningServer, admin: Admin) -> None:
    base = setup(admin)
    other_inbox = make_api_inbox(admin, "Hidden")
    first = create_conversation(admin, base.source_id)["id"]
    second = create_conversation(admin, base.source_id, status="resolved")["id"]
    response = admin.api.post(
        admin.path("/conversations"), json={"inbox_id": other_inbox["id"], "contact_id": base.contact_id}
    )
    hidden = response.json()["id"]
    create_conversation(admin, new_source_id(admin, base.inbox_id))
    path = admin.path(f"/contacts/{base.contact_id}/conversations")
    response = admin.api.get(path)
    assert response.status_code == 200
    assert list(response.json()) == ["payload"]
    assert sorted(item["id"] for item in response.json()["payload"]) == [first, second, hidden]
    agent = agent_in(server, admin, base.inbox_id)
    assert sorted(item["id"] for item in agent.api.get(path).json()["payload"]) == [first, second]
    assert admin.api.get(admin.path("/contacts/999999/conversations")).status_code == 404


def test_unattended_and_updated_within(admin: Admin, test_database: ThrowawayDatabase) -> None:
    base = setup(admin)
    waiting = create_conversation(admin, base.source_id)["id"]
    answered = create_conversation(admin, base.source_id)["id"]
    post_message(admin, answered, content="answer")
    path = admin.path("/conversations")
    assert ids(admin.api.get(path, params={"conversation_type": "unattended"})) == [waiting]
    meta = admin.api.get(admin.path("/conversations/meta"), params={"conversation_type": "unattended"}).json()
    assert meta["meta"]["all_count"] == 1
    sql(
        test_database, "UPDATE conversations SET updated_at = :old WHERE display_id = :id", old="2020-01-01", id=waiting
    )
    assert ids(admin.api.get(path, params={"updated_within": 3600})) == [answered]
