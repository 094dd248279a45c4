"""The Client API end to end: inbox, contacts, conversations, messages, and what a contact cannot reach."""

from __future__ import annotations

import hashlib
import hmac
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import sqlalchemy as sa

from tests.fixtures.api import Admin, make_admin, unique
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.public.conftest import PublicInboxRef, public_inbox

CONTACT_KEYS = ["source_id", "pubsub_token", "id", "name", "email", "phone_number"]
CONTACT_RECORD_KEYS = [
    "id",
    "name",
    "email",
    "phone_number",
    "account_id",
    "created_at",
    "updated_at",
    "additional_attributes",
    "identifier",
    "custom_attributes",
    "last_activity_at",
    "contact_type",
    "middle_name",
    "last_name",
    "location",
    "country_code",
    "blocked",
    "company_id",
]
CONVERSATION_KEYS = [
    "id",
    "uuid",
    "inbox_id",
    "contact_last_seen_at",
    "status",
    "agent_last_seen_at",
    "messages",
    "contact",
]
MESSAGE_KEYS = ["id", "content", "message_type", "content_type", "content_attributes", "created_at", "conversation_id"]


def sign(inbox: PublicInboxRef, identifier: str) -> str:
    return hmac.new(inbox.hmac_token.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def new_contact(client: httpx.Client, inbox: PublicInboxRef, **body: Any) -> dict[str, Any]:
    response = client.post(f"{inbox.base}/contacts", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def new_conversation(client: httpx.Client, inbox: PublicInboxRef, source_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(inbox.conversations(source_id), json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def scalar(test_database: ThrowawayDatabase, sql: str, **params: Any) -> Any:
    with test_database.sync_engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_inbox_details(client: httpx.Client, inbox: PublicInboxRef) -> None:
    response = client.get(inbox.base)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "identifier",
        "identity_validation_enabled",
        "name",
        "timezone",
        "working_hours",
        "working_hours_enabled",
        "csat_survey_enabled",
        "greeting_enabled",
    ]
    assert body["identifier"] == inbox.identifier
    assert body["identity_validation_enabled"] is False
    assert body["name"] == "Support API"
    assert body["timezone"] == "UTC"
    assert len(body["working_hours"]) == 7
    assert body["working_hours"][1] == {
        "day_of_week": 1,
        "closed_all_day": False,
        "open_hour": 9,
        "open_minutes": 0,
        "close_hour": 17,
        "close_minutes": 0,
        "open_all_day": False,
    }
    assert client.get("/public/api/v1/inboxes/no-such-inbox").json() == {"error": "Resource could not be found"}
    assert client.get("/public/api/v1/inboxes/no-such-inbox").status_code == 404


def test_create_contact(
    client: httpx.Client, inbox: PublicInboxRef, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    email = f"{unique('ann')}@example.com"
    body = new_contact(
        client, inbox, name="Ann", email=email, phone_number="+15550001111", custom_attributes={"plan": "gold"}
    )
    assert list(body) == CONTACT_KEYS
    assert body["name"] == "Ann"
    assert body["email"] == email
    assert body["phone_number"] == "+15550001111"
    assert len(body["source_id"]) == 36
    assert len(body["pubsub_token"]) == 24
    contact = admin.api.get(admin.path(f"/contacts/{body['id']}")).json()["payload"]
    assert contact["custom_attributes"] == {"plan": "gold"}
    assert [ci["source_id"] for ci in contact["contact_inboxes"]] == [body["source_id"]]
    assert scalar(
        test_database, "SELECT hmac_verified FROM contact_inboxes WHERE source_id = :s", s=body["source_id"]
    ) in (
        False,
        0,
    )


def test_create_contact_without_a_name_gets_one(client: httpx.Client, inbox: PublicInboxRef) -> None:
    body = new_contact(client, inbox)
    assert body["name"].count("-") == 2
    assert body["email"] is None


def test_create_contact_with_a_given_source_id_reuses_that_session(client: httpx.Client, inbox: PublicInboxRef) -> None:
    first = new_contact(client, inbox, name="Sid", source_id="external-42")
    assert first["source_id"] == "external-42"
    again = new_contact(client, inbox, name="Someone else", source_id="external-42")
    assert again == first


def test_create_contact_finds_the_existing_contact(client: httpx.Client, inbox: PublicInboxRef) -> None:
    email = f"{unique('bo')}@example.com"
    first = new_contact(client, inbox, name="Bo", identifier="user-1", email=email, phone_number="+15550002222")
    by_identifier = new_contact(client, inbox, identifier="user-1")
    by_email = new_contact(client, inbox, email=email.upper())
    by_phone = new_contact(client, inbox, phone_number="+15550002222")
    assert by_identifier["id"] == by_email["id"] == by_phone["id"] == first["id"]
    assert by_identifier["name"] == "Bo"
    sessions = {first["source_id"], by_identifier["source_id"], by_email["source_id"], by_phone["source_id"]}
    assert len(sessions) == 4


def test_an_email_of_a_contact_with_another_identifier_is_not_taken_over(
    client: httpx.Client, inbox: PublicInboxRef
) -> None:
    email = f"{unique('cy')}@example.com"
    new_contact(client, inbox, identifier="user-a", email=email)
    response = client.post(f"{inbox.base}/contacts", json={"identifier": "user-b", "email": email})
    assert response.status_code == 422
    assert response.json() == {"message": "Email has already been taken", "attributes": ["email"]}


def test_create_contact_validates(client: httpx.Client, inbox: PublicInboxRef) -> None:
    response = client.post(f"{inbox.base}/contacts", json={"email": "nope"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["email"]
    response = client.post(f"{inbox.base}/contacts", json={"phone_number": "12345"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["phone_number"]


def test_a_long_name_is_cut_as_chatwoot_does(client: httpx.Client, inbox: PublicInboxRef) -> None:
    assert new_contact(client, inbox, name="x" * 300)["name"] == "x" * 255


def test_show_and_update_contact(client: httpx.Client, inbox: PublicInboxRef, admin: Admin) -> None:
    created = new_contact(client, inbox, name="Dee", custom_attributes={"a": 1})
    shown = client.get(inbox.contact(created["source_id"]))
    assert shown.status_code == 200
    assert shown.json() == created

    email = f"{unique('dee')}@example.com"
    response = client.patch(
        inbox.contact(created["source_id"]),
        json={"name": "Dee Dee", "email": email, "phone_number": "", "custom_attributes": {"b": 2}},
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert list(record) == CONTACT_RECORD_KEYS
    assert record["id"] == created["id"]
    assert record["name"] == "Dee Dee"
    assert record["email"] == email
    assert record["phone_number"] is None
    assert record["custom_attributes"] == {"a": 1, "b": 2}
    assert record["account_id"] == admin.account_id
    assert record["contact_type"] == "lead"
    assert record["created_at"].endswith("Z")
    assert record["blocked"] is False
    assert record["company_id"] is None
    assert client.get(inbox.contact(created["source_id"])).json()["name"] == "Dee Dee"

    put = client.put(inbox.contact(created["source_id"]), json={"name": "Dee Three"})
    assert put.status_code == 200
    assert put.json()["name"] == "Dee Three"


def test_update_leaves_out_an_email_of_another_contact(client: httpx.Client, inbox: PublicInboxRef) -> None:
    email = f"{unique('ed')}@example.com"
    other = new_contact(client, inbox, email=email)
    mine = new_contact(client, inbox, name="Mine")
    response = client.patch(inbox.contact(mine["source_id"]), json={"email": email, "name": "Mine too"})
    assert response.status_code == 200
    assert response.json()["email"] is None
    assert response.json()["name"] == "Mine too"
    assert client.get(inbox.contact(other["source_id"])).json()["email"] == email


def test_unknown_sessions_are_404(client: httpx.Client, inbox: PublicInboxRef) -> None:
    for response in (
        client.get(inbox.contact("nobody")),
        client.patch(inbox.contact("nobody"), json={"name": "x"}),
        client.get(inbox.conversations("nobody")),
        client.post(inbox.conversations("nobody"), json={}),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "Resource could not be found"}


def test_the_end_user_flow(
    client: httpx.Client, inbox: PublicInboxRef, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    contact = new_contact(client, inbox, name="Flo", email=f"{unique('flo')}@example.com")
    source_id = contact["source_id"]

    conversation = new_conversation(client, inbox, source_id, custom_attributes={"order": "A-1"})
    assert list(conversation) == CONVERSATION_KEYS
    assert conversation["inbox_id"] == inbox.id
    assert conversation["status"] == "open"
    assert conversation["messages"] == []
    assert conversation["contact_last_seen_at"] == 0
    assert conversation["agent_last_seen_at"] == 0
    assert conversation["contact"]["id"] == contact["id"]
    assert list(conversation["contact"]) == CONTACT_RECORD_KEYS
    display_id = conversation["id"]
    agent_view = admin.api.get(admin.path(f"/conversations/{display_id}")).json()
    assert agent_view["custom_attributes"] == {"order": "A-1"}
    assert agent_view["meta"]["sender"]["id"] == contact["id"]

    sent = client.post(
        f"{inbox.conversation(source_id, display_id)}/messages", json={"content": "Hello, I need help", "echo_id": "e1"}
    )
    assert sent.status_code == 200, sent.text
    message = sent.json()
    assert list(message) == [*MESSAGE_KEYS, "sender"]
    assert message["content"] == "Hello, I need help"
    assert message["message_type"] == 0
    assert message["content_type"] == "text"
    assert message["content_attributes"] == {}
    assert message["conversation_id"] == display_id
    assert message["sender"]["type"] == "contact"
    assert message["sender"]["id"] == contact["id"]

    reply = admin.api.post(admin.path(f"/conversations/{display_id}/messages"), json={"content": "On it!"})
    assert reply.status_code == 200, reply.text
    note = admin.api.post(
        admin.path(f"/conversations/{display_id}/messages"), json={"content": "internal", "private": True}
    )
    assert note.status_code == 200

    listed = client.get(f"{inbox.conversation(source_id, display_id)}/messages")
    assert listed.status_code == 200
    messages = listed.json()
    assert [m["content"] for m in messages] == ["Hello, I need help", "On it!"]
    assert messages[1]["message_type"] == 1
    assert messages[1]["sender"]["type"] == "user"
    assert messages[1]["sender"]["id"] == admin.user_id

    shown = client.get(inbox.conversation(source_id, display_id)).json()
    assert [m["content"] for m in shown["messages"]] == ["Hello, I need help", "On it!"]
    assert [c["id"] for c in client.get(inbox.conversations(source_id)).json()] == [display_id]

    typing = client.post(f"{inbox.conversation(source_id, display_id)}/toggle_typing", json={"typing_status": "on"})
    assert typing.status_code == 200
    assert typing.json() == {}

    seen = client.post(f"{inbox.conversation(source_id, display_id)}/update_last_seen")
    assert seen.status_code == 200
    assert client.get(inbox.conversation(source_id, display_id)).json()["contact_last_seen_at"] > 0
    statuses = admin.api.get(admin.path(f"/conversations/{display_id}/messages")).json()["payload"]
    assert [(m["content"], m["status"]) for m in statuses] == [
        ("Hello, I need help", "sent"),
        ("On it!", "read"),
        ("internal", "read"),
    ]

    resolved = client.post(f"{inbox.conversation(source_id, display_id)}/toggle_status")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    again = client.post(f"{inbox.conversation(source_id, display_id)}/toggle_status")
    assert again.json()["status"] == "resolved"
    assert admin.api.get(admin.path(f"/conversations/{display_id}")).json()["status"] == "resolved"

    # Writing again reopens it, as an incoming message does in Chatwoot.
    client.post(f"{inbox.conversation(source_id, display_id)}/messages", json={"content": "One more thing"})
    assert client.get(inbox.conversation(source_id, display_id)).json()["status"] == "open"
    assert scalar(test_database, "SELECT count(*) FROM conversations") == 1


def test_messages_before_cursor(client: httpx.Client, inbox: PublicInboxRef) -> None:
    contact = new_contact(client, inbox)
    conversation = new_conversation(client, inbox, contact["source_id"])
    path = f"{inbox.conversation(contact['source_id'], conversation['id'])}/messages"
    ids = [client.post(path, json={"content": f"m{n}"}).json()["id"] for n in range(25)]
    latest = client.get(path).json()
    assert [m["id"] for m in latest] == ids[5:]
    older = client.get(path, params={"before": ids[5]}).json()
    assert [m["id"] for m in older] == ids[:5]


def test_submitted_values_on_a_form(
    client: httpx.Client, inbox: PublicInboxRef, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    contact = new_contact(client, inbox)
    conversation = new_conversation(client, inbox, contact["source_id"])
    display_id = conversation["id"]
    form = admin.api.post(
        admin.path(f"/conversations/{display_id}/messages"),
        json={
            "content": "Tell us",
            "content_type": "form",
            "content_attributes": {"items": [{"name": "email", "label": "Email", "type": "email"}]},
        },
    )
    assert form.status_code == 200, form.text
    path = f"{inbox.conversation(contact['source_id'], display_id)}/messages/{form.json()['id']}"
    response = client.patch(
        path, json={"submitted_values": [{"name": "email", "title": "Email", "value": "a@b.c", "extra": "dropped"}]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["content_attributes"]["submitted_values"] == [{"name": "email", "title": "Email", "value": "a@b.c"}]
    assert body["content_attributes"]["items"] == [{"name": "email", "label": "Email", "type": "email"}]

    note = admin.api.post(
        admin.path(f"/conversations/{display_id}/messages"), json={"content": "secret", "private": True}
    ).json()
    hidden = client.patch(
        f"{inbox.conversation(contact['source_id'], display_id)}/messages/{note['id']}",
        json={"submitted_values": [{"value": "x"}]},
    )
    assert hidden.status_code == 404


def test_a_contact_cannot_reach_another_contacts_data(
    client: httpx.Client, inbox: PublicInboxRef, admin: Admin
) -> None:
    alice = new_contact(client, inbox, name="Alice")
    mallory = new_contact(client, inbox, name="Mallory")
    conversation = new_conversation(client, inbox, alice["source_id"])
    client.post(f"{inbox.conversation(alice['source_id'], conversation['id'])}/messages", json={"content": "private"})
    mine = new_conversation(client, inbox, mallory["source_id"])

    base = inbox.conversation(mallory["source_id"], conversation["id"])
    for response in (
        client.get(base),
        client.get(f"{base}/messages"),
        client.post(f"{base}/messages", json={"content": "hi"}),
        client.post(f"{base}/toggle_status"),
        client.post(f"{base}/toggle_typing", json={"typing_status": "on"}),
        client.post(f"{base}/update_last_seen"),
        client.patch(f"{base}/messages/1", json={"submitted_values": []}),
    ):
        assert response.status_code == 404, response.request.url
        assert response.json() == {"error": "Resource could not be found"}
    assert [c["id"] for c in client.get(inbox.conversations(mallory["source_id"])).json()] == [mine["id"]]
    # A message id of Alice's conversation under Mallory's own conversation is not found either.
    alice_message = client.get(f"{inbox.conversation(alice['source_id'], conversation['id'])}/messages").json()[0]
    stolen = client.patch(
        f"{inbox.conversation(mallory['source_id'], mine['id'])}/messages/{alice_message['id']}",
        json={"submitted_values": [{"value": "x"}]},
    )
    assert stolen.status_code == 404
    assert admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["status"] == "open"


def test_a_contact_cannot_reach_another_inbox(
    server: RunningServer, client: httpx.Client, inbox: PublicInboxRef, admin: Admin
) -> None:
    other_inbox = public_inbox(admin, name="Other API")
    contact = new_contact(client, inbox)
    conversation = new_conversation(client, inbox, contact["source_id"])
    assert client.get(other_inbox.contact(contact["source_id"])).status_code == 404
    assert client.get(other_inbox.conversation(contact["source_id"], conversation["id"])).status_code == 404
    assert client.post(other_inbox.conversations(contact["source_id"]), json={}).status_code == 404

    other_account = public_inbox(make_admin(server, account_name="Elsewhere"))
    assert client.get(other_account.contact(contact["source_id"])).status_code == 404
    assert client.get(other_account.conversation(contact["source_id"], conversation["id"])).status_code == 404


def test_a_website_inbox_is_not_a_client_api_inbox(client: httpx.Client, admin: Admin) -> None:
    response = admin.api.post(
        admin.path("/inboxes"), json={"name": "Site", "channel": {"type": "web_widget", "website_url": "https://a.b"}}
    )
    assert response.status_code == 200, response.text
    token = response.json().get("website_token", "")
    assert client.get(f"/public/api/v1/inboxes/{token}").status_code == 404


def test_idempotent_client_api_writes(
    client: httpx.Client, inbox: PublicInboxRef, test_database: ThrowawayDatabase
) -> None:
    contact = new_contact(client, inbox)
    conversation = new_conversation(client, inbox, contact["source_id"])
    path = f"{inbox.conversation(contact['source_id'], conversation['id'])}/messages"
    first = client.post(path, json={"content": "once"}, headers={"Idempotency-Key": "msg-1"})
    second = client.post(path, json={"content": "once"}, headers={"Idempotency-Key": "msg-1"})
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert scalar(test_database, "SELECT count(*) FROM messages WHERE content = 'once'") == 1

    # The same key from another contact is another caller.
    other = new_contact(client, inbox)
    other_conversation = new_conversation(client, inbox, other["source_id"])
    other_path = f"{inbox.conversation(other['source_id'], other_conversation['id'])}/messages"
    third = client.post(other_path, json={"content": "once"}, headers={"Idempotency-Key": "msg-1"})
    assert third.status_code == 200
    assert "idempotent-replayed" not in third.headers
    assert scalar(test_database, "SELECT count(*) FROM messages WHERE content = 'once'") == 2

    created = client.post(f"{inbox.base}/contacts", json={"name": "Idem"}, headers={"Idempotency-Key": "c-1"})
    replay = client.post(f"{inbox.base}/contacts", json={"name": "Idem"}, headers={"Idempotency-Key": "c-1"})
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == created.json()
    assert scalar(test_database, "SELECT count(*) FROM contacts WHERE name = 'Idem'") == 1


def test_concurrent_client_api_retries_write_one_message(
    server: RunningServer, client: httpx.Client, inbox: PublicInboxRef, test_database: ThrowawayDatabase
) -> None:
    """Eight retries of one end user's message at once (a flaky mobile connection): one row, one body."""
    contact = new_contact(client, inbox)
    conversation = new_conversation(client, inbox, contact["source_id"])
    path = f"{inbox.conversation(contact['source_id'], conversation['id'])}/messages"
    attempts = 8
    barrier = threading.Barrier(attempts)

    def attempt(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
            barrier.wait()
            return anonymous.post(path, json={"content": "sent once"}, headers={"Idempotency-Key": "tap-1"})

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        responses = list(pool.map(attempt, range(attempts)))
    assert [response.status_code for response in responses] == [200] * attempts
    assert len({response.content for response in responses}) == 1
    assert sum(response.headers.get("idempotent-replayed") == "true" for response in responses) == attempts - 1
    assert scalar(test_database, "SELECT count(*) FROM messages WHERE content = 'sent once'") == 1
