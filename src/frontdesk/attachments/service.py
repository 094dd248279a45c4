"""Attachments on messages: rows for stored uploads and direct-upload blobs, their analysis, their removal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update

from frontdesk.attachments import repository
from frontdesk.attachments.file_types import AUDIO, IMAGE, extension_of, file_type_of
from frontdesk.attachments.repository import Attached
from frontdesk.attachments.uploads import ReceivedFile, upload_error
from frontdesk.attachments.urls import FileUrls
from frontdesk.db import UnitOfWork
from frontdesk.jobs.queue import enqueue
from frontdesk.kit.time import utc_now
from frontdesk.models import blobs

ANALYZE_KIND = "attachments.analyze"
PURGE_KIND = "blobs.purge"


def blob_values(account_id: int, service: str, received: ReceivedFile) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "key": received.stored.key,
        "service": service,
        "filename": received.filename,
        "content_type": received.content_type,
        "byte_size": received.stored.byte_size,
        "checksum": received.stored.checksum,
        "uploaded": True,
        "meta": {},
        "created_at": utc_now(),
    }


def signed_ids_of(fields: dict[str, Any]) -> list[str]:
    """``attachments[]`` values that are strings: signed blob ids from a direct upload."""
    value = fields.get("attachments")
    if isinstance(fields.get("message"), dict) and value is None:
        value = fields["message"].get("attachments")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item.strip()]


async def attach(
    uow: UnitOfWork,
    files: FileUrls,
    *,
    account_id: int,
    message: Any,
    received: Sequence[ReceivedFile],
    signed_ids: Sequence[str],
    max_attachments: int,
    voice: bool = False,
) -> list[Attached]:
    """Write the attachments of a just-created ``message``: new blobs for ``received`` uploads, and the
    blobs direct uploads made earlier (``signed_ids``, which must be this account's and uploaded)."""
    if not received and not signed_ids:
        return []
    if len(received) + len(signed_ids) > max_attachments:
        raise upload_error(f"Attachments exceeded maximum allowed ({max_attachments})", "attachments")
    reused_ids: list[int] = []
    for signed_id in signed_ids:
        blob_id = files.verify_signed_id(account_id, signed_id.strip())
        if blob_id is None:
            raise upload_error("Attachments contain an invalid signed blob id", "attachments")
        reused_ids.append(blob_id)
    reused = await repository.blobs_by_id(uow, account_id, reused_ids)
    for blob_id in reused_ids:
        blob = reused.get(blob_id)
        if blob is None or not blob.uploaded:
            raise upload_error("Attachments contain a blob whose upload is not complete", "attachments")
    new_blobs = await repository.insert_blobs(uow, [blob_values(account_id, files.storage.name, r) for r in received])
    ordered = [reused[blob_id] for blob_id in reused_ids] + new_blobs
    now = utc_now()
    rows = await repository.insert_attachments(
        uow,
        [
            {
                "account_id": account_id,
                "message_id": message.id,
                "blob_id": blob.id,
                "file_type": file_type_of(blob.content_type),
                "extension": extension_of(blob.filename),
                "meta": {"is_voice_message": True} if voice and file_type_of(blob.content_type) == AUDIO else {},
                "created_at": now,
                "updated_at": now,
            }
            for blob in ordered
        ],
    )
    by_id = {blob.id: blob for blob in ordered}
    attached = [Attached(row, by_id[row.blob_id]) for row in rows]
    images = [item.blob.id for item in attached if item.blob is not None and item.attachment.file_type == IMAGE]
    if images:
        await enqueue(uow, ANALYZE_KIND, {"blob_ids": images}, account_id=account_id)
    uow.known_rows[("attachments", message.id)] = attached
    return attached


async def purge_later(uow: UnitOfWork, account_id: int, blob_ids: Sequence[int]) -> None:
    """After this transaction commits, remove the bytes of these blobs if no row points at them any more."""
    if blob_ids:
        await enqueue(uow, PURGE_KIND, {"blob_ids": sorted(set(blob_ids))}, account_id=account_id)


async def mark_uploaded(uow: UnitOfWork, blob_id: int, byte_size: int, checksum: str) -> None:
    await uow.conn.execute(
        update(blobs).where(blobs.c.id == blob_id).values(uploaded=True, byte_size=byte_size, checksum=checksum)
    )


async def purge_files_of_messages(uow: UnitOfWork, account_id: int, *conditions: Any) -> None:
    """Call before deleting messages (with the conditions of the delete): their attachments' bytes are
    removed by a ``blobs.purge`` job once the deletion commits — never before the rows are gone."""
    await purge_later(uow, account_id, await repository.blob_ids_of_messages(uow, *conditions))
