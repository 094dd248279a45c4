"""Widget API queries. The inbox is found by its channel's ``website_token``, the visitor by the
``source_id`` of its widget token among that inbox's contact inboxes; nothing is looked up by a bare id
without one of those."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.sql.elements import ColumnElement

from frontdesk.conversations.repository import MAX_ID, conversation_select
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound
from frontdesk.inboxes.repository import CHANNEL_WEB_WIDGET
from frontdesk.messages.enums import ACTIVITY
from frontdesk.models import (
    account_users,
    accounts,
    channel_web_widgets,
    contact_inboxes,
    contacts,
    conversations,
    inbox_members,
    inboxes,
    labels,
    messages,
    users,
)
from frontdesk.public.repository import find_contact_inbox

WIDGET_NOT_FOUND = "web widget does not exist"
# Website tokens are 24 characters; a longer value names no widget (and is not worth a query).
MAX_WEBSITE_TOKEN_LENGTH = 64

_CHANNEL_COLUMNS = [
    channel_web_widgets.c.website_token,
    channel_web_widgets.c.website_url,
    channel_web_widgets.c.widget_color,
    channel_web_widgets.c.welcome_title,
    channel_web_widgets.c.welcome_tagline,
    channel_web_widgets.c.reply_time,
    channel_web_widgets.c.feature_flags,
    channel_web_widgets.c.hmac_token,
    channel_web_widgets.c.hmac_mandatory,
    channel_web_widgets.c.pre_chat_form_enabled,
    channel_web_widgets.c.pre_chat_form_options,
    channel_web_widgets.c.continuity_via_email,
    channel_web_widgets.c.allowed_domains,
]


async def get_web_widget(uow: UnitOfWork, website_token: str | None) -> Any:
    """The web widget inbox of this website token, with its channel's columns and its account's
    ``account_status``, ``account_locale`` and ``account_feature_flags``; else 404."""
    token = (website_token or "").strip()
    if not token or len(token) > MAX_WEBSITE_TOKEN_LENGTH:
        raise NotFound(WIDGET_NOT_FOUND)

    async def load() -> Any:
        return (
            await uow.conn.execute(
                select(
                    inboxes,
                    *_CHANNEL_COLUMNS,
                    accounts.c.status.label("account_status"),
                    accounts.c.locale.label("account_locale"),
                    accounts.c.feature_flags.label("account_feature_flags"),
                )
                .join(channel_web_widgets, channel_web_widgets.c.id == inboxes.c.channel_id)
                .join(accounts, accounts.c.id == inboxes.c.account_id)
                .where(inboxes.c.channel_type == CHANNEL_WEB_WIDGET, channel_web_widgets.c.website_token == token)
            )
        ).first()

    row = await uow.database.cache.get("widget_inboxes", token, load, uow.written)
    if row is None:
        raise NotFound(WIDGET_NOT_FOUND)
    return row


async def find_session(uow: UnitOfWork, inbox_id: int, source_id: str) -> Any | None:
    """The contact inbox with this ``source_id`` in this inbox."""
    return await find_contact_inbox(uow, inbox_id, source_id)


async def get_contact(uow: UnitOfWork, contact_id: int) -> Any:
    return (await uow.conn.execute(select(contacts).where(contacts.c.id == contact_id))).one()


def visible_conversations(contact_inbox: Any) -> ColumnElement[bool]:
    """Chatwoot's widget ``conversations``: a verified session sees the conversations of every verified
    session of its contact in this inbox; any other only those of its own session."""
    if contact_inbox.hmac_verified:
        verified_sessions = select(contact_inboxes.c.id).where(
            contact_inboxes.c.contact_id == contact_inbox.contact_id,
            contact_inboxes.c.inbox_id == contact_inbox.inbox_id,
            contact_inboxes.c.hmac_verified.is_(True),
        )
        return and_(
            conversations.c.contact_id == contact_inbox.contact_id,
            conversations.c.inbox_id == contact_inbox.inbox_id,
            conversations.c.contact_inbox_id.in_(verified_sessions),
        )
    return and_(
        conversations.c.contact_inbox_id == contact_inbox.id, conversations.c.inbox_id == contact_inbox.inbox_id
    )


async def last_conversation(uow: UnitOfWork, contact_inbox: Any, *, for_update: bool = False) -> Any | None:
    """ "The conversation" of most widget endpoints: the visitor's latest."""
    statement = (
        conversation_select().where(visible_conversations(contact_inbox)).order_by(conversations.c.id.desc()).limit(1)
    )
    if for_update and not uow.is_sqlite:
        statement = statement.with_for_update(of=conversations)
    return (await uow.conn.execute(statement)).first()


async def get_visible_message(uow: UnitOfWork, contact_inbox: Any, message_id: int) -> Any:
    """A public message of any of the visitor's conversations (Chatwoot's ``set_message``); else 404."""
    if not 0 < message_id <= MAX_ID:
        raise NotFound()
    visible = select(conversations.c.id).where(visible_conversations(contact_inbox))
    row = (
        await uow.conn.execute(
            select(messages).where(
                messages.c.id == message_id,
                messages.c.conversation_id.in_(visible),
                messages.c.private.is_(False),
                messages.c.message_type != ACTIVITY,
            )
        )
    ).first()
    if row is None:
        raise NotFound()
    return row


async def get_conversation_by_id(uow: UnitOfWork, conversation_id: int) -> Any:
    return (await uow.conn.execute(conversation_select().where(conversations.c.id == conversation_id))).one()


async def inbox_agents(uow: UnitOfWork, inbox: Any) -> list[Any]:
    """The inbox's members who are agents of its account, with their availability there."""
    result = await uow.conn.execute(
        select(
            users.c.id,
            users.c.name,
            users.c.display_name,
            users.c.avatar_url,
            account_users.c.availability,
            account_users.c.auto_offline,
        )
        .select_from(inbox_members)
        .join(users, users.c.id == inbox_members.c.user_id)
        .join(
            account_users,
            and_(account_users.c.user_id == users.c.id, account_users.c.account_id == inbox.account_id),
        )
        .where(inbox_members.c.inbox_id == inbox.id)
        .order_by(users.c.id)
    )
    return list(result)


async def existing_label_titles(uow: UnitOfWork, account_id: int, titles: list[str]) -> list[str]:
    """Those of ``titles`` that are labels of the account (the widget never creates labels)."""
    if not titles:
        return []
    result = await uow.conn.execute(
        select(labels.c.title).where(labels.c.account_id == account_id, labels.c.title.in_(titles))
    )
    found = set(result.scalars())
    return [title for title in titles if title in found]
