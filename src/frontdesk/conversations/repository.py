"""Conversation queries: access-checked look-ups, the list with its filters, and the bounded loading of
everything a page of conversation payloads shows (one query per kind of related row)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from frontdesk.auth.dependencies import AccountContext
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound
from frontdesk.inboxes.repository import CHANNEL_API
from frontdesk.messages.enums import ACTIVITY, INCOMING, OUTGOING, SENDER_CONTACT, SENDER_USER
from frontdesk.models import (
    account_users,
    accounts,
    channel_api,
    contact_inboxes,
    contacts,
    conversation_labels,
    conversations,
    inbox_members,
    inboxes,
    messages,
    team_members,
    teams,
    users,
)

# The id columns are int4 on PostgreSQL: a larger id names no row.
MAX_ID = 2_147_483_647

# Chatwoot counts at most ten unread incoming messages (``unread_incoming_messages.last(10)``).
UNREAD_COUNT_LIMIT = 10


def conversation_select() -> Select[Any]:
    """A conversation row with what its payload needs from its inbox, channel and contact inbox."""
    return (
        select(
            conversations,
            inboxes.c.channel_type,
            channel_api.c.additional_attributes.label("api_channel_attributes"),
            contact_inboxes.c.source_id.label("contact_inbox_source_id"),
            contact_inboxes.c.hmac_verified.label("contact_inbox_hmac_verified"),
            # Chatwoot's Conversation#muted? is its contact being blocked.
            contacts.c.blocked.label("contact_blocked"),
        )
        .join(inboxes, inboxes.c.id == conversations.c.inbox_id)
        .join(contacts, contacts.c.id == conversations.c.contact_id)
        .outerjoin(channel_api, and_(inboxes.c.channel_type == CHANNEL_API, channel_api.c.id == inboxes.c.channel_id))
        .outerjoin(contact_inboxes, contact_inboxes.c.id == conversations.c.contact_inbox_id)
    )


def member_inboxes_subquery(account: AccountContext) -> Select[Any]:
    return (
        select(inbox_members.c.inbox_id)
        .join(inboxes, inboxes.c.id == inbox_members.c.inbox_id)
        .where(inbox_members.c.user_id == account.user.id, inboxes.c.account_id == account.account_id)
    )


def visible_to(account: AccountContext, *, include_teams: bool = False) -> ColumnElement[bool]:
    """Administrators see every conversation of the account; agents those of their inboxes (and, to open
    one, of their teams, as Chatwoot's ConversationPolicy#show?)."""
    if account.is_administrator:
        return true()
    condition: ColumnElement[bool] = conversations.c.inbox_id.in_(member_inboxes_subquery(account))
    if include_teams:
        condition = or_(
            condition,
            conversations.c.team_id.in_(
                select(team_members.c.team_id).where(team_members.c.user_id == account.user.id)
            ),
        )
    return condition


async def get_conversation(
    uow: UnitOfWork, account: AccountContext, display_id: int, *, for_update: bool = False
) -> Any:
    """The conversation with this display id in the account, if the user may see it; else 404."""
    if not 0 < display_id <= MAX_ID:
        raise NotFound()
    statement = conversation_select().where(
        conversations.c.account_id == account.account_id,
        conversations.c.display_id == display_id,
        visible_to(account, include_teams=True),
    )
    if for_update and not uow.is_sqlite:
        statement = statement.with_for_update(of=conversations)
    row = (await uow.conn.execute(statement)).first()
    if row is None:
        raise NotFound()
    return row


async def get_conversation_by_id(uow: UnitOfWork, conversation_id: int) -> Any:
    return (await uow.conn.execute(conversation_select().where(conversations.c.id == conversation_id))).one()


async def next_display_id(uow: UnitOfWork, account_id: int) -> int:
    """Hand out the account's next display id; the row lock serializes concurrent creators."""
    result = await uow.conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(last_conversation_display_id=accounts.c.last_conversation_display_id + 1)
        .returning(accounts.c.last_conversation_display_id)
    )
    value: int = result.scalar_one()
    return value


# --- the list -------------------------------------------------------------------------------------------

SORTS: dict[str, Callable[[], list[Any]]] = {
    "last_activity_at_desc": lambda: [conversations.c.last_activity_at.desc(), conversations.c.id.desc()],
    "last_activity_at_asc": lambda: [conversations.c.last_activity_at.asc(), conversations.c.id.asc()],
    "latest": lambda: [conversations.c.last_activity_at.desc(), conversations.c.id.desc()],
    "created_at_asc": lambda: [conversations.c.created_at.asc(), conversations.c.id.asc()],
    "created_at_desc": lambda: [conversations.c.created_at.desc(), conversations.c.id.desc()],
    "sort_on_created_at": lambda: [conversations.c.created_at.asc(), conversations.c.id.asc()],
    "priority_asc": lambda: [
        conversations.c.priority.asc().nulls_last(),
        conversations.c.last_activity_at.desc(),
        conversations.c.id.desc(),
    ],
    "priority_desc": lambda: [
        conversations.c.priority.desc().nulls_last(),
        conversations.c.last_activity_at.desc(),
        conversations.c.id.desc(),
    ],
    "sort_on_priority": lambda: [
        conversations.c.priority.desc().nulls_last(),
        conversations.c.last_activity_at.desc(),
        conversations.c.id.desc(),
    ],
    "priority_desc_created_at_asc": lambda: [
        conversations.c.priority.desc().nulls_last(),
        conversations.c.created_at.asc(),
        conversations.c.id.asc(),
    ],
    "waiting_since_asc": lambda: [
        case((conversations.c.waiting_since.is_(None), 1), else_=0),
        conversations.c.waiting_since.asc(),
        conversations.c.created_at.asc(),
        conversations.c.id.asc(),
    ],
    "waiting_since_desc": lambda: [
        case((conversations.c.waiting_since.is_(None), 1), else_=0),
        conversations.c.waiting_since.desc(),
        conversations.c.created_at.asc(),
        conversations.c.id.asc(),
    ],
    "sort_on_waiting_since": lambda: [
        case((conversations.c.waiting_since.is_(None), 1), else_=0),
        conversations.c.waiting_since.asc(),
        conversations.c.created_at.asc(),
        conversations.c.id.asc(),
    ],
}


def list_conditions(
    account: AccountContext,
    *,
    status: int | None,
    inbox_id: int | None,
    team_id: int | None,
    labels: Sequence[str],
    q: str | None,
    source_id: str | None = None,
    unattended: bool = False,
    updated_since: datetime | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE of Chatwoot's ConversationFinder before the assignee_type filter (the counts use it)."""
    conditions: list[ColumnElement[bool]] = [conversations.c.account_id == account.account_id, visible_to(account)]
    if inbox_id is not None:
        conditions.append(conversations.c.inbox_id == inbox_id)
    if status is not None and not q:
        conditions.append(conversations.c.status == status)
    if team_id is not None:
        conditions.append(conversations.c.team_id == team_id)
    if labels:
        conditions.append(
            exists().where(
                conversation_labels.c.conversation_id == conversations.c.id,
                conversation_labels.c.title.in_(list(labels)),
            )
        )
    if q:
        conditions.append(
            exists().where(
                messages.c.conversation_id == conversations.c.id,
                messages.c.message_type.in_([INCOMING, OUTGOING]),
                messages.c.content.icontains(q, autoescape=True),
            )
        )
    if unattended:
        conditions.append(
            or_(conversations.c.first_reply_created_at.is_(None), conversations.c.waiting_since.is_not(None))
        )
    if updated_since is not None:
        conditions.append(conversations.c.updated_at > updated_since)
    if source_id:
        conditions.append(
            conversations.c.contact_inbox_id.in_(
                select(contact_inboxes.c.id).where(contact_inboxes.c.source_id == source_id)
            )
        )
    return conditions


def assignee_condition(assignee_type: str | None, user_id: int) -> ColumnElement[bool] | None:
    if assignee_type == "me":
        return conversations.c.assignee_id == user_id
    if assignee_type == "unassigned":
        return conversations.c.assignee_id.is_(None)
    if assignee_type == "assigned":
        return conversations.c.assignee_id.is_not(None)
    return None


async def count_conversations(
    uow: UnitOfWork, conditions: list[ColumnElement[bool]], user_id: int
) -> tuple[int, int, int]:
    """(mine, unassigned, all) in one statement."""
    row = (
        await uow.conn.execute(
            select(
                func.coalesce(func.sum(case((conversations.c.assignee_id == user_id, 1), else_=0)), 0),
                func.coalesce(func.sum(case((conversations.c.assignee_id.is_(None), 1), else_=0)), 0),
                func.count(),
            )
            .select_from(conversations)
            .where(*conditions)
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def list_conversation_rows(
    uow: UnitOfWork, conditions: list[ColumnElement[bool]], sort_by: str | None, page: int, per_page: int | None
) -> list[Any]:
    """One page, or every match when ``per_page`` is None (Chatwoot's ``updated_within``)."""
    order = SORTS.get(sort_by or "", SORTS["last_activity_at_desc"])()
    statement = conversation_select().where(*conditions).order_by(*order)
    if per_page is not None:
        statement = statement.limit(per_page).offset((page - 1) * per_page)
    result = await uow.conn.execute(statement)
    return list(result)


async def contact_conversation_rows(uow: UnitOfWork, account: AccountContext, contact_id: int) -> list[Any]:
    result = await uow.conn.execute(
        conversation_select()
        .where(
            conversations.c.account_id == account.account_id,
            conversations.c.contact_id == contact_id,
            visible_to(account),
        )
        .order_by(conversations.c.last_activity_at.desc(), conversations.c.id.desc())
        .limit(20)
    )
    return list(result)


# --- related rows of a page of conversations --------------------------------------------------------------


async def last_messages(uow: UnitOfWork, conversation_ids: Sequence[int]) -> list[Any]:
    """Each conversation's last message and its last non-activity message (ids grow with creation time)."""
    if not conversation_ids:
        return []
    last_any = (
        select(func.max(messages.c.id))
        .where(messages.c.conversation_id.in_(conversation_ids))
        .group_by(messages.c.conversation_id)
    )
    last_non_activity = (
        select(func.max(messages.c.id))
        .where(messages.c.conversation_id.in_(conversation_ids), messages.c.message_type != ACTIVITY)
        .group_by(messages.c.conversation_id)
    )
    # One IN over a UNION, not an OR of two INs: PostgreSQL cannot use an index for the OR and would read
    # every message (bench/README.md, "What the profiles show").
    result = await uow.conn.execute(select(messages).where(messages.c.id.in_(union(last_any, last_non_activity))))
    return list(result)


def unread_counts_select(conversation_ids: Sequence[int]) -> Select[Any]:
    """(conversation id, incoming messages since the agents last looked), uncapped."""
    return (
        select(messages.c.conversation_id, func.count())
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(
            messages.c.conversation_id.in_(conversation_ids),
            messages.c.message_type == INCOMING,
            or_(
                conversations.c.agent_last_seen_at.is_(None),
                messages.c.created_at > conversations.c.agent_last_seen_at,
            ),
        )
        .group_by(messages.c.conversation_id)
    )


async def unread_counts(uow: UnitOfWork, conversation_ids: Sequence[int]) -> dict[int, int]:
    if not conversation_ids:
        return {}
    result = await uow.conn.execute(unread_counts_select(conversation_ids))
    return {row[0]: min(int(row[1]), UNREAD_COUNT_LIMIT) for row in result}


async def last_incoming_at(uow: UnitOfWork, conversation_ids: Sequence[int]) -> dict[int, Any]:
    if not conversation_ids:
        return {}
    result = await uow.conn.execute(
        select(messages.c.conversation_id, func.max(messages.c.created_at))
        .where(messages.c.conversation_id.in_(conversation_ids), messages.c.message_type == INCOMING)
        .group_by(messages.c.conversation_id)
    )
    return {row[0]: row[1] for row in result}


async def contacts_by_id(uow: UnitOfWork, contact_ids: Iterable[int]) -> dict[int, Any]:
    ids = sorted(set(contact_ids))
    if not ids:
        return {}
    return {row.id: row for row in await uow.conn.execute(select(contacts).where(contacts.c.id.in_(ids)))}


def account_users_select(account_id: int, user_ids: Sequence[int], *, include_departed: bool = False) -> Select[Any]:
    """Users with their role and availability in the account (what the agent partial and push data show);
    with ``include_departed``, users no longer in the account too, their role and availability NULL."""
    return (
        select(
            *[column for column in users.c if column.name != "availability"],
            account_users.c.role,
            account_users.c.availability,
            account_users.c.auto_offline,
        )
        .join(
            account_users,
            and_(account_users.c.user_id == users.c.id, account_users.c.account_id == account_id),
            isouter=include_departed,
        )
        .where(users.c.id.in_(user_ids))
    )


async def account_users_by_id(uow: UnitOfWork, account_id: int, user_ids: Iterable[int]) -> dict[int, Any]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    result = await uow.conn.execute(account_users_select(account_id, ids))
    return {row.id: row for row in result}


async def teams_by_id(uow: UnitOfWork, team_ids: Iterable[int], user_id: int) -> dict[int, Any]:
    ids = sorted(set(team_ids))
    if not ids:
        return {}
    is_member = (
        exists().where(team_members.c.team_id == teams.c.id, team_members.c.user_id == user_id).label("is_member")
    )
    result = await uow.conn.execute(select(teams, is_member).where(teams.c.id.in_(ids)))
    return {row.id: row for row in result}


def message_sender_ids(rows: Iterable[Any]) -> tuple[set[int], set[int]]:
    user_ids: set[int] = set()
    contact_ids: set[int] = set()
    for row in rows:
        if row.sender_id is None:
            continue
        if row.sender_type == SENDER_USER:
            user_ids.add(row.sender_id)
        elif row.sender_type == SENDER_CONTACT:
            contact_ids.add(row.sender_id)
    return user_ids, contact_ids


async def label_titles(uow: UnitOfWork, conversation_id: int) -> list[str]:
    result = await uow.conn.execute(
        select(conversation_labels.c.title)
        .where(conversation_labels.c.conversation_id == conversation_id)
        .order_by(conversation_labels.c.id)
    )
    return [row.title for row in result]
