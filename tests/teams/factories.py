"""Rows the label and team tests need from domains whose APIs they do not exercise: conversations
and contacts, written directly so these tests depend on no other API."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from frontdesk.models import contacts, conversations, inboxes
from tests.fixtures.server import ThrowawayDatabase


def insert_conversation(
    test_database: ThrowawayDatabase, account_id: int, *, cached_label_list: str = "", team_id: int | None = None
) -> int:
    """An inbox, a contact and a conversation of the account; returns the conversation's primary key."""
    with test_database.sync_engine.begin() as conn:
        inbox_id = conn.execute(
            sa.insert(inboxes)
            .values(account_id=account_id, channel_type="Channel::Api", channel_id=0, name="Inbox")
            .returning(inboxes.c.id)
        ).scalar_one()
        contact_id = conn.execute(
            sa.insert(contacts).values(account_id=account_id, name="Someone").returning(contacts.c.id)
        ).scalar_one()
        display_id = (
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(conversations.c.display_id), 0)).where(
                    conversations.c.account_id == account_id
                )
            ).scalar_one()
            + 1
        )
        conversation_id: int = conn.execute(
            sa.insert(conversations)
            .values(
                account_id=account_id,
                display_id=display_id,
                uuid=str(uuid.uuid4()),
                inbox_id=inbox_id,
                contact_id=contact_id,
                cached_label_list=cached_label_list,
                team_id=team_id,
            )
            .returning(conversations.c.id)
        ).scalar_one()
    return conversation_id


def insert_contact(test_database: ThrowawayDatabase, account_id: int) -> int:
    with test_database.sync_engine.begin() as conn:
        contact_id: int = conn.execute(
            sa.insert(contacts).values(account_id=account_id, name="Tagged").returning(contacts.c.id)
        ).scalar_one()
    return contact_id


def query(test_database: ThrowawayDatabase, statement: Any) -> list[Any]:
    with test_database.sync_engine.connect() as conn:
        return list(conn.execute(statement).all())
