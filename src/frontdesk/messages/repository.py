"""The message create's statements, run through the driver (:mod:`frontdesk.kit.driver`).

A message create is, at its core, one transaction that reads (and locks) the conversation, inserts the
message, updates the conversation (and, for an incoming message, the contact) and writes the outbox rows.
Each step here is one round trip and returns what the payloads need, so the commit's webhook payload
and realtime frame read almost nothing again:

* the conversation with its inbox's channel, its contact and contact inbox (whole rows), its unread count
  and the count of its messages of the last minute for the flood guard;
* the inserted message (``RETURNING``);
* the updated conversation (``RETURNING``);
* the contact with its new ``last_activity_at`` (``RETURNING``).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, true, update

from frontdesk.auth.dependencies import AccountContext
from frontdesk.conversations.repository import MAX_ID, UNREAD_COUNT_LIMIT, conversation_select
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound
from frontdesk.kit.driver import DriverRow, Prepared
from frontdesk.messages.enums import INCOMING
from frontdesk.models import contact_inboxes, contacts, conversations, inbox_members, inboxes, messages, team_members

_CONTACT = "contact__"
_CONTACT_INBOX = "contact_inbox__"


def _messages_since(since: Any) -> Any:
    return (
        select(func.count())
        .select_from(messages)
        .where(messages.c.conversation_id == conversations.c.id, messages.c.created_at >= since)
        .correlate(conversations)
        .scalar_subquery()
    )


def _unread_count() -> Any:
    """Chatwoot's ``unread_incoming_messages.last(10)`` of the row being updated."""
    since_seen = or_(
        conversations.c.agent_last_seen_at.is_(None), messages.c.created_at > conversations.c.agent_last_seen_at
    )
    unread = (
        select(messages.c.id)
        .where(and_(messages.c.conversation_id == conversations.c.id, messages.c.message_type == INCOMING, since_seen))
        .correlate(conversations)
        .limit(UNREAD_COUNT_LIMIT)
        .subquery()
    )
    return select(func.count()).select_from(unread).scalar_subquery()


def _target_select() -> Any:
    return conversation_select().add_columns(
        _messages_since(bindparam("since")).label("messages_last_minute"),
        _unread_count().label("unread_count"),
        *[column.label(_CONTACT + column.key) for column in contacts.c],
        *[column.label(_CONTACT_INBOX + column.key) for column in contact_inboxes.c],
    )


def _conversation_statement(*, agent: bool) -> Prepared:
    statement = _target_select().where(
        conversations.c.account_id == bindparam("account_id"),
        conversations.c.display_id == bindparam("display_id"),
    )
    if agent:
        # conversations.repository.visible_to(include_teams=True), with the user as a parameter.
        member_inboxes = (
            select(inbox_members.c.inbox_id)
            .join(inboxes, inboxes.c.id == inbox_members.c.inbox_id)
            .where(inbox_members.c.user_id == bindparam("user_id"), inboxes.c.account_id == bindparam("account_id"))
        )
        teams_of_user = select(team_members.c.team_id).where(team_members.c.user_id == bindparam("user_id"))
        statement = statement.where(
            or_(conversations.c.inbox_id.in_(member_inboxes), conversations.c.team_id.in_(teams_of_user))
        )
    # Writers of one conversation take turns (SQLite has one writer anyway: it renders no FOR UPDATE).
    return Prepared(statement.with_for_update(of=conversations))


_FOR_ADMINISTRATOR = _conversation_statement(agent=False)
_FOR_AGENT = _conversation_statement(agent=True)


def _split_columns(row: DriverRow, *prefixes: str) -> list[dict[str, Any]]:
    """A row of several tables' prefixed columns, apart: the unprefixed columns, then each prefix's (the
    prefixes are tried in the order given)."""
    parts: list[dict[str, Any]] = [{} for _ in range(len(prefixes) + 1)]
    for key, value in row._mapping.items():
        for index, prefix in enumerate(prefixes, 1):
            if key.startswith(prefix):
                parts[index][key[len(prefix) :]] = value
                break
        else:
            parts[0][key] = value
    return parts


def _split(row: DriverRow) -> tuple[DriverRow, DriverRow, DriverRow | None]:
    own, contact_inbox, contact = _split_columns(row, _CONTACT_INBOX, _CONTACT)
    return (
        DriverRow(own),
        DriverRow(contact),
        DriverRow(contact_inbox) if contact_inbox.get("id") is not None else None,
    )


class MessageTarget:
    """The conversation a message goes into (the columns of ``conversation_select`` plus
    ``messages_last_minute``), and its contact and contact inbox rows."""

    __slots__ = ("contact", "contact_inbox", "conversation")

    def __init__(self, conversation: Any, contact: Any | None = None, contact_inbox: Any | None = None) -> None:
        self.conversation = conversation
        self.contact = contact
        self.contact_inbox = contact_inbox


async def conversation_for_message(
    uow: UnitOfWork, account: AccountContext, display_id: int, since: datetime
) -> MessageTarget:
    """The conversation with this display id, locked for the write, if the user may see it; else 404."""
    if not 0 < display_id <= MAX_ID:
        raise NotFound()
    if account.is_administrator:
        row = await _FOR_ADMINISTRATOR.fetchrow(uow, account_id=account.account_id, display_id=display_id, since=since)
    else:
        row = await _FOR_AGENT.fetchrow(
            uow, account_id=account.account_id, display_id=display_id, since=since, user_id=account.user.id
        )
    if row is None:
        raise NotFound()
    return MessageTarget(*_split(row))


def _session_statement() -> Prepared:
    """The Client API's: the conversation a contact session (inbox and ``source_id``) may write to — a
    verified session any of its contact's conversations in the inbox, any other only its own (as
    ``public.repository.visible_conversations``)."""
    session = contact_inboxes.alias("session")
    visible = or_(
        and_(session.c.hmac_verified.is_(True), conversations.c.contact_id == session.c.contact_id),
        and_(session.c.hmac_verified.is_not(True), conversations.c.contact_inbox_id == session.c.id),
    )
    statement = (
        _target_select()
        .join(session, and_(session.c.inbox_id == conversations.c.inbox_id, visible))
        .where(
            session.c.inbox_id == bindparam("inbox_id"),
            session.c.source_id == bindparam("source_id"),
            conversations.c.display_id == bindparam("display_id"),
        )
    )
    return Prepared(statement.with_for_update(of=conversations))


_FOR_SESSION = _session_statement()


async def conversation_for_session(
    uow: UnitOfWork, inbox_id: int, source_id: str, display_id: int, since: datetime
) -> MessageTarget:
    """The conversation with this display id that the contact session may write to, locked; else 404."""
    if not 0 < display_id <= MAX_ID:
        raise NotFound()
    row = await _FOR_SESSION.fetchrow(uow, inbox_id=inbox_id, source_id=source_id, display_id=display_id, since=since)
    if row is None:
        raise NotFound()
    return MessageTarget(*_split(row))


_RECENT = Prepared(
    select(func.count())
    .select_from(messages)
    .where(messages.c.conversation_id == bindparam("conversation_id"), messages.c.created_at >= bindparam("since"))
)


async def messages_since(uow: UnitOfWork, conversation_id: int, since: datetime) -> int:
    row = await _RECENT.fetchrow(uow, conversation_id=conversation_id, since=since)
    return int(next(iter(row))) if row is not None else 0


_MESSAGE_COLUMNS = [column.key for column in messages.c if column.key != "id"]
_INSERT = Prepared(insert(messages).values({key: bindparam(key) for key in _MESSAGE_COLUMNS}).returning(*messages.c))


async def insert_message(uow: UnitOfWork, values: dict[str, Any]) -> DriverRow:
    row = await _INSERT.fetchrow(uow, **values)
    assert row is not None
    return row


@cache
def _conversation_update(columns: frozenset[str]) -> Prepared:
    """An update of exactly these columns (others written concurrently stay as they are)."""
    values: dict[str, Any] = {column: bindparam("new_" + column) for column in sorted(columns)}
    return Prepared(
        update(conversations)
        .where(conversations.c.id == bindparam("conversation_id"))
        .values(values)
        .returning(*conversations.c)
    )


async def update_conversation(uow: UnitOfWork, conversation_id: int, values: dict[str, Any]) -> DriverRow:
    """Write ``values`` to the conversation; its row after the write."""
    statement = _conversation_update(frozenset(values))
    row = await statement.fetchrow(
        uow, conversation_id=conversation_id, **{"new_" + key: value for key, value in values.items()}
    )
    assert row is not None
    return row


def unread_count_after(conversation: Any, message: Any) -> int | None:
    """The conversation's unread count once ``message`` is in: the count read with the conversation (before
    it) plus the message if it is an incoming one the agents have not seen, at most Chatwoot's ten."""
    before = getattr(conversation, "unread_count", None)
    if before is None:
        return None
    seen = conversation.agent_last_seen_at
    unseen = message.message_type == INCOMING and (seen is None or message.created_at > seen)
    return min(UNREAD_COUNT_LIMIT, int(before) + (1 if unseen else 0))


_TOUCH_CONTACT = Prepared(
    update(contacts)
    .where(contacts.c.id == bindparam("contact_id"))
    .values(last_activity_at=bindparam("now"))
    .returning(*contacts.c)
)


async def touch_contact(uow: UnitOfWork, contact_id: int, now: datetime) -> DriverRow:
    row = await _TOUCH_CONTACT.fetchrow(uow, contact_id=contact_id, now=now)
    assert row is not None
    return row


_CONVERSATION = "conversation__"


@cache
def _write_statement(columns: frozenset[str], touch_contact: bool) -> Prepared:
    """PostgreSQL: the insert, the conversation's update and the contact's in one statement (data-modifying
    CTEs), the three rows returned side by side as one row of prefixed columns."""
    message = insert(messages).values({key: bindparam(key) for key in _MESSAGE_COLUMNS}).returning(*messages.c)
    written = message.cte("written_message")
    conversation = (
        update(conversations)
        .where(conversations.c.id == bindparam("conversation_id"))
        .values({column: bindparam("new_" + column) for column in sorted(columns)})
        .returning(*conversations.c)
        .cte("updated_conversation")
    )
    selected = [column.label(column.key) for column in written.c]
    selected += [column.label(_CONVERSATION + column.key) for column in conversation.c]
    statement = select(*selected).select_from(written).join(conversation, true())
    if touch_contact:
        contact = (
            update(contacts)
            .where(contacts.c.id == bindparam("contact_id"))
            .values(last_activity_at=bindparam("now"))
            .returning(*contacts.c)
            .cte("touched_contact")
        )
        statement = statement.add_columns(*(column.label(_CONTACT + column.key) for column in contact.c))
        statement = statement.join(contact, true())
    return Prepared(statement)


async def write_message(
    uow: UnitOfWork,
    message_values: dict[str, Any],
    conversation_values: dict[str, Any],
    *,
    touch_contact_id: int | None,
    now: datetime,
) -> tuple[DriverRow, DriverRow, DriverRow | None]:
    """Insert the message, update its conversation with ``conversation_values`` and, for a contact's message,
    the contact's ``last_activity_at``; the three rows as they are now (the contact's ``None`` when untouched).
    One round trip on PostgreSQL, three on SQLite (which has no data-modifying CTEs)."""
    conversation_id = message_values["conversation_id"]
    if uow.is_sqlite:
        message = await insert_message(uow, message_values)
        conversation = await update_conversation(uow, conversation_id, conversation_values)
        contact = await touch_contact(uow, touch_contact_id, now) if touch_contact_id is not None else None
        return message, conversation, contact
    statement = _write_statement(frozenset(conversation_values), touch_contact_id is not None)
    row = await statement.fetchrow(
        uow,
        **message_values,
        contact_id=touch_contact_id,
        now=now,
        **{"new_" + key: value for key, value in conversation_values.items()},
    )
    assert row is not None
    own, conversation_row, contact_row = _split_columns(row, _CONVERSATION, _CONTACT)
    return DriverRow(own), DriverRow(conversation_row), DriverRow(contact_row) if contact_row else None
