"""Client API queries. Everything is reached through the inbox's public identifier and the contact's
``source_id`` in that inbox; nothing is looked up by a bare id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from frontdesk.conversations.repository import conversation_select
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound
from frontdesk.inboxes.repository import CHANNEL_API
from frontdesk.messages.enums import ACTIVITY
from frontdesk.models import channel_api, contact_inboxes, contacts, conversations, inboxes, messages

# Path ids beyond the integer range cannot exist (and PostgreSQL would refuse to compare them).
MAX_ID = 2_147_483_647


async def get_api_inbox(uow: UnitOfWork, inbox_identifier: str) -> Any:
    """The API inbox whose channel has this public identifier, with its channel's columns; else 404."""

    async def load() -> Any:
        return (
            await uow.conn.execute(
                select(
                    inboxes,
                    channel_api.c.identifier.label("channel_identifier"),
                    channel_api.c.hmac_token,
                    channel_api.c.hmac_mandatory,
                )
                .join(channel_api, channel_api.c.id == inboxes.c.channel_id)
                .where(inboxes.c.channel_type == CHANNEL_API, channel_api.c.identifier == inbox_identifier)
            )
        ).first()

    row = await uow.database.cache.get("api_inboxes", inbox_identifier, load, uow.written)
    if row is None:
        raise NotFound()
    return row


async def find_contact_inbox(uow: UnitOfWork, inbox_id: int, source_id: str) -> Any | None:
    return (
        await uow.conn.execute(
            select(contact_inboxes).where(
                contact_inboxes.c.inbox_id == inbox_id, contact_inboxes.c.source_id == source_id
            )
        )
    ).first()


async def get_contact_inbox(uow: UnitOfWork, inbox_id: int, source_id: str) -> Any:
    row = await find_contact_inbox(uow, inbox_id, source_id)
    if row is None:
        raise NotFound()
    return row


async def get_contact(uow: UnitOfWork, contact_id: int) -> Any:
    return (await uow.conn.execute(select(contacts).where(contacts.c.id == contact_id))).one()


async def find_contact_by(uow: UnitOfWork, account_id: int, field: str, value: str) -> Any | None:
    """The account's contact with this identifier, email (case-insensitive) or phone number."""
    column = contacts.c[field]
    condition: ColumnElement[bool] = (
        func.lower(column) == value.strip().lower() if field == "email" else column == value
    )
    return (
        await uow.conn.execute(
            select(contacts).where(contacts.c.account_id == account_id, condition).order_by(contacts.c.id).limit(1)
        )
    ).first()


def visible_conversations(contact_inbox: Any) -> ColumnElement[bool]:
    """A verified session sees all the contact's conversations in this inbox; any other only its own."""
    if contact_inbox.hmac_verified:
        return and_(
            conversations.c.contact_id == contact_inbox.contact_id, conversations.c.inbox_id == contact_inbox.inbox_id
        )
    return and_(conversations.c.contact_inbox_id == contact_inbox.id)


async def list_conversations(uow: UnitOfWork, contact_inbox: Any) -> list[Any]:
    result = await uow.conn.execute(
        conversation_select().where(visible_conversations(contact_inbox)).order_by(conversations.c.id)
    )
    return list(result)


async def get_conversation(uow: UnitOfWork, contact_inbox: Any, display_id: int) -> Any:
    if not 0 < display_id <= MAX_ID:
        raise NotFound()
    row = (
        await uow.conn.execute(
            conversation_select().where(visible_conversations(contact_inbox), conversations.c.display_id == display_id)
        )
    ).first()
    if row is None:
        raise NotFound()
    return row


def public_messages_condition() -> ColumnElement[bool]:
    """Chatwoot's ``messages.chat``: no private notes, no activity messages."""
    return and_(messages.c.private.is_(False), messages.c.message_type != ACTIVITY)


async def public_messages_of(uow: UnitOfWork, conversation_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Every public message of these conversations, oldest first, in one query."""
    found: dict[int, list[Any]] = {conversation_id: [] for conversation_id in conversation_ids}
    if not conversation_ids:
        return found
    result = await uow.conn.execute(
        select(messages)
        .where(messages.c.conversation_id.in_(list(conversation_ids)), public_messages_condition())
        .order_by(messages.c.created_at, messages.c.id)
    )
    for row in result:
        found[row.conversation_id].append(row)
    return found


async def get_public_message(uow: UnitOfWork, conversation: Any, message_id: int) -> Any:
    if not 0 < message_id <= MAX_ID:
        raise NotFound()
    row = (
        await uow.conn.execute(
            select(messages).where(
                messages.c.id == message_id,
                messages.c.conversation_id == conversation.id,
                public_messages_condition(),
            )
        )
    ).first()
    if row is None:
        raise NotFound()
    return row
