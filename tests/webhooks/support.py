"""Helpers of the webhook tests: a receiver-side signature check with plain hmac, webhooks, direct events."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import sqlalchemy as sa

from frontdesk.events.dispatcher import Event
from frontdesk.kit.time import utc_now
from tests.fixtures.api import Admin
from tests.fixtures.receiver import Received
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def chatwoot_signature_ok(received: Received, secret: str) -> bool:
    """What a receiver does: HMAC-SHA256 of "<timestamp>.<raw body>", hex, compared to any listed value."""
    timestamp = received.headers["X-Chatwoot-Timestamp"]
    expected = (
        "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    )
    values = [value.strip() for value in received.headers["X-Chatwoot-Signature"].split(",")]
    return any(hmac.compare_digest(expected, value) for value in values)


def standard_signature_ok(received: Received, secret: str) -> bool:
    """Standard Webhooks: base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>", "v1," prefixed."""
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    values = [value.split(",", 1)[1] for value in received.headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, value) for value in values)


def create_webhook(owner: Admin, url: str, subscriptions: list[str], **fields: Any) -> dict[str, Any]:
    response = owner.api.post(
        owner.path("/webhooks"), json={"webhook": {"url": url, "subscriptions": subscriptions, **fields}}
    )
    assert response.status_code == 200, response.text
    webhook: dict[str, Any] = response.json()["payload"]["webhook"]
    return webhook


def emit(server: RunningServer, *events: Event) -> None:
    """Raise events in one unit of work on the server's own database (what a service does)."""

    async def run() -> None:
        async with server.database.unit_of_work() as uow:
            for event in events:
                uow.emit(event)

    server.run(run)


def contact_event(account_id: int, contact_id: int, name: str = "contact.updated", **data: Any) -> Event:
    return Event(name=name, account_id=account_id, occurred_at=utc_now(), subject={"contact_id": contact_id}, data=data)


def deliveries(database: ThrowawayDatabase, **where: Any) -> list[Any]:
    query = "SELECT * FROM webhook_deliveries"
    if where:
        query += " WHERE " + " AND ".join(f"{key} = :{key}" for key in where)
    with database.sync_engine.connect() as conn:
        return list(conn.execute(sa.text(query + " ORDER BY id"), where))


def changed(attribute: str, previous: Any, current: Any) -> dict[str, Any]:
    return {"changed_attributes": [{attribute: {"previous_value": previous, "current_value": current}}]}
