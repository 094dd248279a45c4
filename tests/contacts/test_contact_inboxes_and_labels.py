from __future__ import annotations

import sqlalchemy as sa

from tests.contacts.helpers import count_rows, create, make_web_inbox
from tests.fixtures.api import Admin, make_admin, make_agent, make_api_inbox
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def _slim(inbox: dict[str, object], channel_type: str = "Channel::Api") -> dict[str, object]:
    return {
        "id": inbox["id"],
        "avatar_url": "",
        "channel_id": inbox["channel_id"],
        "name": inbox["name"],
        "channel_type": channel_type,
        "provider": None,
    }


def test_create_contact_inbox(admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(admin, name="Support API")
    contact = create(admin, name="Ci", email="ci@x.io")
    path = admin.path(f"/contacts/{contact['id']}/contact_inboxes")
    response = admin.api.post(path, json={"inbox_id": inbox["id"], "source_id": "crm-7", "hmac_verified": True})
    assert response.status_code == 200, response.text
    assert response.json() == {"source_id": "crm-7", "inbox": _slim(inbox)}
    with test_database.sync_engine.connect() as conn:
        verified = conn.execute(
            sa.text("SELECT hmac_verified FROM contact_inboxes WHERE source_id = 'crm-7'")
        ).scalar_one()
    assert bool(verified) is True
    # The same source_id again is the same session.
    again = admin.api.post(path, json={"inbox_id": inbox["id"], "source_id": "crm-7"})
    assert again.status_code == 200
    assert count_rows(test_database, "contact_inboxes") == 1
    generated = admin.api.post(path, data={"inbox_id": str(inbox["id"])})
    assert generated.status_code == 200, generated.text
    assert len(generated.json()["source_id"]) == 36
    shown = admin.api.get(admin.path(f"/contacts/{contact['id']}")).json()["payload"]
    assert [item["source_id"] for item in shown["contact_inboxes"]] == ["crm-7", generated.json()["source_id"]]
    # Another contact cannot take the session.
    other = create(admin, name="Other")
    taken = admin.api.post(
        admin.path(f"/contacts/{other['id']}/contact_inboxes"), json={"inbox_id": inbox["id"], "source_id": "crm-7"}
    )
    assert taken.status_code == 422
    assert taken.json() == {"error": "source_id should be unique"}


def test_create_contact_inbox_checks_the_inbox(server: RunningServer, admin: Admin) -> None:
    contact = create(admin, name="Ci")
    path = admin.path(f"/contacts/{contact['id']}/contact_inboxes")
    foreign = make_api_inbox(make_admin(server, account_name="Other"))
    assert admin.api.post(path, json={"inbox_id": foreign["id"]}).status_code == 404
    assert admin.api.post(path, json={"inbox_id": 999_999}).status_code == 404
    missing = admin.api.post(path, json={})
    assert missing.status_code == 422
    assert missing.json()["attributes"] == ["inbox_id"]
    # An agent only reaches inboxes they are a member of.
    inbox = make_api_inbox(admin)
    agent = make_agent(server, admin)
    denied = agent.api.post(path, json={"inbox_id": inbox["id"]})
    assert denied.status_code == 401
    assert denied.json() == {"error": "You are not authorized to do this action"}
    added = admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [agent.user_id]})
    assert added.status_code == 200, added.text
    assert agent.api.post(path, json={"inbox_id": inbox["id"]}).status_code == 200


def test_contactable_inboxes(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    api_inbox = make_api_inbox(admin, name="API")
    web_inbox = make_web_inbox(admin, name="Web")
    busy_web_inbox = make_web_inbox(admin, name="Busy web")
    idle_web_inbox = make_web_inbox(admin, name="Idle web")
    contact = create(admin, name="Reachable", email="reach@x.io")
    path = admin.path(f"/contacts/{contact['id']}/contactable_inboxes")

    first = admin.api.get(path)
    assert first.status_code == 200
    payload = first.json()["payload"]
    # No session yet: the API inbox offers a fresh source_id; website inboxes need an existing session.
    assert [item["inbox"] for item in payload] == [_slim(api_inbox)]
    assert len(payload[0]["source_id"]) == 36

    for inbox, source_id in ((api_inbox, "api-src"), (web_inbox, "web-src"), (busy_web_inbox, "busy-src")):
        response = admin.api.post(
            admin.path(f"/contacts/{contact['id']}/contact_inboxes"),
            json={"inbox_id": inbox["id"], "source_id": source_id},
        )
        assert response.status_code == 200, response.text
    with test_database.sync_engine.begin() as conn:
        busy_id = conn.execute(sa.text("SELECT id FROM contact_inboxes WHERE source_id = 'busy-src'")).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO conversations (account_id, display_id, uuid, inbox_id, contact_id, contact_inbox_id)"
                " VALUES (:account, 1, 'u-1', :inbox, :contact, :contact_inbox)"
            ),
            {
                "account": admin.account_id,
                "inbox": busy_web_inbox["id"],
                "contact": contact["id"],
                "contact_inbox": busy_id,
            },
        )
    payload = admin.api.get(path).json()["payload"]
    assert payload == [
        {"inbox": _slim(api_inbox), "source_id": "api-src"},
        {"inbox": _slim(web_inbox, "Channel::WebWidget"), "source_id": "web-src"},
    ]
    assert idle_web_inbox["id"] not in [item["inbox"]["id"] for item in payload]

    agent = make_agent(server, admin)
    assert agent.api.get(path).json()["payload"] == []
    admin.api.post(admin.path("/inbox_members"), json={"inbox_id": web_inbox["id"], "user_ids": [agent.user_id]})
    assert [item["inbox"]["id"] for item in agent.api.get(path).json()["payload"]] == [web_inbox["id"]]


def test_contact_labels(admin: Admin, test_database: ThrowawayDatabase) -> None:
    contact = create(admin, name="Labelled")
    path = admin.path(f"/contacts/{contact['id']}/labels")
    empty = admin.api.get(path)
    assert empty.status_code == 200
    assert empty.json() == {"payload": []}
    response = admin.api.post(path, json={"labels": ["VIP", "billing", "vip", " "]})
    assert response.status_code == 200, response.text
    assert response.json() == {"payload": ["vip", "billing"]}
    assert admin.api.get(path).json() == {"payload": ["vip", "billing"]}
    replaced = admin.api.post(path, data={"labels[]": ["billing", "churn"]})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {"payload": ["billing", "churn"]}
    assert admin.api.get(path).json() == {"payload": ["billing", "churn"]}
    assert count_rows(test_database, "contact_labels", "contact_id = :id", id=contact["id"]) == 2
    cleared = admin.api.post(path, json={"labels": []})
    assert cleared.json() == {"payload": []}
    assert count_rows(test_database, "contact_labels") == 0
    wrong = admin.api.post(path, json={"labels": "vip"})
    assert wrong.status_code == 422
    assert wrong.json()["attributes"] == ["labels"]
    too_long = admin.api.post(path, json={"labels": ["x" * 256]})
    assert too_long.status_code == 422
    assert too_long.json()["attributes"] == ["labels"]
