"""``/api/v1/accounts/{id}/inboxes`` over real HTTP: Chatwoot's ``_inbox`` view for API and website
inboxes, bodies in every encoding, validation, who sees what, events and cascading deletes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from frontdesk.events.dispatcher import Event
from frontdesk.kit.time import utc_now
from frontdesk.models import (
    channel_api,
    channel_web_widgets,
    contact_inboxes,
    contacts,
    conversations,
    inbox_members,
    inboxes,
    messages,
)
from tests.fixtures.api import Admin, Api, make_admin, make_agent, make_api_inbox
from tests.fixtures.observe import captured_events, counted_queries
from tests.fixtures.server import RunningServer, ThrowawayDatabase

TOKEN = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{24}$")

COMMON_KEYS = [
    "id",
    "avatar_url",
    "channel_id",
    "name",
    "channel_type",
    "greeting_enabled",
    "greeting_message",
    "working_hours_enabled",
    "enable_email_collect",
    "csat_survey_enabled",
    "csat_config",
    "enable_auto_assignment",
    "auto_assignment_config",
    "out_of_office_message",
    "working_hours",
    "timezone",
    "callback_webhook_url",
    "allow_messages_after_resolved",
    "lock_to_single_conversation",
    "sender_name_type",
    "business_name",
    "allowed_domains",
    "widget_color",
    "website_url",
    "hmac_mandatory",
    "welcome_title",
    "welcome_tagline",
    "web_widget_script",
    "website_token",
    "selected_feature_flags",
    "reply_time",
    "messaging_service_sid",
    "phone_number",
    "provider",
]
API_ADMIN_KEYS = [*COMMON_KEYS, "hmac_token", "secret", "webhook_url", "inbox_identifier", "additional_attributes"]
API_AGENT_KEYS = [*COMMON_KEYS, "webhook_url", "inbox_identifier", "additional_attributes"]
WIDGET_ADMIN_KEYS = [
    *COMMON_KEYS,
    "hmac_token",
    "pre_chat_form_enabled",
    "pre_chat_form_options",
    "continuity_via_email",
]
WIDGET_AGENT_KEYS = [k for k in WIDGET_ADMIN_KEYS if k != "hmac_token"]


@pytest.fixture
def events(server: RunningServer) -> Iterator[list[Event]]:
    """The events committed while the test runs."""
    with captured_events(server) as seen:
        yield seen


def _check_common_defaults(inbox: dict[str, Any]) -> None:
    assert inbox["avatar_url"] == ""
    assert inbox["greeting_enabled"] is False
    assert inbox["greeting_message"] is None
    assert inbox["working_hours_enabled"] is False
    assert inbox["enable_email_collect"] is True
    assert inbox["csat_survey_enabled"] is False
    assert inbox["csat_config"] == {}
    assert inbox["enable_auto_assignment"] is True
    assert inbox["auto_assignment_config"] == {}
    assert inbox["out_of_office_message"] is None
    assert len(inbox["working_hours"]) == 7
    assert inbox["working_hours"][0] == {
        "day_of_week": 0,
        "closed_all_day": True,
        "open_hour": None,
        "open_minutes": None,
        "close_hour": None,
        "close_minutes": None,
        "open_all_day": False,
    }
    assert inbox["working_hours"][1] == {
        "day_of_week": 1,
        "closed_all_day": False,
        "open_hour": 9,
        "open_minutes": 0,
        "close_hour": 17,
        "close_minutes": 0,
        "open_all_day": False,
    }
    assert inbox["timezone"] == "UTC"
    assert inbox["callback_webhook_url"] is None
    assert inbox["allow_messages_after_resolved"] is True
    assert inbox["lock_to_single_conversation"] is False
    assert inbox["sender_name_type"] == "friendly"
    assert inbox["business_name"] is None
    assert inbox["messaging_service_sid"] is None
    assert inbox["phone_number"] is None
    assert inbox["provider"] is None


def test_create_api_inbox_answers_chatwoots_inbox_view(admin: Admin, events: list[Event]) -> None:
    response = admin.api.post(
        admin.path("/inboxes"),
        json={
            "name": "Support API",
            "channel": {
                "type": "api",
                "webhook_url": "https://example.com/hook",
                "hmac_mandatory": True,
                "additional_attributes": {"agent_reply_time_window": 24},
            },
        },
    )
    assert response.status_code == 200, response.text
    inbox = response.json()
    assert list(inbox) == API_ADMIN_KEYS
    assert isinstance(inbox["id"], int)
    assert isinstance(inbox["channel_id"], int)
    assert inbox["name"] == "Support API"
    assert inbox["channel_type"] == "Channel::Api"
    _check_common_defaults(inbox)
    for key in (
        "allowed_domains",
        "widget_color",
        "website_url",
        "welcome_title",
        "welcome_tagline",
        "web_widget_script",
        "website_token",
        "selected_feature_flags",
        "reply_time",
    ):
        assert inbox[key] is None, key
    assert inbox["hmac_mandatory"] is True
    assert TOKEN.match(inbox["hmac_token"])
    assert TOKEN.match(inbox["secret"])
    assert TOKEN.match(inbox["inbox_identifier"])
    assert len({inbox["hmac_token"], inbox["secret"], inbox["inbox_identifier"]}) == 3
    assert inbox["webhook_url"] == "https://example.com/hook"
    assert inbox["additional_attributes"] == {"agent_reply_time_window": 24}
    assert admin.api.get(admin.path(f"/inboxes/{inbox['id']}")).json() == inbox
    created = [event for event in events if event.name == "inbox.created"]
    assert len(created) == 1
    assert created[0].account_id == admin.account_id
    assert created[0].subject == {"inbox_id": inbox["id"]}


def test_create_website_inbox(server: RunningServer, admin: Admin) -> None:
    response = admin.api.post(
        admin.path("/inboxes"),
        json={
            "name": "Website",
            "greeting_enabled": True,
            "greeting_message": "Hi there",
            "timezone": "Europe/Berlin",
            "channel": {
                "type": "web_widget",
                "website_url": "https://shop.example.com",
                "widget_color": "#ff0000",
                "welcome_title": "Welcome",
                "welcome_tagline": "We reply fast",
                "reply_time": "in_a_day",
            },
        },
    )
    assert response.status_code == 200, response.text
    inbox = response.json()
    assert list(inbox) == WIDGET_ADMIN_KEYS
    assert inbox["channel_type"] == "Channel::WebWidget"
    assert inbox["greeting_enabled"] is True
    assert inbox["greeting_message"] == "Hi there"
    assert inbox["timezone"] == "Europe/Berlin"
    assert inbox["website_url"] == "https://shop.example.com"
    assert inbox["widget_color"] == "#ff0000"
    assert inbox["welcome_title"] == "Welcome"
    assert inbox["welcome_tagline"] == "We reply fast"
    assert inbox["reply_time"] == "in_a_day"
    assert inbox["allowed_domains"] == ""
    assert inbox["hmac_mandatory"] is False
    assert inbox["selected_feature_flags"] == ["attachments", "emoji_picker", "end_conversation"]
    assert TOKEN.match(inbox["website_token"])
    assert TOKEN.match(inbox["hmac_token"])
    assert inbox["pre_chat_form_enabled"] is False
    assert inbox["continuity_via_email"] is True
    options = inbox["pre_chat_form_options"]
    assert options["pre_chat_message"] == "Share your queries or comments here."
    assert [field["name"] for field in options["pre_chat_fields"]] == ["emailAddress", "fullName", "phoneNumber"]
    script = inbox["web_widget_script"]
    assert f'"{server.base_url}"' in script
    assert f'"{inbox["website_token"]}"' in script
    assert "<script>" in script and "</script>" in script
    assert "cdn" not in script.lower()
    for key in ("secret", "webhook_url", "inbox_identifier", "additional_attributes"):
        assert key not in inbox


def test_wrapped_and_form_encoded_bodies(admin: Admin) -> None:
    wrapped = admin.api.post(admin.path("/inboxes"), json={"inbox": {"name": "Wrapped", "channel": {"type": "api"}}})
    assert wrapped.status_code == 200, wrapped.text
    assert wrapped.json()["name"] == "Wrapped"
    assert wrapped.json()["webhook_url"] is None
    form = admin.api.post(
        admin.path("/inboxes"),
        data={
            "name": "Form",
            "enable_auto_assignment": "false",
            "greeting_message": "null",
            "channel[type]": "api",
            "channel[hmac_mandatory]": "true",
            "channel[webhook_url]": "http://example.com/x",
        },
    )
    assert form.status_code == 200, form.text
    assert form.json()["enable_auto_assignment"] is False
    assert form.json()["greeting_message"] is None
    assert form.json()["hmac_mandatory"] is True
    assert form.json()["webhook_url"] == "http://example.com/x"
    widget = admin.api.post(
        admin.path("/inboxes"),
        data={"name": "Form widget", "channel[type]": "web_widget", "channel[website_url]": "https://a.example"},
    )
    assert widget.status_code == 200, widget.text
    assert widget.json()["website_url"] == "https://a.example"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": {"type": "api"}}, "name"),
        ({"name": "  ", "channel": {"type": "api"}}, "name"),
        ({"name": "x" * 256, "channel": {"type": "api"}}, "name"),
        ({"name": 5, "channel": {"type": "api"}}, "name"),
        ({"name": "A"}, "channel"),
        ({"name": "A", "channel": "api"}, "channel"),
        ({"name": "A", "channel": {}}, "channel.type"),
        ({"name": "A", "channel": {"type": "fax"}}, "channel.type"),
        ({"name": "A", "channel": {"type": "email"}}, "channel.type"),
        ({"name": "A", "channel": {"type": "api", "webhook_url": "ftp://example.com"}}, "channel.webhook_url"),
        ({"name": "A", "channel": {"type": "api", "webhook_url": "not a url"}}, "channel.webhook_url"),
        (
            {"name": "A", "channel": {"type": "api", "webhook_url": "https://example.com/" + "a" * 2030}},
            "channel.webhook_url",
        ),
        ({"name": "A", "channel": {"type": "api", "hmac_mandatory": "maybe"}}, "channel.hmac_mandatory"),
        ({"name": "A", "channel": {"type": "api", "additional_attributes": []}}, "channel.additional_attributes"),
        (
            {"name": "A", "channel": {"type": "api", "additional_attributes": {"agent_reply_time_window": 0}}},
            "channel.additional_attributes",
        ),
        ({"name": "A", "channel": {"type": "web_widget"}}, "channel.website_url"),
        ({"name": "A", "channel": {"type": "web_widget", "website_url": ""}}, "channel.website_url"),
        ({"name": "A", "channel": {"type": "web_widget", "website_url": 5}}, "channel.website_url"),
        (
            {"name": "A", "channel": {"type": "web_widget", "website_url": "https://a.b", "reply_time": "never"}},
            "channel.reply_time",
        ),
        ({"name": "A", "greeting_enabled": "maybe", "channel": {"type": "api"}}, "greeting_enabled"),
        ({"name": "A", "greeting_message": "x" * 10001, "channel": {"type": "api"}}, "greeting_message"),
        ({"name": "A", "timezone": "Mars/Olympus", "channel": {"type": "api"}}, "timezone"),
        ({"name": "A", "sender_name_type": "rude", "channel": {"type": "api"}}, "sender_name_type"),
    ],
)
def test_create_validation_names_the_field(admin: Admin, body: dict[str, Any], field: str) -> None:
    response = admin.api.post(admin.path("/inboxes"), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["attributes"] == [field]
    assert admin.api.get(admin.path("/inboxes")).json() == {"payload": []}


def test_invalid_json_is_a_400(admin: Admin) -> None:
    response = admin.api.post(admin.path("/inboxes"), content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_list_is_ordered_by_name_and_agents_see_their_inboxes_only(server: RunningServer, admin: Admin) -> None:
    beta = make_api_inbox(admin, name="beta")
    alpha = make_api_inbox(admin, name="Alpha")
    gamma = make_api_inbox(admin, name="Gamma")
    listed = admin.api.get(admin.path("/inboxes"))
    assert listed.status_code == 200
    assert list(listed.json()) == ["payload"]
    assert [inbox["id"] for inbox in listed.json()["payload"]] == [alpha["id"], beta["id"], gamma["id"]]
    assert listed.json()["payload"][0] == alpha
    agent = make_agent(server, admin)
    assert agent.api.get(admin.path("/inboxes")).json() == {"payload": []}
    admin.api.post(admin.path("/inbox_members"), json={"inbox_id": gamma["id"], "user_ids": [agent.user_id]})
    seen = agent.api.get(admin.path("/inboxes")).json()["payload"]
    assert [inbox["id"] for inbox in seen] == [gamma["id"]]
    assert list(seen[0]) == API_AGENT_KEYS
    assert seen[0]["inbox_identifier"] == gamma["inbox_identifier"]
    shown = agent.api.get(admin.path(f"/inboxes/{gamma['id']}"))
    assert shown.status_code == 200
    assert "hmac_token" not in shown.json() and "secret" not in shown.json()
    assert agent.api.get(admin.path(f"/inboxes/{alpha['id']}")).status_code == 404


def test_agents_do_not_see_the_website_hmac_token(server: RunningServer, admin: Admin) -> None:
    widget = admin.api.post(
        admin.path("/inboxes"), json={"name": "W", "channel": {"type": "web_widget", "website_url": "https://a.b"}}
    ).json()
    agent = make_agent(server, admin)
    admin.api.post(admin.path("/inbox_members"), json={"inbox_id": widget["id"], "user_ids": [agent.user_id]})
    shown = agent.api.get(admin.path(f"/inboxes/{widget['id']}")).json()
    assert list(shown) == WIDGET_AGENT_KEYS
    assert shown["website_token"] == widget["website_token"]


def test_other_accounts_inboxes_are_404(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, "Other")
    foreign = make_api_inbox(other)
    assert admin.api.get(admin.path(f"/inboxes/{foreign['id']}")).status_code == 404
    assert admin.api.patch(admin.path(f"/inboxes/{foreign['id']}"), json={"name": "x"}).status_code == 404
    assert admin.api.delete(admin.path(f"/inboxes/{foreign['id']}")).status_code == 404
    assert admin.api.get(admin.path("/inboxes/99999")).status_code == 404
    assert admin.api.get(admin.path("/inboxes")).json() == {"payload": []}
    assert other.api.get(other.path(f"/inboxes/{foreign['id']}")).json()["name"] == foreign["name"]


def test_authorization_matrix(server: RunningServer, admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    agent = make_agent(server, admin)
    admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [agent.user_id]})
    denied = {"error": "You are not authorized to do this action"}
    create = agent.api.post(admin.path("/inboxes"), json={"name": "A", "channel": {"type": "api"}})
    assert (create.status_code, create.json()) == (401, denied)
    update = agent.api.patch(admin.path(f"/inboxes/{inbox['id']}"), json={"name": "Mine"})
    assert (update.status_code, update.json()) == (401, denied)
    remove = agent.api.delete(admin.path(f"/inboxes/{inbox['id']}"))
    assert (remove.status_code, remove.json()) == (401, denied)
    assert agent.api.post(admin.path(f"/inboxes/{inbox['id']}/reset_secret")).status_code == 401
    anonymous = Api(server)
    assert anonymous.get(admin.path("/inboxes")).status_code == 401
    assert anonymous.get(admin.path(f"/inboxes/{inbox['id']}")).status_code == 401
    assert anonymous.post(admin.path("/inboxes"), json={"name": "A", "channel": {"type": "api"}}).status_code == 401
    other = make_admin(server, "Other")
    assert other.api.get(admin.path("/inboxes")).status_code == 401
    assert admin.api.get(admin.path(f"/inboxes/{inbox['id']}")).json()["name"] == inbox["name"]


def test_update_inbox_fields_and_channel(admin: Admin, events: list[Event]) -> None:
    inbox = make_api_inbox(admin, name="Before", webhook_url="https://example.com/a")
    response = admin.api.patch(
        admin.path(f"/inboxes/{inbox['id']}"),
        json={
            "name": "After",
            "greeting_enabled": True,
            "greeting_message": "Hello",
            "enable_auto_assignment": False,
            "lock_to_single_conversation": True,
            "allow_messages_after_resolved": False,
            "sender_name_type": "professional",
            "business_name": "Acme Inc",
            "csat_survey_enabled": True,
            "csat_config": {"display_type": "star"},
            "auto_assignment_config": {"max_assignment_limit": 5},
            "channel": {
                "webhook_url": "https://example.com/b",
                "hmac_mandatory": True,
                "additional_attributes": {"agent_reply_time_window": 12},
                "website_url": "ignored for api inboxes",
            },
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "After"
    assert body["greeting_enabled"] is True
    assert body["greeting_message"] == "Hello"
    assert body["enable_auto_assignment"] is False
    assert body["lock_to_single_conversation"] is True
    assert body["allow_messages_after_resolved"] is False
    assert body["sender_name_type"] == "professional"
    assert body["business_name"] == "Acme Inc"
    assert body["csat_survey_enabled"] is True
    assert body["csat_config"] == {
        "display_type": "star",
        "message": "",
        "survey_rules": {"operator": "contains", "values": []},
        "button_text": "Please rate us",
        "language": "en",
    }
    assert body["auto_assignment_config"] == {"max_assignment_limit": 5}
    assert body["webhook_url"] == "https://example.com/b"
    assert body["hmac_mandatory"] is True
    assert body["additional_attributes"] == {"agent_reply_time_window": 12}
    assert body["website_url"] is None
    # Tokens stay as they were.
    for key in ("hmac_token", "secret", "inbox_identifier"):
        assert body[key] == inbox[key]
    updated = [event for event in events if event.name == "inbox.updated"]
    assert len(updated) == 1
    assert updated[0].subject == {"inbox_id": inbox["id"]}
    changed = {key: value for item in updated[0].data["changed_attributes"] for key, value in item.items()}
    assert changed["name"] == {"previous_value": "Before", "current_value": "After"}
    assert changed["webhook_url"] == {
        "previous_value": "https://example.com/a",
        "current_value": "https://example.com/b",
    }
    assert changed["sender_name_type"] == {"previous_value": "friendly", "current_value": "professional"}
    assert "secret" not in changed
    # Nothing to change: no event.
    events.clear()
    same = admin.api.patch(admin.path(f"/inboxes/{inbox['id']}"), json={"name": "After"})
    assert same.status_code == 200
    assert [event for event in events if event.name == "inbox.updated"] == []


def test_update_website_channel(admin: Admin) -> None:
    widget = admin.api.post(
        admin.path("/inboxes"), json={"name": "W", "channel": {"type": "web_widget", "website_url": "https://a.b"}}
    ).json()
    response = admin.api.patch(
        admin.path(f"/inboxes/{widget['id']}"),
        json={
            "inbox": {
                "channel": {
                    "website_url": "https://c.d",
                    "widget_color": "#000000",
                    "reply_time": "in_a_few_hours",
                    "selected_feature_flags": ["attachments", "allow_mobile_webview"],
                    "continuity_via_email": False,
                    "allowed_domains": "c.d,*.c.d",
                    "pre_chat_form_enabled": True,
                    "webhook_url": "https://ignored.example",
                }
            }
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["website_url"] == "https://c.d"
    assert body["widget_color"] == "#000000"
    assert body["reply_time"] == "in_a_few_hours"
    assert body["selected_feature_flags"] == ["attachments", "allow_mobile_webview"]
    assert body["continuity_via_email"] is False
    assert body["allowed_domains"] == "c.d,*.c.d"
    assert body["pre_chat_form_enabled"] is True
    assert body["website_token"] == widget["website_token"]
    assert "webhook_url" not in body
    bad = admin.api.patch(admin.path(f"/inboxes/{widget['id']}"), json={"channel": {"website_url": ""}})
    assert bad.status_code == 422
    assert bad.json()["attributes"] == ["channel.website_url"]
    flags = admin.api.patch(
        admin.path(f"/inboxes/{widget['id']}"), json={"channel": {"selected_feature_flags": ["teleport"]}}
    )
    assert flags.status_code == 422
    assert flags.json()["attributes"] == ["channel.selected_feature_flags"]


def test_update_validation(admin: Admin) -> None:
    inbox = make_api_inbox(admin, name="Keep")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"timezone": "Nowhere"}, "timezone"),
        ({"enable_auto_assignment": "often"}, "enable_auto_assignment"),
        ({"auto_assignment_config": {"max_assignment_limit": 0}}, "auto_assignment_config"),
        ({"channel": {"webhook_url": "javascript:alert(1)"}}, "channel.webhook_url"),
    ]
    for body, field in cases:
        response = admin.api.patch(admin.path(f"/inboxes/{inbox['id']}"), json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["attributes"] == [field], body
    assert admin.api.get(admin.path(f"/inboxes/{inbox['id']}")).json() == inbox
    cleared = admin.api.patch(
        admin.path(f"/inboxes/{inbox['id']}"), json={"greeting_message": None, "channel": {"webhook_url": ""}}
    )
    assert cleared.status_code == 200
    assert cleared.json()["webhook_url"] in ("", None)


def test_reset_secret(admin: Admin) -> None:
    inbox = make_api_inbox(admin)
    response = admin.api.post(admin.path(f"/inboxes/{inbox['id']}/reset_secret"))
    assert response.status_code == 200
    assert TOKEN.match(response.json()["secret"])
    assert response.json()["secret"] != inbox["secret"]
    assert response.json()["hmac_token"] == inbox["hmac_token"]
    widget = admin.api.post(
        admin.path("/inboxes"), json={"name": "W", "channel": {"type": "web_widget", "website_url": "https://a.b"}}
    ).json()
    assert admin.api.post(admin.path(f"/inboxes/{widget['id']}/reset_secret")).status_code == 404


def test_delete_inbox_cascades(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(admin)
    keep = make_api_inbox(admin, name="Keep")
    agent = make_agent(server, admin)
    for target in (inbox, keep):
        admin.api.post(admin.path("/inbox_members"), json={"inbox_id": target["id"], "user_ids": [agent.user_id]})
    now = utc_now()
    with test_database.sync_engine.begin() as conn:
        contact_id = conn.execute(
            sa.insert(contacts).values(account_id=admin.account_id, name="C", created_at=now, updated_at=now)
        ).inserted_primary_key[0]
        ids = {}
        for index, target in enumerate((inbox, keep), start=1):
            contact_inbox_id = conn.execute(
                sa.insert(contact_inboxes).values(
                    contact_id=contact_id,
                    inbox_id=target["id"],
                    source_id=str(uuid.uuid4()),
                    pubsub_token=uuid.uuid4().hex,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            conversation_id = conn.execute(
                sa.insert(conversations).values(
                    account_id=admin.account_id,
                    display_id=index,
                    uuid=str(uuid.uuid4()),
                    inbox_id=target["id"],
                    contact_id=contact_id,
                    contact_inbox_id=contact_inbox_id,
                    last_activity_at=now,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(
                sa.insert(messages).values(
                    account_id=admin.account_id,
                    inbox_id=target["id"],
                    conversation_id=conversation_id,
                    message_type=0,
                    content="hi",
                    created_at=now,
                    updated_at=now,
                )
            )
            ids[target["id"]] = conversation_id

    response = admin.api.delete(admin.path(f"/inboxes/{inbox['id']}"))
    assert response.status_code == 200
    assert response.json() == {"message": "Your inbox deletion request will be processed in some time."}
    assert admin.api.get(admin.path(f"/inboxes/{inbox['id']}")).status_code == 404
    assert [item["id"] for item in admin.api.get(admin.path("/inboxes")).json()["payload"]] == [keep["id"]]
    with test_database.sync_engine.connect() as conn:

        def count(table: sa.Table, *where: Any) -> int:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())

        assert count(inboxes, inboxes.c.id == inbox["id"]) == 0
        assert count(channel_api, channel_api.c.id == inbox["channel_id"]) == 0
        assert count(inbox_members, inbox_members.c.inbox_id == inbox["id"]) == 0
        assert count(conversations, conversations.c.inbox_id == inbox["id"]) == 0
        assert count(messages, messages.c.inbox_id == inbox["id"]) == 0
        assert count(contact_inboxes, contact_inboxes.c.inbox_id == inbox["id"]) == 0
        # The other inbox and the contact are untouched.
        assert count(channel_api, channel_api.c.id == keep["channel_id"]) == 1
        assert count(inbox_members, inbox_members.c.inbox_id == keep["id"]) == 1
        assert count(conversations, conversations.c.id == ids[keep["id"]]) == 1
        assert count(messages, messages.c.inbox_id == keep["id"]) == 1
        assert count(contacts, contacts.c.id == contact_id) == 1


def test_delete_website_inbox_removes_its_channel(admin: Admin, test_database: ThrowawayDatabase) -> None:
    widget = admin.api.post(
        admin.path("/inboxes"), json={"name": "W", "channel": {"type": "web_widget", "website_url": "https://a.b"}}
    ).json()
    assert admin.api.delete(admin.path(f"/inboxes/{widget['id']}")).status_code == 200
    with test_database.sync_engine.connect() as conn:
        left = conn.execute(sa.select(channel_web_widgets.c.id)).scalars().all()
    assert left == []


def test_listing_costs_the_same_queries_for_few_or_many_inboxes(server: RunningServer, admin: Admin) -> None:
    def create(count: int) -> None:
        for index in range(count):
            make_api_inbox(admin, name=f"api {index}")
            admin.api.post(
                admin.path("/inboxes"),
                json={"name": f"web {index}", "channel": {"type": "web_widget", "website_url": "https://a.b"}},
            )

    create(1)
    with counted_queries(server) as few:
        assert len(admin.api.get(admin.path("/inboxes")).json()["payload"]) == 2
    create(5)
    with counted_queries(server) as many:
        assert len(admin.api.get(admin.path("/inboxes")).json()["payload"]) == 12
    assert few and len(many) == len(few)
