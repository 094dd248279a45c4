"""Storing and removing avatars (Chatwoot's Avatarable). Never commits.

An avatar is a blob the row points at (``avatar_blob_id``) and the URL it is served at, written into the
row's ``avatar_url`` in the same transaction, so every payload built from the row carries it. A replaced
or removed avatar's bytes go by a ``blobs.purge`` job once the change commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, update

from frontdesk.attachments.file_types import AVATAR_TYPES
from frontdesk.attachments.repository import insert_blobs
from frontdesk.attachments.requests import FilesForm
from frontdesk.attachments.service import blob_values, purge_later
from frontdesk.attachments.uploads import ReceivedFile, UploadLimits
from frontdesk.attachments.urls import FileUrls
from frontdesk.config import Settings
from frontdesk.db import Database, UnitOfWork
from frontdesk.jobs.queue import enqueue
from frontdesk.models import blobs

FETCH_KIND = "avatars.fetch"
# Agents belong to no one account: their avatar blobs (and the URLs' signatures) use account 0.
USER_AVATAR_ACCOUNT = 0
# The multipart fields an avatar file may come in (flat, or inside the Rails wrapper).
AVATAR_FIELDS = frozenset({"avatar", "contact[avatar]", "inbox[avatar]", "profile[avatar]"})


def is_avatar_field(name: str) -> bool:
    return name in AVATAR_FIELDS


def avatar_limits(settings: Settings) -> UploadLimits:
    """One file of Chatwoot's avatar types, at most ``max_avatar_bytes``; errors name ``avatar``."""

    def refuse(content_type: str, filename: str) -> str | None:
        if content_type not in AVATAR_TYPES:
            return f"Avatar filetype not supported ({content_type}); allowed: JPEG, PNG, GIF, WebP"
        return None

    return UploadLimits(max_files=1, max_bytes=settings.max_avatar_bytes, refuse=refuse, field_name="avatar")


def uploaded_avatar(form: FilesForm) -> ReceivedFile | None:
    return form.files[0] if form.files else None


async def new_avatar_blob(uow: UnitOfWork, account_id: int, received: ReceivedFile) -> Any:
    """The blob row of an uploaded avatar; its URL is ``files.avatar_url(blob)``."""
    files: FileUrls = uow.database.files
    (blob,) = await insert_blobs(uow, [blob_values(account_id, files.storage.name, received)])
    return blob


async def replace_avatar_blob(uow: UnitOfWork, table: Table, row_id: int, account_id: int, blob_id: int | None) -> None:
    """Point the row at ``blob_id`` (or none); the previous avatar's bytes are purged after commit."""
    previous = await uow.conn.scalar(
        select(table.c.avatar_blob_id).where(table.c.id == row_id).with_for_update(of=table)
    )
    if previous == blob_id:
        return
    await uow.conn.execute(update(table).where(table.c.id == row_id).values(avatar_blob_id=blob_id))
    if previous is not None:
        await purge_later(uow, account_id, [previous])


async def set_avatar(uow: UnitOfWork, table: Table, row_id: int, account_id: int, received: ReceivedFile) -> Any:
    """Make an uploaded file the row's avatar (``table``: contacts, users or inboxes); returns the blob."""
    blob = await new_avatar_blob(uow, account_id, received)
    files: FileUrls = uow.database.files
    await uow.conn.execute(update(table).where(table.c.id == row_id).values(avatar_url=files.avatar_url(blob)))
    await replace_avatar_blob(uow, table, row_id, account_id, blob.id)
    return blob


async def remove_avatar(uow: UnitOfWork, table: Table, row_id: int, account_id: int) -> None:
    await uow.conn.execute(update(table).where(table.c.id == row_id).values(avatar_url=None))
    await replace_avatar_blob(uow, table, row_id, account_id, None)


async def fetch_later(uow: UnitOfWork, table: Table, row_id: int, account_id: int, url: str) -> None:
    """Download ``url`` as the row's avatar off the request path (``avatars.fetch``, see avatars.fetch)."""
    await enqueue(
        uow,
        FETCH_KIND,
        {"table": str(table.name), "id": row_id, "account_id": account_id, "url": url},
        account_id=account_id,
    )


async def served_avatar(database: Database, token: str) -> Any | None:
    """The blob an ``/avatars/<token>/…`` URL names, when its signature is this blob's and account's."""
    files: FileUrls = database.files
    parsed = files.parse_avatar_token(token)
    if parsed is None:
        return None
    blob_id, signature = parsed
    async with database.unit_of_work(write=False) as uow:
        blob = (await uow.conn.execute(select(blobs).where(blobs.c.id == blob_id))).first()
    if blob is None or not blob.uploaded or not files.verify_avatar(blob.account_id, blob.id, signature):
        # One answer for "no such avatar" and "not this signature": ids cannot be probed.
        return None
    return blob
