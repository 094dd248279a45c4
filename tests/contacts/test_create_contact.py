from __future__ import annotations

import time

from tests.contacts.helpers import CONTACT_KEYS, count_rows
from tests.fixtures.api import Admin, make_admin, make_api_inbox
from tests.fixtures.observe import captured_events
from tests.fixtures.server import RunningServer, ThrowawayDatabase

INBOX_RECORD_KEYS = [
    "id",
    "channel_id",
    "account_id",
    "name",
    "created_at",
    "updated_at",
    "channel_type",
    "enable_auto_assignment",
    "greeting_enabled",
    "greeting_message",
    "email_address",
    "working_hours_enabled",
    "out_of_office_message",
    "timezone",
    "enable_email_collect",
    "csat_survey_enabled",
    "allow_messages_after_resolved",
    "auto_assignment_config",
    "lock_to_single_conversation",
    "portal_id",
    "sender_name_type",
    "business_name",
    "csat_config",
]


def test_create_with_inbox_answers_chatwoots_envelope(admin: Admin) -> None:
    inbox = make_api_inbox(admin, name="My API inbox")
    before = int(time.time())
    response = admin.api.post(
        admin.path("/contacts"),
        json={
            "name": "Alice",
            "email": "Alice@Acme.INC",
            "phone_number": "+15550001111",
            "identifier": "ext-1",
            "additional_attributes": {"company_name": "Acme"},
            "custom_attributes": {"plan": "pro"},
            "inbox_id": inbox["id"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["payload"]
    assert list(body["payload"]) == ["contact", "contact_inbox"]
    contact = body["payload"]["contact"]
    assert list(contact) == [*CONTACT_KEYS, "contact_inboxes"]
    assert contact["additional_attributes"] == {"company_name": "Acme"}
    assert contact["availability_status"] == "offline"
    assert contact["email"] == "alice@acme.inc"
    assert isinstance(contact["id"], int)
    assert contact["name"] == "Alice"
    assert contact["phone_number"] == "+15550001111"
    assert contact["blocked"] is False
    assert contact["identifier"] == "ext-1"
    assert contact["thumbnail"] == ""
    assert contact["custom_attributes"] == {"plan": "pro"}
    assert isinstance(contact["created_at"], int)
    assert before - 2 <= contact["created_at"] <= int(time.time()) + 2
    assert "last_activity_at" not in contact
    source_id = body["payload"]["contact_inbox"]["source_id"]
    assert len(source_id) == 36 and source_id.count("-") == 4
    assert contact["contact_inboxes"] == [
        {
            "source_id": source_id,
            "inbox": {
                "id": inbox["id"],
                "avatar_url": "",
                "channel_id": inbox["channel_id"],
                "name": "My API inbox",
                "channel_type": "Channel::Api",
                "provider": None,
            },
        }
    ]
    record = body["payload"]["contact_inbox"]["inbox"]
    assert list(record) == INBOX_RECORD_KEYS
    assert record["id"] == inbox["id"]
    assert record["account_id"] == admin.account_id
    assert record["channel_id"] == inbox["channel_id"]
    assert record["name"] == "My API inbox"
    assert record["channel_type"] == "Channel::Api"
    assert record["sender_name_type"] == "friendly"
    assert record["timezone"] == "UTC"
    assert record["portal_id"] is None
    assert record["auto_assignment_config"] == {}
    assert record["csat_config"] == {}
    assert record["enable_auto_assignment"] is True
    assert record["created_at"].endswith("Z") and "T" in record["created_at"]
    assert len(record["created_at"]) == len("2026-01-01T00:00:00.000Z")


def test_create_without_inbox(admin: Admin, test_database: ThrowawayDatabase) -> None:
    response = admin.api.post(admin.path("/contacts"), json={"name": "Bob"})
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert payload["contact_inbox"] == {"inbox": None, "source_id": None}
    assert payload["contact"]["contact_inboxes"] == []
    assert payload["contact"]["email"] is None
    assert payload["contact"]["phone_number"] is None
    assert payload["contact"]["identifier"] is None
    assert payload["contact"]["additional_attributes"] == {}
    assert payload["contact"]["custom_attributes"] == {}
    assert count_rows(test_database, "contact_inboxes") == 0


def test_create_with_given_source_id_and_wrapped_body(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    response = admin.api.post(
        admin.path("/contacts"),
        json={"contact": {"name": "Wrapped", "email": "w@x.io"}, "inbox_id": inbox["id"], "source_id": "my-src"},
    )
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert payload["contact"]["name"] == "Wrapped"
    assert payload["contact"]["email"] == "w@x.io"
    assert payload["contact_inbox"]["source_id"] == "my-src"
    assert payload["contact"]["contact_inboxes"][0]["source_id"] == "my-src"
    # A source_id held by another contact of the inbox is refused.
    again = admin.api.post(
        admin.path("/contacts"), json={"name": "Other", "inbox_id": inbox["id"], "source_id": "my-src"}
    )
    assert again.status_code == 422
    assert again.json() == {"error": "source_id should be unique"}


def test_create_from_form_and_multipart_bodies(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    form = admin.api.post(
        admin.path("/contacts"),
        data={
            "name": "Form",
            "email": "form@x.io",
            "blocked": "true",
            "inbox_id": str(inbox["id"]),
            "additional_attributes[city]": "Paris",
        },
    )
    assert form.status_code == 200, form.text
    contact = form.json()["payload"]["contact"]
    assert contact["blocked"] is True
    assert contact["additional_attributes"] == {"city": "Paris"}
    assert form.json()["payload"]["contact_inbox"]["inbox"]["id"] == inbox["id"]
    multipart = admin.api.post(
        admin.path("/contacts"),
        data={"name": "Multi", "phone_number": "+33612345678", "custom_attributes[plan]": "pro"},
        files={"avatar": ("a.png", b"\x89PNG", "image/png")},
    )
    assert multipart.status_code == 200, multipart.text
    contact = multipart.json()["payload"]["contact"]
    assert contact["name"] == "Multi"
    assert contact["phone_number"] == "+33612345678"
    assert contact["custom_attributes"] == {"plan": "pro"}
    assert contact["blocked"] is False


def test_validation_errors_name_the_field(admin: Admin, test_database: ThrowawayDatabase) -> None:
    path = admin.path("/contacts")
    bad_email = admin.api.post(path, json={"name": "x", "email": "not-an-email"})
    assert bad_email.status_code == 422
    assert bad_email.json() == {"message": "Email Invalid email", "attributes": ["email"]}
    assert admin.api.post(path, json={"email": "Taken@x.io"}).status_code == 200
    duplicate = admin.api.post(path, json={"email": "tAKEN@X.IO"})
    assert duplicate.status_code == 422
    assert duplicate.json() == {"message": "Email has already been taken", "attributes": ["email"]}
    bad_phone = admin.api.post(path, json={"phone_number": "5550001111"})
    assert bad_phone.status_code == 422
    assert bad_phone.json() == {"message": "Phone number should be in e164 format", "attributes": ["phone_number"]}
    assert admin.api.post(path, json={"phone_number": "+0123"}).status_code == 422
    assert admin.api.post(path, json={"phone_number": "+1234567890123456"}).status_code == 422
    assert admin.api.post(path, json={"phone_number": "+4915112345678"}).status_code == 200
    dup_phone = admin.api.post(path, json={"phone_number": "+4915112345678"})
    assert dup_phone.json() == {"message": "Phone number has already been taken", "attributes": ["phone_number"]}
    assert admin.api.post(path, json={"identifier": "ext-9"}).status_code == 200
    dup_identifier = admin.api.post(path, json={"identifier": "ext-9"})
    assert dup_identifier.status_code == 422
    assert dup_identifier.json() == {"message": "Identifier has already been taken", "attributes": ["identifier"]}
    long_name = admin.api.post(path, json={"name": "x" * 256})
    assert long_name.status_code == 422
    assert long_name.json() == {"message": "Name is too long (maximum is 255 characters)", "attributes": ["name"]}
    assert admin.api.post(path, json={"name": "x" * 255}).status_code == 200
    both = admin.api.post(path, json={"email": "bad", "phone_number": "bad"})
    assert both.status_code == 422
    assert both.json()["attributes"] == ["email", "phone_number"]
    assert both.json()["message"] == "Email Invalid email, Phone number should be in e164 format"
    wrong_inbox = admin.api.post(path, json={"name": "x", "inbox_id": "abc"})
    assert wrong_inbox.status_code == 422
    assert wrong_inbox.json()["attributes"] == ["inbox_id"]
    wrong_type = admin.api.post(path, json={"name": 12})
    assert wrong_type.status_code == 422
    assert wrong_type.json()["attributes"] == ["name"]
    wrong_attributes = admin.api.post(path, json={"custom_attributes": "plan"})
    assert wrong_attributes.status_code == 422
    assert wrong_attributes.json()["attributes"] == ["custom_attributes"]
    wrong_blocked = admin.api.post(path, json={"blocked": "maybe"})
    assert wrong_blocked.status_code == 422
    assert wrong_blocked.json()["attributes"] == ["blocked"]
    # Only the four successful creates wrote anything.
    assert count_rows(test_database, "contacts") == 4


def test_blank_unique_fields_are_stored_as_null(admin: Admin, test_database: ThrowawayDatabase) -> None:
    for _ in range(2):
        contact = admin.api.post(admin.path("/contacts"), json={"name": "Blank", "email": "", "identifier": " "})
        assert contact.status_code == 200, contact.text
        assert contact.json()["payload"]["contact"]["email"] is None
        assert contact.json()["payload"]["contact"]["identifier"] is None
    assert count_rows(test_database, "contacts", "email IS NULL AND identifier IS NULL") == 2


def test_unknown_or_foreign_inbox_is_404_and_writes_nothing(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    other = make_admin(server, account_name="Other")
    foreign_inbox = make_api_inbox(other)
    for inbox_id in (999_999, foreign_inbox["id"]):
        response = admin.api.post(
            admin.path("/contacts"), json={"name": "Ghost", "email": "ghost@x.io", "inbox_id": inbox_id}
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Resource could not be found"}
    assert count_rows(test_database, "contacts") == 0
    assert count_rows(test_database, "contact_inboxes") == 0


def test_same_email_in_another_account_is_fine(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    assert admin.api.post(admin.path("/contacts"), json={"email": "same@x.io"}).status_code == 200
    assert other.api.post(other.path("/contacts"), json={"email": "same@x.io"}).status_code == 200


def test_create_emits_contact_created(server: RunningServer, admin: Admin) -> None:
    with captured_events(server) as events:
        contact_id = admin.api.post(admin.path("/contacts"), json={"name": "Evented"}).json()["payload"]["contact"][
            "id"
        ]
        admin.api.post(admin.path("/contacts"), json={"email": "bad"})
    assert [(event.name, event.subject, event.account_id) for event in events] == [
        ("contact.created", {"contact_id": contact_id}, admin.account_id)
    ]
    assert events[0].data == {"performer_id": admin.user_id}


def test_concurrent_duplicates_answer_422_not_500(admin: Admin, test_database: ThrowawayDatabase) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(index: int) -> int:
        response = admin.api.client.post(admin.path("/contacts"), json={"name": f"R{index}", "email": "race@x.io"})
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(create, range(6)))
    assert sorted(statuses) == [200, 422, 422, 422, 422, 422]
    assert count_rows(test_database, "contacts", "email = 'race@x.io'") == 1


def test_requires_a_token(admin: Admin) -> None:
    response = admin.api.client.post(admin.path("/contacts"), json={"name": "x"}, headers={"api_access_token": ""})
    assert response.status_code == 401


def test_constraint_conflicts_map_to_the_field(server: RunningServer, admin: Admin) -> None:
    """What a race that slips past the pre-check answers: the database's own error, named per field."""
    from functools import partial

    from sqlalchemy.exc import IntegrityError

    from frontdesk.contacts import repository, service
    from frontdesk.errors import ValidationFailed

    async def clash(field: str, value: str) -> ValidationFailed:
        uow = await server.database.begin()
        try:
            values = {"account_id": admin.account_id, "name": "x", field: value}
            await repository.insert_contact(uow, values)
            try:
                await repository.insert_contact(uow, values)
            except IntegrityError as error:
                return service._conflict(error)
            raise AssertionError("no conflict")
        finally:
            await uow.rollback()

    for field, value in (("email", "dup@x.io"), ("phone_number", "+15550001234"), ("identifier", "email-like")):
        failure = server.run(partial(clash, field, value))
        assert failure.attributes == [field]
        assert failure.status_code == 422
