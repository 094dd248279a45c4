"""Conversation operations: create (with the first message), list, status, priority, assignment,
labels, custom attributes, read state and typing. Services validate, write and emit; they never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from frontdesk.attachments.service import purge_files_of_messages
from frontdesk.auth.dependencies import ROLE_AGENT, AccountContext
from frontdesk.contacts.contact_inboxes import build_contact_inbox
from frontdesk.conversations import repository
from frontdesk.conversations.events import changed_attributes, emit_changes, emit_conversation_event
from frontdesk.conversations.presenters import PRIORITIES, PRIORITY_NAMES, STATUS_NAMES, STATUSES, label_list
from frontdesk.conversations.schemas import ConversationCreate
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, ValidationFailed, not_authorized
from frontdesk.events.dispatcher import Event
from frontdesk.inboxes.repository import get_inbox
from frontdesk.kit.time import from_unix, utc_now
from frontdesk.messages import service as messages_service
from frontdesk.messages.service import has_null_byte
from frontdesk.models import (
    account_users,
    contact_inboxes,
    contacts,
    conversation_labels,
    conversations,
    inbox_members,
    inboxes,
    messages,
    teams,
)

OPEN = STATUSES["open"]
RESOLVED = STATUSES["resolved"]
SNOOZED = STATUSES["snoozed"]


def parse_status(value: str, field: str = "status") -> int:
    if value not in STATUSES:
        raise ValidationFailed(f"'{value}' is not a valid status", [field])
    return STATUSES[value]


def parse_time(value: int | str | None, field: str) -> datetime | None:
    """Unix seconds (Chatwoot's ``DateTime.strptime(x, '%s')``) or an ISO-8601 time."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int):
            return from_unix(value)
        text = value.strip()
        if text.lstrip("-").isdigit():
            return from_unix(int(text))
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise ValidationFailed(f"{field} is invalid", [field]) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=from_unix(0).tzinfo)


async def ensure_inbox_access(uow: UnitOfWork, account: AccountContext, inbox_id: int) -> None:
    """Chatwoot's InboxPolicy#show?: administrators, or agents who are members."""
    if account.is_administrator:
        return
    member = (
        await uow.conn.execute(
            select(inbox_members.c.id).where(
                inbox_members.c.inbox_id == inbox_id, inbox_members.c.user_id == account.user.id
            )
        )
    ).first()
    if member is None:
        raise not_authorized()


async def _account_user_exists(uow: UnitOfWork, account_id: int, user_id: int) -> bool:
    row = (
        await uow.conn.execute(
            select(account_users.c.id).where(
                account_users.c.account_id == account_id, account_users.c.user_id == user_id
            )
        )
    ).first()
    return row is not None


async def _team_row(uow: UnitOfWork, account_id: int, team_id: int) -> Any:
    return (
        await uow.conn.execute(select(teams).where(teams.c.id == team_id, teams.c.account_id == account_id))
    ).first()


async def _resolve_contact_inbox(uow: UnitOfWork, account: AccountContext, params: ConversationCreate) -> Any:
    if params.inbox_id is not None and params.contact_id is not None:
        inbox = await get_inbox(uow, account.account_id, params.inbox_id)
        await ensure_inbox_access(uow, account, inbox.id)
        contact = (
            await uow.conn.execute(
                select(contacts.c.id).where(
                    contacts.c.id == params.contact_id, contacts.c.account_id == account.account_id
                )
            )
        ).first()
        if contact is None:
            raise NotFound()
        return await build_contact_inbox(uow, contact.id, inbox, params.source_id, hmac_verified=params.hmac_verified)
    if not params.source_id:
        raise NotFound()
    # Chatwoot looks the source id up globally; here only among this account's inboxes, so another
    # account's contact can never be reached.
    statement = select(contact_inboxes).join(inboxes, inboxes.c.id == contact_inboxes.c.inbox_id)
    statement = statement.where(
        contact_inboxes.c.source_id == params.source_id, inboxes.c.account_id == account.account_id
    )
    if params.inbox_id is not None:
        statement = statement.where(contact_inboxes.c.inbox_id == params.inbox_id)
    contact_inbox = (await uow.conn.execute(statement.order_by(contact_inboxes.c.id).limit(1))).first()
    if contact_inbox is None:
        raise NotFound()
    await ensure_inbox_access(uow, account, contact_inbox.inbox_id)
    return contact_inbox


async def create_conversation(
    uow: UnitOfWork, account: AccountContext, params: ConversationCreate, *, flood_limit: int
) -> Any:
    """Chatwoot's ConversationBuilder plus the first message; returns the conversation row."""
    status = parse_status(params.status) if params.status else OPEN
    for field in ("additional_attributes", "custom_attributes"):
        if has_null_byte(getattr(params, field)):
            raise ValidationFailed(f"{field} contain a null byte", [field])
    snoozed_until = parse_time(params.snoozed_until, "snoozed_until")
    if params.assignee_id is not None and not await _account_user_exists(uow, account.account_id, params.assignee_id):
        raise ValidationFailed("Assignee must be an agent of this account", ["assignee_id"])
    if params.team_id is not None and await _team_row(uow, account.account_id, params.team_id) is None:
        raise ValidationFailed("Team must belong to this account", ["team_id"])
    contact_inbox = await _resolve_contact_inbox(uow, account, params)
    inbox = (await uow.conn.execute(select(inboxes).where(inboxes.c.id == contact_inbox.inbox_id))).one()

    conversation_id: int | None = None
    if inbox.lock_to_single_conversation:
        conversation_id = (
            await uow.conn.execute(
                select(conversations.c.id)
                .where(conversations.c.contact_inbox_id == contact_inbox.id)
                .order_by(conversations.c.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
    if conversation_id is None:
        blocked = (
            await uow.conn.execute(select(contacts.c.blocked).where(contacts.c.id == contact_inbox.contact_id))
        ).scalar_one()
        if blocked:
            status = RESOLVED
        if status != SNOOZED:
            snoozed_until = None
        now = utc_now()
        display_id = await repository.next_display_id(uow, account.account_id)
        conversation_id = (
            await uow.conn.execute(
                insert(conversations)
                .values(
                    account_id=account.account_id,
                    display_id=display_id,
                    uuid=str(uuid.uuid4()),
                    inbox_id=contact_inbox.inbox_id,
                    contact_id=contact_inbox.contact_id,
                    contact_inbox_id=contact_inbox.id,
                    status=status,
                    assignee_id=params.assignee_id,
                    team_id=params.team_id,
                    snoozed_until=snoozed_until,
                    additional_attributes=params.additional_attributes or {},
                    custom_attributes=params.custom_attributes or {},
                    cached_label_list="",
                    waiting_since=now,
                    last_activity_at=now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(conversations.c.id)
            )
        ).scalar_one()
        created = await repository.get_conversation_by_id(uow, conversation_id)
        emit_conversation_event(uow, "conversation.created", created, performer_id=account.user.id)
        if params.assignee_id is not None:
            emit_conversation_event(
                uow,
                "assignee.changed",
                created,
                changes={"assignee_id": (None, params.assignee_id)},
                performer_id=account.user.id,
            )
        if params.team_id is not None:
            emit_conversation_event(
                uow,
                "team.changed",
                created,
                changes={"team_id": (None, params.team_id)},
                performer_id=account.user.id,
            )
    if params.message is not None:
        row = await repository.get_conversation_by_id(uow, conversation_id)
        await messages_service.create_message(
            uow, account, row, params.message, flood_limit=flood_limit, record_style_errors=True
        )
    return await repository.get_conversation_by_id(uow, conversation_id)


@dataclass
class ConversationPage:
    rows: list[Any]
    mine_count: int
    assigned_count: int
    unassigned_count: int
    all_count: int


@dataclass
class ListFilters:
    status: str | None = None
    assignee_type: str | None = None
    inbox_id: int | None = None
    team_id: int | None = None
    labels: tuple[str, ...] = ()
    q: str | None = None
    source_id: str | None = None
    conversation_type: str | None = None
    updated_within: int | None = None
    sort_by: str | None = None
    page: int = 1


async def _list_conditions(uow: UnitOfWork, account: AccountContext, filters: ListFilters) -> list[Any]:
    status: int | None
    if filters.status == "all":
        status = None
    elif filters.status in STATUSES:
        status = STATUSES[filters.status]
    else:
        status = OPEN
    if filters.team_id is not None and await _team_row(uow, account.account_id, filters.team_id) is None:
        raise NotFound()
    return repository.list_conditions(
        account,
        status=status,
        inbox_id=filters.inbox_id,
        team_id=filters.team_id,
        labels=filters.labels,
        q=filters.q,
        source_id=filters.source_id,
        unattended=filters.conversation_type == "unattended",
        updated_since=(
            utc_now() - timedelta(seconds=filters.updated_within) if filters.updated_within is not None else None
        ),
    )


async def count_conversations(uow: UnitOfWork, account: AccountContext, filters: ListFilters) -> ConversationPage:
    conditions = await _list_conditions(uow, account, filters)
    mine, unassigned, total = await repository.count_conversations(uow, conditions, account.user.id)
    return ConversationPage([], mine, total - unassigned, unassigned, total)


async def list_conversations(
    uow: UnitOfWork, account: AccountContext, filters: ListFilters, *, per_page: int
) -> ConversationPage:
    """Chatwoot's ConversationFinder: counts before the assignee filter, then one page."""
    conditions = await _list_conditions(uow, account, filters)
    mine, unassigned, total = await repository.count_conversations(uow, conditions, account.user.id)
    assignee = repository.assignee_condition(filters.assignee_type, account.user.id)
    if assignee is not None:
        conditions.append(assignee)
    # updated_within (the dashboard's refresh after a reconnect) lists every match, unpaginated, as Chatwoot.
    page_size = None if filters.updated_within is not None else per_page
    rows = await repository.list_conversation_rows(uow, conditions, filters.sort_by, max(filters.page, 1), page_size)
    return ConversationPage(rows, mine, total - unassigned, unassigned, total)


async def contact_conversations(uow: UnitOfWork, account: AccountContext, contact_id: int) -> list[Any]:
    if not 0 < contact_id <= repository.MAX_ID:
        raise NotFound()
    contact = (
        await uow.conn.execute(
            select(contacts.c.id).where(contacts.c.id == contact_id, contacts.c.account_id == account.account_id)
        )
    ).first()
    if contact is None:
        raise NotFound()
    return await repository.contact_conversation_rows(uow, account, contact_id)


async def _write(
    uow: UnitOfWork, conversation: Any, values: dict[str, Any], changes: dict[str, tuple[Any, Any]], performer: int
) -> Any:
    """One UPDATE of the conversation row, its events, and the row as payloads read it."""
    values.setdefault("updated_at", utc_now())
    await uow.conn.execute(update(conversations).where(conversations.c.id == conversation.id).values(**values))
    emit_changes(uow, conversation, changes, performer)
    return await repository.get_conversation_by_id(uow, conversation.id)


@dataclass
class StatusResult:
    row: Any
    success: bool


async def toggle_status(
    uow: UnitOfWork,
    account: AccountContext,
    conversation: Any,
    status_name: str | None,
    snoozed_until_value: int | str | None,
) -> StatusResult:
    """With a status, set it (and ``snoozed_until``); without, open ↔ resolved (pending/snoozed → open).
    An agent whose change leaves the conversation open becomes its assignee, as in Chatwoot."""
    snoozed_until = conversation.snoozed_until
    if status_name:
        status = parse_status(status_name)
        if snoozed_until_value is not None:
            snoozed_until = parse_time(snoozed_until_value, "snoozed_until")
    else:
        status = RESOLVED if conversation.status == OPEN else OPEN
    if status != SNOOZED:
        snoozed_until = None
    values: dict[str, Any] = {"status": status, "snoozed_until": snoozed_until}
    changes: dict[str, tuple[Any, Any]] = {
        "status": (STATUS_NAMES[conversation.status], STATUS_NAMES[status]),
        "snoozed_until": (conversation.snoozed_until, snoozed_until),
    }
    if status == RESOLVED and conversation.status != RESOLVED:
        values["waiting_since"] = None
        changes["waiting_since"] = (conversation.waiting_since, None)
    if status == OPEN and account.role == ROLE_AGENT:
        values["assignee_id"] = account.user.id
        changes["assignee_id"] = (conversation.assignee_id, account.user.id)
    row = await _write(uow, conversation, values, changes, account.user.id)
    return StatusResult(row, True)


def parse_priority(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if value not in PRIORITIES:
        raise ValidationFailed(f"'{value}' is not a valid priority", ["priority"])
    return PRIORITIES[value]


async def set_priority(uow: UnitOfWork, account: AccountContext, conversation: Any, value: str | None) -> Any:
    priority = parse_priority(value)
    previous = PRIORITY_NAMES.get(conversation.priority) if conversation.priority is not None else None
    return await _write(
        uow, conversation, {"priority": priority}, {"priority": (previous, value or None)}, account.user.id
    )


async def assign_agent(uow: UnitOfWork, account: AccountContext, conversation: Any, assignee_id: int | None) -> Any:
    """Returns the updated row; the assignee's payload is read from it."""
    if assignee_id is not None and not await _account_user_exists(uow, account.account_id, assignee_id):
        raise ValidationFailed("Assignee must be an agent of this account", ["assignee_id"])
    return await _write(
        uow,
        conversation,
        {"assignee_id": assignee_id},
        {"assignee_id": (conversation.assignee_id, assignee_id)},
        account.user.id,
    )


async def assign_team(uow: UnitOfWork, account: AccountContext, conversation: Any, team_id: int | None) -> Any:
    """Returns the team row (or None when unassigned)."""
    team = None
    if team_id is not None:
        team = await _team_row(uow, account.account_id, team_id)
        if team is None:
            raise ValidationFailed("Team must belong to this account", ["team_id"])
    await _write(uow, conversation, {"team_id": team_id}, {"team_id": (conversation.team_id, team_id)}, account.user.id)
    return team


def normalize_labels(values: list[str] | None) -> list[str]:
    """acts-as-taggable's parsing: trimmed, blanks dropped, duplicates dropped, order kept."""
    titles: list[str] = []
    for value in values or []:
        for part in value.split(","):
            title = part.strip()
            if title and title not in titles:
                titles.append(title)
    return titles


async def set_labels(
    uow: UnitOfWork, account: AccountContext, conversation: Any, values: list[str] | None
) -> list[str]:
    """Replace the conversation's labels; ``cached_label_list`` follows ``conversation_labels``."""
    wanted = normalize_labels(values)
    current = await repository.label_titles(uow, conversation.id)
    removed = [title for title in current if title not in wanted]
    added = [title for title in wanted if title not in current]
    if removed:
        await uow.conn.execute(
            delete(conversation_labels).where(
                and_(conversation_labels.c.conversation_id == conversation.id, conversation_labels.c.title.in_(removed))
            )
        )
    if added:
        await uow.conn.execute(
            insert(conversation_labels),
            [{"account_id": conversation.account_id, "conversation_id": conversation.id, "title": t} for t in added],
        )
    result = [title for title in current if title in wanted] + added
    if removed or added:
        await _write(
            uow,
            conversation,
            {"cached_label_list": ", ".join(result)},
            {"label_list": (label_list(conversation.cached_label_list), result)},
            account.user.id,
        )
    return result


async def set_custom_attributes(
    uow: UnitOfWork, account: AccountContext, conversation: Any, attributes: dict[str, Any] | None
) -> Any:
    attributes = attributes or {}
    if has_null_byte(attributes):
        raise ValidationFailed("custom_attributes contain a null byte", ["custom_attributes"])
    return await _write(
        uow,
        conversation,
        {"custom_attributes": attributes},
        {"custom_attributes": (conversation.custom_attributes or {}, attributes)},
        account.user.id,
    )


async def _messages_since(uow: UnitOfWork, conversation_id: int, since: datetime | None) -> bool:
    statement = select(messages.c.id).where(messages.c.conversation_id == conversation_id)
    if since is not None:
        statement = statement.where(messages.c.created_at > since)
    return (await uow.conn.execute(statement.limit(1))).first() is not None


async def update_last_seen(uow: UnitOfWork, account: AccountContext, conversation: Any) -> Any:
    """Chatwoot's update_last_seen: written at once when there is something unread, otherwise at most
    once an hour (agents flick between conversations all day)."""
    now = utc_now()
    is_assignee = conversation.assignee_id is not None and conversation.assignee_id == account.user.id
    seen = conversation.assignee_last_seen_at if is_assignee else conversation.agent_last_seen_at
    if not await _messages_since(uow, conversation.id, seen):
        hour_ago = now - timedelta(hours=1)
        stale = [conversation.agent_last_seen_at] + ([conversation.assignee_last_seen_at] if is_assignee else [])
        if all(value is not None and value >= hour_ago for value in stale):
            return conversation
    values: dict[str, Any] = {"agent_last_seen_at": now}
    if is_assignee:
        values["assignee_last_seen_at"] = now
    # Chatwoot writes these with update_columns: no updated_at, no conversation events.
    await uow.conn.execute(update(conversations).where(conversations.c.id == conversation.id).values(**values))
    return await repository.get_conversation_by_id(uow, conversation.id)


def toggle_typing(
    uow: UnitOfWork,
    account: AccountContext,
    conversation: Any,
    status: str | None,
    is_private: bool,
    user: dict[str, Any],
) -> None:
    """Typing is only announced (``conversation.typing_on``/``_off``), never stored."""
    if status not in ("on", "off"):
        return
    emit_conversation_event(
        uow,
        f"conversation.typing_{status}",
        conversation,
        performer_id=account.user.id,
        extra={"user": user, "is_private": is_private},
    )


async def _set_contact_blocked(uow: UnitOfWork, account: AccountContext, conversation: Any, blocked: bool) -> None:
    previous = (
        await uow.conn.execute(select(contacts.c.blocked).where(contacts.c.id == conversation.contact_id))
    ).scalar_one()
    if previous == blocked:
        return
    now = utc_now()
    await uow.conn.execute(
        update(contacts).where(contacts.c.id == conversation.contact_id).values(blocked=blocked, updated_at=now)
    )
    uow.emit(
        Event(
            "contact.updated",
            conversation.account_id,
            now,
            {"contact_id": conversation.contact_id},
            {
                "changed_attributes": changed_attributes({"blocked": (previous, blocked)}),
                "performer_id": account.user.id,
            },
        )
    )


async def mute(uow: UnitOfWork, account: AccountContext, conversation: Any) -> None:
    """Chatwoot's mute!: resolve the conversation and block its contact."""
    if conversation.status != RESOLVED:
        values: dict[str, Any] = {"status": RESOLVED, "snoozed_until": None, "waiting_since": None}
        changes: dict[str, tuple[Any, Any]] = {
            "status": (STATUS_NAMES[conversation.status], "resolved"),
            "snoozed_until": (conversation.snoozed_until, None),
            "waiting_since": (conversation.waiting_since, None),
        }
        await _write(uow, conversation, values, changes, account.user.id)
    await _set_contact_blocked(uow, account, conversation, True)


async def unmute(uow: UnitOfWork, account: AccountContext, conversation: Any) -> None:
    await _set_contact_blocked(uow, account, conversation, False)
    if conversation.muted:
        await uow.conn.execute(update(conversations).where(conversations.c.id == conversation.id).values(muted=False))


async def mark_unread(uow: UnitOfWork, account: AccountContext, conversation: Any) -> Any:
    """Chatwoot's ``unread``: last seen moves to a second before the last incoming message."""
    last_incoming = (await repository.last_incoming_at(uow, [conversation.id])).get(conversation.id)
    seen_at = last_incoming - timedelta(seconds=1) if last_incoming is not None else None
    await uow.conn.execute(
        update(conversations)
        .where(conversations.c.id == conversation.id)
        .values(agent_last_seen_at=seen_at, assignee_last_seen_at=seen_at)
    )
    return await repository.get_conversation_by_id(uow, conversation.id)


async def delete_conversation(uow: UnitOfWork, account: AccountContext, conversation: Any) -> None:
    """Administrators only; messages and labels go with it."""
    account.require_administrator()
    await purge_files_of_messages(uow, account.account_id, messages.c.conversation_id == conversation.id)
    await uow.conn.execute(delete(messages).where(messages.c.conversation_id == conversation.id))
    await uow.conn.execute(delete(conversation_labels).where(conversation_labels.c.conversation_id == conversation.id))
    await uow.conn.execute(delete(conversations).where(conversations.c.id == conversation.id))
    emit_conversation_event(uow, "conversation.deleted", conversation, performer_id=account.user.id)
