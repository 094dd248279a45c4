"""Contact inboxes: a contact's session on one inbox, identified by ``source_id``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select

from frontdesk.db import UnitOfWork
from frontdesk.errors import Unprocessable
from frontdesk.inboxes.repository import CHANNEL_API, CHANNEL_WEB_WIDGET
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import secure_token
from frontdesk.models import contact_inboxes


async def build_contact_inbox(
    uow: UnitOfWork, contact_id: int, inbox: Any, source_id: str | None = None, *, hmac_verified: bool = False
) -> Any:
    """Find or create the contact's session on ``inbox`` (Chatwoot's ContactInboxBuilder).

    API and website inboxes default ``source_id`` to a new UUID. An existing (contact, inbox,
    source_id) row is reused; a ``source_id`` held by another contact in the inbox is a 422.
    """
    if inbox.channel_type not in (CHANNEL_API, CHANNEL_WEB_WIDGET):
        raise Unprocessable(f"Unsupported channel type {inbox.channel_type}")
    source_id = (source_id or "").strip() or str(uuid.uuid4())
    existing = (
        await uow.conn.execute(
            select(contact_inboxes).where(
                contact_inboxes.c.inbox_id == inbox.id, contact_inboxes.c.source_id == source_id
            )
        )
    ).first()
    if existing is not None:
        if existing.contact_id != contact_id:
            raise Unprocessable("source_id should be unique")
        return existing
    now = utc_now()
    result = await uow.conn.execute(
        insert(contact_inboxes)
        .values(
            contact_id=contact_id,
            inbox_id=inbox.id,
            source_id=source_id,
            hmac_verified=hmac_verified,
            pubsub_token=secure_token(24),
            created_at=now,
            updated_at=now,
        )
        .returning(*contact_inboxes.c)
    )
    return result.one()
