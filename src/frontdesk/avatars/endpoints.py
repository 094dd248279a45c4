"""``/avatars/<blob id>.<signature>/<name>``: avatar bytes, behind URLs that do not expire."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath

from frontdesk.attachments.endpoints import stream_stored
from frontdesk.avatars.service import served_avatar
from frontdesk.db import Database
from frontdesk.errors import NotFound


@get("/avatars/{token:str}/{filename:str}", include_in_schema=False)
async def serve_avatar(request: Request[Any, Any, Any], token: FromPath[str], filename: FromPath[str]) -> Response[Any]:
    """The bytes behind an ``avatar_url`` / ``thumbnail``."""
    del filename
    database: Database = request.app.state.database
    blob = await served_avatar(database, token)
    if blob is None:
        raise NotFound()
    # A URL names one blob: what it serves never changes, only whether it is still there.
    return await stream_stored(
        request,
        database.storage,
        blob.key,
        content_type=blob.content_type,
        filename=blob.filename,
        size=blob.byte_size,
        cache_control="private, max-age=86400",
    )


router = Router(path="/", route_handlers=[serve_avatar])
