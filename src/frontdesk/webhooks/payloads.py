"""Chatwoot's webhook payloads, built from the rows an event names (read through the commit's RowCache).

Each builder returns the JSON object Chatwoot would POST, with ``event`` merged last; ``None`` when
Chatwoot sends nothing (an activity message, an update without changes, a row that is gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.agents.presenters import user_push_data, user_webhook_data
from frontdesk.attachments import repository as attachment_repository
from frontdesk.attachments.presenters import push_data_list
from frontdesk.contacts.presenters import contact_push_data, contact_webhook_data
from frontdesk.conversations import repository as conversation_repository
from frontdesk.events.dispatcher import Event
from frontdesk.events.rows import FILE_URLS_KEY, RowCache
from frontdesk.inboxes.presenters import inbox_webhook_data
from frontdesk.inboxes.repository import CHANNEL_API, CHANNEL_WEB_WIDGET
from frontdesk.kit.time import iso, unix, unix_float
from frontdesk.message_templates.hours import load_working_hour_rows
from frontdesk.messages.enums import ACTIVITY, CONTENT_TYPE_NAMES, INCOMING, SENDER_CONTACT, SENDER_USER
from frontdesk.messages.presenters import (
    ContactInboxRef,
    MessageConversationData,
    SenderRows,
    message_push_data,
)
from frontdesk.models import (
    accounts,
    channel_api,
    channel_web_widgets,
    contact_inboxes,
    contacts,
    conversations,
    inboxes,
    messages,
    teams,
    users,
)

CONVERSATION_STATUS_NAMES = {0: "open", 1: "resolved", 2: "pending", 3: "snoozed"}
PRIORITY_NAMES = {0: "low", 1: "medium", 2: "high", 3: "urgent"}
MESSAGE_TYPE_NAMES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
SENDER_NAME_TYPE_NAMES = {0: "friendly", 1: "professional"}

# Webhook event names, as Chatwoot's Webhook::ALLOWED_WEBHOOK_EVENTS.
ALLOWED_WEBHOOK_EVENTS = (
    "conversation_status_changed",
    "conversation_updated",
    "conversation_created",
    "contact_created",
    "contact_updated",
    "message_created",
    "message_updated",
    "webwidget_triggered",
    "inbox_created",
    "inbox_updated",
    "conversation_typing_on",
    "conversation_typing_off",
)
# Events an API inbox's webhook_url receives (every conversation-scoped one; contact and inbox events are not).
API_INBOX_EVENTS = frozenset(
    {
        "conversation_status_changed",
        "conversation_updated",
        "conversation_created",
        "message_created",
        "message_updated",
        "webwidget_triggered",
        "conversation_typing_on",
        "conversation_typing_off",
    }
)


class Built(msgspec.Struct):
    """One event's payload and what routing needs to know about it."""

    payload: dict[str, Any]
    inbox_id: int | None
    channel_type: str | None
    ordering_key: str | None
    message_id: int | None = None
    message_type: int | None = None


async def _account(rows: RowCache, account_id: int) -> dict[str, Any]:
    row = await rows.row(accounts, account_id)
    return {"id": account_id, "name": row.name if row else ""}


def _row_dump(row: Any, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """An ActiveRecord-style ``as_json`` of a row: every column, times as ISO strings."""
    out: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if key in drop:
            continue
        out[key] = iso(value) if hasattr(value, "tzinfo") and hasattr(value, "isoformat") else value
    return out


async def agent(rows: RowCache, account_id: int, user_id: int) -> Any | None:
    """The user as an agent of the account: ``account_users_select``'s row (``availability`` is the one in
    the account). A user who left the account still shows, with role and availability NULL."""

    async def load(conn: AsyncConnection) -> Any | None:
        statement = conversation_repository.account_users_select(account_id, [user_id], include_departed=True)
        return (await conn.execute(statement)).first()

    return await rows.once(("agent", account_id, user_id), load, region="agents")


async def sender_rows(rows: RowCache, account_id: int, message: Any) -> SenderRows:
    """The message's sender (an agent of the account, or a contact), as SenderRows."""
    if message.sender_id is None:
        return SenderRows()
    if message.sender_type == SENDER_USER:
        user = await agent(rows, account_id, message.sender_id)
        return SenderRows(users={user.id: user} if user is not None else {})
    if message.sender_type == SENDER_CONTACT:
        contact = await rows.row(contacts, message.sender_id)
        return SenderRows(contacts={contact.id: contact} if contact is not None else {})
    return SenderRows()


async def unread_count(rows: RowCache, conversation: Any) -> int:
    """Chatwoot's ``unread_incoming_messages.last(10)``: incoming messages since the agents last looked."""

    async def load(conn: AsyncConnection) -> int:
        condition = and_(messages.c.conversation_id == conversation.id, messages.c.message_type == INCOMING)
        if conversation.agent_last_seen_at is not None:
            condition = and_(condition, messages.c.created_at > conversation.agent_last_seen_at)
        limited = select(messages.c.id).where(condition).limit(conversation_repository.UNREAD_COUNT_LIMIT).subquery()
        return int((await conn.execute(select(func.count()).select_from(limited))).scalar_one())

    return await rows.once(("unread_count", conversation.id), load)


async def _last_chat(rows: RowCache, conversation_id: int) -> Any | None:
    """The conversation's last public, non-activity message."""

    async def load(conn: AsyncConnection) -> Any | None:
        statement = (
            select(messages)
            .where(
                messages.c.conversation_id == conversation_id,
                messages.c.message_type != ACTIVITY,
                messages.c.private.is_(False),
            )
            .order_by(messages.c.id.desc())
            .limit(1)
        )
        return (await conn.execute(statement)).first()

    return await rows.once(("last_chat", conversation_id), load)


async def prefetch_conversation_extras(rows: RowCache, conversation_ids: Iterable[int]) -> None:
    """:func:`unread_count` and :func:`_last_chat` of many conversations in three statements, for the
    conversations whose rows ``rows`` holds (read at the same moment)."""
    held = [rows.entries.get(("conversations", row_id)) for row_id in set(conversation_ids)]
    found = {row.id: row for row in held if row is not None}
    ids = sorted(row_id for row_id in found if ("unread_count", row_id) not in rows.entries)
    if rows.conn is None or not ids:
        return
    counts = {
        row[0]: min(int(row[1]), conversation_repository.UNREAD_COUNT_LIMIT)
        for row in await rows.conn.execute(conversation_repository.unread_counts_select(ids))
    }
    last_ids = (
        select(func.max(messages.c.id))
        .where(messages.c.conversation_id.in_(ids), messages.c.message_type != ACTIVITY, messages.c.private.is_(False))
        .group_by(messages.c.conversation_id)
    )
    last = {
        row.conversation_id: row for row in await rows.conn.execute(select(messages).where(messages.c.id.in_(last_ids)))
    }
    for row_id in ids:
        rows.entries[("unread_count", row_id)] = counts.get(row_id, 0)
        rows.entries[("last_chat", row_id)] = last.get(row_id)


async def conversation_webhook_data(
    rows: RowCache, conversation_id: int, account: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """``Conversation#webhook_data`` (Conversations::EventDataPresenter) for the conversation's primary key."""
    conversation = await rows.row(conversations, conversation_id)
    if conversation is None:
        return None
    account = account or await _account(rows, conversation.account_id)
    inbox = await rows.row(inboxes, conversation.inbox_id)
    contact = await rows.row(contacts, conversation.contact_id)
    contact_inbox = None
    if conversation.contact_inbox_id is not None:
        contact_inbox = await rows.row(contact_inboxes, conversation.contact_inbox_id)
    assignee: Any = None
    if conversation.assignee_id is not None:
        row = await agent(rows, conversation.account_id, conversation.assignee_id)
        if row is not None:
            assignee = msgspec.to_builtins(user_push_data(row, row.availability))
    team: Any = None
    if conversation.team_id is not None:
        row = await rows.row(teams, conversation.team_id)
        if row is not None:
            team = {"id": row.id, "name": row.name}
    unread = await unread_count(rows, conversation)
    last_chat = await _last_chat(rows, conversation.id)
    pushed: list[Any] = []
    if last_chat is not None:
        senders = await sender_rows(rows, conversation.account_id, last_chat)
        block = MessageConversationData(
            assignee_id=conversation.assignee_id,
            unread_count=unread,
            last_activity_at=unix(conversation.last_activity_at),
            contact_inbox=ContactInboxRef(source_id=contact_inbox.source_id if contact_inbox else None),
        )
        files = await message_attachments(rows, last_chat.id)
        pushed.append(
            msgspec.to_builtins(
                message_push_data(last_chat, conversation.display_id, block, senders, attachments=files)
            )
        )
    labels = [label.strip() for label in (conversation.cached_label_list or "").split(",") if label.strip()]
    return {
        "additional_attributes": conversation.additional_attributes or {},
        "can_reply": True,
        "channel": inbox.channel_type if inbox else None,
        "contact_inbox": _row_dump(contact_inbox) if contact_inbox is not None else None,
        "id": conversation.display_id,
        "inbox_id": conversation.inbox_id,
        "messages": pushed,
        "labels": labels,
        "meta": {
            "sender": msgspec.to_builtins(contact_push_data(contact)) if contact is not None else None,
            "assignee": assignee,
            "assignee_type": "User" if assignee is not None else None,
            "team": team,
            "hmac_verified": contact_inbox.hmac_verified if contact_inbox is not None else None,
        },
        "status": CONVERSATION_STATUS_NAMES.get(conversation.status, "open"),
        "custom_attributes": conversation.custom_attributes or {},
        "snoozed_until": iso(conversation.snoozed_until),
        "unread_count": unread,
        "first_reply_created_at": iso(conversation.first_reply_created_at),
        "priority": PRIORITY_NAMES.get(conversation.priority) if conversation.priority is not None else None,
        "waiting_since": unix(conversation.waiting_since),
        "agent_last_seen_at": unix(conversation.agent_last_seen_at),
        "contact_last_seen_at": unix(conversation.contact_last_seen_at),
        "last_activity_at": unix(conversation.last_activity_at),
        "timestamp": unix(conversation.last_activity_at),
        "created_at": unix(conversation.created_at),
        "updated_at": unix_float(conversation.updated_at),
        "account": account,
    }


async def _typist(rows: RowCache, user: dict[str, Any], account: dict[str, Any]) -> dict[str, Any]:
    """The typing user's (or contact's) ``webhook_data``, from the push data the event carries."""
    user_id = user.get("id")
    if user.get("type") == "user" and user_id is not None:
        row = await rows.row(users, int(user_id))
        if row is not None:
            return user_webhook_data(row)
    if user.get("type") == "contact" and user_id is not None:
        row = await rows.row(contacts, int(user_id))
        if row is not None:
            return contact_webhook_data(row, account)
    return user


async def _conversation_event(rows: RowCache, event: Event) -> Built | None:
    conversation_id = event.subject.get("conversation_id")
    if conversation_id is None:
        return None
    account = await _account(rows, event.account_id)
    data = await conversation_webhook_data(rows, int(conversation_id), account)
    if data is None:
        return None
    name = event.webhook_name
    if name in ("conversation_typing_on", "conversation_typing_off"):
        payload: dict[str, Any] = {
            "event": name,
            "user": await _typist(rows, event.data.get("user") or {}, account),
            "conversation": data,
            "is_private": bool(event.data.get("is_private", False)),
        }
    else:
        payload = dict(data)
        if name in ("conversation_status_changed", "conversation_updated"):
            payload["changed_attributes"] = event.data.get("changed_attributes") or []
        payload["event"] = name
    return Built(payload, data["inbox_id"], data["channel"], f"conv:{conversation_id}")


async def _message_event(rows: RowCache, event: Event) -> Built | None:
    message_id = event.subject.get("message_id")
    if message_id is None:
        return None
    message = await rows.row(messages, int(message_id))
    if message is None or message.message_type == ACTIVITY:
        return None
    account = await _account(rows, message.account_id)
    conversation = await conversation_webhook_data(rows, message.conversation_id, account)
    inbox = await rows.row(inboxes, message.inbox_id)
    sender: Any = None
    if message.sender_type == SENDER_CONTACT and message.sender_id is not None:
        row = await rows.row(contacts, message.sender_id)
        sender = contact_webhook_data(row, account) if row is not None else None
    elif message.sender_type == SENDER_USER and message.sender_id is not None:
        row = await agent(rows, message.account_id, message.sender_id)
        sender = user_webhook_data(row) if row is not None else None
    payload: dict[str, Any] = {
        "account": account,
        "additional_attributes": message.additional_attributes or {},
        "content_attributes": message.content_attributes or {},
        "content_type": CONTENT_TYPE_NAMES.get(message.content_type, "text"),
        "content": message.content,
        "conversation": conversation,
        "created_at": iso(message.created_at),
        "id": message.id,
        "inbox": inbox_webhook_data(inbox) if inbox is not None else None,
        "message_type": MESSAGE_TYPE_NAMES.get(message.message_type, "incoming"),
        "private": message.private,
        "sender": sender,
        "source_id": message.source_id,
        "event": event.webhook_name,
    }
    files = await message_attachments(rows, message.id)
    if files:
        payload["attachments"] = files
    return Built(
        payload,
        message.inbox_id,
        inbox.channel_type if inbox is not None else None,
        f"conv:{message.conversation_id}",
        message_id=message.id,
        message_type=message.message_type,
    )


async def message_attachments(rows: RowCache, message_id: int) -> list[dict[str, Any]]:
    """``attachments`` of a message payload (Chatwoot adds the key only when there are some)."""
    found = await attachment_repository.for_message(rows, message_id)
    if not found:
        return []
    return push_data_list(found, rows.entries[FILE_URLS_KEY])


async def _contact_event(rows: RowCache, event: Event) -> Built | None:
    contact_id = event.subject.get("contact_id")
    if contact_id is None:
        return None
    changed = event.data.get("changed_attributes") or []
    if event.webhook_name == "contact_updated" and not changed:
        return None
    row = await rows.row(contacts, int(contact_id))
    if row is None:
        return None
    payload = contact_webhook_data(row, await _account(rows, event.account_id))
    if event.webhook_name == "contact_updated":
        payload["changed_attributes"] = changed
    payload["event"] = event.webhook_name
    return Built(payload, None, None, f"contact:{contact_id}")


async def _working_hours(rows: RowCache, inbox_id: int) -> list[dict[str, Any]]:
    """The inbox's working hour rows whole, as Chatwoot's ``working_hours.as_json`` shows them."""

    async def load(conn: AsyncConnection) -> list[dict[str, Any]]:
        return [_row_dump(row) for row in await load_working_hour_rows(conn, inbox_id)]

    return await rows.once(("working_hours", inbox_id), load)


async def _inbox_event(rows: RowCache, event: Event) -> Built | None:
    inbox_id = event.subject.get("inbox_id")
    if inbox_id is None:
        return None
    changed = event.data.get("changed_attributes") or []
    if event.webhook_name == "inbox_updated" and not changed:
        return None
    inbox = await rows.row(inboxes, int(inbox_id))
    if inbox is None:
        return None
    channel: Any = None
    if inbox.channel_type == CHANNEL_API:
        row = await rows.row(channel_api, inbox.channel_id)
        # The signing secret stays out of payloads sent to other endpoints.
        channel = _row_dump(row, drop=("secret",)) if row is not None else None
    elif inbox.channel_type == CHANNEL_WEB_WIDGET:
        row = await rows.row(channel_web_widgets, inbox.channel_id)
        channel = _row_dump(row) if row is not None else None
    payload: dict[str, Any] = {
        "allow_messages_after_resolved": inbox.allow_messages_after_resolved,
        "lock_to_single_conversation": inbox.lock_to_single_conversation,
        "auto_assignment_config": inbox.auto_assignment_config or {},
        "enable_auto_assignment": inbox.enable_auto_assignment,
        "enable_email_collect": inbox.enable_email_collect,
        "greeting_enabled": inbox.greeting_enabled,
        "greeting_message": inbox.greeting_message,
        "csat_survey_enabled": inbox.csat_survey_enabled,
        "business_name": inbox.business_name,
        "sender_name_type": SENDER_NAME_TYPE_NAMES.get(inbox.sender_name_type, "friendly"),
        "timezone": inbox.timezone,
        "out_of_office_message": inbox.out_of_office_message,
        "working_hours_enabled": inbox.working_hours_enabled,
        "working_hours": await _working_hours(rows, int(inbox_id)),
        "created_at": iso(inbox.created_at),
        "updated_at": iso(inbox.updated_at),
        "channel": channel,
        "account": await _account(rows, event.account_id),
    }
    if event.webhook_name == "inbox_updated":
        payload["changed_attributes"] = changed
    payload["event"] = event.webhook_name
    return Built(payload, None, None, f"inbox:{inbox_id}")


async def _current_conversation_id(rows: RowCache, contact_inbox_id: int) -> int | None:
    async def load(conn: AsyncConnection) -> int | None:
        statement = (
            select(conversations.c.id)
            .where(conversations.c.contact_inbox_id == contact_inbox_id)
            .order_by(conversations.c.id.desc())
            .limit(1)
        )
        found: int | None = (await conn.execute(statement)).scalar()
        return found

    return await rows.once(("current_conversation_id", contact_inbox_id), load)


async def _webwidget_event(rows: RowCache, event: Event) -> Built | None:
    contact_inbox_id = event.subject.get("contact_inbox_id")
    if contact_inbox_id is None:
        return None
    row = await rows.row(contact_inboxes, int(contact_inbox_id))
    if row is None:
        return None
    account = await _account(rows, event.account_id)
    contact = await rows.row(contacts, row.contact_id)
    inbox = await rows.row(inboxes, row.inbox_id)
    current_id = await _current_conversation_id(rows, row.id)
    payload: dict[str, Any] = {
        "id": row.id,
        "contact": contact_webhook_data(contact, account) if contact is not None else None,
        "inbox": inbox_webhook_data(inbox) if inbox is not None else None,
        "account": account,
        "current_conversation": await conversation_webhook_data(rows, current_id, account) if current_id else None,
        "source_id": row.source_id,
        "event": event.webhook_name,
        "event_info": event.data.get("event_info") or {},
    }
    key = f"conv:{current_id}" if current_id else f"contact_inbox:{row.id}"
    return Built(payload, row.inbox_id, inbox.channel_type if inbox is not None else None, key)


async def build_payload(rows: RowCache, event: Event) -> Built | None:
    """The webhook payload of one event, or ``None`` when the event is not a webhook event."""
    name = event.webhook_name
    if name not in ALLOWED_WEBHOOK_EVENTS:
        return None
    if name.startswith("message_"):
        return await _message_event(rows, event)
    if name.startswith("conversation_"):
        return await _conversation_event(rows, event)
    if name.startswith("contact_"):
        return await _contact_event(rows, event)
    if name.startswith("inbox_"):
        return await _inbox_event(rows, event)
    if name == "webwidget_triggered":
        return await _webwidget_event(rows, event)
    return None
