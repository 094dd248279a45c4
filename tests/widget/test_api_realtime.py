"""The visitor's realtime feed: the widget subscribes on ``/cable`` with its contact inbox's pubsub token
and gets the agent's replies and typing live; the agents get the visitor's messages and typing; after a
dropped connection the widget refetches ``/messages?after=<last id>``."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.realtime.cable import Cable, identifier, user_pubsub_token
from tests.widget.conftest import WidgetInbox, make_widget_inbox, new_visitor


def test_the_agent_reply_reaches_the_visitor_live(server: RunningServer, admin: Admin, widget: WidgetInbox) -> None:
    visitor = new_visitor(server, widget)
    stranger = new_visitor(server, widget)
    started = visitor.post("/messages", json={"message": {"content": "Hello?"}}).json()
    theirs = stranger.post("/messages", json={"message": {"content": "other"}}).json()
    path = admin.path(f"/conversations/{started['conversation_id']}")
    with Cable(server) as cable:
        ident = identifier(visitor.pubsub_token)
        assert cable.subscribe(ident) == {"identifier": ident, "type": "confirm_subscription"}
        assert admin.api.post(path + "/toggle_typing_status", json={"typing_status": "on"}).status_code == 200
        reply = admin.api.post(path + "/messages", json={"content": "Hi, I am here"})
        assert reply.status_code == 200
        admin.api.post(path + "/messages", json={"content": "internal", "private": True})
        admin.api.post(
            admin.path(f"/conversations/{theirs['conversation_id']}/messages"), json={"content": "not yours"}
        )
        events = cable.events(quiet=0.8)
    names = [event["event"] for event in events]
    assert "conversation.typing_on" in names
    # (The visitor's own first message may be broadcast just after its answer, so after the subscription.)
    created = [
        event["data"]
        for event in events
        if event["event"] == "message.created" and event["data"]["id"] not in (started["id"], theirs["id"])
    ]
    assert [data["content"] for data in created] == ["Hi, I am here"]
    assert created[0]["id"] == reply.json()["id"]
    assert created[0]["conversation_id"] == started["conversation_id"]
    assert created[0]["message_type"] == 1
    # Resume by cursor over HTTP: what came after the last message the widget had.
    after = visitor.get("/messages", params={"after": str(started["id"])}).json()["payload"]
    assert [item["content"] for item in after] == ["Hi, I am here"]


def test_the_agents_see_the_visitor_live(
    server: RunningServer, admin: Admin, widget: WidgetInbox, test_database: ThrowawayDatabase
) -> None:
    visitor = new_visitor(server, widget)
    started = visitor.post("/messages", json={"message": {"content": "first"}}).json()
    agent_ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
    with Cable(server) as agent, Cable(server) as widget_socket:
        assert agent.subscribe(agent_ident)["type"] == "confirm_subscription"
        widget_ident = identifier(visitor.pubsub_token)
        assert widget_socket.subscribe(widget_ident)["type"] == "confirm_subscription"
        assert visitor.post("/conversations/toggle_typing", json={"typing_status": "on"}).status_code == 200
        sent = visitor.post("/messages", json={"message": {"content": "are you there?", "echo_id": "tmp-1"}})
        assert sent.status_code == 200
        agent_events = agent.events(quiet=0.8)
        widget_events = widget_socket.events(quiet=0.3)
    typing = [event for event in agent_events if event["event"] == "conversation.typing_on"]
    assert typing and typing[0]["data"]["user"]["id"] == visitor.contact_id
    assert typing[0]["data"]["conversation"]["id"] == started["conversation_id"]
    created = [
        event["data"]
        for event in agent_events
        if event["event"] == "message.created" and event["data"]["id"] != started["id"]
    ]
    assert [data["content"] for data in created] == ["are you there?"]
    assert created[0]["sender"]["id"] == visitor.contact_id
    # The visitor's own message comes back to the widget with its echo_id; its typing is not echoed.
    mine = [
        event["data"]
        for event in widget_events
        if event["event"] == "message.created" and event["data"]["id"] != started["id"]
    ]
    assert [data.get("echo_id") for data in mine] == ["tmp-1"]
    assert "conversation.typing_on" not in [event["event"] for event in widget_events]


def test_an_online_agent_is_listed_online(
    server: RunningServer, admin: Admin, widget: WidgetInbox, test_database: ThrowawayDatabase
) -> None:
    added = admin.api.post(admin.path("/inbox_members"), json={"inbox_id": widget.id, "user_ids": [admin.user_id]})
    assert added.status_code == 200, added.text
    visitor = new_visitor(server, widget)
    assert visitor.get("/inbox_members").json()["payload"][0]["availability_status"] == "offline"
    with Cable(server) as agent:
        ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
        assert agent.subscribe(ident)["type"] == "confirm_subscription"
        [member] = visitor.get("/inbox_members").json()["payload"]
    assert member["id"] == admin.user_id and member["availability_status"] == "online"


def test_a_verified_visitor_on_two_devices_gets_the_reply_on_both(server: RunningServer, admin: Admin) -> None:
    inbox = make_widget_inbox(admin, name="Verified site")
    proof = hmac.new(inbox.hmac_token.encode(), b"member-1", hashlib.sha256).hexdigest()
    laptop, phone = new_visitor(server, inbox), new_visitor(server, inbox)
    for device in (laptop, phone):
        answer = device.patch("/contact/set_user", json={"identifier": "member-1", "identifier_hash": proof})
        assert answer.status_code == 200, answer.text
    started = laptop.post("/messages", json={"message": {"content": "from the laptop"}}).json()
    with Cable(server) as laptop_socket, Cable(server) as phone_socket:
        for socket, device in ((laptop_socket, laptop), (phone_socket, phone)):
            assert socket.subscribe(identifier(device.pubsub_token))["type"] == "confirm_subscription"
        reply = admin.api.post(
            admin.path(f"/conversations/{started['conversation_id']}/messages"), json={"content": "to both"}
        )
        assert reply.status_code == 200
        # Each device's feed may still carry the laptop's own message, broadcast just after its answer.
        on_laptop = _created(laptop_socket, reply.json()["id"])
        on_phone = _created(phone_socket, reply.json()["id"])
    assert on_laptop["data"]["content"] == on_phone["data"]["content"] == "to both"


def _created(socket: Cable, message_id: int) -> dict[str, Any]:
    while True:
        event = socket.event("message.created")
        if event["data"]["id"] == message_id:
            return event
