"""Inbox payloads shared by every domain (the full inbox payload lives beside the inbox endpoints)."""

from __future__ import annotations

from typing import Any

import msgspec


class InboxSlim(msgspec.Struct):
    """Chatwoot's ``api/v1/models/_inbox_slim``: a contact inbox's ``inbox``."""

    id: int
    avatar_url: str
    channel_id: int
    name: str
    channel_type: str
    provider: str | None = None


def present_inbox_slim(row: Any) -> InboxSlim:
    return InboxSlim(
        id=row.id,
        avatar_url=row.avatar_url or "",
        channel_id=row.channel_id,
        name=row.name,
        channel_type=row.channel_type,
    )


def inbox_webhook_data(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name}
