"""The avatars' job kind: ``avatars.fetch`` (listed in ``frontdesk.jobs.runner.HANDLER_MODULES``)."""

from __future__ import annotations

from typing import Any

from frontdesk.avatars.fetch import fetch_avatar
from frontdesk.avatars.service import FETCH_KIND
from frontdesk.jobs.registry import JobContext, handler


@handler(FETCH_KIND)
async def fetch(context: JobContext, payload: dict[str, Any]) -> None:
    settings = context.settings
    await fetch_avatar(
        context.database,
        context.storage,
        context.database.files,
        payload,
        allow_private=settings.webhook_allow_private_network,
        fetch_seconds=settings.avatar_fetch_timeout,
        max_bytes=settings.max_avatar_bytes,
    )
