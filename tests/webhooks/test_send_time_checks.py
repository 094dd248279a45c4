"""Checks at send time, on a server that refuses private networks: a target saved before the rule
(or whose name now resolves to a private address) is refused when called, and a dead API-inbox
delivery leaves the outgoing message failed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from frontdesk.kit.time import utc_now
from tests.fixtures.api import Admin, make_admin, make_api_inbox, make_contact, make_conversation
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.webhooks.conftest import FAST_DELIVERY
from tests.webhooks.support import deliveries


@pytest.fixture(scope="module")
def strict_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, **{**FAST_DELIVERY, "webhook_allow_private_network": False})


def _insert_webhook(database: ThrowawayDatabase, account_id: int, url: str, subscriptions: list[str]) -> None:
    """A webhook written straight to the table, as if saved before private networks were refused."""
    now = utc_now()
    with database.sync_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO webhooks (account_id, url, subscriptions, secret, webhook_type, created_at, updated_at)"
                " VALUES (:a, :u, :s, 'secret', 0, :n, :n)"
            ),
            {"a": account_id, "u": url, "s": '["' + '","'.join(subscriptions) + '"]', "n": now},
        )
    database.changed()


def _api_inbox_pointing_at(owner: Admin, database: ThrowawayDatabase, url: str) -> dict[str, Any]:
    """An API inbox whose webhook URL is written straight to the table, as if its name resolved to a
    public address when saved and to ``url``'s private one now (DNS rebinding)."""
    inbox = make_api_inbox(owner)
    with database.sync_engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE channel_api SET webhook_url = :u WHERE id = (SELECT channel_id FROM inboxes WHERE id = :i)"
            ),
            {"u": url, "i": inbox["id"]},
        )
    database.changed()
    return inbox


def _wait_dead(database: ThrowawayDatabase, count: int = 1, timeout: float = 15) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        rows = [row for row in deliveries(database) if row.status == "dead"]
        if len(rows) >= count:
            return rows
        assert time.monotonic() < deadline, [(row.status, row.last_error) for row in deliveries(database)]
        time.sleep(0.05)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_targets_are_refused_at_send_time(
    strict_server: RunningServer, test_database: ThrowawayDatabase, host: str
) -> None:
    receiver = Receiver()
    receiver.start()
    try:
        owner = make_admin(strict_server)
        _insert_webhook(test_database, owner.account_id, f"http://{host}:{receiver.port}/internal", ["contact_created"])
        make_contact(owner, name="Mallory")
        [row] = _wait_dead(test_database)
        assert row.attempts == 1
        assert row.last_error.startswith("Refused:")
        assert "127.0.0.1" in row.last_error
        assert receiver.received() == []
    finally:
        receiver.stop()


def test_api_inbox_webhook_to_a_private_address_is_refused_at_send_time(
    strict_server: RunningServer, test_database: ThrowawayDatabase
) -> None:
    owner: Admin = make_admin(strict_server)
    refused = owner.api.post(
        owner.path("/inboxes"),
        json={"name": "Metadata", "channel": {"type": "api", "webhook_url": "http://169.254.169.254/latest/meta-data"}},
    )
    assert refused.status_code == 422
    assert refused.json()["attributes"] == ["channel.webhook_url"]
    inbox = _api_inbox_pointing_at(owner, test_database, "http://169.254.169.254/latest/meta-data")
    make_conversation(owner, inbox["id"])
    [row] = _wait_dead(test_database)
    assert row.target_kind == "api_inbox"
    assert "169.254.169.254" in row.last_error


def test_a_dead_api_inbox_delivery_leaves_the_outgoing_message_failed(
    strict_server: RunningServer, test_database: ThrowawayDatabase
) -> None:
    owner = make_admin(strict_server)
    inbox = _api_inbox_pointing_at(owner, test_database, "http://10.0.0.7/hook")
    conversation = make_conversation(owner, inbox["id"])
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"),
        json={"content": "Lost?", "message_type": "outgoing"},
    )
    assert response.status_code == 200, response.text
    message_id = response.json()["id"]
    deadline = time.monotonic() + 15
    while True:
        rows = {row.event: row for row in deliveries(test_database)}
        if rows.get("message_created") is not None and rows["message_created"].status == "dead":
            break
        assert time.monotonic() < deadline, [(row.event, row.status) for row in deliveries(test_database)]
        time.sleep(0.05)
    messages = owner.api.get(owner.path(f"/conversations/{conversation['id']}/messages")).json()["payload"]
    [reply] = [item for item in messages if item["id"] == message_id]
    assert reply["status"] == "failed"
    assert reply["content_attributes"]["external_error"].startswith("Refused:")
