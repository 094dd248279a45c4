"""The delivery worker: claims due outbox rows under a lease, POSTs them, records the outcome.

Guarantees:

* **At least once.** A row is finished (succeeded/dead) only after its attempt; a worker that dies
  mid-attempt leaves a lease that expires, and the row is claimed again (same ``X-Chatwoot-Delivery``).
* **In order per (endpoint, ordering key).** Only the oldest unfinished row of each endpoint and
  key (a conversation, a contact, an inbox) is eligible, so one conversation's events arrive in the
  order they committed, while other conversations go on when one of them is stuck.
* **Many workers.** On PostgreSQL the claim is ``FOR UPDATE SKIP LOCKED`` in a short transaction
  that sets the lease; on SQLite the single writer already serializes claims.

Outcomes: 2xx → succeeded. Timeouts, connection errors, 408, 429 and 5xx → retried with
exponential backoff and full jitter, at least as late as ``Retry-After`` asks, until
``webhook_retry_hours`` after the delivery was created → dead. Any other status (3xx — redirects
are not followed —, other 4xx) and refused (private) addresses → dead at once: retrying would not
change the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from sqlalchemy import and_, bindparam, exists, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.config import Settings
from frontdesk.db import Database, UnitOfWork
from frontdesk.events.dispatcher import Event
from frontdesk.kit.time import utc_now
from frontdesk.messages.enums import FAILED, SENT, STATUS_NAMES
from frontdesk.models import channel_api, channel_api_previous_secrets, inboxes, messages, webhook_deliveries, webhooks
from frontdesk.models.webhooks import UNFINISHED_SQL
from frontdesk.observability import metrics
from frontdesk.webhooks import ssrf
from frontdesk.webhooks.outbox import NOTIFY_CHANNEL, TARGET_API_INBOX, add_waker, remove_waker, wake_soon
from frontdesk.webhooks.signing import signed_headers

logger = logging.getLogger(__name__)

PENDING = "pending"
FAILING = "failed"
SUCCEEDED = "succeeded"
DEAD = "dead"
UNFINISHED = (PENDING, FAILING)
RETRYABLE_STATUSES = frozenset({408, 429})
CLAIM_BATCH = 200


@dataclass
class Claimed:
    id: int
    delivery_id: str
    event_id: str
    event: str
    url: str
    payload: str
    target_kind: str
    webhook_id: int | None
    inbox_id: int | None
    account_id: int
    attempts: int
    created_at: datetime
    message_id: int | None
    secrets: list[str]


@dataclass
class Outcome:
    claimed: Claimed
    # "succeeded", "retry" or "dead".
    kind: str
    response_code: int | None = None
    error: str | None = None
    retry_after: float | None = None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or utc_now())).total_seconds())


def backoff_seconds(settings: Settings, attempts: int, retry_after: float | None) -> float:
    """Full jitter: uniform(0, min(max, base·2^(attempts-1))), never earlier than Retry-After."""
    ceiling = min(settings.webhook_retry_max_seconds, settings.webhook_retry_base_seconds * 2 ** max(0, attempts - 1))
    delay = random.uniform(0, ceiling)
    if retry_after is not None:
        # Honoured beyond the backoff ceiling: a receiver asking for more time than the retry window gets a dead letter.
        delay = max(delay, retry_after)
    return delay


def classify_status(status: int) -> str:
    if 200 <= status < 300:
        return SUCCEEDED
    if status in RETRYABLE_STATUSES or status >= 500:
        return "retry"
    return DEAD


class DeliveryWorker:
    """One worker: a claim loop with up to ``webhook_concurrency`` attempts in flight."""

    def __init__(self, database: Database, settings: Settings, *, name: str | None = None) -> None:
        self.database = database
        self.settings = settings
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._waker: Any = None
        self._listener: AsyncConnection | None = None
        self.delivered = 0

    # Lifecycle.

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._waker = wake_soon(loop, self._wake)
        add_waker(self._waker)
        connector = aiohttp.TCPConnector(
            resolver=ssrf.GuardedResolver(allow_private=self.settings.webhook_allow_private_network),
            limit=max(self.settings.webhook_concurrency, 1),
            ttl_dns_cache=10,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.settings.webhook_timeout),
            auto_decompress=False,
        )
        if not self.database.is_sqlite:
            await self._listen()
        self._task = asyncio.create_task(self.run(), name=f"webhook-worker-{self.owner}")

    async def _listen(self) -> None:
        """PostgreSQL: wake on ``NOTIFY`` from any process's commit (see outbox.NOTIFY_CHANNEL)."""
        try:
            self._listener = await self.database.write_engine.connect()
            raw = await self._listener.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except Exception:
            # Polling still finds every delivery; only the latency is worse.
            logger.warning("LISTEN %s failed; polling only", NOTIFY_CHANNEL, exc_info=True)
            await self._close_listener()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._waker is not None:
            remove_waker(self._waker)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=self.settings.webhook_timeout + 5)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._session is not None:
            await self._session.close()
        await self._close_listener()

    async def run_until_stopped(self) -> None:
        await self.start()
        assert self._task is not None
        await self._task

    # The loop.

    async def run(self) -> None:
        in_flight: set[asyncio.Task[Outcome]] = set()
        outcomes: list[Outcome] = []
        while True:
            if self._stopping and not in_flight and not outcomes:
                return
            limit = 0 if self._stopping else min(self.settings.webhook_concurrency - len(in_flight), CLAIM_BATCH)
            self._wake.clear()
            try:
                claimed = await self.cycle(outcomes, limit)
            except Exception:
                # Unrecorded outcomes are lost, not their deliveries: the leases expire and the rows
                # are tried again (at least once).
                logger.exception("recording or claiming webhook deliveries failed")
                claimed = []
            outcomes = []
            for item in claimed:
                in_flight.add(asyncio.create_task(self.attempt(item)))
            if claimed and len(claimed) == limit and len(in_flight) < self.settings.webhook_concurrency:
                continue
            waker = asyncio.create_task(self._wake.wait())
            done, _ = await asyncio.wait(
                {*in_flight, waker}, timeout=self.settings.webhook_poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
            waker.cancel()
            if done and self.settings.webhook_batch_window > 0:
                # Gather what else finishes or commits meanwhile: one transaction for several outcomes
                # and new rows, instead of one each (this is what keeps SQLite's single writer free).
                await asyncio.sleep(self.settings.webhook_batch_window)
            finished = [task for task in in_flight if task.done()]
            in_flight.difference_update(finished)
            outcomes = [task.result() for task in finished]

    async def cycle(self, outcomes: list[Outcome], limit: int) -> list[Claimed]:
        """Record finished attempts and claim up to ``limit`` due deliveries, in one short transaction
        (the recorded successes free the next delivery of their conversation for this very claim)."""
        if not outcomes and limit <= 0:
            return []
        async with self.database.unit_of_work() as uow:
            if outcomes:
                await self.record(uow, outcomes)
            if limit <= 0:
                return []
            return await self.claim(uow, limit)

    async def claim(self, uow: UnitOfWork, limit: int) -> list[Claimed]:
        d = webhook_deliveries
        older = d.alias("older")
        now = utc_now()
        blocked = exists(
            select(older.c.id).where(
                older.c.endpoint == d.c.endpoint,
                older.c.ordering_key == d.c.ordering_key,
                older.c.status.in_(UNFINISHED),
                older.c.id < d.c.id,
            )
        )
        eligible = (
            select(d.c.id)
            .where(
                text(f"webhook_deliveries.{UNFINISHED_SQL}"),
                d.c.next_attempt_at <= now,
                or_(d.c.leased_until.is_(None), d.c.leased_until < now),
                ~blocked,
            )
            .order_by(d.c.id)
            .limit(limit)
        )
        if self.database.is_sqlite:
            eligible = eligible.with_hint(d, "INDEXED BY ix_webhook_deliveries_unfinished_id", "sqlite")
        else:
            eligible = eligible.with_for_update(skip_locked=True, of=d)
        statement = (
            update(d)
            .where(d.c.id.in_(eligible.scalar_subquery()))
            .values(leased_until=now + timedelta(seconds=self.settings.webhook_lease_seconds), lease_owner=self.owner)
            .returning(
                d.c.id,
                d.c.delivery_id,
                d.c.event_id,
                d.c.event,
                d.c.url,
                d.c.payload,
                d.c.target_kind,
                d.c.webhook_id,
                d.c.inbox_id,
                d.c.account_id,
                d.c.attempts,
                d.c.created_at,
                d.c.message_id,
                d.c.next_attempt_at,
            )
        )
        rows = list(await uow.conn.execute(statement))
        if not rows:
            return []
        metrics.observe_claims(now, (row.next_attempt_at for row in rows))
        secrets = await self._secrets(uow, rows, now)
        claimed = [
            Claimed(
                id=row.id,
                delivery_id=row.delivery_id,
                event_id=row.event_id,
                event=row.event,
                url=row.url,
                payload=row.payload,
                target_kind=row.target_kind,
                webhook_id=row.webhook_id,
                inbox_id=row.inbox_id,
                account_id=row.account_id,
                attempts=row.attempts,
                created_at=row.created_at,
                message_id=row.message_id,
                secrets=secrets.get((row.target_kind, row.webhook_id or row.inbox_id or 0), []),
            )
            for row in rows
        ]
        claimed.sort(key=lambda item: item.id)
        return claimed

    async def _secrets(self, uow: UnitOfWork, rows: list[Any], now: datetime) -> dict[tuple[str, int], list[str]]:
        """The signing secrets of each target: the current one, then the previous one while in its grace period."""
        out: dict[tuple[str, int], list[str]] = {}
        hook_ids = {row.webhook_id for row in rows if row.webhook_id is not None}
        inbox_ids = {row.inbox_id for row in rows if row.target_kind == TARGET_API_INBOX and row.inbox_id is not None}
        if hook_ids:
            result = await uow.conn.execute(
                select(
                    webhooks.c.id, webhooks.c.secret, webhooks.c.previous_secret, webhooks.c.previous_secret_expires_at
                ).where(webhooks.c.id.in_(hook_ids))
            )
            for row in result:
                values = [row.secret]
                if row.previous_secret and row.previous_secret_expires_at and row.previous_secret_expires_at > now:
                    values.append(row.previous_secret)
                out[("account_webhook", row.id)] = values
        if inbox_ids:
            result = await uow.conn.execute(
                select(
                    inboxes.c.id,
                    channel_api.c.secret,
                    channel_api_previous_secrets.c.previous_secret,
                    channel_api_previous_secrets.c.expires_at,
                )
                .select_from(
                    inboxes.join(channel_api, channel_api.c.id == inboxes.c.channel_id).outerjoin(
                        channel_api_previous_secrets,
                        channel_api_previous_secrets.c.channel_api_id == channel_api.c.id,
                    )
                )
                .where(inboxes.c.id.in_(inbox_ids), inboxes.c.channel_type == "Channel::Api")
            )
            for row in result:
                values = [row.secret]
                if row.previous_secret and row.expires_at and row.expires_at > now:
                    values.append(row.previous_secret)
                out[(TARGET_API_INBOX, row.id)] = values
        return out

    async def attempt(self, item: Claimed) -> Outcome:
        assert self._session is not None
        body = item.payload.encode()
        timestamp = int(utc_now().timestamp())
        headers = signed_headers(
            body, delivery_id=item.delivery_id, event_id=item.event_id, timestamp=timestamp, secrets=item.secrets
        )
        try:
            _, host, _ = ssrf.parse_url(item.url)
            literal = ssrf.literal_address(host)
            if literal is not None and not self.settings.webhook_allow_private_network:
                ssrf.check_address(host, literal)
            async with self._session.post(item.url, data=body, headers=headers, allow_redirects=False) as response:
                # Read (and drop) at most a capped amount of the body, so the connection can be reused.
                await response.content.read(self.settings.webhook_max_response_bytes)
                kind = classify_status(response.status)
                error = None if kind == SUCCEEDED else f"{response.status} {response.reason or ''}".strip()
                return Outcome(
                    item,
                    kind,
                    response_code=response.status,
                    error=error,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
        except ssrf.UnsafeUrl as error:
            return Outcome(item, DEAD, error=f"Refused: {error}")
        except TimeoutError:
            return Outcome(item, "retry", error=f"Timed out after {self.settings.webhook_timeout:g}s")
        except aiohttp.ClientConnectorError as error:
            cause = error.os_error
            if isinstance(cause, ssrf.UnsafeUrl):
                return Outcome(item, DEAD, error=f"Refused: {cause}")
            return Outcome(item, "retry", error=f"Connection failed: {error}")
        except (aiohttp.ClientError, OSError) as error:
            return Outcome(item, "retry", error=f"{type(error).__name__}: {error}"[:1000])
        except Exception as error:
            logger.exception("webhook attempt %s failed unexpectedly", item.delivery_id)
            return Outcome(item, "retry", error=f"{type(error).__name__}: {error}"[:1000])

    async def record(self, uow: UnitOfWork, outcomes: list[Outcome]) -> None:
        d = webhook_deliveries
        now = utc_now()
        deadline = timedelta(hours=self.settings.webhook_retry_hours)
        updates: list[dict[str, Any]] = []
        marks: list[tuple[int, bool, str | None]] = []
        for outcome in outcomes:
            item = outcome.claimed
            attempts = item.attempts + 1
            status = outcome.kind
            next_at = now
            if status == "retry":
                next_at = now + timedelta(seconds=backoff_seconds(self.settings, attempts, outcome.retry_after))
                status = DEAD if next_at > item.created_at + deadline else FAILING
            updates.append(
                {
                    "b_id": item.id,
                    "b_delivery": item.delivery_id,
                    "b_status": status,
                    "b_attempts": attempts,
                    "b_next": next_at,
                    "b_error": outcome.error,
                    "b_code": outcome.response_code,
                    "b_delivered": now if status == SUCCEEDED else None,
                }
            )
            if item.message_id is not None and item.target_kind == TARGET_API_INBOX:
                marks.append((item.message_id, status == SUCCEEDED, outcome.error))
            if status == SUCCEEDED:
                self.delivered += 1
        statement = (
            update(d)
            .where(
                d.c.id == bindparam("b_id"),
                d.c.delivery_id == bindparam("b_delivery"),
                or_(d.c.status == PENDING, d.c.status == FAILING),
            )
            .values(
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                next_attempt_at=bindparam("b_next"),
                last_error=bindparam("b_error"),
                response_code=bindparam("b_code"),
                delivered_at=bindparam("b_delivered"),
                leased_until=None,
                lease_owner=None,
            )
        )
        await uow.conn.execute(statement, updates)
        metrics.count_deliveries(row["b_status"] for row in updates)
        for message_id, succeeded, error in marks:
            await mark_message(uow, message_id, succeeded=succeeded, error=error)


async def mark_message(uow: UnitOfWork, message_id: int, *, succeeded: bool, error: str | None) -> None:
    """Chatwoot's failed-marking: a failing API-inbox delivery marks the outgoing message ``failed`` with
    ``content_attributes.external_error``; a later success marks it ``sent`` again. Emits message.updated."""
    row = (
        await uow.conn.execute(
            select(
                messages.c.id,
                messages.c.account_id,
                messages.c.inbox_id,
                messages.c.conversation_id,
                messages.c.status,
                messages.c.content_attributes,
            ).where(messages.c.id == message_id)
        )
    ).first()
    if row is None:
        return
    attributes = dict(row.content_attributes or {})
    if succeeded:
        if row.status != FAILED:
            return
        attributes.pop("external_error", None)
        new_status = SENT
    else:
        if row.status == FAILED and attributes.get("external_error") == error:
            return
        attributes["external_error"] = error or "Webhook delivery failed"
        new_status = FAILED
    now = utc_now()
    await uow.conn.execute(
        update(messages)
        .where(and_(messages.c.id == message_id))
        .values(status=new_status, content_attributes=attributes, updated_at=now)
    )
    if row.status != new_status:
        uow.emit(
            Event(
                name="message.updated",
                account_id=row.account_id,
                occurred_at=now,
                subject={"message_id": row.id, "conversation_id": row.conversation_id, "inbox_id": row.inbox_id},
                data={
                    "changed_attributes": [
                        {
                            "status": {
                                "previous_value": STATUS_NAMES.get(row.status),
                                "current_value": STATUS_NAMES.get(new_status),
                            }
                        }
                    ]
                },
            )
        )
