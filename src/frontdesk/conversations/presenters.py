"""Conversation payloads: Chatwoot's ``api/v1/conversations/partials/_conversation`` and its pieces.

``present_conversations`` builds a whole page with a fixed number of queries (one per kind of related
row), whatever the page size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import msgspec

from frontdesk.agents.presenters import AgentPayload, present_agent
from frontdesk.attachments import presenters as attachment_presenters
from frontdesk.attachments import repository as attachment_repository
from frontdesk.auth.dependencies import AccountContext
from frontdesk.contacts.presenters import present_contact
from frontdesk.contacts.schemas import ContactPayload
from frontdesk.conversations import repository
from frontdesk.db import UnitOfWork
from frontdesk.inboxes.repository import CHANNEL_API
from frontdesk.kit.time import iso, unix, unix_float, utc_now
from frontdesk.messages.enums import ACTIVITY
from frontdesk.messages.presenters import (
    ContactInboxRef,
    MessageConversationData,
    MessagePushData,
    SenderRows,
    message_push_data,
)
from frontdesk.teams.presenters import present_team
from frontdesk.teams.schemas import TeamPayload

STATUS_NAMES = {0: "open", 1: "resolved", 2: "pending", 3: "snoozed"}
STATUSES = {value: key for key, value in STATUS_NAMES.items()}
PRIORITY_NAMES = {0: "low", 1: "medium", 2: "high", 3: "urgent"}
PRIORITIES = {value: key for key, value in PRIORITY_NAMES.items()}


class ConversationMeta(msgspec.Struct, kw_only=True):
    sender: ContactPayload
    channel: str
    assignee: AgentPayload | msgspec.UnsetType = msgspec.UNSET
    assignee_type: str | msgspec.UnsetType = msgspec.UNSET
    team: TeamPayload | msgspec.UnsetType = msgspec.UNSET
    hmac_verified: bool | None


class ConversationPayload(msgspec.Struct, kw_only=True):
    meta: ConversationMeta
    id: int
    messages: list[MessagePushData]
    account_id: int
    uuid: str
    additional_attributes: dict[str, Any]
    agent_last_seen_at: int
    assignee_last_seen_at: int
    can_reply: bool
    contact_last_seen_at: int
    custom_attributes: dict[str, Any]
    inbox_id: int
    labels: list[str]
    muted: bool
    snoozed_until: str | None
    status: str
    created_at: int
    updated_at: float
    timestamp: int
    first_reply_created_at: int
    unread_count: int
    last_non_activity_message: MessagePushData | None
    last_activity_at: int
    priority: str | None
    waiting_since: int
    sla_policy_id: int | None = None


def is_muted(row: Any) -> bool:
    """Muting blocks the contact (Chatwoot's ``muted?`` reads ``contact.blocked``)."""
    return bool(row.muted or row.contact_blocked)


def label_list(cached: str | None) -> list[str]:
    return [title.strip() for title in (cached or "").split(",") if title.strip()]


def reply_window_hours(row: Any) -> int | None:
    """An API inbox's ``agent_reply_time_window`` (hours after the last incoming message agents may still
    write) for a ``conversation_select`` row; None when unlimited."""
    if row.channel_type != CHANNEL_API or not row.api_channel_attributes:
        return None
    window = row.api_channel_attributes.get("agent_reply_time_window")
    if window in (None, ""):
        return None
    try:
        return int(window)
    except (TypeError, ValueError):
        return None


async def present_conversations(
    uow: UnitOfWork, account: AccountContext, rows: Sequence[Any]
) -> list[ConversationPayload]:
    """Payloads of ``rows`` (from ``repository.conversation_select``), related rows loaded one query per kind."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    message_rows = await repository.last_messages(uow, ids)
    unread = await repository.unread_counts(uow, ids)
    sender_user_ids, sender_contact_ids = repository.message_sender_ids(message_rows)
    contacts = await repository.contacts_by_id(uow, [row.contact_id for row in rows] + list(sender_contact_ids))
    users = await repository.account_users_by_id(
        uow,
        account.account_id,
        [row.assignee_id for row in rows if row.assignee_id is not None] + list(sender_user_ids),
    )
    teams = await repository.teams_by_id(uow, [row.team_id for row in rows if row.team_id is not None], account.user.id)
    windowed = [row.id for row in rows if reply_window_hours(row) is not None]
    last_incoming = await repository.last_incoming_at(uow, windowed) if windowed else {}

    last_any: dict[int, Any] = {}
    last_non_activity: dict[int, Any] = {}
    for message in message_rows:
        current = last_any.get(message.conversation_id)
        if current is None or message.id > current.id:
            last_any[message.conversation_id] = message
        if message.message_type != ACTIVITY:
            current = last_non_activity.get(message.conversation_id)
            if current is None or message.id > current.id:
                last_non_activity[message.conversation_id] = message

    files = await attachment_repository.attached_by_message(uow.conn, [message.id for message in message_rows])
    file_urls = uow.database.files

    def pushed(message: Any, conversation_data: MessageConversationData) -> Any:
        return message_push_data(
            message,
            display_ids[message.conversation_id],
            conversation_data,
            senders,
            attachments=attachment_presenters.push_data_list(files.get(message.id, []), file_urls),
        )

    display_ids = {row.id: row.display_id for row in rows}
    senders = SenderRows(users, contacts)
    now = utc_now()
    payloads: list[ConversationPayload] = []
    for row in rows:
        unread_count = unread.get(row.id, 0)
        conversation_data = MessageConversationData(
            assignee_id=row.assignee_id,
            unread_count=unread_count,
            last_activity_at=unix(row.last_activity_at),
            contact_inbox=ContactInboxRef(source_id=row.contact_inbox_source_id),
        )
        last = last_any.get(row.id)
        non_activity = last_non_activity.get(row.id)
        window = reply_window_hours(row)
        if window is None:
            can_reply = True
        else:
            incoming_at = last_incoming.get(row.id)
            can_reply = incoming_at is not None and now < incoming_at + timedelta(hours=window)
        assignee = users.get(row.assignee_id) if row.assignee_id is not None else None
        team = teams.get(row.team_id) if row.team_id is not None else None
        meta = ConversationMeta(
            sender=present_contact(contacts[row.contact_id]),
            channel=row.channel_type,
            assignee=present_agent(assignee, account.account_id) if assignee is not None else msgspec.UNSET,
            assignee_type="User" if assignee is not None else msgspec.UNSET,
            team=present_team(team, bool(team.is_member)) if team is not None else msgspec.UNSET,
            hmac_verified=row.contact_inbox_hmac_verified,
        )
        payloads.append(
            ConversationPayload(
                meta=meta,
                id=row.display_id,
                messages=[pushed(last, conversation_data)] if last else [],
                account_id=row.account_id,
                uuid=row.uuid,
                additional_attributes=row.additional_attributes or {},
                agent_last_seen_at=unix(row.agent_last_seen_at),
                assignee_last_seen_at=unix(row.assignee_last_seen_at),
                can_reply=can_reply,
                contact_last_seen_at=unix(row.contact_last_seen_at),
                custom_attributes=row.custom_attributes or {},
                inbox_id=row.inbox_id,
                labels=label_list(row.cached_label_list),
                muted=is_muted(row),
                snoozed_until=iso(row.snoozed_until),
                status=STATUS_NAMES.get(row.status, "open"),
                created_at=unix(row.created_at),
                updated_at=unix_float(row.updated_at),
                timestamp=unix(row.last_activity_at),
                first_reply_created_at=unix(row.first_reply_created_at),
                unread_count=unread_count,
                last_non_activity_message=(
                    pushed(non_activity, conversation_data) if non_activity is not None else None
                ),
                last_activity_at=unix(row.last_activity_at),
                priority=PRIORITY_NAMES.get(row.priority) if row.priority is not None else None,
                waiting_since=unix(row.waiting_since),
            )
        )
    return payloads


async def present_conversation(uow: UnitOfWork, account: AccountContext, row: Any) -> ConversationPayload:
    return (await present_conversations(uow, account, [row]))[0]
