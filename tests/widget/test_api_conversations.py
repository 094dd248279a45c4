"""``/api/v1/widget/conversations`` and its actions: Chatwoot's shapes and status codes."""

from __future__ import annotations

from typing import Any

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer
from tests.widget.conftest import Visitor, WidgetInbox, make_widget_inbox, new_visitor

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.109 Safari/537.36"
)


def start(visitor: Visitor, content: str = "Hello", **extra: Any) -> dict[str, Any]:
    body = {"message": {"content": content, "timestamp": "1765000000", "referer_url": "https://shop.example/p"}}
    body.update(extra)
    response = visitor.post(
        "/conversations", json=body, headers={"User-Agent": CHROME_MAC, "Accept-Language": "fr-FR,en;q=0.8"}
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_no_conversation_yet(visitor: Visitor) -> None:
    response = visitor.get("/conversations")
    assert response.status_code == 200
    assert response.json() == {}
    for method, path, body in [
        ("POST", "/conversations/toggle_typing", {"typing_status": "on"}),
        ("GET", "/conversations/toggle_status", None),
        ("POST", "/conversations/set_custom_attributes", {"custom_attributes": {}}),
        ("POST", "/conversations/destroy_custom_attributes", {"custom_attribute": ["a"]}),
    ]:
        assert visitor.request(method, path, json=body).status_code == 404, path
    assert visitor.post("/conversations/update_last_seen").status_code == 200
    assert visitor.post("/conversations/transcript").status_code == 429


def test_the_pre_chat_form_starts_a_conversation(visitor: Visitor, admin: Admin) -> None:
    created = start(
        visitor,
        contact={"name": "Ada", "email": "ADA@example.com", "phone_number": "+15550002222"},
        custom_attributes={"order": "A-1"},
    )
    assert set(created) == {
        "id",
        "inbox_id",
        "contact_last_seen_at",
        "status",
        "messages",
        "custom_attributes",
        "contact",
    }
    assert created["status"] == "open"
    assert created["custom_attributes"] == {"order": "A-1"}
    assert created["contact"]["email"] == "ada@example.com"
    assert created["contact"]["name"] == "Ada"
    assert created["contact"]["phone_number"] == "+15550002222"
    [message] = created["messages"]
    assert message["content"] == "Hello"
    assert message["message_type"] == 0
    assert message["content_type"] == "text"
    assert message["conversation_id"] == created["id"]
    assert message["sender"]["type"] == "contact" and message["sender"]["id"] == visitor.contact_id
    conversation = admin.api.get(admin.path(f"/conversations/{created['id']}")).json()
    attributes = conversation["additional_attributes"]
    assert attributes["browser_language"] == "fr"
    assert attributes["browser"] == {
        "browser_name": "Chrome",
        "browser_version": "120.0.6099.109",
        "device_name": "Unknown",
        "platform_name": "macOS",
        "platform_version": "10.15.7",
    }
    assert attributes["initiated_at"] == {"timestamp": "1765000000"}
    assert attributes["referer"] == "https://shop.example/p"
    assert conversation["meta"]["sender"]["id"] == visitor.contact_id
    summary = visitor.get("/conversations").json()
    assert summary == {
        "id": created["id"],
        "inbox_id": created["inbox_id"],
        "contact_last_seen_at": 0,
        "status": "open",
    }


def test_the_name_is_kept_once_the_contact_is_known(visitor: Visitor) -> None:
    start(visitor, contact={"name": "First", "email": "first@example.com"})
    created = start(visitor, "again", contact={"name": "Second"})
    assert created["contact"]["name"] == "First"
    # Without a name, the email's local part names a new contact.


def test_the_email_local_part_names_an_anonymous_visitor(visitor: Visitor) -> None:
    created = start(visitor, contact={"email": "jane.doe@example.com"})
    assert created["contact"]["name"] == "jane.doe"


def test_conversation_actions(server: RunningServer, admin: Admin, widget: WidgetInbox, visitor: Visitor) -> None:
    created = start(visitor)
    path = admin.path(f"/conversations/{created['id']}")
    assert visitor.post("/conversations/toggle_typing", json={"typing_status": "on"}).status_code == 200
    assert visitor.post("/conversations/toggle_typing", json={"typing_status": "off"}).status_code == 200
    reply = admin.api.post(path + "/messages", json={"content": "Hi, how can I help?"})
    assert reply.status_code == 200
    seen = visitor.post("/conversations/update_last_seen", json={"contact_last_seen_at": 1})
    assert seen.status_code == 200
    assert visitor.get("/conversations").json()["contact_last_seen_at"] > 0
    set_attributes = visitor.post("/conversations/set_custom_attributes", json={"custom_attributes": {"a": 1, "b": 2}})
    assert set_attributes.status_code == 204
    assert admin.api.get(path).json()["custom_attributes"] == {"a": 1, "b": 2}
    replaced = visitor.post("/conversations/set_custom_attributes", json={"custom_attributes": {"b": 3, "c": 4}})
    assert replaced.status_code == 204
    removed = visitor.post("/conversations/destroy_custom_attributes", json={"custom_attribute": ["b"]})
    assert removed.status_code == 200, removed.text
    record = removed.json()
    assert record["custom_attributes"] == {"c": 4}
    assert record["display_id"] == created["id"] and record["status"] == "open"
    assert visitor.post("/conversations/transcript", json={"email": "x@example.com"}).status_code == 402
    ended = visitor.get("/conversations/toggle_status")
    assert ended.status_code == 200
    assert admin.api.get(path).json()["status"] == "resolved"
    assert visitor.get("/conversations").json()["status"] == "resolved"
    # Again: already resolved, still 200.
    assert visitor.get("/conversations/toggle_status").status_code == 200


def test_ending_a_conversation_needs_the_end_conversation_feature(server: RunningServer, admin: Admin) -> None:
    inbox = make_widget_inbox(admin, selected_feature_flags=["attachments"])
    visitor = new_visitor(server, inbox)
    start(visitor)
    response = visitor.get("/conversations/toggle_status")
    assert response.status_code == 403
    assert "error" in response.json()
    assert visitor.get("/conversations").json()["status"] == "open"


def test_bad_input_names_the_field(visitor: Visitor) -> None:
    response = visitor.post("/conversations", json={"message": {"content": ["x"]}})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["message"]
    response = visitor.post("/conversations", json={"contact": "nope", "message": {"content": "x"}})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["contact"]
    response = visitor.post("/conversations", json={"message": {"content": "x" * 20_001}})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["message"]
    response = visitor.post("/conversations", json={"custom_attributes": [1], "message": {"content": "x"}})
    assert response.status_code == 422 and response.json()["attributes"] == ["custom_attributes"]
