"""Identity verification (identifier_hash) on the Client API, and the Client API's rate limits."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.public.conftest import PublicInboxRef, public_inbox
from tests.public.test_client_api import new_contact, new_conversation, sign

HMAC_FAILED = {"error": "HMAC failed: Invalid Identifier Hash Provided"}


def verified(test_database: ThrowawayDatabase, source_id: str) -> bool:
    with test_database.sync_engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT hmac_verified FROM contact_inboxes WHERE source_id = :s"), {"s": source_id}
        ).scalar_one()
    return bool(value)


def make_mandatory(admin: Admin, inbox: PublicInboxRef) -> None:
    response = admin.api.patch(admin.path(f"/inboxes/{inbox.id}"), json={"channel": {"hmac_mandatory": True}})
    assert response.status_code == 200, response.text


def test_a_right_hash_verifies_the_session(
    client: httpx.Client, inbox: PublicInboxRef, test_database: ThrowawayDatabase
) -> None:
    body = new_contact(client, inbox, identifier="user-7", identifier_hash=sign(inbox, "user-7"), name="Val")
    assert verified(test_database, body["source_id"])


def test_a_wrong_hash_is_refused_even_when_not_mandatory(
    client: httpx.Client, inbox: PublicInboxRef, test_database: ThrowawayDatabase
) -> None:
    response = client.post(
        f"{inbox.base}/contacts", json={"identifier": "user-7", "identifier_hash": sign(inbox, "user-8")}
    )
    assert response.status_code == 401
    assert response.json() == HMAC_FAILED
    with test_database.sync_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM contacts")).scalar_one() == 0


def test_a_mandatory_hash_must_be_given_and_right(
    client: httpx.Client, inbox: PublicInboxRef, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    make_mandatory(admin, inbox)
    assert client.get(inbox.base).json()["identity_validation_enabled"] is True
    for body in ({"identifier": "user-9"}, {"identifier": "user-9", "identifier_hash": "0" * 64}, {}):
        response = client.post(f"{inbox.base}/contacts", json=body)
        assert response.status_code == 401
        assert response.json() == HMAC_FAILED
    good = new_contact(client, inbox, identifier="user-9", identifier_hash=sign(inbox, "user-9"))
    assert verified(test_database, good["source_id"])

    # Reading or updating the contact needs the proof too.
    assert client.get(inbox.contact(good["source_id"])).json() == HMAC_FAILED
    shown = client.get(
        inbox.contact(good["source_id"]), params={"identifier": "user-9", "identifier_hash": sign(inbox, "user-9")}
    )
    assert shown.status_code == 200
    assert shown.json()["id"] == good["id"]
    refused = client.patch(inbox.contact(good["source_id"]), json={"name": "Nope"})
    assert refused.status_code == 401
    updated = client.patch(
        inbox.contact(good["source_id"]),
        json={"name": "Yes", "identifier": "user-9", "identifier_hash": sign(inbox, "user-9")},
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "Yes"
    assert updated.json()["identifier"] == "user-9"


def test_a_verified_session_sees_all_the_contacts_conversations_in_the_inbox(
    client: httpx.Client, inbox: PublicInboxRef, admin: Admin
) -> None:
    proof = {"identifier": "user-10", "identifier_hash": sign(inbox, "user-10")}
    # The phone app's session, not verified, and its conversation.
    phone = new_contact(client, inbox, identifier="user-10", name="Pat")
    from_phone = new_conversation(client, inbox, phone["source_id"])
    # The web app's verified session of the same person.
    web = new_contact(client, inbox, **proof)
    assert web["id"] == phone["id"]
    from_web = new_conversation(client, inbox, web["source_id"])

    assert [c["id"] for c in client.get(inbox.conversations(web["source_id"])).json()] == [
        from_phone["id"],
        from_web["id"],
    ]
    assert client.get(inbox.conversation(web["source_id"], from_phone["id"])).status_code == 200
    posted = client.post(
        f"{inbox.conversation(web['source_id'], from_phone['id'])}/messages", json={"content": "from the web"}
    )
    assert posted.status_code == 200
    assert posted.json()["sender"]["id"] == phone["id"]

    # The unverified session sees only its own.
    assert [c["id"] for c in client.get(inbox.conversations(phone["source_id"])).json()] == [from_phone["id"]]
    assert client.get(inbox.conversation(phone["source_id"], from_web["id"])).status_code == 404

    # Verified or not, another inbox's conversation of the same contact stays out of reach.
    other = public_inbox(admin, name="Other")
    elsewhere = new_contact(client, other, identifier="user-10", identifier_hash=sign(other, "user-10"))
    assert elsewhere["id"] == phone["id"]
    out_of_reach = new_conversation(client, other, elsewhere["source_id"])
    assert client.get(inbox.conversation(web["source_id"], out_of_reach["id"])).status_code == 404
    assert out_of_reach["id"] not in [c["id"] for c in client.get(inbox.conversations(web["source_id"])).json()]


def test_a_hash_for_another_identifier_does_not_verify_a_session(
    client: httpx.Client, inbox: PublicInboxRef, test_database: ThrowawayDatabase
) -> None:
    victim = new_contact(client, inbox, identifier="victim")
    # Someone who can prove they are "attacker" reads the victim's session: right hash, not the victim's identifier.
    response = client.get(
        inbox.contact(victim["source_id"]),
        params={"identifier": "attacker", "identifier_hash": sign(inbox, "attacker")},
    )
    assert response.status_code == 200
    assert not verified(test_database, victim["source_id"])


def test_another_inboxs_hmac_token_does_not_verify(client: httpx.Client, inbox: PublicInboxRef, admin: Admin) -> None:
    other = public_inbox(admin, name="Other")
    response = client.post(f"{inbox.base}/contacts", json={"identifier": "u", "identifier_hash": sign(other, "u")})
    assert response.status_code == 401
    assert response.json() == HMAC_FAILED


@pytest.fixture
def limited(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, rate_limit_public_conversations=2, rate_limit_public_contact_updates=3)


def test_client_api_conversation_and_contact_update_limits(limited: RunningServer) -> None:
    admin = make_admin(limited)
    inbox = public_inbox(admin)
    with httpx.Client(base_url=limited.base_url, timeout=30) as client:
        contact = new_contact(client, inbox)
        statuses = [client.post(inbox.conversations(contact["source_id"]), json={}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = client.post(inbox.conversations(contact["source_id"]), json={})
        assert refused.json() == {"error": "Retry later"}
        assert 1 <= int(refused.headers["retry-after"]) <= 12 * 3600
        # The limit is per IP: another contact from the same address is refused as well.
        other = new_contact(client, inbox)
        assert client.post(inbox.conversations(other["source_id"]), json={}).status_code == 429
        # Reading is not limited by it.
        assert client.get(inbox.conversations(contact["source_id"])).status_code == 200

        updates = [
            client.patch(inbox.contact(contact["source_id"]), json={"name": f"n{n}"}).status_code for n in range(4)
        ]
        assert updates == [200, 200, 200, 429]
        assert client.put(inbox.contact(contact["source_id"]), json={"name": "x"}).status_code == 429
        assert client.get(inbox.contact(contact["source_id"])).status_code == 200
