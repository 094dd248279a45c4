"""A value unique per account (a label's title, a team's name): checked before the write, and a race
that still trips the unique constraint answers the same 422, never a 500."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from frontdesk.db import UnitOfWork
from frontdesk.errors import ValidationFailed


def already_taken(field: str) -> ValidationFailed:
    return ValidationFailed(f"{field.capitalize()} has already been taken", [field])


async def ensure_free(
    uow: UnitOfWork, table: Table, field: str, value: str, account_id: int, own_id: int | None
) -> None:
    """422 when another row of the account already holds ``value`` in ``field``."""
    query = select(table.c.id).where(table.c.account_id == account_id, table.c[field] == value)
    if own_id is not None:
        query = query.where(table.c.id != own_id)
    if await uow.conn.scalar(query.limit(1)) is not None:
        raise already_taken(field)


async def write_unique(uow: UnitOfWork, statement: Any, field: str) -> int:
    """Run an INSERT/UPDATE … RETURNING id in a savepoint, so a concurrent duplicate is the same 422."""
    try:
        async with uow.conn.begin_nested():
            row_id: int = (await uow.conn.execute(statement)).scalar_one()
    except IntegrityError:
        raise already_taken(field) from None
    return row_id
