"""``/api/v1/widget/config`` and ``/contact``: Chatwoot's shapes, identity validation, identity switches."""

from __future__ import annotations

import hashlib
import hmac

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer
from tests.widget.conftest import Visitor, WidgetInbox, make_widget_inbox, new_visitor


def identifier_hash(inbox: WidgetInbox, identifier: str) -> str:
    return hmac.new(inbox.hmac_token.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def test_config_creates_a_visitor_and_always_mints_a_fresh_token(server: RunningServer, widget: WidgetInbox) -> None:
    visitor = new_visitor(server, widget)
    config = visitor.config
    assert set(config) == {"website_channel_config", "contact", "global_config"}
    channel = config["website_channel_config"]
    assert set(channel) == {
        "allow_messages_after_resolved", "api_host", "auth_token", "avatar_url", "csat_survey_enabled",
        "disable_branding", "enabled_features", "enabled_languages", "locale", "out_of_office_message", "portal",
        "pre_chat_form_enabled", "pre_chat_form_options", "reply_time", "timezone", "utc_off_set", "website_name",
        "website_token", "welcome_tagline", "welcome_title", "widget_color", "working_hours", "working_hours_enabled",
    }  # fmt: skip
    assert channel["website_token"] == widget.website_token
    assert channel["website_name"] == "Website"
    assert channel["api_host"] == server.base_url
    assert channel["utc_off_set"] == "+00:00"
    assert channel["locale"] == "en"
    assert len(channel["working_hours"]) == 7
    contact = config["contact"]
    assert set(contact) == {"email", "id", "identifier", "name", "phone_number", "pubsub_token"}
    assert contact["name"] and contact["email"] is None
    assert set(config["global_config"]) == {
        "LOGO_THUMBNAIL", "BRAND_NAME", "WIDGET_BRAND_URL", "MAXIMUM_FILE_UPLOAD_SIZE", "INSTALLATION_NAME",
    }  # fmt: skip
    again = visitor.post("/config").json()
    assert again["contact"]["id"] == contact["id"]
    assert again["contact"]["pubsub_token"] == contact["pubsub_token"]
    fresh = again["website_channel_config"]["auth_token"]
    visitor.token = fresh
    assert visitor.get("/contact").status_code == 200
    # Another browser is another visitor.
    assert new_visitor(server, widget).contact_id != contact["id"]


def test_show_and_update_the_contact(visitor: Visitor, admin: Admin) -> None:
    shown = visitor.get("/contact")
    assert shown.status_code == 200
    assert shown.json() == {
        "id": visitor.contact_id,
        "has_email": False,
        "has_name": True,
        "has_phone_number": False,
        "identifier": None,
    }
    updated = visitor.patch(
        "/contact",
        json={
            "name": "Ada",
            "email": "ADA@Example.com",
            "phone_number": "+15550001111",
            "custom_attributes": {"plan": "pro"},
            "additional_attributes": {"city": "London"},
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json() == {"id": visitor.contact_id, "has_email": True, "has_name": True, "has_phone_number": True}
    contact = admin.api.get(admin.path(f"/contacts/{visitor.contact_id}")).json()["payload"]
    assert contact["name"] == "Ada"
    assert contact["email"] == "ada@example.com"
    assert contact["custom_attributes"] == {"plan": "pro"}
    assert contact["additional_attributes"]["city"] == "London"
    # Invalid fields are dropped (Chatwoot's discard_invalid_attrs), the rest is saved.
    kept = visitor.patch("/contact", json={"email": "not-an-email", "phone_number": "12", "name": "Ada L."})
    assert kept.status_code == 200, kept.text
    contact = admin.api.get(admin.path(f"/contacts/{visitor.contact_id}")).json()["payload"]
    assert (contact["name"], contact["email"], contact["phone_number"]) == ("Ada L.", "ada@example.com", "+15550001111")


def test_an_email_of_another_contact_is_left_out(
    server: RunningServer, widget: WidgetInbox, visitor: Visitor, admin: Admin
) -> None:
    other = new_visitor(server, widget)
    assert other.patch("/contact", json={"email": "taken@example.com"}).status_code == 200
    response = visitor.patch("/contact", json={"email": "taken@example.com", "name": "Me"})
    assert response.status_code == 200
    assert response.json()["has_email"] is False


def test_bad_input_names_the_field(visitor: Visitor) -> None:
    response = visitor.patch("/contact", json={"name": ["x"]})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["name"]
    response = visitor.patch("/contact", json={"custom_attributes": "nope"})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["custom_attributes"]
    response = visitor.patch("/contact", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_destroy_custom_attributes(visitor: Visitor) -> None:
    visitor.patch("/contact", json={"custom_attributes": {"plan": "pro", "seats": 3, "keep": True}})
    response = visitor.post("/contact/destroy_custom_attributes", json={"custom_attributes": ["plan", "seats", "nope"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == visitor.contact_id
    assert body["custom_attributes"] == {"keep": True}
    assert {"name", "email", "phone_number", "account_id", "created_at", "identifier"} <= set(body)


def test_set_user_with_identity_validation(server: RunningServer, admin: Admin) -> None:
    inbox = make_widget_inbox(admin, hmac_mandatory=True)
    visitor = new_visitor(server, inbox)
    refused = visitor.patch("/contact/set_user", json={"identifier": "user-1", "name": "Grace"})
    assert refused.status_code == 401
    assert refused.json() == {"error": "HMAC failed: Invalid Identifier Hash Provided"}
    wrong = visitor.patch("/contact/set_user", json={"identifier": "user-1", "identifier_hash": "00" * 32})
    assert wrong.status_code == 401
    good = visitor.patch(
        "/contact/set_user",
        json={
            "identifier": "user-1",
            "identifier_hash": identifier_hash(inbox, "user-1"),
            "email": "grace@example.com",
        },
    )
    assert good.status_code == 200, good.text
    assert good.json() == {"id": visitor.contact_id, "has_email": True, "has_name": True, "has_phone_number": False}
    assert visitor.get("/contact").json()["identifier"] == "user-1"
    contact = admin.api.get(admin.path(f"/contacts/{visitor.contact_id}")).json()["payload"]
    assert contact["identifier"] == "user-1"
    # The session is verified now.
    sessions = {item["source_id"]: item for item in contact["contact_inboxes"]}
    assert len(sessions) == 1
    # Only custom attributes, without an identifier: no check even when mandatory.
    attributes_only = visitor.patch("/contact/set_user", json={"custom_attributes": {"tier": "gold"}})
    assert attributes_only.status_code == 200


def test_set_user_as_someone_else_switches_to_a_new_contact(
    server: RunningServer, widget: WidgetInbox, admin: Admin
) -> None:
    visitor = new_visitor(server, widget)
    first = visitor.patch("/contact/set_user", json={"identifier": "alice", "name": "Alice"})
    assert first.status_code == 200
    assert "widget_auth_token" not in first.json()
    switched = visitor.patch("/contact/set_user", json={"identifier": "bob", "name": "Bob"})
    assert switched.status_code == 200, switched.text
    body = switched.json()
    assert body["id"] != visitor.contact_id
    assert body["widget_auth_token"]
    old_token = visitor.token
    visitor.token = body["widget_auth_token"]
    shown = visitor.get("/contact").json()
    assert shown["identifier"] == "bob" and shown["id"] == body["id"]
    visitor.token = old_token
    assert visitor.get("/contact").json()["identifier"] == "alice"


def test_an_unverified_identifier_of_another_contact_does_not_take_it_over(
    server: RunningServer, widget: WidgetInbox, admin: Admin
) -> None:
    owner = new_visitor(server, widget)
    owner.patch("/contact/set_user", json={"identifier": "vip", "email": "vip@example.com"})
    impostor = new_visitor(server, widget)
    response = impostor.patch("/contact/set_user", json={"identifier": "vip"})
    assert response.status_code == 200
    assert response.json()["id"] == impostor.contact_id
    assert response.json()["has_email"] is False
    assert impostor.get("/contact").json()["identifier"] is None


def test_a_verified_identifier_of_an_existing_contact_joins_it(server: RunningServer, admin: Admin) -> None:
    inbox = make_widget_inbox(admin)
    laptop = new_visitor(server, inbox)
    proof = identifier_hash(inbox, "user-9")
    laptop.patch("/contact/set_user", json={"identifier": "user-9", "identifier_hash": proof, "name": "Nine"})
    phone = new_visitor(server, inbox)
    joined = phone.patch("/contact/set_user", json={"identifier": "user-9", "identifier_hash": proof})
    assert joined.status_code == 200, joined.text
    assert joined.json()["id"] == laptop.contact_id
    assert phone.get("/contact").json()["id"] == laptop.contact_id
