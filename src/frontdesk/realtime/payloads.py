"""Chatwoot's ActionCableListener: which streams an event goes to, and the ``{"event","data"}`` it carries.

Payloads show the committed state: rows come from the commit's RowCache (what the webhook payloads
read just before the commit), and anything it lacks is read when the event is broadcast.
``Message#push_event_data`` from ``frontdesk.messages.presenters`` and ``Conversation#push_event_data``
(``Conversation#webhook_data`` without ``account``) from ``frontdesk.webhooks.payloads``.

Stream names are internal and account-scoped: ``"<account_id>:<pubsub_token>"`` for a user's or a contact
inbox's token, ``"<account_id>:account_<account_id>"`` for the account stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.agents.presenters import user_push_data
from frontdesk.attachments import repository as attachment_repository
from frontdesk.auth.dependencies import ROLE_ADMINISTRATOR
from frontdesk.contacts.presenters import contact_push_data
from frontdesk.events.dispatcher import Event
from frontdesk.events.rows import RowCache
from frontdesk.kit.time import unix
from frontdesk.messages.enums import ACTIVITY
from frontdesk.messages.presenters import ContactInboxRef, MessageConversationData, message_push_data
from frontdesk.models import account_users, contact_inboxes, contacts, conversations, inbox_members, messages, users
from frontdesk.webhooks.payloads import (
    agent,
    conversation_webhook_data,
    message_attachments,
    prefetch_conversation_extras,
    sender_rows,
    unread_count,
)

MESSAGE_EVENTS = frozenset({"message.created", "message.updated", "first.reply.created"})
# Conversation events and whether the contact's own token gets them too.
CONVERSATION_EVENTS = {
    "conversation.created": True,
    "conversation.status_changed": True,
    "conversation.updated": True,
    "conversation.read": False,
    "conversation.contact_changed": False,
    "assignee.changed": False,
    "team.changed": False,
}
TYPING_EVENTS = frozenset({"conversation.typing_on", "conversation.typing_off"})
CONTACT_EVENTS = frozenset({"contact.created", "contact.updated", "contact.merged"})


def stream(account_id: int, token: str) -> str:
    return f"{account_id}:{token}"


def account_stream(account_id: int) -> str:
    return f"{account_id}:account_{account_id}"


@dataclass
class Broadcast:
    """One frame's ``message`` (without its cursor) and the streams that get it."""

    account_id: int
    streams: list[str]
    message: dict[str, Any]


async def user_tokens(rows: RowCache, account_id: int, inbox_id: int) -> dict[int, str]:
    """Chatwoot's ``user_tokens``: the inbox's members and every administrator of the account, by user id."""

    async def load(conn: AsyncConnection) -> dict[int, str]:
        members = select(inbox_members.c.user_id).where(inbox_members.c.inbox_id == inbox_id)
        result = await conn.execute(
            select(users.c.id, users.c.pubsub_token)
            .join(account_users, and_(account_users.c.user_id == users.c.id, account_users.c.account_id == account_id))
            .where(or_(account_users.c.role == ROLE_ADMINISTRATOR, users.c.id.in_(members)))
        )
        return {row.id: row.pubsub_token for row in result}

    return await rows.once(("user_tokens", account_id, inbox_id), load, region="recipients")


async def contact_inbox_tokens(rows: RowCache, contact_inbox: Any) -> list[str]:
    """The contact inbox's token; every hmac-verified contact inbox of the contact when it is verified."""
    if not contact_inbox.hmac_verified:
        return [contact_inbox.pubsub_token]

    async def load(conn: AsyncConnection) -> list[str]:
        result = await conn.execute(
            select(contact_inboxes.c.pubsub_token).where(
                contact_inboxes.c.contact_id == contact_inbox.contact_id, contact_inboxes.c.hmac_verified.is_(True)
            )
        )
        return [row.pubsub_token for row in result]

    return await rows.once(("verified_contact_inbox_tokens", contact_inbox.contact_id), load)


async def _contact_inbox(rows: RowCache, contact_inbox_id: int | None) -> Any:
    if contact_inbox_id is None:
        return None
    return await rows.row(contact_inboxes, contact_inbox_id)


async def performer_push_data(rows: RowCache, account_id: int, user_id: Any) -> dict[str, Any] | None:
    if not isinstance(user_id, int):
        return None
    row = await agent(rows, account_id, user_id)
    return msgspec.to_builtins(user_push_data(row, row.availability)) if row is not None else None


async def message_push_event_data(
    rows: RowCache, message: Any, conversation: Any, contact_inbox: Any
) -> dict[str, Any]:
    """``Message#push_event_data`` for a messages row and its conversations row."""
    block = MessageConversationData(
        assignee_id=conversation.assignee_id,
        unread_count=await unread_count(rows, conversation),
        last_activity_at=unix(conversation.last_activity_at),
        contact_inbox=ContactInboxRef(source_id=contact_inbox.source_id if contact_inbox is not None else None),
    )
    senders = await sender_rows(rows, conversation.account_id, message)
    files = await message_attachments(rows, message.id)
    data: dict[str, Any] = msgspec.to_builtins(
        message_push_data(message, conversation.display_id, block, senders, attachments=files)
    )
    return data


def _previous_changes(changed: Any) -> dict[str, Any]:
    """``changed_attributes`` ``[{"attr": {"previous_value", "current_value"}}]`` → ActiveModel's
    ``previous_changes`` ``{"attr": [before, after]}``."""
    out: dict[str, Any] = {}
    if isinstance(changed, dict):
        changed = [changed]
    for item in changed if isinstance(changed, list) else []:
        if not isinstance(item, dict):
            continue
        for name, change in item.items():
            if isinstance(change, dict):
                out[name] = [change.get("previous_value"), change.get("current_value")]
            elif isinstance(change, list | tuple) and len(change) == 2:
                out[name] = list(change)
    return out


async def _message_broadcast(rows: RowCache, event: Event) -> Broadcast | None:
    message_id = event.subject.get("message_id")
    if message_id is None:
        return None
    message = await rows.row(messages, int(message_id))
    if message is None or message.account_id != event.account_id:
        return None
    conversation = await rows.row(conversations, message.conversation_id)
    if conversation is None:
        return None
    contact_inbox = await _contact_inbox(rows, conversation.contact_inbox_id)
    data = await message_push_event_data(rows, message, conversation, contact_inbox)
    echo_id = event.data.get("echo_id")
    if echo_id not in (None, ""):
        data["echo_id"] = str(echo_id)
    if event.name == "message.updated":
        data["previous_changes"] = _previous_changes(
            event.data.get("previous_changes") or event.data.get("changed_attributes")
        )
    tokens = list((await user_tokens(rows, event.account_id, conversation.inbox_id)).values())
    if (
        event.name != "first.reply.created"
        and not message.private
        and message.message_type != ACTIVITY
        and contact_inbox is not None
    ):
        tokens += await contact_inbox_tokens(rows, contact_inbox)
    return Broadcast(event.account_id, _streams(event.account_id, tokens), {"event": event.name, "data": data})


async def conversation_push_event_data(rows: RowCache, conversation_id: int) -> dict[str, Any] | None:
    """``Conversation#push_event_data`` (Conversations::EventDataPresenter#push_data)."""
    data = await conversation_webhook_data(rows, conversation_id)
    if data is None:
        return None
    data.pop("account", None)
    return data


async def _conversation_broadcast(rows: RowCache, event: Event) -> Broadcast | None:
    conversation_id = event.subject.get("conversation_id")
    if conversation_id is None:
        return None
    conversation = await rows.row(conversations, int(conversation_id))
    if conversation is None or conversation.account_id != event.account_id:
        return None
    data = await conversation_push_event_data(rows, conversation.id)
    if data is None:
        return None
    by_user = await user_tokens(rows, event.account_id, conversation.inbox_id)
    contact_inbox = await _contact_inbox(rows, conversation.contact_inbox_id)
    if event.name in TYPING_EVENTS:
        user = event.data.get("user") or {}
        tokens = list(by_user.values())
        contact_tokens = [contact_inbox.pubsub_token] if contact_inbox is not None else []
        # Everyone but the typer.
        if isinstance(user, dict) and user.get("type") == "contact":
            contact_tokens = []
        elif isinstance(user, dict) and isinstance(user.get("id"), int):
            typer = by_user.get(user["id"])
            tokens = [token for token in tokens if token != typer]
        payload: dict[str, Any] = {
            "conversation": data,
            "user": user,
            "is_private": bool(event.data.get("is_private") or False),
        }
        return Broadcast(
            event.account_id,
            _streams(event.account_id, tokens + contact_tokens),
            {"event": event.name, "data": payload},
        )
    if event.name == "conversation.mentioned":
        mentioned = event.data.get("user_id")
        row = await rows.row(users, mentioned) if isinstance(mentioned, int) else None
        if row is None:
            return None
        return Broadcast(
            event.account_id, _streams(event.account_id, [row.pubsub_token]), {"event": event.name, "data": data}
        )
    tokens = list(by_user.values())
    if CONVERSATION_EVENTS.get(event.name) and contact_inbox is not None:
        tokens += await contact_inbox_tokens(rows, contact_inbox)
    return Broadcast(event.account_id, _streams(event.account_id, tokens), {"event": event.name, "data": data})


async def _contact_broadcast(rows: RowCache, event: Event) -> Broadcast | None:
    if event.name == "contact.deleted":
        data = event.data.get("contact") or event.data.get("contact_data")
        if not isinstance(data, dict):
            contact_id = event.subject.get("contact_id")
            if contact_id is None:
                return None
            data = {"id": contact_id}
        return Broadcast(
            event.account_id, [account_stream(event.account_id)], {"event": event.name, "data": dict(data)}
        )
    contact_id = event.subject.get("contact_id")
    if contact_id is None:
        return None
    row = await rows.row(contacts, int(contact_id))
    if row is None or row.account_id != event.account_id:
        return None
    data = msgspec.to_builtins(contact_push_data(row))
    return Broadcast(event.account_id, [account_stream(event.account_id)], {"event": event.name, "data": data})


def _streams(account_id: int, tokens: Iterable[str]) -> list[str]:
    return [stream(account_id, token) for token in dict.fromkeys(tokens) if token]


async def prefetch(rows: RowCache, pending: Sequence[tuple[Event, RowCache | None]]) -> None:
    """Read into ``rows``, a statement per table, the messages, conversations, contact inboxes and contacts
    the pending events name and their commits' caches do not hold."""

    def wanted(table: Any, key: str) -> set[int]:
        out: set[int] = set()
        for event, known in pending:
            row_id = event.subject.get(key)
            if isinstance(row_id, int) and (known is None or (table.name, row_id) not in known.entries):
                out.add(row_id)
        return out

    message_ids = wanted(messages, "message_id")
    await rows.prefetch(messages, message_ids)
    await attachment_repository.prefetch(
        rows,
        [
            event.subject["message_id"]
            for event, known in pending
            if event.subject.get("message_id") in message_ids
            and (known is None or ("attachments", event.subject["message_id"]) not in known.entries)
        ],
    )
    conversation_ids = wanted(conversations, "conversation_id")
    await rows.prefetch(conversations, conversation_ids)
    held = [rows.entries.get(("conversations", row_id)) for row_id in conversation_ids]
    found = [row for row in held if row is not None]
    await rows.prefetch(contact_inboxes, [row.contact_inbox_id for row in found if row.contact_inbox_id is not None])
    await rows.prefetch(contacts, [row.contact_id for row in found])
    await prefetch_conversation_extras(rows, conversation_ids)


def handles(event: Event) -> bool:
    return (
        event.name in MESSAGE_EVENTS
        or event.name in CONVERSATION_EVENTS
        or event.name in TYPING_EVENTS
        or event.name == "conversation.mentioned"
        or event.name in CONTACT_EVENTS
        or event.name == "contact.deleted"
    )


async def build_broadcast(rows: RowCache, event: Event) -> Broadcast | None:
    """The frame an event pushes (``account_id`` and ``performer`` merged into ``data``), or ``None``."""
    if event.name in MESSAGE_EVENTS:
        built = await _message_broadcast(rows, event)
    elif event.name in CONVERSATION_EVENTS or event.name in TYPING_EVENTS or event.name == "conversation.mentioned":
        built = await _conversation_broadcast(rows, event)
    elif event.name in CONTACT_EVENTS or event.name == "contact.deleted":
        built = await _contact_broadcast(rows, event)
    else:
        return None
    if built is None or not built.streams:
        return None
    data = built.message["data"]
    data["account_id"] = event.account_id
    performer = await performer_push_data(rows, event.account_id, event.data.get("performer_id"))
    if performer is not None:
        data["performer"] = performer
    return built
