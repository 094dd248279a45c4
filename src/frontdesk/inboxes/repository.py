"""Inbox look-ups shared by every domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound
from frontdesk.models import inbox_members, inboxes

CHANNEL_API = "Channel::Api"
CHANNEL_WEB_WIDGET = "Channel::WebWidget"


async def get_inbox(uow: UnitOfWork, account_id: int, inbox_id: int) -> Any:
    """The inbox row, or 404 when it is not in this account."""
    row = (
        await uow.conn.execute(select(inboxes).where(inboxes.c.id == inbox_id, inboxes.c.account_id == account_id))
    ).first()
    if row is None:
        raise NotFound()
    return row


async def member_inbox_ids(uow: UnitOfWork, user_id: int, account_id: int) -> list[int]:
    """The inboxes of this account the user is a member of (what an agent may see)."""
    result = await uow.conn.execute(
        select(inbox_members.c.inbox_id)
        .join(inboxes, inboxes.c.id == inbox_members.c.inbox_id)
        .where(inbox_members.c.user_id == user_id, inboxes.c.account_id == account_id)
    )
    return [row.inbox_id for row in result]
