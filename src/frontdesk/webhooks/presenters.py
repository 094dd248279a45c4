"""REST payloads of webhooks and deliveries."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET

from frontdesk.kit.time import unix, unix_or_none
from frontdesk.webhooks.schemas import DeliveryPayload, WebhookInbox, WebhookPayload


def present_webhook(row: Any, inbox: Any | None) -> WebhookPayload:
    return WebhookPayload(
        id=row.id,
        name=row.name,
        url=row.url,
        account_id=row.account_id,
        subscriptions=list(row.subscriptions or []),
        secret=row.secret,
        inbox=WebhookInbox(id=inbox.id, name=inbox.name) if inbox is not None else UNSET,
    )


def present_delivery(row: Any) -> DeliveryPayload:
    unfinished = row.status in ("pending", "failed")
    return DeliveryPayload(
        id=row.delivery_id,
        event_id=row.event_id,
        event=row.event,
        url=row.url,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        response_code=row.response_code,
        next_attempt_at=unix(row.next_attempt_at) if unfinished else None,
        created_at=unix(row.created_at),
        delivered_at=unix_or_none(row.delivered_at),
    )
