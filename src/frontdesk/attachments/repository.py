"""Reading and writing attachments and blobs (Core statements)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import UnitOfWork
from frontdesk.events.rows import RowCache
from frontdesk.models import attachments, blobs, contacts, conversations, inboxes, messages, users

PAGE_SIZE = 100


@dataclass(frozen=True)
class Attached:
    """An attachment row and the blob holding its bytes (None for external ones: locations, links)."""

    attachment: Any
    blob: Any | None


def _attached_select() -> Select[Any]:
    return select(attachments, *[column.label(f"blob__{column.key}") for column in blobs.c]).outerjoin(
        blobs, blobs.c.id == attachments.c.blob_id
    )


class _BlobView:
    """The blob columns of a joined row, under their own names."""

    __slots__ = ("account_id", "byte_size", "checksum", "content_type", "filename", "id", "key", "meta", "service")

    def __init__(self, row: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(row, f"blob__{name}"))


def _attached(row: Any) -> Attached:
    return Attached(row, _BlobView(row) if row.blob_id is not None and row.blob__key is not None else None)


async def attached_by_message(conn: AsyncConnection, message_ids: Sequence[int]) -> dict[int, list[Attached]]:
    out: dict[int, list[Attached]] = {message_id: [] for message_id in message_ids}
    if not message_ids:
        return out
    statement = _attached_select().where(attachments.c.message_id.in_(list(message_ids))).order_by(attachments.c.id)
    for row in await conn.execute(statement):
        out[row.message_id].append(_attached(row))
    return out


async def for_message(rows: RowCache, message_id: int) -> list[Attached]:
    """The attachments of one message, through a commit's row cache (the create path seeds it)."""

    async def load(conn: AsyncConnection) -> list[Attached]:
        return (await attached_by_message(conn, [message_id]))[message_id]

    return await rows.once(("attachments", message_id), load)


async def prefetch(rows: RowCache, message_ids: Iterable[int]) -> None:
    missing = sorted({mid for mid in message_ids if ("attachments", mid) not in rows.entries})
    if not missing or rows.conn is None:
        return
    for message_id, found in (await attached_by_message(rows.conn, missing)).items():
        rows.entries[("attachments", message_id)] = found


async def insert_blobs(uow: UnitOfWork, values: list[dict[str, Any]]) -> list[Any]:
    if not values:
        return []
    result = await uow.conn.execute(insert(blobs).returning(*blobs.c), values)
    return sorted(result, key=lambda row: row.id)


async def insert_attachments(uow: UnitOfWork, values: list[dict[str, Any]]) -> list[Any]:
    if not values:
        return []
    result = await uow.conn.execute(insert(attachments).returning(*attachments.c), values)
    return sorted(result, key=lambda row: row.id)


async def blobs_by_id(uow: UnitOfWork, account_id: int, blob_ids: Sequence[int]) -> dict[int, Any]:
    if not blob_ids:
        return {}
    result = await uow.conn.execute(
        select(blobs).where(blobs.c.id.in_(list(blob_ids)), blobs.c.account_id == account_id)
    )
    return {row.id: row for row in result}


def _listing(account_id: int) -> Select[Any]:
    return (
        _attached_select()
        .add_columns(
            messages.c.sender_type.label("message_sender_type"),
            messages.c.sender_id.label("message_sender_id"),
            conversations.c.display_id.label("conversation_display_id"),
        )
        .join(messages, messages.c.id == attachments.c.message_id)
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(attachments.c.account_id == account_id)
    )


async def conversation_attachments(
    uow: UnitOfWork, account_id: int, conversation_id: int, page: int
) -> tuple[int, list[Any]]:
    """Chatwoot's conversation attachments: 100 a page, newest first."""
    where = messages.c.conversation_id == conversation_id
    total = (
        await uow.conn.execute(
            select(func.count())
            .select_from(attachments.join(messages, messages.c.id == attachments.c.message_id))
            .where(attachments.c.account_id == account_id, where)
        )
    ).scalar_one()
    statement = (
        _listing(account_id)
        .where(where)
        .order_by(attachments.c.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return total, list(await uow.conn.execute(statement))


async def contact_attachments(
    uow: UnitOfWork, account_id: int, contact_id: int, visible: Any, page: int
) -> tuple[int, list[Any]]:
    """The attachments of every conversation of a contact (``visible``: the conversations the user may see)."""
    conditions = [conversations.c.contact_id == contact_id, visible]
    joined = attachments.join(messages, messages.c.id == attachments.c.message_id).join(
        conversations, conversations.c.id == messages.c.conversation_id
    )
    total = (
        await uow.conn.execute(
            select(func.count()).select_from(joined).where(attachments.c.account_id == account_id, *conditions)
        )
    ).scalar_one()
    statement = (
        _listing(account_id)
        .where(*conditions)
        .order_by(attachments.c.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return total, list(await uow.conn.execute(statement))


def attached_of(row: Any) -> Attached:
    return _attached(row)


# Deletion: the blobs a change is about to orphan, collected before the rows go.


async def blob_ids_of_messages(uow: UnitOfWork, *conditions: Any) -> list[int]:
    """Blob ids of the attachments of the messages matching ``conditions``."""
    result = await uow.conn.execute(
        select(attachments.c.blob_id)
        .join(messages, messages.c.id == attachments.c.message_id)
        .where(*conditions, attachments.c.blob_id.is_not(None))
    )
    return sorted({row.blob_id for row in result})


async def delete_message_attachments(uow: UnitOfWork, message_id: int) -> list[int]:
    """Remove a message's attachments (Chatwoot's soft delete destroys them); their blob ids."""
    result = await uow.conn.execute(
        delete(attachments).where(attachments.c.message_id == message_id).returning(attachments.c.blob_id)
    )
    return sorted({row.blob_id for row in result if row.blob_id is not None})


def referenced(blob_id_column: Any) -> Any:
    """True where some row still points at the blob."""
    return or_(
        exists(select(attachments.c.id).where(attachments.c.blob_id == blob_id_column)),
        exists(select(contacts.c.id).where(contacts.c.avatar_blob_id == blob_id_column)),
        exists(select(users.c.id).where(users.c.avatar_blob_id == blob_id_column)),
        exists(select(inboxes.c.id).where(inboxes.c.avatar_blob_id == blob_id_column)),
    )
