"""The transactional outbox: webhook deliveries written in the transaction of the change that causes them.

:func:`enqueue_deliveries` runs as an in-transaction listener, so a rolled-back change writes no
delivery and a committed one always has its deliveries. :func:`wake_workers` runs after the commit
and pokes the delivery workers of this process, so they do not wait for their next poll.
"""

from __future__ import annotations

import asyncio
import uuid
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import BigInteger, bindparam, func, insert, literal_column, select, text

from frontdesk.db import UnitOfWork
from frontdesk.events.dispatcher import Event
from frontdesk.events.rows import RowCache
from frontdesk.inboxes.repository import CHANNEL_API
from frontdesk.kit.driver import Prepared
from frontdesk.kit.time import utc_now
from frontdesk.messages.enums import OUTGOING, TEMPLATE
from frontdesk.models import channel_api, inboxes, webhook_deliveries, webhooks
from frontdesk.webhooks.payloads import ALLOWED_WEBHOOK_EVENTS, API_INBOX_EVENTS, Built, build_payload

TARGET_ACCOUNT_WEBHOOK = "account_webhook"
TARGET_API_INBOX = "api_inbox"
# PostgreSQL channel the outbox notifies on commit, so workers in other processes wake at once.
NOTIFY_CHANNEL = "frontdesk_webhooks"
# Raised by redeliver and replay, which write outbox rows themselves: it only wakes the workers.
ENQUEUED_EVENT = "webhook.enqueued"

_encoder = msgspec.json.Encoder()

# Wake-up callbacks of the delivery workers running in this process (see worker.DeliveryWorker).
_local_wakers: set[Callable[[], None]] = set()


def add_waker(callback: Callable[[], None]) -> None:
    _local_wakers.add(callback)


def remove_waker(callback: Callable[[], None]) -> None:
    _local_wakers.discard(callback)


async def wake_workers(events: list[Event], rows: RowCache) -> None:
    del rows
    if any(event.webhook_name in ALLOWED_WEBHOOK_EVENTS or event.name == ENQUEUED_EVENT for event in events):
        for callback in list(_local_wakers):
            callback()


def encode_payload(payload: dict[str, Any]) -> str:
    return _encoder.encode(payload).decode()


def delivery_row(
    *,
    account_id: int,
    target_kind: str,
    target_id: int,
    url: str,
    event: str,
    event_id: str,
    ordering_key: str | None,
    payload: str,
    message_id: int | None,
) -> dict[str, Any]:
    now = utc_now()
    return {
        "account_id": account_id,
        "target_kind": target_kind,
        "webhook_id": target_id if target_kind == TARGET_ACCOUNT_WEBHOOK else None,
        "inbox_id": target_id if target_kind == TARGET_API_INBOX else None,
        "endpoint": endpoint_of(target_kind, target_id),
        "url": url,
        "event": event,
        "event_id": event_id,
        "delivery_id": str(uuid.uuid4()),
        "ordering_key": ordering_key,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "message_id": message_id,
        "created_at": now,
    }


def endpoint_of(target_kind: str, target_id: int) -> str:
    return f"webhook:{target_id}" if target_kind == TARGET_ACCOUNT_WEBHOOK else f"inbox:{target_id}"


async def lock_ordering_keys(uow: UnitOfWork, keys: set[str], *, notify: bool = False) -> None:
    """Serialize writers of one ordering key on PostgreSQL until they commit.

    Delivery ids come from a sequence, so without this two transactions about one conversation
    could commit in the opposite order of their ids and a worker could send the newer one first.
    SQLite has a single writer, so its ids already follow commit order. With ``notify`` the same
    statement also queues the NOTIFY that wakes workers in other processes when the transaction
    commits (:func:`notify_workers`), saving a round trip on the hot path.
    """
    if uow.is_sqlite or not (keys or notify):
        return
    ordered = sorted(keys)
    parameters = {f"k{number}": _lock_key(key) for number, key in enumerate(ordered)}
    await _lock_statement(len(ordered), notify).fetch(uow, **parameters)


@cache
def _lock_statement(keys: int, notify: bool) -> Prepared:
    calls = [func.pg_advisory_xact_lock(bindparam(f"k{number}", type_=BigInteger)) for number in range(keys)]
    if notify:
        calls.append(func.pg_notify(literal_column(f"'{NOTIFY_CHANNEL}'"), literal_column("''")))
    return Prepared(select(*calls))


def _lock_key(ordering_key: str) -> int:
    return zlib.crc32(ordering_key.encode()) - 2**31


# The outbox row's columns a delivery_row() fills, with their PostgreSQL types (for the arrays unnest reads).
_LOCKED_INSERT_COLUMNS = {
    "account_id": "integer",
    "target_kind": "varchar",
    "webhook_id": "integer",
    "inbox_id": "integer",
    "endpoint": "varchar",
    "url": "varchar",
    "event": "varchar",
    "event_id": "varchar",
    "delivery_id": "varchar",
    "ordering_key": "varchar",
    "payload": "text",
    "status": "varchar",
    "attempts": "integer",
    "next_attempt_at": "timestamptz",
    "message_id": "integer",
    "created_at": "timestamptz",
}
# PostgreSQL only. The lock is a CTE with side effects, so it is evaluated (once) before the first row is
# produced and inserted: every row's id is drawn from the sequence while the lock is held, as
# lock_ordering_keys() then an INSERT would.
_LOCKED_INSERT = Prepared(
    text(
        "WITH locked AS (SELECT pg_advisory_xact_lock(:lock_key), pg_notify('"
        + NOTIFY_CHANNEL
        + "', '')) INSERT INTO webhook_deliveries ("
        + ", ".join(_LOCKED_INSERT_COLUMNS)
        + ") SELECT delivery.* FROM locked CROSS JOIN unnest("
        + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _LOCKED_INSERT_COLUMNS.items())
        + ") AS delivery("
        + ", ".join(_LOCKED_INSERT_COLUMNS)
        + ")"
    ).bindparams(bindparam("lock_key", type_=BigInteger))
)

_INSERT_DELIVERY = Prepared(
    insert(webhook_deliveries).values(
        {column.key: bindparam(column.key) for column in webhook_deliveries.c if column.key != "id"}
    )
)


async def _account_webhooks(uow: UnitOfWork, account_id: int) -> list[Any]:
    async def load() -> list[Any]:
        result = await uow.conn.execute(
            select(webhooks.c.id, webhooks.c.url, webhooks.c.subscriptions)
            .where(webhooks.c.account_id == account_id, webhooks.c.webhook_type == 0)
            .order_by(webhooks.c.id)
        )
        return list(result)

    return await uow.database.cache.get("webhooks", account_id, load, uow.written)


async def _api_inbox_url(rows: RowCache, inbox_id: int) -> str | None:
    inbox = await rows.row(inboxes, inbox_id)
    if inbox is None or inbox.channel_type != CHANNEL_API:
        return None
    channel = await rows.row(channel_api, inbox.channel_id)
    return channel.webhook_url if channel is not None and channel.webhook_url else None


async def enqueue_deliveries(uow: UnitOfWork, events: list[Event], rows: RowCache) -> None:
    """In-transaction listener: one outbox row per (webhook event, target)."""
    hooks_by_account: dict[int, list[Any]] = {}
    api_urls: dict[int, str | None] = {}
    deliveries: list[dict[str, Any]] = []
    for event in events:
        name = event.webhook_name
        if name not in ALLOWED_WEBHOOK_EVENTS:
            continue
        if event.account_id not in hooks_by_account:
            hooks_by_account[event.account_id] = await _account_webhooks(uow, event.account_id)
        subscribed = [hook for hook in hooks_by_account[event.account_id] if name in (hook.subscriptions or [])]
        api_url: str | None = None
        inbox_id = event.subject.get("inbox_id")
        if name in API_INBOX_EVENTS and inbox_id is not None:
            inbox_id = int(inbox_id)
            if inbox_id not in api_urls:
                api_urls[inbox_id] = await _api_inbox_url(rows, inbox_id)
            api_url = api_urls[inbox_id]
        if not subscribed and api_url is None:
            continue
        built = await build_payload(rows, event)
        if built is None:
            continue
        deliveries.extend(_rows_for(event, built, subscribed, api_url))
    if not deliveries:
        return
    keys = {row["ordering_key"] for row in deliveries if row["ordering_key"]}
    if not uow.is_sqlite and len(keys) == 1:
        # The common case (one conversation): the lock, the NOTIFY and the rows in one round trip.
        (key,) = keys
        columns = {name: [row[name] for row in deliveries] for name in _LOCKED_INSERT_COLUMNS}
        await _LOCKED_INSERT.fetch(uow, lock_key=_lock_key(key), **columns)
        return
    await lock_ordering_keys(uow, keys, notify=True)
    await _INSERT_DELIVERY.execute_many(uow, deliveries)


async def notify_workers(uow: UnitOfWork) -> None:
    """PostgreSQL delivers a NOTIFY when (and only if) the transaction commits."""
    if not uow.is_sqlite:
        await uow.conn.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


def _rows_for(event: Event, built: Built, subscribed: list[Any], api_url: str | None) -> list[dict[str, Any]]:
    event_id = str(uuid.uuid4())
    body = encode_payload(built.payload)
    rows = [
        delivery_row(
            account_id=event.account_id,
            target_kind=TARGET_ACCOUNT_WEBHOOK,
            target_id=hook.id,
            url=hook.url,
            event=event.webhook_name,
            event_id=event_id,
            ordering_key=built.ordering_key,
            payload=body,
            message_id=None,
        )
        for hook in subscribed
    ]
    if api_url is not None and built.inbox_id is not None and built.channel_type == CHANNEL_API:
        # Only an outgoing message's delivery marks the message failed (or sent again).
        tracked = built.message_id if built.message_type in (OUTGOING, TEMPLATE) else None
        rows.append(
            delivery_row(
                account_id=event.account_id,
                target_kind=TARGET_API_INBOX,
                target_id=built.inbox_id,
                url=api_url,
                event=event.webhook_name,
                event_id=event_id,
                ordering_key=built.ordering_key,
                payload=body,
                message_id=tracked,
            )
        )
    return rows


def wake_soon(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> Callable[[], None]:
    """A waker that sets ``event`` on ``loop`` from any thread."""

    def wake() -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    return wake
