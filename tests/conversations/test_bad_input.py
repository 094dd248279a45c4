"""Hostile input on both databases: ids beyond int4, huge times, NUL characters, wrong types — a 4xx
naming the field where one is named, never a 500."""

from __future__ import annotations

from tests.conversations.helpers import create_conversation, post_message, setup
from tests.fixtures.api import Admin


def test_hostile_input_never_answers_500(admin: Admin) -> None:
    base = setup(admin)
    conv = create_conversation(admin, base.source_id)
    post_message(admin, conv["id"], content="x")
    big = 99999999999999999999
    toggle = f"/conversations/{conv['id']}/toggle_status"
    checks = [
        ("GET", "/conversations", {"params": {"inbox_id": str(big)}}),
        ("GET", "/conversations", {"params": {"page": str(big)}}),
        ("GET", "/conversations", {"params": {"team_id": "2147483648"}}),
        ("GET", "/conversations/meta", {"params": {"inbox_id": "1e5"}}),
        ("POST", "/conversations", {"json": {"source_id": base.source_id, "assignee_id": 2147483648}}),
        ("POST", "/conversations", {"json": {"source_id": base.source_id, "team_id": big}}),
        ("POST", "/conversations", {"json": {"inbox_id": big, "contact_id": 1}}),
        ("POST", "/conversations", {"json": {"source_id": base.source_id, "snoozed_until": big}}),
        ("POST", "/conversations", {"json": {"source_id": base.source_id, "snoozed_until": "99999999999999999"}}),
        ("POST", "/conversations", {"json": {"source_id": base.source_id, "message": "hello"}}),
        ("POST", "/conversations", {"json": {"source_id": 5}}),
        (
            "POST",
            toggle,
            {"json": {"status": "snoozed", "snoozed_until": "-99999999999999"}},
        ),
        (
            "POST",
            toggle,
            {"json": {"status": "snoozed", "snoozed_until": "2026-13-45"}},
        ),
        ("POST", f"/conversations/{conv['id']}/assignments", {"json": {"assignee_id": big}}),
        ("POST", f"/conversations/{conv['id']}/assignments", {"json": {"team_id": 2147483648}}),
        ("POST", f"/conversations/{conv['id']}/labels", {"json": {"labels": "a,b"}}),
        ("POST", f"/conversations/{conv['id']}/labels", {"json": {"labels": ["x" * 300]}}),
        ("POST", f"/conversations/{conv['id']}/messages", {"json": {"content": "a\x00b"}}),
        ("POST", f"/conversations/{conv['id']}/messages", {"json": {"campaign_id": big}}),
        ("PATCH", f"/conversations/{conv['id']}/messages/{big}", {"json": {"status": "read"}}),
        ("GET", f"/contacts/{big}/conversations", {}),
        ("GET", f"/conversations/{big}", {}),
        ("POST", f"/conversations/{conv['id']}/custom_attributes", {"json": {"custom_attributes": {"a": "\x00"}}}),
    ]
    bad = []
    for method, suffix, kwargs in checks:
        response = admin.api.request(method, admin.path(suffix), **kwargs)
        if not 400 <= response.status_code < 500:
            bad.append((method, suffix, kwargs, response.text[:200]))
    assert not bad, bad
    # A cursor beyond every id is simply "beyond every message".
    response = admin.api.get(admin.path(f"/conversations/{conv['id']}/messages"), params={"before": str(big)})
    assert [message["content"] for message in response.json()["payload"]] == ["x"]
    # The conversation was left as it was.
    shown = admin.api.get(admin.path(f"/conversations/{conv['id']}")).json()
    assert shown["custom_attributes"] == {}
    assert shown["status"] == "open"
    assert shown["labels"] == []


def test_nul_characters_in_list_filters_never_answer_500(admin: Admin) -> None:
    """PostgreSQL refuses NUL in text parameters (SQLSTATE 22021): a filter holding one is the input's
    fault (422); SQLite simply matches nothing. Either way no 500 and no rows."""
    base = setup(admin)
    create_conversation(admin, base.source_id)
    checks = [
        ("/contacts", {"labels": "a\x00b"}),
        ("/contacts", {"labels[]": ["\x00"]}),
        ("/conversations", {"labels[]": ["a\x00b"]}),
        ("/conversations", {"q": "a\x00b"}),
    ]
    for suffix, params in checks:
        response = admin.api.get(admin.path(suffix), params=params)
        assert response.status_code in (200, 422), (suffix, params, response.status_code, response.text[:200])
        if response.status_code == 200:
            body = response.json()
            rows = body["payload"] if "payload" in body else body["data"]["payload"]
            assert rows == [], (suffix, params)
