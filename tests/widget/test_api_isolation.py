"""One visitor never reaches another's contact, conversations or messages, even in the same inbox; a
verified identity reaches the conversations of its contact's verified sessions only."""

from __future__ import annotations

import hashlib
import hmac

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer
from tests.widget.conftest import WidgetInbox, make_widget_inbox, new_visitor


def test_two_visitors_of_one_inbox_see_only_their_own(server: RunningServer, admin: Admin, widget: WidgetInbox) -> None:
    alice = new_visitor(server, widget)
    bob = new_visitor(server, widget)
    mine = alice.post("/messages", json={"message": {"content": "alice's secret"}}).json()
    assert bob.get("/conversations").json() == {}
    assert bob.get("/messages").json()["payload"] == []
    assert bob.get("/contact").json()["id"] == bob.contact_id != alice.contact_id
    # Bob's first message starts his own conversation, never Alice's.
    his = bob.post("/messages", json={"message": {"content": "bob here"}}).json()
    assert his["conversation_id"] != mine["conversation_id"]
    assert [m["content"] for m in bob.get("/messages").json()["payload"]] == ["bob here"]
    assert [m["content"] for m in alice.get("/messages").json()["payload"]] == ["alice's secret"]
    # Actions act on his conversation only.
    bob.get("/conversations/toggle_status")
    assert alice.get("/conversations").json()["status"] == "open"
    assert bob.patch(f"/messages/{mine['id']}", json={"message": {"submitted_values": []}}).status_code == 404
    # Alice's token in another inbox of the same account reaches nothing there.
    other = make_widget_inbox(admin, name="Second site")
    intruder = new_visitor(server, other)
    intruder.token = alice.token
    assert intruder.get("/messages").status_code == 404
    assert intruder.get("/contact").status_code == 404


def test_a_verified_identity_sees_its_verified_sessions_only(server: RunningServer, admin: Admin) -> None:
    inbox = make_widget_inbox(admin)
    proof = hmac.new(inbox.hmac_token.encode(), b"user-7", hashlib.sha256).hexdigest()
    laptop = new_visitor(server, inbox)
    assert laptop.patch("/contact/set_user", json={"identifier": "user-7", "identifier_hash": proof}).status_code == 200
    laptop_message = laptop.post("/messages", json={"message": {"content": "from the laptop"}}).json()
    # The same person on a phone, verified too: sees the laptop's conversation.
    phone = new_visitor(server, inbox)
    assert phone.patch("/contact/set_user", json={"identifier": "user-7", "identifier_hash": proof}).status_code == 200
    assert phone.get("/conversations").json()["id"] == laptop_message["conversation_id"]
    assert [m["content"] for m in phone.get("/messages").json()["payload"]] == ["from the laptop"]
    # Someone claiming the identifier without the hash is neither that contact nor sees anything.
    impostor = new_visitor(server, inbox)
    assert impostor.patch("/contact/set_user", json={"identifier": "user-7"}).status_code == 200
    assert impostor.get("/conversations").json() == {}
    assert impostor.get("/contact").json()["id"] == impostor.contact_id
