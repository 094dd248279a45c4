"""Renaming and deleting a label as seen through the conversations API and the webhook outbox."""

from __future__ import annotations

import json

import sqlalchemy as sa

from frontdesk.models import webhook_deliveries
from tests.fixtures.api import Admin, make_api_inbox, make_conversation
from tests.fixtures.server import ThrowawayDatabase
from tests.teams.factories import query


def test_rename_and_delete_follow_through_to_conversations(admin: Admin, test_database: ThrowawayDatabase) -> None:
    old = admin.api.post(admin.path("/labels"), json={"title": "old"}).json()
    gone = admin.api.post(admin.path("/labels"), json={"title": "gone"}).json()
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    labels_path = admin.path(f"/conversations/{conversation['id']}/labels")
    tagged = admin.api.post(labels_path, json={"labels": ["vip", "old", "gone"]})
    assert tagged.status_code == 200, tagged.text
    hook = admin.api.post(
        admin.path("/webhooks"),
        json={"webhook": {"url": "https://hooks.example.com/labels", "subscriptions": ["conversation_updated"]}},
    )
    assert hook.status_code == 200, hook.text

    renamed = admin.api.patch(admin.path(f"/labels/{old['id']}"), json={"title": "new"})
    assert renamed.status_code == 200, renamed.text
    assert admin.api.get(labels_path).json() == {"payload": ["vip", "new", "gone"]}
    assert admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["labels"] == ["vip", "new", "gone"]

    rows = query(
        test_database,
        sa.select(webhook_deliveries.c.event, webhook_deliveries.c.payload).order_by(webhook_deliveries.c.id),
    )
    assert [row.event for row in rows] == ["conversation_updated"]
    payload = json.loads(rows[0].payload)
    assert payload["event"] == "conversation_updated"
    assert payload["id"] == conversation["id"]
    assert payload["labels"] == ["vip", "new", "gone"]
    assert payload["changed_attributes"] == [
        {"label_list": {"previous_value": ["vip", "old", "gone"], "current_value": ["vip", "new", "gone"]}}
    ]

    assert admin.api.delete(admin.path(f"/labels/{gone['id']}")).status_code == 200
    assert admin.api.get(labels_path).json() == {"payload": ["vip", "new"]}
    assert admin.api.get(admin.path(f"/conversations/{conversation['id']}")).json()["labels"] == ["vip", "new"]
    # Chatwoot's DestroyService writes the cached list only: no conversation_updated for a deleted label.
    assert len(query(test_database, sa.select(webhook_deliveries.c.id))) == 1
