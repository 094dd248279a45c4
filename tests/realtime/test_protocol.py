"""The ActionCable protocol at /cable: welcome, pings, subscriptions by pubsub_token, presence."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from websockets.exceptions import ConnectionClosed

from frontdesk.events.dispatcher import Event
from frontdesk.realtime.hub import SLOW_CONSUMER
from tests.fixtures.api import Admin, make_agent
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.realtime.cable import Cable, identifier, user_pubsub_token


def test_welcome_then_pings_every_three_seconds(server: RunningServer) -> None:
    with Cable(server) as cable:
        assert cable.welcome == {"type": "welcome"}
        assert cable.ws.subprotocol == "actioncable-v1-json"
        first = cable.next(timeout=5, pings=True)
        second = cable.next(timeout=5, pings=True)
        assert first["type"] == "ping" and second["type"] == "ping"
        assert set(first) == {"type", "message"}
        assert isinstance(first["message"], int)
        assert abs(first["message"] - time.time()) < 10
        assert 2 <= second["message"] - first["message"] <= 4


def test_user_subscription_is_confirmed_with_presence(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    token = user_pubsub_token(test_database, admin.user_id)
    ident = identifier(token, admin.account_id, admin.user_id)
    with Cable(server) as cable:
        confirm = cable.subscribe(ident)
        assert confirm == {"identifier": ident, "type": "confirm_subscription"}
        presence = cable.presence
        assert presence["event"] == "presence.update"
        assert presence["data"]["account_id"] == admin.account_id
        assert presence["data"]["users"] == {str(admin.user_id): "online"}
        # Contacts seen online (within 90 s) in the account; none that belongs to this test yet.
        assert isinstance(presence["data"]["contacts"], dict)
        assert isinstance(presence["cursor"], str) and presence["cursor"]
        # update_presence answers a fresh presence.update to the subscriber.
        cable.send("message", ident, {"action": "update_presence"})
        again = cable.event("presence.update")
        assert again["data"]["users"] == {str(admin.user_id): "online"}
        assert cable.frames[-1]["identifier"] == ident


def test_bad_tokens_are_rejected(server: RunningServer, test_database: ThrowawayDatabase, admin: Admin) -> None:
    token = user_pubsub_token(test_database, admin.user_id)
    other = make_agent(server, admin)
    cases = [
        identifier("not-a-token", admin.account_id, admin.user_id),
        # Someone else's user id with this token.
        identifier(token, admin.account_id, other.user_id),
        # An account the user does not belong to.
        identifier(token, admin.account_id + 1000, admin.user_id),
        # A user token used as a contact token.
        identifier(token),
        json.dumps({"channel": "OtherChannel", "pubsub_token": token, "account_id": admin.account_id}),
        "not json",
    ]
    with Cable(server) as cable:
        for ident in cases:
            assert cable.subscribe(ident) == {"identifier": ident, "type": "reject_subscription"}, ident
        # The socket is still usable after rejections.
        good = identifier(token, admin.account_id, admin.user_id)
        assert cable.subscribe(good)["type"] == "confirm_subscription"


def test_unsubscribe_stops_events(server: RunningServer, test_database: ThrowawayDatabase, admin: Admin) -> None:
    token = user_pubsub_token(test_database, admin.user_id)
    ident = identifier(token, admin.account_id, admin.user_id)

    def emit_contact_event() -> None:
        async def go() -> None:
            async with server.database.unit_of_work() as uow:
                uow.emit(
                    Event(
                        "contact.deleted",
                        admin.account_id,
                        datetime.now(UTC),
                        {"contact_id": 1},
                        {"contact": {"id": 1, "name": "Gone", "account_id": admin.account_id}},
                    )
                )

        server.run(go)

    with Cable(server) as cable:
        cable.subscribe(ident)
        emit_contact_event()
        message = cable.event("contact.deleted")
        assert message["data"] == {"id": 1, "name": "Gone", "account_id": admin.account_id}
        cable.send("unsubscribe", ident)
        time.sleep(0.2)
        emit_contact_event()
        assert cable.events(quiet=0.5) == []


def test_a_dropped_socket_is_told_to_reconnect_and_closed(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    """What a socket that fell too far behind gets (the fan-out unit tests show when it happens)."""
    token = user_pubsub_token(test_database, admin.user_id)
    with Cable(server) as cable:
        assert cable.subscribe(identifier(token, admin.account_id, admin.user_id))["type"] == "confirm_subscription"

        async def drop() -> None:
            for connection in list(server.app.state.realtime.connections):
                connection.drop(SLOW_CONSUMER, 1013)

        server.run(drop)
        assert cable.next() == {"type": "disconnect", "reason": "slow_consumer", "reconnect": True}
        with pytest.raises(ConnectionClosed) as closed:
            cable.next()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    time.sleep(0.2)
    assert server.run(lambda: _count(server)) == 0


async def _count(server: RunningServer) -> int:
    return len(server.app.state.realtime.connections)
