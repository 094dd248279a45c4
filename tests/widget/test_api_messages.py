"""``/api/v1/widget/messages``: list with cursors, create (JSON, multipart, direct uploads), answers to
forms, e-mail and CSAT questions; and ``/direct_uploads``."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer
from tests.widget.conftest import Visitor, WidgetInbox, new_visitor


def send(visitor: Visitor, content: str, **message: Any) -> dict[str, Any]:
    response = visitor.post("/messages", json={"message": {"content": content, **message}})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_the_first_message_starts_a_conversation(visitor: Visitor, admin: Admin) -> None:
    admin.api.post(admin.path("/labels"), json={"title": "vip"})
    response = visitor.post(
        "/messages",
        json={
            "message": {"content": "Hi", "echo_id": "e-1", "referer_url": "https://shop.example/", "timestamp": "1"},
            "custom_attributes": {"cart": 3},
            "labels": ["vip", "unknown-label"],
        },
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert set(created) == {
        "id", "content", "inbox_id", "conversation_id", "message_type", "created_at", "private", "source_id",
        "content_attributes", "sender",
    }  # fmt: skip
    assert created["content"] == "Hi" and created["message_type"] == 0 and created["private"] is False
    assert created["sender"]["type"] == "contact"
    conversation = admin.api.get(admin.path(f"/conversations/{created['conversation_id']}")).json()
    assert conversation["custom_attributes"] == {"cart": 3}
    assert conversation["labels"] == ["vip"]
    assert conversation["additional_attributes"]["referer"] == "https://shop.example/"
    # The next message goes into the same conversation.
    reply = send(visitor, "again", reply_to=created["id"])
    assert reply["conversation_id"] == created["conversation_id"]
    assert reply["content_attributes"] == {"in_reply_to": created["id"]}


def test_listing_hides_private_notes_and_pages_by_cursor(visitor: Visitor, admin: Admin) -> None:
    empty = visitor.get("/messages")
    assert empty.status_code == 200
    assert empty.json() == {"payload": [], "meta": {}}
    first = send(visitor, "m0")
    path = admin.path(f"/conversations/{first['conversation_id']}/messages")
    admin.api.post(path, json={"content": "secret note", "private": True})
    agent_reply = admin.api.post(path, json={"content": "agent says hi"}).json()
    ids = [first["id"], agent_reply["id"]]
    for number in range(1, 25):
        ids.append(send(visitor, f"m{number}")["id"])
    listed = visitor.get("/messages").json()
    assert [item["id"] for item in listed["payload"]] == ids[-20:]
    assert "contact_last_seen_at" in listed["meta"]
    every = visitor.get("/messages", params={"after": str(first["id"] - 1)}).json()["payload"]
    assert [item["id"] for item in every] == ids
    assert all(item["content"] != "secret note" for item in every)
    agent = next(item for item in every if item["id"] == agent_reply["id"])
    assert agent["message_type"] == 1 and agent["sender"]["type"] == "user"
    assert set(agent) == {
        "id", "content", "message_type", "content_type", "content_attributes", "created_at", "conversation_id",
        "sender",
    }  # fmt: skip
    before = visitor.get("/messages", params={"before": str(ids[5])}).json()["payload"]
    assert [item["id"] for item in before] == ids[:5]
    after = visitor.get("/messages", params={"after": str(ids[-3])}).json()["payload"]
    assert [item["id"] for item in after] == ids[-2:]
    bad = visitor.get("/messages", params={"before": "abc"})
    assert bad.status_code == 422 and bad.json()["attributes"] == ["before"]


def test_multipart_attachments(server: RunningServer, visitor: Visitor) -> None:
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    response = visitor.post(
        "/messages",
        json=None,
        data={"message[content]": "see attached", "message[timestamp]": "1"},
        files=[
            ("message[attachments][]", ("shot.png", png, "image/png")),
            ("message[attachments][]", ("notes.txt", b"hello", "text/plain")),
        ],
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["content"] == "see attached"
    kinds = sorted((item["file_type"], item["extension"]) for item in created["attachments"])
    assert kinds == [("file", "txt"), ("image", "png")]
    text_file = next(item for item in created["attachments"] if item["extension"] == "txt")
    assert httpx.get(text_file["data_url"]).content == b"hello"
    listed = visitor.get("/messages").json()["payload"]
    assert len(listed[-1]["attachments"]) == 2
    refused = visitor.post(
        "/messages",
        json=None,
        data={"message[content]": "x"},
        files=[("message[attachments][]", ("run.exe", b"MZ", "application/x-msdownload"))],
    )
    assert refused.status_code == 422, refused.text
    assert "attachments" in refused.json()["attributes"]


def test_multipart_needs_the_visitor_before_any_byte(server: RunningServer, widget: WidgetInbox) -> None:
    stranger = Visitor(server, widget.website_token, "not-a-token")
    response = stranger.post(
        "/messages",
        json=None,
        data={"message[content]": "x"},
        files=[("message[attachments][]", ("a.txt", b"a", "text/plain"))],
    )
    assert response.status_code == 404
    stranger.client.close()


def test_direct_upload_then_message(server: RunningServer, visitor: Visitor) -> None:
    data = b"order,qty\n1,2\n"
    checksum = base64.b64encode(hashlib.md5(data).digest()).decode()
    started = visitor.post(
        "/direct_uploads",
        json={
            "blob": {"filename": "order.csv", "byte_size": len(data), "checksum": checksum, "content_type": "text/csv"}
        },
    )
    assert started.status_code == 200, started.text
    blob = started.json()
    assert blob["signed_id"] and blob["direct_upload"]["headers"]["Content-MD5"] == checksum
    put = httpx.put(blob["direct_upload"]["url"], content=data, headers=blob["direct_upload"]["headers"])
    assert put.status_code == 204, put.text
    created = visitor.post("/messages", json={"message": {"content": "file", "attachments": [blob["signed_id"]]}})
    assert created.status_code == 200, created.text
    [item] = created.json()["attachments"]
    assert item["extension"] == "csv"
    too_big = visitor.post(
        "/direct_uploads", json={"blob": {"filename": "a.csv", "byte_size": 0, "content_type": "text/csv"}}
    )
    assert too_big.status_code == 422 and too_big.json()["attributes"] == ["blob.byte_size"]


def _conversation_of(visitor: Visitor) -> int:
    return int(send(visitor, "hello")["conversation_id"])


def test_answering_an_email_question_sets_the_contact_email(visitor: Visitor, admin: Admin) -> None:
    display_id = _conversation_of(visitor)
    question = admin.api.post(
        admin.path(f"/conversations/{display_id}/messages"),
        json={"content": "Get notified by email", "content_type": "input_email"},
    ).json()
    answered = visitor.patch(f"/messages/{question['id']}", json={"contact": {"email": "Reach@Me.io"}})
    assert answered.status_code == 200, answered.text
    assert answered.json()["contact"]["email"] == "reach@me.io"
    assert visitor.get("/contact").json()["has_email"] is True
    listed = visitor.get("/messages").json()["payload"]
    asked = next(item for item in listed if item["id"] == question["id"])
    assert asked["content_attributes"]["submitted_email"] == "reach@me.io"
    missing = visitor.patch(f"/messages/{question['id']}", json={"contact": {}})
    assert missing.status_code == 422 and missing.json()["attributes"] == ["contact.email"]


def test_answering_a_csat_survey_and_a_form(visitor: Visitor, admin: Admin) -> None:
    display_id = _conversation_of(visitor)
    path = admin.path(f"/conversations/{display_id}/messages")
    survey = admin.api.post(path, json={"content": "Rate us", "content_type": "input_csat"}).json()
    answer = {"submitted_values": {"csat_survey_response": {"rating": 5, "feedback_message": "great", "extra": 1}}}
    answered = visitor.put(f"/messages/{survey['id']}", json={"message": answer})
    assert answered.status_code == 200, answered.text
    assert answered.json()["contact"]["id"] == visitor.contact_id
    stored = next(item for item in visitor.get("/messages").json()["payload"] if item["id"] == survey["id"])
    assert stored["content_attributes"]["submitted_values"] == {
        "csat_survey_response": {"rating": 5, "feedback_message": "great"}
    }
    form = admin.api.post(
        path,
        json={
            "content": "Pick one",
            "content_type": "input_select",
            "content_attributes": {"items": [{"title": "A", "value": "a"}, {"title": "B", "value": "b"}]},
        },
    ).json()
    picked = visitor.patch(
        f"/messages/{form['id']}", json={"message": {"submitted_values": [{"title": "B", "value": "b", "junk": 1}]}}
    )
    assert picked.status_code == 200, picked.text
    stored = next(item for item in visitor.get("/messages").json()["payload"] if item["id"] == form["id"])
    assert stored["content_attributes"]["submitted_values"] == [{"title": "B", "value": "b"}]


def test_a_message_of_another_visitor_is_404(server: RunningServer, widget: WidgetInbox, visitor: Visitor) -> None:
    theirs = send(visitor, "mine")
    other = new_visitor(server, widget)
    response = other.patch(f"/messages/{theirs['id']}", json={"message": {"submitted_values": []}})
    assert response.status_code == 404
    assert other.patch("/messages/999999999999", json={}).status_code == 404


def test_bad_message_input_names_the_field(visitor: Visitor) -> None:
    response = visitor.post("/messages", json={"message": {"content": {"x": 1}}})
    assert response.status_code == 422 and response.json()["attributes"] == ["message"]
    response = visitor.post("/messages", json={"message": {"content": "x"}, "labels": "vip"})
    assert response.status_code == 422 and response.json()["attributes"] == ["labels"]
    response = visitor.post("/messages", json={"message": {"content": "a\u0000b"}})
    assert response.status_code == 422
