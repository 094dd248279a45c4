"""TO WIRE: ``avatars.fetch`` for the job runner. ``frontdesk.jobs.runner`` has not landed yet; when it
does, decorate ``run`` with ``@handler(FETCH_KIND)`` (``from frontdesk.jobs.runner import handler``)."""

from typing import Any

from frontdesk.avatars.fetch import fetch_avatar
from frontdesk.avatars.service import FETCH_KIND

__all__ = ["FETCH_KIND", "run"]


async def run(context: Any, payload: dict[str, Any]) -> None:
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
