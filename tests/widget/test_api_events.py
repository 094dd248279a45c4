"""``/events`` (the ``webwidget_triggered`` webhook, to a real receiver), ``/labels``, ``/inbox_members``
and ``/campaigns``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.api import Admin, make_admin, make_agent
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.webhooks.conftest import FAST_DELIVERY
from tests.webhooks.support import create_webhook
from tests.widget.conftest import Visitor, WidgetInbox, make_widget_inbox, new_visitor

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1.2 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(scope="module")
def hook_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, **FAST_DELIVERY)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    from tests.fixtures.receiver import run_receiver

    yield from run_receiver()


def test_webwidget_triggered_reaches_the_webhook(hook_server: RunningServer, receiver: Receiver) -> None:
    owner = make_admin(hook_server)
    create_webhook(owner, receiver.url(), ["webwidget_triggered"])
    inbox = make_widget_inbox(owner)
    visitor = new_visitor(hook_server, inbox)
    response = visitor.post(
        "/events",
        params={"locale": "de"},
        json={
            "name": "webwidget.triggered",
            "event_info": {"initiated_at": {"timestamp": "Mon Dec 07 2026"}, "referer": "https://shop.example/cart"},
        },
        headers={"User-Agent": IPHONE, "Accept-Language": "de-DE,de;q=0.9,en;q=0.5"},
    )
    assert response.status_code == 204, response.text
    assert response.content == b""
    [received] = receiver.wait_for(1)
    body = received.json
    assert body["event"] == "webwidget_triggered"
    assert body["source_id"] and body["id"]
    assert body["contact"]["id"] == visitor.contact_id
    assert body["inbox"] == {"id": inbox.id, "name": "Website"}
    assert body["current_conversation"] is None
    assert body["event_info"] == {
        "initiated_at": {"timestamp": "Mon Dec 07 2026"},
        "referer": "https://shop.example/cart",
        "widget_language": "de",
        "browser_language": "de",
        "browser": {
            "browser_name": "Safari",
            "browser_version": "17.1.2",
            "device_name": "iPhone",
            "platform_name": "iOS",
            "platform_version": "17.1.2",
        },
    }
    # With a conversation, the payload carries it.
    started = visitor.post("/messages", json={"message": {"content": "hi"}})
    assert started.status_code == 200
    visitor.post("/events", json={"name": "webwidget.triggered", "event_info": {}})
    second = receiver.wait_for(2)[1].json
    assert second["current_conversation"]["id"] == started.json()["conversation_id"]
    # Other event names have no listener: accepted, nothing sent.
    assert (
        visitor.post("/events", json={"name": "campaign.triggered", "event_info": {"campaign_id": 1}}).status_code
        == 204
    )
    missing = visitor.post("/events", json={"event_info": {}})
    assert missing.status_code == 422 and missing.json()["attributes"] == ["name"]


def test_labels_only_those_the_account_has(visitor: Visitor, admin: Admin) -> None:
    assert visitor.post("/labels", json={"label": "vip"}).status_code == 204  # no conversation: nothing
    admin.api.post(admin.path("/labels"), json={"title": "vip"})
    started = visitor.post("/messages", json={"message": {"content": "hi"}}).json()
    path = admin.path(f"/conversations/{started['conversation_id']}")
    assert visitor.post("/labels", json={"label": "vip"}).status_code == 204
    assert visitor.post("/labels", json={"label": "not-a-label"}).status_code == 204
    assert admin.api.get(path).json()["labels"] == ["vip"]
    assert visitor.delete("/labels/vip").status_code == 204
    assert admin.api.get(path).json()["labels"] == []
    assert visitor.delete("/labels/never").status_code == 204


def test_inbox_members_need_no_visitor(server: RunningServer, admin: Admin, widget: WidgetInbox) -> None:
    agent = make_agent(server, admin, name="Sam")
    added = admin.api.post(admin.path("/inbox_members"), json={"inbox_id": widget.id, "user_ids": [agent.user_id]})
    assert added.status_code == 200, added.text
    anonymous = Visitor(server, widget.website_token)
    members = anonymous.get("/inbox_members")
    assert members.status_code == 200, members.text
    assert members.json() == {
        # Not connected to the realtime feed: offline (Chatwoot's OnlineStatusTracker).
        "payload": [{"id": agent.user_id, "name": "Sam", "avatar_url": "", "availability_status": "offline"}]
    }
    assert anonymous.get("/campaigns").json() == []
    anonymous.client.close()
    other = make_widget_inbox(admin, name="Empty")
    assert new_visitor(server, other).get("/inbox_members").json() == {"payload": []}
