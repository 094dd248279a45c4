"""Messages: create (with Chatwoot's after-create chain on the conversation), list, delete, status updates.

Creating a message is the hot path: a handful of Core statements, the conversation row changed by one
UPDATE, no reloading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from frontdesk.auth.dependencies import AccountContext
from frontdesk.conversations import repository as conversation_repository
from frontdesk.conversations.events import emit_changes
from frontdesk.conversations.presenters import STATUS_NAMES, STATUSES, is_muted
from frontdesk.db import UnitOfWork
from frontdesk.errors import Forbidden, FrontdeskError, NotFound, Unprocessable, ValidationFailed
from frontdesk.events.dispatcher import Event
from frontdesk.inboxes.repository import CHANNEL_API
from frontdesk.kit.time import utc_now
from frontdesk.messages import repository
from frontdesk.messages.content_attributes import content_attribute_errors
from frontdesk.messages.enums import (
    ACTIVITY,
    CONTENT_TYPES,
    DELETED_CONTENT,
    DELIVERED,
    INCOMING,
    MAX_CONTENT_LENGTH,
    MESSAGE_TYPES,
    OUTGOING,
    READ,
    SENDER_CONTACT,
    SENDER_USER,
)
from frontdesk.messages.enums import (
    STATUS_NAMES as MESSAGE_STATUS_NAMES,
)
from frontdesk.messages.enums import (
    STATUSES as MESSAGE_STATUSES,
)
from frontdesk.messages.presenters import SenderRows
from frontdesk.messages.repository import MessageTarget
from frontdesk.messages.schemas import MessageCreate, MessageStatusUpdate
from frontdesk.models import conversations, messages

OPEN = STATUSES["open"]
RESOLVED = STATUSES["resolved"]
SNOOZED = STATUSES["snoozed"]

# The flood guard counts a conversation's messages of the last minute.
FLOOD_WINDOW = timedelta(minutes=1)

# How many messages the list shows (Chatwoot's MessageFinder).
LATEST_LIMIT = 20
BEFORE_LIMIT = 20
AFTER_LIMIT = 100
BETWEEN_LIMIT = 1000


@dataclass
class CreatedMessage:
    row: Any
    echo_id: str | None
    senders: SenderRows
    # The display id of the message's conversation: a repeated incoming source_id answers the first
    # message, which may live in another conversation of the inbox.
    conversation_display_id: int
    # False when a repeated incoming source_id answered the message stored first.
    is_new: bool = True


def _invalid(
    message: str, attribute: str, *, record_style: bool, prefix: str = "Validation failed: "
) -> FrontdeskError:
    """Chatwoot answers a failed message save two ways: the messages endpoint rescues it as
    ``{"error": "Validation failed: …"}``, a conversation create lets it reach the record-invalid handler
    (``{"message", "attributes"}``). The first also gets ``attributes`` here, so it names the field too."""
    if record_style:
        return ValidationFailed(message, [attribute])
    return FrontdeskError({"error": f"{prefix}{message}", "attributes": [attribute]}, 422)


def has_null_byte(value: Any) -> bool:
    """PostgreSQL's text and jsonb refuse NUL characters, so they are refused at the door."""
    return b"\\u0000" in msgspec.json.encode(value)


def _content_attributes(value: dict[str, Any] | str | None) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


async def create_message(
    uow: UnitOfWork,
    account: AccountContext,
    target: Any,
    params: MessageCreate,
    *,
    flood_limit: int,
    record_style_errors: bool = False,
    by_visitor: bool = False,
    automated: bool = False,
) -> CreatedMessage:
    """Write a message into ``target`` (a :class:`MessageTarget`, or a row of ``conversation_select``) as the
    request's user. The hot path: a few driver statements (``messages.repository``), whose returned rows
    the commit's payloads start from.

    ``by_visitor``: the contact itself writes through the website widget (incoming messages are otherwise
    only for API inboxes). ``automated``: Frontdesk writes the message itself (the template messages of
    ``message_templates``), so it has no sender and its events no performer, as Chatwoot's
    ``MessageTemplates`` messages."""
    if not isinstance(target, MessageTarget):
        target = MessageTarget(target)
    conversation = target.conversation
    message_type_name = params.message_type or "outgoing"
    if message_type_name not in MESSAGE_TYPES:
        raise _invalid(
            f"'{message_type_name}' is not a valid message_type",
            "message_type",
            record_style=record_style_errors,
            prefix="",
        )
    message_type = MESSAGE_TYPES[message_type_name]
    if message_type == INCOMING and conversation.channel_type != CHANNEL_API and not by_visitor:
        raise Unprocessable("Incoming messages are only allowed in Api inboxes")
    if message_type == INCOMING and params.source_id:
        # A retried delivery of the same external message: answer the first one, write nothing.
        existing = await _incoming_by_source_id(uow, account, conversation.inbox_id, params.source_id)
        if existing is not None:
            return existing
    content_type_name = params.content_type or "text"
    if content_type_name not in CONTENT_TYPES:
        raise _invalid(
            f"'{content_type_name}' is not a valid content_type",
            "content_type",
            record_style=record_style_errors,
            prefix="",
        )
    if params.content is not None and len(params.content) > MAX_CONTENT_LENGTH:
        raise _invalid(
            f"Content is too long (maximum is {MAX_CONTENT_LENGTH} characters)",
            "content",
            record_style=record_style_errors,
        )
    if params.content is not None and "\x00" in params.content:
        raise _invalid("Content contains a null byte", "content", record_style=record_style_errors)
    now = utc_now()
    recent = getattr(conversation, "messages_last_minute", None)
    if recent is None:
        recent = await repository.messages_since(uow, conversation.id, now - FLOOD_WINDOW)
    if recent >= flood_limit:
        raise _invalid("Too many messages", "base", record_style=record_style_errors)

    content_attributes = _content_attributes(params.content_attributes)
    problems = content_attribute_errors(content_type_name, content_attributes)
    if problems:
        raise _invalid(
            ", ".join(f"Content attributes {problem}" for problem in problems),
            "content_attributes",
            record_style=record_style_errors,
        )
    if has_null_byte(content_attributes):
        raise _invalid("Content attributes contain a null byte", "content_attributes", record_style=record_style_errors)
    if params.external_created_at is not None:
        content_attributes = {**content_attributes, "external_created_at": params.external_created_at}
    additional_attributes: dict[str, Any] = {}
    if params.campaign_id is not None:
        additional_attributes["campaign_id"] = params.campaign_id
    if params.template_params:
        additional_attributes["template_params"] = params.template_params
    sender_type: str | None
    sender_id: int | None
    if automated:
        sender_type, sender_id = None, None
    elif message_type == OUTGOING:
        sender_type, sender_id = SENDER_USER, account.user.id
    else:
        # Chatwoot's MessageBuilder: anything not outgoing is written in the contact's name.
        sender_type, sender_id = SENDER_CONTACT, conversation.contact_id
    message_values: dict[str, Any] = {
        "account_id": conversation.account_id,
        "inbox_id": conversation.inbox_id,
        "conversation_id": conversation.id,
        "message_type": message_type,
        "content": params.content,
        "content_type": CONTENT_TYPES[content_type_name],
        "content_attributes": content_attributes,
        "private": params.private,
        "status": MESSAGE_STATUSES["sent"],
        "source_id": params.source_id,
        "sender_type": sender_type,
        "sender_id": sender_id,
        "external_source_ids": {},
        "additional_attributes": additional_attributes,
        "created_at": now,
        "updated_at": now,
    }
    row: Any = None
    if message_type == INCOMING and params.source_id:
        try:
            async with uow.conn.begin_nested():
                row = (await uow.conn.execute(insert(messages).values(message_values).returning(*messages.c))).one()
        except IntegrityError:
            # A concurrent request stored the same source_id first (uq_messages_inbox_id_source_id_incoming).
            existing = await _incoming_by_source_id(uow, account, conversation.inbox_id, params.source_id)
            if existing is None:
                raise
            return existing

    human_response = (
        message_type == OUTGOING
        and sender_type == SENDER_USER
        and not content_attributes.get("automation_rule_id")
        and not additional_attributes.get("campaign_id")
    )
    conversation_values: dict[str, Any] = {"last_activity_at": now, "updated_at": now}
    changes: dict[str, tuple[Any, Any]] = {}
    if message_type == INCOMING and not is_muted(conversation) and conversation.status in (RESOLVED, SNOOZED):
        conversation_values["status"] = OPEN
        conversation_values["snoozed_until"] = None
        changes["status"] = (STATUS_NAMES[conversation.status], "open")
        if conversation.snoozed_until is not None:
            changes["snoozed_until"] = (conversation.snoozed_until, None)
    first_reply = human_response and not params.private and conversation.first_reply_created_at is None
    if first_reply:
        conversation_values["first_reply_created_at"] = now
        changes["first_reply_created_at"] = (None, now)
        if conversation.waiting_since is not None:
            conversation_values["waiting_since"] = None
            changes["waiting_since"] = (conversation.waiting_since, None)
    elif conversation.waiting_since is not None and not params.private and human_response:
        conversation_values["waiting_since"] = None
        changes["waiting_since"] = (conversation.waiting_since, None)
    elif message_type == INCOMING and conversation.waiting_since is None:
        conversation_values["waiting_since"] = now
        changes["waiting_since"] = (None, now)
    touched = sender_id if sender_type == SENDER_CONTACT else None
    if row is None:
        # The hot path: the message, the conversation's update and the contact's in one round trip.
        row, updated, contact = await repository.write_message(
            uow, message_values, conversation_values, touch_contact_id=touched, now=now
        )
    else:
        updated = await repository.update_conversation(uow, conversation.id, conversation_values)
        contact = await repository.touch_contact(uow, touched, now) if touched is not None else None
    sender_contact = contact if contact is not None else target.contact
    _know_rows(
        uow, row, updated, repository.unread_count_after(conversation, row), sender_contact, target.contact_inbox
    )

    echo_id = str(params.echo_id) if params.echo_id is not None and params.echo_id != "" else None
    subject = {"message_id": row.id, "conversation_id": conversation.id, "inbox_id": conversation.inbox_id}
    performer = {} if automated else {"performer_id": account.user.id}
    created_data: dict[str, Any] = dict(performer)
    if echo_id is not None:
        # Not stored: the realtime push echoes it so the sending client can match its optimistic copy.
        created_data["echo_id"] = echo_id
    uow.emit(Event("message.created", conversation.account_id, now, subject, created_data))
    if first_reply:
        uow.emit(Event("first.reply.created", conversation.account_id, now, subject, dict(performer)))
    emit_changes(uow, conversation, changes, None if automated else account.user.id)

    if sender_id is None:
        senders = SenderRows()
    elif sender_type == SENDER_USER:
        acting = account.acting_user_row()
        senders = SenderRows(
            users={sender_id: acting}
            if acting is not None
            else await conversation_repository.account_users_by_id(uow, account.account_id, [sender_id])
        )
    else:
        senders = SenderRows(contacts={sender_id: sender_contact})
    return CreatedMessage(row=row, echo_id=echo_id, senders=senders, conversation_display_id=conversation.display_id)


def _know_rows(
    uow: UnitOfWork,
    message: Any,
    conversation: Any,
    unread: int | None,
    contact: Any | None,
    contact_inbox: Any | None,
) -> None:
    """Hand the commit's payloads the rows the statements returned: the message, the conversation as it
    commits (and its unread count and last public message), its contact and contact inbox."""
    uow.know_row("messages", message.id, message)
    # A new message has no attachments until attachments.service.attach() writes them.
    uow.known_rows[("attachments", message.id)] = []
    uow.know_row("conversations", conversation.id, conversation)
    if unread is not None:
        uow.known_rows[("unread_count", conversation.id)] = unread
    if not message.private and message.message_type != ACTIVITY:
        # The newest message of a conversation whose writers take turns: its last public one.
        uow.known_rows[("last_chat", conversation.id)] = message
    if contact is not None:
        uow.know_row("contacts", contact.id, contact)
    if contact_inbox is not None:
        uow.know_row("contact_inboxes", contact_inbox.id, contact_inbox)


async def _incoming_by_source_id(
    uow: UnitOfWork, account: AccountContext, inbox_id: int, source_id: str
) -> CreatedMessage | None:
    found = (
        await uow.conn.execute(
            select(messages, conversations.c.display_id.label("conversation_display_id"))
            .join(conversations, conversations.c.id == messages.c.conversation_id)
            .where(
                messages.c.inbox_id == inbox_id,
                messages.c.message_type == INCOMING,
                messages.c.source_id == source_id,
            )
            .limit(1)
        )
    ).first()
    if found is None:
        return None
    senders = await load_senders(uow, account.account_id, [found])
    return CreatedMessage(
        row=found,
        echo_id=None,
        senders=senders,
        conversation_display_id=found.conversation_display_id,
        is_new=False,
    )


async def list_messages(
    uow: UnitOfWork, conversation: Any, *, before: int | None, after: int | None, internal: bool = True
) -> tuple[list[Any], SenderRows]:
    """Chatwoot's MessageFinder: the latest 20, 20 before ``before``, up to 100 after ``after``, or
    up to 1000 from ``after`` (inclusive) to ``before``; always oldest first."""
    base = select(messages).where(messages.c.conversation_id == conversation.id)
    if not internal:
        # filter_internal_messages: no private notes, no activity messages.
        base = base.where(messages.c.private.is_(False), messages.c.message_type != ACTIVITY)
    if after is not None and before is not None:
        statement = (
            base.where(messages.c.id >= after, messages.c.id < before).order_by(messages.c.id).limit(BETWEEN_LIMIT)
        )
        rows = list(await uow.conn.execute(statement))
    elif before is not None:
        statement = base.where(messages.c.id < before).order_by(messages.c.id.desc()).limit(BEFORE_LIMIT)
        rows = list(reversed(list(await uow.conn.execute(statement))))
    elif after is not None:
        statement = base.where(messages.c.id > after).order_by(messages.c.id).limit(AFTER_LIMIT)
        rows = list(await uow.conn.execute(statement))
    else:
        statement = base.order_by(messages.c.id.desc()).limit(LATEST_LIMIT)
        rows = list(reversed(list(await uow.conn.execute(statement))))
    return rows, await load_senders(uow, conversation.account_id, rows)


async def load_senders(uow: UnitOfWork, account_id: int, rows: list[Any]) -> SenderRows:
    user_ids, contact_ids = conversation_repository.message_sender_ids(rows)
    return SenderRows(
        users=await conversation_repository.account_users_by_id(uow, account_id, user_ids),
        contacts=await conversation_repository.contacts_by_id(uow, contact_ids),
    )


async def _get_message(uow: UnitOfWork, conversation: Any, message_id: int) -> Any:
    if not 0 < message_id <= conversation_repository.MAX_ID:
        raise NotFound()
    row = (
        await uow.conn.execute(
            select(messages).where(messages.c.id == message_id, messages.c.conversation_id == conversation.id)
        )
    ).first()
    if row is None:
        raise NotFound()
    return row


def _emit_updated(
    uow: UnitOfWork, conversation: Any, row: Any, performer_id: int, changes: list[dict[str, Any]]
) -> None:
    uow.emit(
        Event(
            "message.updated",
            conversation.account_id,
            utc_now(),
            {"message_id": row.id, "conversation_id": conversation.id, "inbox_id": conversation.inbox_id},
            {"performer_id": performer_id, "changed_attributes": changes},
        )
    )


async def delete_message(uow: UnitOfWork, account: AccountContext, conversation: Any, message_id: int) -> Any:
    """Chatwoot deletes softly: the content is replaced and ``content_attributes.deleted`` set."""
    row = await _get_message(uow, conversation, message_id)
    now = utc_now()
    updated = (
        await uow.conn.execute(
            update(messages)
            .where(messages.c.id == row.id)
            .values(
                content=DELETED_CONTENT,
                content_type=CONTENT_TYPES["text"],
                content_attributes={"deleted": True},
                updated_at=now,
            )
            .returning(*messages.c)
        )
    ).one()
    _emit_updated(
        uow,
        conversation,
        updated,
        account.user.id,
        [{"content": {"previous_value": row.content, "current_value": DELETED_CONTENT}}],
    )
    return updated


async def update_message_status(
    uow: UnitOfWork, account: AccountContext, conversation: Any, message_id: int, params: MessageStatusUpdate
) -> Any:
    """API inboxes report delivery: sent, delivered, read or failed (never read → delivered)."""
    if conversation.channel_type != CHANNEL_API:
        raise Forbidden("Message status update is only allowed for API inboxes")
    row = await _get_message(uow, conversation, message_id)
    status = MESSAGE_STATUSES.get(params.status or "")
    if status is None or (row.status == READ and status == DELIVERED):
        # Chatwoot's StatusUpdateService ignores an unknown status or a step back, and answers the message.
        return row
    attributes = dict(row.content_attributes or {})
    if status == MESSAGE_STATUSES["failed"]:
        attributes["external_error"] = params.external_error
    else:
        attributes.pop("external_error", None)
    if status == row.status and attributes == (row.content_attributes or {}):
        return row
    updated = (
        await uow.conn.execute(
            update(messages)
            .where(messages.c.id == row.id)
            .values(status=status, content_attributes=attributes, updated_at=utc_now())
            .returning(*messages.c)
        )
    ).one()
    _emit_updated(
        uow,
        conversation,
        updated,
        account.user.id,
        [{"status": {"previous_value": MESSAGE_STATUS_NAMES[row.status], "current_value": params.status}}],
    )
    return updated
