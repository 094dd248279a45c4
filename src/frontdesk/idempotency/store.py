"""The idempotency-key rows: claim, read, complete, release, purge.

Every function but ``complete_in`` runs its own short transaction: a key is claimed and committed
before the request runs, so no connection is held across the request (SQLite has a single writer).
The answer is written by ``complete_in`` inside the request's own transaction, so it commits with the
request's changes or not at all; ``complete`` stores it alone, for a request that had no transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from frontdesk.db import Database, UnitOfWork
from frontdesk.kit.time import utc_now
from frontdesk.models import idempotency_keys

IN_PROGRESS = "in_progress"
COMPLETED = "completed"

# At most this many expired rows are purged by one request.
PURGE_BATCH = 500


@dataclass(frozen=True)
class StoredKey:
    id: int
    request_hash: str
    state: str
    locked_until: datetime | None
    expires_at: datetime
    response_status: int | None
    response_headers: list[list[str]]
    response_body: bytes | None


def _stored(row: Any) -> StoredKey:
    return StoredKey(
        id=row.id,
        request_hash=row.request_hash,
        state=row.state,
        locked_until=row.locked_until,
        expires_at=row.expires_at,
        response_status=row.response_status,
        response_headers=list(row.response_headers or []),
        response_body=bytes(row.response_body) if row.response_body is not None else None,
    )


async def claim(
    database: Database, scope_hash: str, key: str, request_hash: str, *, ttl: timedelta, lease: timedelta
) -> int | None:
    """Insert the key "in progress"; its id when this request won it, None when the key already exists.

    The unique (scope_hash, idempotency_key) constraint decides between concurrent claimers:
    ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` returns a row to exactly one of them.
    """
    now = utc_now()
    values = {
        "scope_hash": scope_hash,
        "idempotency_key": key,
        "request_hash": request_hash,
        "state": IN_PROGRESS,
        "locked_until": now + lease,
        "response_headers": [],
        "created_at": now,
        "expires_at": now + ttl,
    }
    async with database.unit_of_work() as uow:
        dialect = postgresql if not uow.is_sqlite else sqlite
        statement = (
            dialect.insert(idempotency_keys)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["scope_hash", "idempotency_key"])
            .returning(idempotency_keys.c.id)
        )
        claimed: int | None = (await uow.conn.execute(statement)).scalar_one_or_none()
        return claimed


async def load(database: Database, scope_hash: str, key: str) -> StoredKey | None:
    async with database.unit_of_work(write=False) as uow:
        row = (
            await uow.conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.scope_hash == scope_hash, idempotency_keys.c.idempotency_key == key
                )
            )
        ).first()
        return _stored(row) if row is not None else None


async def take_over(database: Database, key_id: int, request_hash: str, *, lease: timedelta) -> bool:
    """Claim a key whose first request vanished (its lease ran out while still in progress)."""
    now = utc_now()
    async with database.unit_of_work() as uow:
        result = await uow.conn.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.id == key_id,
                idempotency_keys.c.state == IN_PROGRESS,
                idempotency_keys.c.request_hash == request_hash,
                idempotency_keys.c.locked_until < now,
            )
            .values(locked_until=now + lease)
        )
        return result.rowcount == 1


async def delete_expired_key(database: Database, key_id: int) -> None:
    async with database.unit_of_work() as uow:
        await uow.conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.id == key_id, idempotency_keys.c.expires_at < utc_now())
        )


async def complete(
    database: Database, key_id: int, *, status: int, content_type: str | None, headers: list[list[str]], body: bytes
) -> None:
    async with database.unit_of_work() as uow:
        await complete_in(uow, key_id, status=status, content_type=content_type, headers=headers, body=body)


async def complete_in(
    uow: UnitOfWork, key_id: int, *, status: int, content_type: str | None, headers: list[list[str]], body: bytes
) -> None:
    """Store the answer in ``uow``'s transaction (the caller commits)."""
    await uow.conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.id == key_id)
        .values(
            state=COMPLETED,
            locked_until=None,
            response_status=status,
            content_type=content_type,
            response_headers=headers,
            response_body=body,
        )
    )


async def release(database: Database, key_id: int) -> None:
    """Give the key up (the request failed with a 5xx or never answered): a retry runs afresh."""
    async with database.unit_of_work() as uow:
        await uow.conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.id == key_id, idempotency_keys.c.state == IN_PROGRESS)
        )


async def purge_expired(database: Database) -> int:
    """Delete a bounded batch of expired keys; how many went."""
    now = utc_now()
    async with database.unit_of_work() as uow:
        batch = (
            select(idempotency_keys.c.id)
            .where(idempotency_keys.c.expires_at < now)
            .order_by(idempotency_keys.c.expires_at)
            .limit(PURGE_BATCH)
        )
        ids = list((await uow.conn.execute(batch)).scalars())
        if not ids:
            return 0
        await uow.conn.execute(delete(idempotency_keys).where(idempotency_keys.c.id.in_(ids)))
        return len(ids)
