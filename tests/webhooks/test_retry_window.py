"""A delivery that keeps failing is retried until the retry window closes, then it is dead."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.fixtures.api import make_admin, make_api_inbox, make_conversation
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.webhooks.conftest import FAST_DELIVERY
from tests.webhooks.support import deliveries


@pytest.fixture(scope="module")
def short_window_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    # About 1.8 s of retries.
    yield from serve(test_database, **{**FAST_DELIVERY, "webhook_retry_hours": 0.0005})


def test_retried_until_the_window_closes_then_dead_and_the_message_failed(
    short_window_server: RunningServer, test_database: ThrowawayDatabase, receiver: Receiver
) -> None:
    owner = make_admin(short_window_server)
    inbox = make_api_inbox(owner, webhook_url=receiver.url("/down-for-good"))
    conversation = make_conversation(owner, inbox["id"])
    receiver.wait_for(1)
    receiver.respond(lambda item: (503, {}, 0.0))
    started = time.monotonic()
    response = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"), json={"content": "Hi", "message_type": "outgoing"}
    )
    assert response.status_code == 200, response.text
    message_id = response.json()["id"]
    deadline = time.monotonic() + 20
    while True:
        rows = [row for row in deliveries(test_database) if row.event == "message_created"]
        if rows and rows[0].status == "dead":
            break
        assert time.monotonic() < deadline, [(row.event, row.status) for row in deliveries(test_database)]
        time.sleep(0.05)
    [row] = rows
    assert row.attempts >= 3
    assert row.last_error.startswith("503")
    assert time.monotonic() - started >= 1.0
    attempts = [item for item in receiver.received() if item.event == "message_created"]
    assert len(attempts) == row.attempts
    assert len({item.delivery for item in attempts}) == 1
    messages = owner.api.get(owner.path(f"/conversations/{conversation['id']}/messages")).json()["payload"]
    [reply] = [item for item in messages if item["id"] == message_id]
    assert reply["status"] == "failed"
    assert reply["content_attributes"]["external_error"].startswith("503")
