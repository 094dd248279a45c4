"""The end user's pubsub_token from the Client API subscribes on /cable to its own conversation's public events."""

from __future__ import annotations

import httpx

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer
from tests.public.conftest import PublicInboxRef
from tests.public.test_client_api import new_contact, new_conversation
from tests.realtime.cable import Cable, identifier


def test_the_contact_sees_the_agent_reply_live(
    server: RunningServer, client: httpx.Client, inbox: PublicInboxRef, admin: Admin
) -> None:
    contact = new_contact(client, inbox, name="Live")
    conversation = new_conversation(client, inbox, contact["source_id"])
    stranger = new_contact(client, inbox, name="Stranger")
    other_conversation = new_conversation(client, inbox, stranger["source_id"])
    with Cable(server) as cable:
        ident = identifier(contact["pubsub_token"])
        assert cable.subscribe(ident) == {"identifier": ident, "type": "confirm_subscription"}
        reply = admin.api.post(admin.path(f"/conversations/{conversation['id']}/messages"), json={"content": "Hi!"})
        assert reply.status_code == 200
        admin.api.post(
            admin.path(f"/conversations/{conversation['id']}/messages"), json={"content": "note", "private": True}
        )
        admin.api.post(admin.path(f"/conversations/{other_conversation['id']}/messages"), json={"content": "not yours"})
        resolved = client.post(f"{inbox.conversation(contact['source_id'], conversation['id'])}/toggle_status")
        assert resolved.status_code == 200
        events = cable.events(quiet=0.8)
    created = [event for event in events if event["event"] == "message.created"]
    assert [event["data"]["content"] for event in created] == ["Hi!"]
    assert created[0]["data"]["id"] == reply.json()["id"]
    assert "conversation.status_changed" in [event["event"] for event in events]
