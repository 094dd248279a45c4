"""Client API payloads (Chatwoot's ``app/views/public/api/v1/**``); a page of conversations is built
with a fixed number of queries, whatever its size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from frontdesk.attachments import presenters as attachment_presenters
from frontdesk.attachments import repository as attachment_repository
from frontdesk.contacts.service import CONTACT_TYPES
from frontdesk.conversations import repository as conversation_repository
from frontdesk.conversations.presenters import STATUS_NAMES
from frontdesk.db import UnitOfWork
from frontdesk.inboxes.schemas import WorkingHour
from frontdesk.kit.time import iso, unix
from frontdesk.messages import service as messages_service
from frontdesk.messages.enums import CONTENT_TYPE_NAMES
from frontdesk.messages.presenters import SenderRows
from frontdesk.public import repository
from frontdesk.public.schemas import (
    ContactRecord,
    PublicContactInbox,
    PublicConversation,
    PublicInbox,
    PublicMessage,
)


def present_inbox(inbox: Any, week: list[WorkingHour]) -> PublicInbox:
    return PublicInbox(
        identifier=inbox.channel_identifier,
        identity_validation_enabled=bool(inbox.hmac_mandatory),
        name=inbox.name,
        timezone=inbox.timezone,
        working_hours=week,
        working_hours_enabled=bool(inbox.working_hours_enabled),
        csat_survey_enabled=bool(inbox.csat_survey_enabled),
        greeting_enabled=bool(inbox.greeting_enabled),
    )


def present_contact_inbox(contact_inbox: Any, contact: Any) -> PublicContactInbox:
    return PublicContactInbox(
        source_id=contact_inbox.source_id,
        pubsub_token=contact_inbox.pubsub_token,
        id=contact.id,
        name=contact.name,
        email=contact.email,
        phone_number=contact.phone_number,
    )


def present_contact_record(row: Any) -> ContactRecord:
    return ContactRecord(
        id=row.id,
        name=row.name,
        email=row.email,
        phone_number=row.phone_number,
        account_id=row.account_id,
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
        additional_attributes=row.additional_attributes or {},
        identifier=row.identifier,
        custom_attributes=row.custom_attributes or {},
        last_activity_at=iso(row.last_activity_at),
        contact_type=CONTACT_TYPES.get(row.contact_type, "visitor"),
        # Columns Chatwoot has and Frontdesk does not keep, with Chatwoot's defaults.
        middle_name="",
        last_name="",
        location="",
        country_code="",
        blocked=bool(row.blocked),
        company_id=None,
    )


def present_message(
    row: Any, display_id: int, senders: SenderRows, attachments: list[dict[str, Any]] | None = None
) -> PublicMessage:
    return PublicMessage(
        attachments=attachments if attachments else msgspec.UNSET,
        id=row.id,
        content=row.content,
        message_type=row.message_type,
        content_type=CONTENT_TYPE_NAMES.get(row.content_type, "text"),
        content_attributes=row.content_attributes or {},
        created_at=unix(row.created_at),
        conversation_id=display_id,
        sender=senders.sender(row),
    )


T = TypeVar("T")


async def present_message_rows(
    uow: UnitOfWork,
    conversation: Any,
    rows: Sequence[Any],
    present: Callable[[Any, int, SenderRows, list[dict[str, Any]]], T],
    senders: SenderRows | None = None,
) -> list[T]:
    """A conversation's messages in one of the end users' shapes (``present``: the Client API's or the
    widget's), their senders and files read once for all of them."""
    if senders is None:
        senders = await messages_service.load_senders(uow, conversation.account_id, list(rows))
    files = await attachment_repository.attached_by_message(uow.conn, [row.id for row in rows])
    return [
        present(
            row,
            conversation.display_id,
            senders,
            attachment_presenters.push_data_list(files[row.id], uow.database.files),
        )
        for row in rows
    ]


async def present_messages(
    uow: UnitOfWork, conversation: Any, rows: Sequence[Any], senders: SenderRows | None = None
) -> list[PublicMessage]:
    return await present_message_rows(uow, conversation, rows, present_message, senders)


async def present_conversations(uow: UnitOfWork, rows: Sequence[Any]) -> list[PublicConversation]:
    if not rows:
        return []
    by_conversation = await repository.public_messages_of(uow, [row.id for row in rows])
    every_message = [message for messages in by_conversation.values() for message in messages]
    senders = await messages_service.load_senders(uow, rows[0].account_id, every_message)
    contacts = await conversation_repository.contacts_by_id(uow, [row.contact_id for row in rows])
    return [
        PublicConversation(
            id=row.display_id,
            uuid=row.uuid,
            inbox_id=row.inbox_id,
            contact_last_seen_at=unix(row.contact_last_seen_at),
            status=STATUS_NAMES[row.status],
            agent_last_seen_at=unix(row.agent_last_seen_at),
            messages=[present_message(message, row.display_id, senders) for message in by_conversation[row.id]],
            contact=present_contact_record(contacts[row.contact_id]),
        )
        for row in rows
    ]


async def present_conversation(uow: UnitOfWork, row: Any) -> PublicConversation:
    return (await present_conversations(uow, [row]))[0]
