"""``avatars.fetch``: download an ``avatar_url`` into storage, off the request path (Chatwoot's
``Avatar::AvatarFromUrlJob``).

The URL comes from an API client, so it is fetched as the webhook sender calls URLs: every host is
resolved by :class:`~frontdesk.webhooks.ssrf.GuardedResolver` and literal addresses are checked, on
each redirect too (redirects are followed here, one checked hop at a time). The body is streamed into
storage, at most ``max_bytes``, and kept only if its type is an avatar type. The row takes the new
avatar only if its ``avatar_url`` is still the one requested: a later change wins over a slow download.

What cannot succeed (a refused address, a 4xx, a wrong type, too large) is logged and dropped, as
Chatwoot's job ignores it; what may succeed later (a timeout, a refused connection, a 5xx) raises, for
the runner to retry.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
from sqlalchemy import Table, select, update
from yarl import URL

from frontdesk.attachments.file_types import AVATAR_TYPES, normalize_content_type, safe_filename
from frontdesk.attachments.repository import insert_blobs
from frontdesk.attachments.service import blob_values
from frontdesk.attachments.uploads import ReceivedFile
from frontdesk.attachments.urls import FileUrls
from frontdesk.avatars.service import replace_avatar_blob
from frontdesk.db import Database
from frontdesk.models import contacts, inboxes, users
from frontdesk.storage.base import Storage, StoredObject, TooLarge, new_key
from frontdesk.webhooks import ssrf

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 3
_TABLES: dict[str, Table] = {table.name: table for table in (contacts, users, inboxes)}


class Unfetchable(Exception):
    """The avatar cannot be had from this URL; retrying will not change that."""


class FetchLater(Exception):
    """The avatar's server failed for now (5xx): the job is retried."""


async def fetch_avatar(
    database: Database,
    storage: Storage,
    files: FileUrls,
    payload: dict[str, Any],
    *,
    allow_private: bool = False,
    fetch_seconds: float = 15.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> None:
    """Payload: ``{"table": "contacts", "id", "account_id", "url"}`` (see ``avatars.service.fetch_later``)."""
    table = _TABLES.get(str(payload.get("table")))
    url = str(payload.get("url") or "")
    row_id, account_id = int(payload["id"]), int(payload.get("account_id") or 0)
    if table is None or not url or await _current_url(database, table, row_id, account_id) != url:
        return
    try:
        received = await _download(
            storage, url, allow_private=allow_private, fetch_seconds=fetch_seconds, max_bytes=max_bytes
        )
    except Unfetchable as error:
        logger.info("avatar of %s %s not fetched from %s: %s", table.name, row_id, url, error)
        return
    try:
        kept = await _take(database, files, table, row_id, account_id, url, received)
    except BaseException:
        await storage.delete(received.stored.key)
        raise
    if not kept:
        await storage.delete(received.stored.key)


def _row_condition(table: Table, row_id: int, account_id: int) -> Any:
    condition = table.c.id == row_id
    return condition & (table.c.account_id == account_id) if "account_id" in table.c else condition


async def _current_url(database: Database, table: Table, row_id: int, account_id: int) -> str | None:
    async with database.unit_of_work(write=False) as uow:
        value: str | None = await uow.conn.scalar(
            select(table.c.avatar_url).where(_row_condition(table, row_id, account_id))
        )
    return value


def _filename(url: URL) -> str:
    name = unquote(urlsplit(str(url)).path.rsplit("/", 1)[-1])
    return safe_filename(name, fallback="avatar")


async def _download(
    storage: Storage, url: str, *, allow_private: bool, fetch_seconds: float, max_bytes: int
) -> ReceivedFile:
    connector = aiohttp.TCPConnector(resolver=ssrf.GuardedResolver(allow_private=allow_private), limit=1)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=fetch_seconds), auto_decompress=True
    ) as session:
        target = URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                _, host, _ = ssrf.parse_url(str(target))
                literal = ssrf.literal_address(host)
                if literal is not None and not allow_private:
                    ssrf.check_address(host, literal)
                async with session.get(target, allow_redirects=False) as response:
                    location = response.headers.get("Location")
                    if response.status in (301, 302, 303, 307, 308) and location:
                        target = target.join(URL(location))
                        continue
                    return await _store(storage, response, _filename(target), max_bytes)
            except ssrf.UnsafeUrl as error:
                raise Unfetchable(f"refused: {error}") from None
            except aiohttp.ClientConnectorError as error:
                if isinstance(error.os_error, ssrf.UnsafeUrl):
                    raise Unfetchable(f"refused: {error.os_error}") from None
                raise
            except aiohttp.InvalidURL as error:
                raise Unfetchable(f"not a valid URL: {error}") from None
        raise Unfetchable(f"more than {MAX_REDIRECTS} redirects")


async def _store(storage: Storage, response: aiohttp.ClientResponse, filename: str, max_bytes: int) -> ReceivedFile:
    if response.status >= 500:
        raise FetchLater(f"{response.status} {response.reason or ''}".strip())
    if response.status != 200:
        raise Unfetchable(f"answered {response.status}")
    content_type = normalize_content_type(response.headers.get("Content-Type"), filename)
    if content_type not in AVATAR_TYPES:
        raise Unfetchable(f"{content_type} is not an avatar type")
    if response.content_length is not None and response.content_length > max_bytes:
        raise Unfetchable(f"{response.content_length} bytes is more than {max_bytes}")
    try:
        stored: StoredObject = await storage.put(
            new_key(), response.content.iter_chunked(64 * 1024), content_type=content_type, max_bytes=max_bytes
        )
    except TooLarge:
        raise Unfetchable(f"larger than {max_bytes} bytes") from None
    return ReceivedFile("avatar", filename, content_type, stored)


async def _take(
    database: Database, files: FileUrls, table: Table, row_id: int, account_id: int, url: str, received: ReceivedFile
) -> bool:
    """Make the stored download the row's avatar, if the row still asks for ``url``."""
    async with database.unit_of_work() as uow:
        current = await uow.conn.scalar(
            select(table.c.avatar_url).where(_row_condition(table, row_id, account_id)).with_for_update(of=table)
        )
        if current != url:
            return False
        (blob,) = await insert_blobs(uow, [blob_values(account_id, files.storage.name, received)])
        await uow.conn.execute(update(table).where(table.c.id == row_id).values(avatar_url=files.avatar_url(blob)))
        await replace_avatar_blob(uow, table, row_id, account_id, blob.id)
    return True
