from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from frontdesk.models import contacts
from tests.contacts.helpers import CONTACT_KEYS, count_rows, create
from tests.fixtures.api import Admin, make_admin, make_agent, make_api_inbox
from tests.fixtures.observe import captured_events
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def test_show_contact(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    created = admin.api.post(
        admin.path("/contacts"), json={"name": "Shown", "email": "shown@x.io", "inbox_id": inbox["id"]}
    ).json()["payload"]
    contact_id = created["contact"]["id"]
    response = admin.api.get(admin.path(f"/contacts/{contact_id}"))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["payload"]
    assert list(body["payload"]) == [*CONTACT_KEYS, "contact_inboxes"]
    assert body["payload"] == created["contact"]
    plain = admin.api.get(admin.path(f"/contacts/{contact_id}"), params={"include_contact_inboxes": "false"})
    assert "contact_inboxes" not in plain.json()["payload"]


def test_last_activity_at_is_shown_only_when_set(admin: Admin, test_database: ThrowawayDatabase) -> None:
    contact = create(admin, name="Active", email="active@x.io")
    with test_database.sync_engine.begin() as conn:
        conn.execute(
            sa.update(contacts)
            .where(contacts.c.id == contact["id"])
            .values(last_activity_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        )
    shown = admin.api.get(admin.path(f"/contacts/{contact['id']}")).json()["payload"]
    assert shown["last_activity_at"] == 1767323045
    assert list(shown)[:12] == [*CONTACT_KEYS[:10], "last_activity_at", "created_at"]


def test_unknown_and_foreign_contacts_are_404(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    theirs = create(other, name="Theirs", email="theirs@x.io")
    inbox = make_api_inbox(admin)
    for contact_id in (theirs["id"], 999_999):
        for method, suffix, body in (
            ("GET", "", None),
            ("PUT", "", {"name": "x"}),
            ("PATCH", "", {"name": "x"}),
            ("DELETE", "", None),
            ("GET", "/labels", None),
            ("POST", "/labels", {"labels": ["a"]}),
            ("POST", "/contact_inboxes", {"inbox_id": inbox["id"]}),
            ("GET", "/contactable_inboxes", None),
        ):
            response = admin.api.request(method, admin.path(f"/contacts/{contact_id}{suffix}"), json=body)
            assert response.status_code == 404, (method, suffix, response.text)
            assert response.json() == {"error": "Resource could not be found"}
    assert other.api.get(other.path(f"/contacts/{theirs['id']}")).json()["payload"]["name"] == "Theirs"


def test_update_merges_attributes(server: RunningServer, admin: Admin) -> None:
    contact = create(
        admin,
        name="Before",
        email="before@x.io",
        custom_attributes={"plan": "free", "seats": 2},
        additional_attributes={"city": "Paris"},
    )
    path = admin.path(f"/contacts/{contact['id']}")
    with captured_events(server) as events:
        response = admin.api.put(
            path, json={"name": "After", "custom_attributes": {"plan": "pro"}, "additional_attributes": {"tz": "CET"}}
        )
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert payload["name"] == "After"
    assert payload["email"] == "before@x.io"
    assert payload["custom_attributes"] == {"plan": "pro", "seats": 2}
    assert payload["additional_attributes"] == {"city": "Paris", "tz": "CET"}
    assert payload["contact_inboxes"] == []
    assert [event.name for event in events] == ["contact.updated"]
    assert events[0].subject == {"contact_id": contact["id"]}
    changed = events[0].data["changed_attributes"]
    assert {"name": {"previous_value": "Before", "current_value": "After"}} in changed
    assert {key for item in changed for key in item} == {
        "name",
        "custom_attributes",
        "additional_attributes",
        "updated_at",
    }
    # PATCH, wrapped, and a form body.
    wrapped = admin.api.patch(path, json={"contact": {"email": "NEW@x.io", "blocked": True}})
    assert wrapped.status_code == 200
    assert wrapped.json()["payload"]["email"] == "new@x.io"
    assert wrapped.json()["payload"]["blocked"] is True
    form = admin.api.put(path, data={"custom_attributes[tier]": "gold", "phone_number": "+15550003333"})
    assert form.status_code == 200, form.text
    assert form.json()["payload"]["custom_attributes"] == {"plan": "pro", "seats": 2, "tier": "gold"}
    assert form.json()["payload"]["phone_number"] == "+15550003333"


def test_update_reports_a_visitor_becoming_a_lead(server: RunningServer, admin: Admin) -> None:
    contact = create(admin, name="Visitor")
    with captured_events(server) as events:
        response = admin.api.patch(admin.path(f"/contacts/{contact['id']}"), json={"email": "now@x.io"})
    assert response.status_code == 200
    changed = events[0].data["changed_attributes"]
    assert {"email": {"previous_value": None, "current_value": "now@x.io"}} in changed
    assert {"contact_type": {"previous_value": "visitor", "current_value": "lead"}} in changed
    assert events[0].data["performer_id"] == admin.user_id


def test_update_without_changes_emits_nothing(server: RunningServer, admin: Admin) -> None:
    contact = create(admin, name="Same", email="same@x.io", custom_attributes={"a": 1})
    with captured_events(server) as events:
        response = admin.api.put(
            admin.path(f"/contacts/{contact['id']}"),
            json={"name": "Same", "email": "SAME@x.io", "custom_attributes": {"a": 1}},
        )
    assert response.status_code == 200
    assert events == []


def test_update_validates(admin: Admin) -> None:
    create(admin, email="taken@x.io", phone_number="+15550009999")
    contact = create(admin, name="Mine", email="mine@x.io")
    path = admin.path(f"/contacts/{contact['id']}")
    taken = admin.api.put(path, json={"email": "Taken@x.io"})
    assert taken.status_code == 422
    assert taken.json() == {"message": "Email has already been taken", "attributes": ["email"]}
    phone = admin.api.put(path, json={"phone_number": "+15550009999"})
    assert phone.json() == {"message": "Phone number has already been taken", "attributes": ["phone_number"]}
    bad = admin.api.put(path, json={"phone_number": "12"})
    assert bad.json()["attributes"] == ["phone_number"]
    long = admin.api.patch(path, json={"identifier": "i" * 256})
    assert long.status_code == 422
    assert long.json()["attributes"] == ["identifier"]
    # Its own email is not "taken".
    assert admin.api.put(path, json={"email": "MINE@x.io", "name": "Renamed"}).status_code == 200
    after = admin.api.get(path).json()["payload"]
    assert after["email"] == "mine@x.io"
    assert after["name"] == "Renamed"
    # Clearing the email.
    cleared = admin.api.put(path, json={"email": ""})
    assert cleared.status_code == 200
    assert cleared.json()["payload"]["email"] is None


def test_delete_cascades(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(admin)
    doomed = admin.api.post(
        admin.path("/contacts"), json={"name": "Doomed", "email": "doomed@x.io", "inbox_id": inbox["id"]}
    ).json()["payload"]
    kept = create(admin, name="Kept", email="kept@x.io", inbox_id=inbox["id"])
    contact_id = doomed["contact"]["id"]
    admin.api.post(admin.path(f"/contacts/{contact_id}/labels"), json={"labels": ["vip"]})
    contact_inbox_id = None
    with test_database.sync_engine.begin() as conn:
        contact_inbox_id = conn.execute(
            sa.text("SELECT id FROM contact_inboxes WHERE contact_id = :id"), {"id": contact_id}
        ).scalar_one()
        conversation_id = conn.execute(
            sa.text(
                "INSERT INTO conversations (account_id, display_id, uuid, inbox_id, contact_id, contact_inbox_id)"
                " VALUES (:account, 1, 'u-1', :inbox, :contact, :contact_inbox) RETURNING id"
            ),
            {
                "account": admin.account_id,
                "inbox": inbox["id"],
                "contact": contact_id,
                "contact_inbox": contact_inbox_id,
            },
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO messages (account_id, inbox_id, conversation_id, content, message_type,"
                " sender_type, sender_id) VALUES (:account, :inbox, :conversation, 'hi', 0, 'Contact', :contact)"
            ),
            {"account": admin.account_id, "inbox": inbox["id"], "conversation": conversation_id, "contact": contact_id},
        )
    with captured_events(server) as events:
        response = admin.api.delete(admin.path(f"/contacts/{contact_id}"))
    assert response.status_code == 200
    assert response.json() == {}
    assert [event.name for event in events] == ["contact.deleted"]
    assert events[0].subject == {"contact_id": contact_id}
    assert events[0].data["contact"]["email"] == "doomed@x.io"
    assert count_rows(test_database, "contacts", "id = :id", id=contact_id) == 0
    assert count_rows(test_database, "contact_inboxes", "contact_id = :id", id=contact_id) == 0
    assert count_rows(test_database, "conversations", "contact_id = :id", id=contact_id) == 0
    assert count_rows(test_database, "messages", "conversation_id = :id", id=conversation_id) == 0
    assert count_rows(test_database, "contact_labels", "contact_id = :id", id=contact_id) == 0
    assert count_rows(test_database, "contact_inboxes", "contact_id = :id", id=kept["id"]) == 1
    assert admin.api.get(admin.path(f"/contacts/{contact_id}")).status_code == 404
    assert admin.api.delete(admin.path(f"/contacts/{contact_id}")).status_code == 404


def test_agents_see_and_edit_contacts(server: RunningServer, admin: Admin) -> None:
    agent = make_agent(server, admin)
    contact = create(admin, name="Shared", email="shared@x.io")
    assert agent.api.get(admin.path("/contacts")).json()["meta"]["count"] == 1
    assert agent.api.get(admin.path(f"/contacts/{contact['id']}")).status_code == 200
    assert agent.api.put(admin.path(f"/contacts/{contact['id']}"), json={"name": "By agent"}).status_code == 200
    created = agent.api.post(admin.path("/contacts"), json={"name": "Agent made"})
    assert created.status_code == 200


def test_detail_endpoints_require_a_token(admin: Admin) -> None:
    contact = create(admin, name="Private")
    for method in ("GET", "PUT", "DELETE"):
        response = admin.api.client.request(
            method, admin.path(f"/contacts/{contact['id']}"), headers={"api_access_token": ""}
        )
        assert response.status_code == 401


def test_destroy_custom_attributes_and_avatar(server: RunningServer, admin: Admin) -> None:
    contact = create(
        admin,
        name="Custom",
        custom_attributes={"plan": "pro", "seats": 3, "tier": "gold"},
        avatar_url="https://x.io/a.png",
    )
    assert contact["thumbnail"] == "https://x.io/a.png"
    path = admin.path(f"/contacts/{contact['id']}")
    response = admin.api.post(f"{path}/destroy_custom_attributes", json={"custom_attributes": ["plan", "nope", "tier"]})
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert payload["custom_attributes"] == {"seats": 3}
    assert payload["contact_inboxes"] == []
    with captured_events(server) as events:
        avatar = admin.api.delete(f"{path}/avatar")
    assert avatar.status_code == 200
    assert avatar.json()["payload"]["thumbnail"] == ""
    assert "contact_inboxes" not in avatar.json()["payload"]
    assert [event.name for event in events] == ["contact.updated"]
    with captured_events(server) as events:
        assert admin.api.delete(f"{path}/avatar").status_code == 200
    assert events == []
    # Only web URLs are taken; anything else leaves the avatar as it is.
    assert admin.api.put(path, json={"avatar_url": "https://x.io/b.png"}).json()["payload"]["thumbnail"] == (
        "https://x.io/b.png"
    )
    for ignored in ("javascript:alert(1)", "", "ftp://x.io/c.png"):
        assert admin.api.put(path, json={"avatar_url": ignored}).json()["payload"]["thumbnail"] == "https://x.io/b.png"
    created = admin.api.post(admin.path("/contacts"), json={"name": "NoPic", "avatar_url": "data:image/png;base64,AA"})
    assert created.json()["payload"]["contact"]["thumbnail"] == ""
