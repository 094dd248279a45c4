"""Delivery through the outbox to a real receiver: signing, retries, order, dead letters, rollbacks."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from typing import Any

from frontdesk.kit.time import utc_now
from tests.fixtures.api import Admin, Api, make_api_inbox, make_contact, make_conversation
from tests.fixtures.receiver import Received, Receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.webhooks.support import (
    changed,
    chatwoot_signature_ok,
    contact_event,
    create_webhook,
    deliveries,
    emit,
    standard_signature_ok,
)


def _wait_status(database: ThrowawayDatabase, status: str, count: int = 1, timeout: float = 10) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        rows = [row for row in deliveries(database) if row.status == status]
        if len(rows) >= count:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(
                f"expected {count} {status} deliveries, have {[r.status for r in deliveries(database)]}"
            )
        time.sleep(0.02)


def test_signatures_verify_with_plain_hmac(owner: Admin, receiver: Receiver) -> None:
    webhook = create_webhook(owner, receiver.url("/signed"), ["contact_created"])
    make_contact(owner, name="Alice")
    [received] = receiver.wait_for(1)
    assert received.headers["Content-Type"] == "application/json"
    assert abs(int(received.headers["X-Chatwoot-Timestamp"]) - time.time()) < 30
    assert received.headers["webhook-timestamp"] == received.headers["X-Chatwoot-Timestamp"]
    assert chatwoot_signature_ok(received, webhook["secret"])
    assert standard_signature_ok(received, webhook["secret"])
    assert not chatwoot_signature_ok(received, "not-the-secret")
    assert not standard_signature_ok(received, "not-the-secret")
    # One value each while there is no previous secret.
    assert "," not in received.headers["X-Chatwoot-Signature"]
    assert " " not in received.headers["webhook-signature"]


def test_secret_reset_keeps_the_old_secret_signing_during_the_grace_period(owner: Admin, receiver: Receiver) -> None:
    webhook = create_webhook(owner, receiver.url("/rotate"), ["contact_created"])
    response = owner.api.post(owner.path(f"/webhooks/{webhook['id']}/reset_secret"))
    assert response.status_code == 200, response.text
    new_secret = response.json()["payload"]["webhook"]["secret"]
    assert new_secret != webhook["secret"]
    make_contact(owner, name="Bob")
    [received] = receiver.wait_for(1)
    # A receiver on either secret accepts it.
    assert chatwoot_signature_ok(received, new_secret)
    assert chatwoot_signature_ok(received, webhook["secret"])
    assert standard_signature_ok(received, new_secret)
    assert standard_signature_ok(received, webhook["secret"])
    assert received.headers["X-Chatwoot-Signature"].startswith("sha256=")
    assert len(received.headers["X-Chatwoot-Signature"].split(",")) == 2


def test_failing_three_times_then_recovering_gets_the_event_accepted_once(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    create_webhook(owner, receiver.url("/flaky"), ["contact_created"])
    receiver.fail(3, status=503)
    make_contact(owner, name="Carol")
    accepted = receiver.wait_for(1)
    time.sleep(0.3)
    attempts = receiver.received()
    assert [item.status for item in attempts] == [503, 503, 503, 200]
    assert len(receiver.received(accepted_only=True)) == 1
    assert len({item.delivery for item in attempts}) == 1
    assert len({item.headers["webhook-id"] for item in attempts}) == 1
    assert accepted[0].json["name"] == "Carol"
    [row] = _wait_status(test_database, "succeeded")
    assert row.attempts == 4
    assert row.response_code == 200
    assert row.delivery_id == accepted[0].delivery


def test_timeouts_and_connection_errors_are_retried(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    create_webhook(owner, receiver.url("/slow"), ["contact_created"])
    receiver.hang(1, seconds=2.0)  # longer than the server's 1 s timeout
    make_contact(owner, name="Dan")
    receiver.wait_for(2, accepted_only=False, timeout=15)
    [row] = _wait_status(test_database, "succeeded")
    assert row.attempts == 2


def test_a_receiver_down_for_a_while_gets_everything_in_order(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    create_webhook(owner, receiver.url("/down"), ["contact_created", "contact_updated"])
    contact = make_contact(owner, name="Erin")["contact"]
    receiver.wait_for(1)
    receiver.down()
    for index in range(5):
        emit(owner_server(owner), contact_event(owner.account_id, contact["id"], **changed("name", index, index + 1)))
    time.sleep(1.0)
    failing = [row for row in deliveries(test_database) if row.status == "failed"]
    assert len(failing) == 1  # only the head of the line is tried while it fails
    assert "Connection" in (failing[0].last_error or "")
    receiver.up()
    received = receiver.wait_for(6, timeout=20)
    updates = [item.json["changed_attributes"][0]["name"]["current_value"] for item in received[1:]]
    assert updates == [1, 2, 3, 4, 5]


def owner_server(owner: Admin) -> RunningServer:
    return owner.api.server


def test_retry_after_is_honoured(owner: Admin, receiver: Receiver) -> None:
    create_webhook(owner, receiver.url("/limited"), ["contact_created"])
    receiver.rate_limit(1, retry_after="2")
    make_contact(owner, name="Fay")
    receiver.wait_for(1, timeout=15)
    first, second = receiver.received()
    assert first.status == 429
    assert second.received_at - first.received_at >= 1.9
    assert first.delivery == second.delivery


def test_retry_after_as_an_http_date(owner: Admin, receiver: Receiver) -> None:
    from datetime import timedelta
    from email.utils import format_datetime

    create_webhook(owner, receiver.url("/limited-date"), ["contact_created"])
    receiver.rate_limit(1, retry_after=format_datetime(utc_now() + timedelta(seconds=3), usegmt=True))
    make_contact(owner, name="Gus")
    receiver.wait_for(1, timeout=15)
    first, second = receiver.received()
    assert second.received_at - first.received_at >= 1.5


def test_other_client_errors_are_dead_at_once(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    create_webhook(owner, receiver.url("/gone"), ["contact_created"])
    receiver.fail(1, status=410)
    make_contact(owner, name="Hal")
    [row] = _wait_status(test_database, "dead")
    assert row.attempts == 1
    assert row.response_code == 410
    assert row.last_error.startswith("410")
    time.sleep(0.3)
    assert len(receiver.received()) == 1


def test_a_rejected_request_sends_nothing(owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase) -> None:
    create_webhook(owner, receiver.url("/rollback"), ["contact_created", "contact_updated"])
    contact = make_contact(owner, name="Ivy", email="ivy@example.com")["contact"]
    receiver.wait_for(1)
    # The update fails validation (the email is taken): the request is rolled back, nothing is sent.
    other = make_contact(owner, name="Jon")["contact"]
    receiver.wait_for(2)
    response = owner.api.put(owner.path(f"/contacts/{other['id']}"), json={"name": "Jo", "email": contact["email"]})
    assert response.status_code == 422, response.text
    time.sleep(0.5)
    assert [item.event for item in receiver.received()] == ["contact_created", "contact_created"]
    assert len(deliveries(test_database)) == 2


def test_events_raised_in_a_rolled_back_unit_of_work_write_no_delivery(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    create_webhook(owner, receiver.url("/rollback2"), ["contact_updated"])
    contact = make_contact(owner, name="Kim")["contact"]
    server = owner_server(owner)

    async def fail_after_emitting() -> None:
        async with server.database.unit_of_work() as uow:
            uow.emit(contact_event(owner.account_id, contact["id"], **changed("name", "Kim", "Kit")))
            raise RuntimeError("the change failed")

    with contextlib.suppress(RuntimeError):
        server.run(fail_after_emitting)
    emit(server, contact_event(owner.account_id, contact["id"], **changed("name", "Kim", "Kip")))
    [received] = receiver.wait_for(1)
    assert received.json["changed_attributes"] == [{"name": {"previous_value": "Kim", "current_value": "Kip"}}]
    time.sleep(0.3)
    assert len(receiver.received()) == 1
    assert len(deliveries(test_database)) == 1


def test_a_stuck_key_does_not_hold_up_the_others_and_order_holds_per_key(
    owner: Admin, receiver: Receiver, test_database: ThrowawayDatabase
) -> None:
    create_webhook(owner, receiver.url("/order"), ["contact_updated"])
    server = owner_server(owner)
    contacts = [make_contact(owner, name=f"C{index}")["contact"] for index in range(4)]
    stuck_id = contacts[0]["id"]

    def responder(item: Received) -> tuple[int, dict[str, str], float] | None:
        if item.json["id"] == stuck_id:
            return (500, {}, 0.0)
        return None

    receiver.respond(responder)

    def writer(contact: dict[str, Any]) -> None:
        for step in range(10):
            emit(server, contact_event(owner.account_id, contact["id"], **changed("step", step, step + 1)))

    threads = [threading.Thread(target=writer, args=(contact,)) for contact in contacts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = receiver.wait_for(30, timeout=20)
    by_contact: dict[int, list[int]] = {}
    for item in received:
        by_contact.setdefault(item.json["id"], []).append(item.json["changed_attributes"][0]["step"]["current_value"])
    for contact in contacts[1:]:
        assert by_contact[contact["id"]] == list(range(1, 11))
    # The stuck contact's first event is retried; the other nine wait behind it.
    stuck = [item for item in receiver.received() if item.json["id"] == stuck_id]
    assert {item.json["changed_attributes"][0]["step"]["current_value"] for item in stuck} == {1}
    assert stuck_id not in by_contact
    receiver.respond(None)
    received = receiver.wait_for(40, timeout=20)
    assert [
        item.json["changed_attributes"][0]["step"]["current_value"] for item in received if item.json["id"] == stuck_id
    ] == list(range(1, 11))


def test_api_inbox_secret_reset_keeps_the_old_secret_signing(owner: Admin, receiver: Receiver) -> None:
    """The service behind an API inbox's reset_secret: the previous secret signs beside the new one."""
    from frontdesk.webhooks.service import reset_inbox_secret
    from tests.fixtures.api import make_api_inbox, make_conversation

    inbox = make_api_inbox(owner, webhook_url=receiver.url("/inbox-rotate"))
    server = owner_server(owner)

    def secret() -> str:
        return server.run(lambda: _channel_secret(server, inbox["id"]))

    old = secret()

    async def reset() -> None:
        async with server.database.unit_of_work() as uow:
            await reset_inbox_secret(uow, owner.account_id, inbox["id"], grace_hours=1)

    server.run(reset)
    new = secret()
    assert new != old
    make_conversation(owner, inbox["id"])
    [received] = receiver.wait_for(1)
    assert chatwoot_signature_ok(received, new)
    assert chatwoot_signature_ok(received, old)
    assert standard_signature_ok(received, old)


async def _channel_secret(server: RunningServer, inbox_id: int) -> str:
    import sqlalchemy as sa

    from frontdesk.models import channel_api, inboxes

    async with server.database.unit_of_work(write=False) as uow:
        query = (
            sa.select(channel_api.c.secret)
            .select_from(inboxes.join(channel_api, channel_api.c.id == inboxes.c.channel_id))
            .where(inboxes.c.id == inbox_id)
        )
        value: str = (await uow.conn.execute(query)).scalar_one()
        return value


def test_concurrent_http_writers_into_one_conversation_are_delivered_in_order(owner: Admin, receiver: Receiver) -> None:
    """Six clients post messages into one conversation at once while the receiver fails every third request:
    the API inbox's webhook gets every message_created exactly once accepted, in the order the messages were
    written (their ids)."""
    inbox = make_api_inbox(owner, webhook_url=receiver.url("/inbox"))
    conversation = make_conversation(owner, inbox["id"])
    path = owner.path(f"/conversations/{conversation['id']}/messages")
    seen = itertools.count()

    def responder(item: Received) -> tuple[int, dict[str, str], float] | None:
        return (503, {}, 0.0) if next(seen) % 3 == 0 else None

    receiver.respond(responder)

    def writer(number: int) -> None:
        api = Api(owner.api.server, owner.token)
        for step in range(8):
            kind = "incoming" if (number + step) % 2 else "outgoing"
            response = api.post(path, json={"content": f"w{number}-{step}", "message_type": kind})
            assert response.status_code == 200, response.text

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = 6 * 8

    def created() -> list[Received]:
        return [item for item in receiver.received("/inbox", accepted_only=True) if item.event == "message_created"]

    deadline = time.monotonic() + 30
    while len(created()) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    accepted = created()
    ids = [item.json["id"] for item in accepted]
    assert len(ids) == expected, len(ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == expected
    assert sorted(item.json["content"] for item in accepted) == sorted(
        f"w{number}-{step}" for number in range(6) for step in range(8)
    )
    # The failed attempts were retried: some requests were refused, none of them lost.
    assert len(receiver.received("/inbox")) > len(receiver.received("/inbox", accepted_only=True))
