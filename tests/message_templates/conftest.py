"""A server whose embedded job runner and webhook worker run (fast polls), and helpers to make conversations
and wait for the template jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from frontdesk.events.dispatcher import Event
from frontdesk.kit.time import utc_now
from frontdesk.messages.enums import INCOMING, SENDER_CONTACT
from frontdesk.models import conversations, jobs, messages
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.receiver import Receiver, run_receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve

WORKING = {
    "embedded_worker": True,
    "webhook_allow_private_network": True,
    "webhook_poll_interval": 0.05,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.4,
    "jobs_poll_interval": 0.05,
    "jobs_retry_base_seconds": 0.05,
    "jobs_retry_max_seconds": 0.2,
}

TEMPLATE_KINDS = ("message_templates.run", "message_templates.csat")


@pytest.fixture(scope="module")
def working_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, **WORKING)


@pytest.fixture
def owner(working_server: RunningServer) -> Admin:
    return make_admin(working_server)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from run_receiver()


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def template_jobs(database: ThrowawayDatabase) -> list[Any]:
    with database.sync_engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(jobs.c.id, jobs.c.kind, jobs.c.status, jobs.c.attempts, jobs.c.payload)
                .where(jobs.c.kind.in_(TEMPLATE_KINDS))
                .order_by(jobs.c.id)
            )
        )


def wait_for_jobs(database: ThrowawayDatabase, count: int) -> list[Any]:
    """Until ``count`` template jobs exist and every one is finished; they must have succeeded."""

    def done() -> list[Any] | None:
        found = template_jobs(database)
        if len(found) >= count and all(job.status in ("succeeded", "dead") for job in found):
            return found
        return None

    found = eventually(done)
    assert found, f"template jobs did not finish: {template_jobs(database)}"
    assert [job.status for job in found] == ["succeeded"] * len(found), found
    return found


def conversation_id(database: ThrowawayDatabase, account_id: int, display_id: int) -> int:
    with database.sync_engine.connect() as conn:
        value: int = conn.execute(
            sa.select(conversations.c.id).where(
                conversations.c.account_id == account_id, conversations.c.display_id == display_id
            )
        ).scalar_one()
    return value


def listed(owner: Admin, display_id: int) -> list[dict[str, Any]]:
    response = owner.api.get(owner.path(f"/conversations/{display_id}/messages"))
    assert response.status_code == 200, response.text
    payload: list[dict[str, Any]] = response.json()["payload"]
    return payload


def templates(owner: Admin, display_id: int) -> list[dict[str, Any]]:
    return [message for message in listed(owner, display_id) if message["message_type"] == 3]


def incoming(owner: Admin, display_id: int, content: str = "Hello?") -> dict[str, Any]:
    response = owner.api.post(
        owner.path(f"/conversations/{display_id}/messages"), json={"content": content, "message_type": "incoming"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def incoming_in_website_inbox(server: RunningServer, conversation: int, content: str = "Hi from the site") -> int:
    """An incoming message in a website inbox, written as the widget's message create writes it (the
    agents' API refuses incoming messages outside API inboxes): the row and its ``message.created``."""

    async def write() -> int:
        async with server.database.unit_of_work() as uow:
            row = (await uow.conn.execute(sa.select(conversations).where(conversations.c.id == conversation))).one()
            now = utc_now()
            message_id: int = (
                await uow.conn.execute(
                    sa.insert(messages)
                    .values(
                        account_id=row.account_id,
                        inbox_id=row.inbox_id,
                        conversation_id=row.id,
                        message_type=INCOMING,
                        content=content,
                        content_type=0,
                        content_attributes={},
                        private=False,
                        status=0,
                        sender_type=SENDER_CONTACT,
                        sender_id=row.contact_id,
                        external_source_ids={},
                        additional_attributes={},
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(messages.c.id)
                )
            ).scalar_one()
            uow.emit(
                Event(
                    "message.created",
                    row.account_id,
                    now,
                    {"message_id": message_id, "conversation_id": row.id, "inbox_id": row.inbox_id},
                )
            )
            return message_id

    return server.run(write)
