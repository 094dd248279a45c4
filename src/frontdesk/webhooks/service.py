"""Webhook rules: account webhook CRUD, secret resets with a grace period, the delivery log, redeliver, replay."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from msgspec import UNSET
from sqlalchemy import delete, func, insert, select, update

from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, ValidationFailed
from frontdesk.events.dispatcher import Event
from frontdesk.inboxes.repository import CHANNEL_API, get_inbox
from frontdesk.kit.time import from_unix, utc_now
from frontdesk.kit.tokens import secure_token
from frontdesk.models import channel_api, channel_api_previous_secrets, inboxes, webhook_deliveries, webhooks
from frontdesk.webhooks import ssrf
from frontdesk.webhooks.outbox import (
    ENQUEUED_EVENT,
    TARGET_ACCOUNT_WEBHOOK,
    TARGET_API_INBOX,
    endpoint_of,
    lock_ordering_keys,
    notify_workers,
)
from frontdesk.webhooks.payloads import ALLOWED_WEBHOOK_EVENTS
from frontdesk.webhooks.schemas import WebhookCreate, WebhookUpdate

DELIVERIES_PER_PAGE = 25


# Validation.


async def validate_webhook_url(url: str, *, allow_private: bool, field: str = "url") -> str:
    """A saved webhook URL: http(s), not on a private network unless allowed (422 naming ``field``)."""
    url = url.strip()
    label = field.split(".")[-1].replace("_", " ").capitalize()
    try:
        ssrf.parse_url(url)
    except ssrf.UnsafeUrl as error:
        raise ValidationFailed(f"{label} is invalid", [field]) from error
    try:
        await ssrf.check_url(url, allow_private=allow_private)
    except ssrf.UnsafeUrl as error:
        raise ValidationFailed(f"{label} points to a private or reserved network address ({error})", [field]) from error
    return url


def _validate_subscriptions(subscriptions: list[str] | None) -> list[str]:
    if not subscriptions or any(item not in ALLOWED_WEBHOOK_EVENTS for item in subscriptions):
        raise ValidationFailed("Subscriptions Invalid events", ["subscriptions"])
    return list(dict.fromkeys(subscriptions))


async def _check_inbox(uow: UnitOfWork, account_id: int, inbox_id: int | None) -> None:
    if inbox_id is None:
        return
    found = (
        await uow.conn.execute(select(inboxes.c.id).where(inboxes.c.id == inbox_id, inboxes.c.account_id == account_id))
    ).first()
    if found is None:
        raise ValidationFailed("Inbox must exist", ["inbox_id"])


async def _check_unique_url(uow: UnitOfWork, account_id: int, url: str, except_id: int | None = None) -> None:
    query = select(webhooks.c.id).where(webhooks.c.account_id == account_id, webhooks.c.url == url)
    if except_id is not None:
        query = query.where(webhooks.c.id != except_id)
    if (await uow.conn.execute(query)).first() is not None:
        raise ValidationFailed("Url has already been taken", ["url"])


# Webhooks.


async def get_webhook(uow: UnitOfWork, account_id: int, webhook_id: int) -> Any:
    row = (
        await uow.conn.execute(select(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.account_id == account_id))
    ).first()
    if row is None:
        raise NotFound()
    return row


async def inboxes_of(uow: UnitOfWork, rows: list[Any]) -> dict[int, Any]:
    ids = {row.inbox_id for row in rows if row.inbox_id is not None}
    if not ids:
        return {}
    result = await uow.conn.execute(select(inboxes.c.id, inboxes.c.name).where(inboxes.c.id.in_(ids)))
    return {row.id: row for row in result}


async def list_webhooks(uow: UnitOfWork, account_id: int) -> list[Any]:
    result = await uow.conn.execute(select(webhooks).where(webhooks.c.account_id == account_id).order_by(webhooks.c.id))
    return list(result)


async def create_webhook(uow: UnitOfWork, account_id: int, payload: WebhookCreate, *, allow_private: bool) -> Any:
    url = await validate_webhook_url(payload.url, allow_private=allow_private)
    subscriptions = _validate_subscriptions(payload.subscriptions)
    await _check_inbox(uow, account_id, payload.inbox_id)
    await _check_unique_url(uow, account_id, url)
    now = utc_now()
    webhook_id = (
        await uow.conn.execute(
            insert(webhooks)
            .values(
                account_id=account_id,
                inbox_id=payload.inbox_id,
                name=payload.name,
                url=url,
                subscriptions=subscriptions,
                secret=secure_token(24),
                webhook_type=0,
                created_at=now,
                updated_at=now,
            )
            .returning(webhooks.c.id)
        )
    ).scalar_one()
    return await get_webhook(uow, account_id, webhook_id)


async def update_webhook(
    uow: UnitOfWork, account_id: int, webhook_id: int, payload: WebhookUpdate, *, allow_private: bool
) -> Any:
    await get_webhook(uow, account_id, webhook_id)
    values: dict[str, Any] = {}
    if payload.url is not UNSET:
        values["url"] = await validate_webhook_url(payload.url, allow_private=allow_private)
        await _check_unique_url(uow, account_id, values["url"], except_id=webhook_id)
    if payload.name is not UNSET:
        values["name"] = payload.name
    if payload.subscriptions is not UNSET:
        values["subscriptions"] = _validate_subscriptions(payload.subscriptions)
    if payload.inbox_id is not UNSET:
        await _check_inbox(uow, account_id, payload.inbox_id)
        values["inbox_id"] = payload.inbox_id
    if values:
        values["updated_at"] = utc_now()
        await uow.conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))
    return await get_webhook(uow, account_id, webhook_id)


async def delete_webhook(uow: UnitOfWork, account_id: int, webhook_id: int) -> None:
    await get_webhook(uow, account_id, webhook_id)
    await uow.conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))


# Secrets.


async def reset_webhook_secret(uow: UnitOfWork, account_id: int, webhook_id: int, *, grace_hours: float) -> Any:
    """A new secret; the old one keeps signing (a second signature) for ``grace_hours``."""
    row = await get_webhook(uow, account_id, webhook_id)
    now = utc_now()
    await uow.conn.execute(
        update(webhooks)
        .where(webhooks.c.id == webhook_id)
        .values(
            secret=secure_token(24),
            previous_secret=row.secret,
            previous_secret_expires_at=now + timedelta(hours=grace_hours),
            updated_at=now,
        )
    )
    return await get_webhook(uow, account_id, webhook_id)


async def remember_previous_inbox_secret(
    uow: UnitOfWork, channel_api_id: int, previous_secret: str, *, grace_hours: float
) -> None:
    """Keep an API inbox's replaced secret signing for ``grace_hours`` (call it when the secret is reset)."""
    expires_at = utc_now() + timedelta(hours=grace_hours)
    await uow.conn.execute(
        delete(channel_api_previous_secrets).where(channel_api_previous_secrets.c.channel_api_id == channel_api_id)
    )
    await uow.conn.execute(
        insert(channel_api_previous_secrets).values(
            channel_api_id=channel_api_id, previous_secret=previous_secret, expires_at=expires_at
        )
    )


async def reset_inbox_secret(uow: UnitOfWork, account_id: int, inbox_id: int, *, grace_hours: float) -> Any:
    """Chatwoot's ``reset_secret`` of an API inbox (404 for other channels), with the grace period."""
    inbox = await get_inbox(uow, account_id, inbox_id)
    if inbox.channel_type != CHANNEL_API:
        raise NotFound()
    channel = (await uow.conn.execute(select(channel_api).where(channel_api.c.id == inbox.channel_id))).first()
    if channel is None:
        raise NotFound()
    await uow.conn.execute(
        update(channel_api).where(channel_api.c.id == channel.id).values(secret=secure_token(24), updated_at=utc_now())
    )
    await remember_previous_inbox_secret(uow, channel.id, channel.secret, grace_hours=grace_hours)
    return inbox


# The delivery log.


async def _api_inbox(uow: UnitOfWork, account_id: int, inbox_id: int) -> Any:
    inbox = await get_inbox(uow, account_id, inbox_id)
    if inbox.channel_type != CHANNEL_API:
        raise NotFound()
    return inbox


async def list_deliveries(
    uow: UnitOfWork, account_id: int, *, webhook_id: int | None = None, inbox_id: int | None = None, page: int = 1
) -> tuple[list[Any], int]:
    """One target's deliveries, newest first, and their count."""
    d = webhook_deliveries
    if webhook_id is not None:
        await get_webhook(uow, account_id, webhook_id)
        condition = d.c.webhook_id == webhook_id
    else:
        assert inbox_id is not None
        await _api_inbox(uow, account_id, inbox_id)
        condition = (d.c.inbox_id == inbox_id) & (d.c.target_kind == TARGET_API_INBOX)
    condition = condition & (d.c.account_id == account_id)
    page = max(page, 1)
    rows = list(
        await uow.conn.execute(
            select(d)
            .where(condition)
            .order_by(d.c.id.desc())
            .limit(DELIVERIES_PER_PAGE)
            .offset((page - 1) * DELIVERIES_PER_PAGE)
        )
    )
    count = int((await uow.conn.execute(select(func.count()).select_from(d).where(condition))).scalar_one())
    return rows, count


async def _current_url(uow: UnitOfWork, row: Any) -> str | None:
    """Where a target's deliveries go now (a redelivery follows a changed URL)."""
    if row.target_kind == TARGET_ACCOUNT_WEBHOOK:
        found = (await uow.conn.execute(select(webhooks.c.url).where(webhooks.c.id == row.webhook_id))).first()
        return found.url if found else None
    found = (
        await uow.conn.execute(
            select(channel_api.c.webhook_url)
            .select_from(inboxes.join(channel_api, channel_api.c.id == inboxes.c.channel_id))
            .where(inboxes.c.id == row.inbox_id, inboxes.c.channel_type == CHANNEL_API)
        )
    ).first()
    return found.webhook_url if found and found.webhook_url else None


def _copy(row: Any, url: str) -> dict[str, Any]:
    """A new delivery of the same event (same payload and event id, a new delivery id)."""
    now = utc_now()
    return {
        "account_id": row.account_id,
        "target_kind": row.target_kind,
        "webhook_id": row.webhook_id,
        "inbox_id": row.inbox_id,
        "endpoint": row.endpoint,
        "url": url,
        "event": row.event,
        "event_id": row.event_id,
        "delivery_id": str(uuid.uuid4()),
        "ordering_key": row.ordering_key,
        "payload": row.payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "message_id": row.message_id,
        "created_at": now,
    }


async def redeliver(uow: UnitOfWork, account_id: int, delivery_id: str) -> Any:
    d = webhook_deliveries
    row = (
        await uow.conn.execute(select(d).where(d.c.delivery_id == delivery_id, d.c.account_id == account_id))
    ).first()
    if row is None:
        raise NotFound()
    url = await _current_url(uow, row)
    if url is None:
        raise NotFound()
    values = _copy(row, url)
    if row.ordering_key:
        await lock_ordering_keys(uow, {row.ordering_key})
    await uow.conn.execute(insert(d).values(**values))
    await _announce(uow, account_id)
    return (await uow.conn.execute(select(d).where(d.c.delivery_id == values["delivery_id"]))).one()


async def replay(
    uow: UnitOfWork,
    account_id: int,
    *,
    webhook_id: int | None = None,
    inbox_id: int | None = None,
    since: int | None = None,
    since_delivery_id: str | None = None,
) -> int:
    """Enqueue again every event sent to one target since a time or a delivery, in their original order."""
    d = webhook_deliveries
    if webhook_id is not None:
        await get_webhook(uow, account_id, webhook_id)
        endpoint = endpoint_of(TARGET_ACCOUNT_WEBHOOK, webhook_id)
    else:
        assert inbox_id is not None
        await _api_inbox(uow, account_id, inbox_id)
        endpoint = endpoint_of(TARGET_API_INBOX, inbox_id)
    condition = (d.c.endpoint == endpoint) & (d.c.account_id == account_id)
    if since_delivery_id is not None:
        start = (await uow.conn.execute(select(d.c.id).where(condition, d.c.delivery_id == since_delivery_id))).first()
        if start is None:
            raise ValidationFailed("Since delivery id is not a delivery of this target", ["since_delivery_id"])
        condition = condition & (d.c.id >= start.id)
    elif since is not None:
        condition = condition & (d.c.created_at >= from_unix(since))
    else:
        raise ValidationFailed("Since or since_delivery_id is required", ["since"])
    # The first delivery of each event (redeliveries and earlier replays repeat an event, not add one).
    firsts = select(func.min(d.c.id).label("id")).where(condition).group_by(d.c.event_id).subquery()
    rows = list(await uow.conn.execute(select(d).where(d.c.id.in_(select(firsts.c.id))).order_by(d.c.id)))
    if not rows:
        return 0
    url = await _current_url(uow, rows[0])
    if url is None:
        raise NotFound()
    await lock_ordering_keys(uow, {row.ordering_key for row in rows if row.ordering_key})
    await uow.conn.execute(insert(d), [_copy(row, url) for row in rows])
    await _announce(uow, account_id)
    return len(rows)


async def _announce(uow: UnitOfWork, account_id: int) -> None:
    """Wake the delivery workers after the commit."""
    uow.emit(Event(name=ENQUEUED_EVENT, account_id=account_id, occurred_at=utc_now()))
    await notify_workers(uow)
