from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.contacts.helpers import create
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer


def _go_online(server: RunningServer, account_id: int, contact_id: int) -> None:
    async def update() -> None:
        await server.app.state.realtime.presence.update(account_id, "Contact", contact_id)

    server.run(update)


@pytest.fixture
def forget_presence(server: RunningServer) -> Iterator[None]:
    """Ids restart with every test's clean database: presence must not outlive this test."""
    yield
    presence: Any = server.app.state.realtime.presence

    async def forget() -> None:
        if hasattr(presence, "seen"):
            presence.seen.clear()
        else:
            for key in await presence.redis.keys(f"{presence.prefix}:presence:contacts:*"):
                await presence.redis.delete(key)

    server.run(forget)


@pytest.mark.usefixtures("forget_presence")
def test_online_contacts_are_listed_as_active(server: RunningServer, admin: Admin) -> None:
    online = create(admin, name="alice ONLINE")
    offline = create(admin, name="Offline", email="off@x.io")
    assert admin.api.get(admin.path("/contacts/active")).json() == {
        "meta": {"count": 0, "current_page": 1},
        "payload": [],
    }
    _go_online(server, admin.account_id, online["id"])
    other = make_admin(server, account_name="Other")
    theirs = create(other, name="Theirs")
    _go_online(server, other.account_id, theirs["id"])

    active = admin.api.get(admin.path("/contacts/active"))
    assert active.status_code == 200
    body = active.json()
    assert body["meta"] == {"count": 1, "current_page": 1}
    assert [item["id"] for item in body["payload"]] == [online["id"]]
    assert body["payload"][0]["availability_status"] == "online"
    assert "contact_inboxes" in body["payload"][0]
    shown = admin.api.get(admin.path(f"/contacts/{online['id']}")).json()["payload"]
    assert shown["availability_status"] == "online"
    assert admin.api.get(admin.path(f"/contacts/{offline['id']}")).json()["payload"]["availability_status"] == "offline"
    found = admin.api.get(admin.path("/contacts/search"), params={"q": "alice"}).json()["payload"]
    assert found[0]["availability_status"] == "online"

    # Deliberately unlike Chatwoot (422 "… is Online, please try again later"): online contacts can be deleted.
    assert admin.api.delete(admin.path(f"/contacts/{online['id']}")).status_code == 200
    assert admin.api.get(admin.path("/contacts/active")).json()["payload"] == []
