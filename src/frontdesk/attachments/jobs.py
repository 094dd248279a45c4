"""The durable work of attachments: image analysis, removing the bytes of blobs nothing points at any
more, and the periodic sweep of orphans (bytes no row claims, blobs never attached)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from frontdesk.attachments import imaging
from frontdesk.attachments.repository import referenced
from frontdesk.attachments.service import ANALYZE_KIND, PURGE_KIND
from frontdesk.db import Database
from frontdesk.jobs.registry import JobContext, handler, periodic
from frontdesk.kit.time import utc_now
from frontdesk.models import blobs
from frontdesk.storage.base import Storage

logger = logging.getLogger(__name__)

SWEEP_KIND = "blobs.sweep"
SWEEP_EVERY_SECONDS = 3600.0
_BATCH = 500


def _ids(payload: dict[str, Any]) -> list[int]:
    return [int(value) for value in payload.get("blob_ids") or [] if isinstance(value, int)]


@handler(ANALYZE_KIND)
async def analyze(context: JobContext, payload: dict[str, Any]) -> None:
    """Dimensions and a 250-px thumbnail for each image blob (a bad image is recorded as a plain file)."""
    limits = imaging.ImagingLimits.from_settings(context.settings)
    for blob_id in _ids(payload):
        await imaging.analyze_blob(context.database, context.storage, blob_id, limits=limits)


async def purge_blob(database: Database, storage: Storage, blob_id: int) -> bool:
    """Remove one blob's bytes (and thumbnail) and row, if no row points at it; True when it went.

    The blob row is locked while its bytes go, so an attachment cannot claim it meanwhile; bytes go
    before the row, so a crash in between leaves a row the retry finishes, never bytes nobody knows."""
    async with database.unit_of_work() as uow:
        statement = select(blobs.c.id, blobs.c.key, blobs.c.meta).where(blobs.c.id == blob_id, ~referenced(blobs.c.id))
        if not uow.is_sqlite:
            statement = statement.with_for_update(of=blobs)
        row = (await uow.conn.execute(statement)).first()
        if row is None:
            return False
        thumb = (row.meta or {}).get("thumb_key")
        await storage.delete(row.key)
        # The thumbnail's key whether or not the meta read here names it (an analysis may be finishing).
        for key in {imaging.thumb_key_for(row.key), thumb if isinstance(thumb, str) else None} - {None}:
            await storage.delete(str(key))
        await uow.conn.execute(delete(blobs).where(blobs.c.id == row.id))
    return True


@handler(PURGE_KIND)
async def purge(context: JobContext, payload: dict[str, Any]) -> None:
    for blob_id in _ids(payload):
        await purge_blob(context.database, context.storage, blob_id)


async def sweep(database: Database, storage: Storage, grace: timedelta) -> tuple[int, int]:
    """Remove what outlived its grace period unclaimed: blobs no row points at (a direct upload never
    used, a failed purge) and stored bytes no blob row knows (a process killed mid-upload). Returns
    (blobs removed, stray objects removed)."""
    cutoff = utc_now() - grace
    removed = 0
    async with database.unit_of_work(write=False) as uow:
        stale = list(
            (
                await uow.conn.execute(
                    select(blobs.c.id).where(blobs.c.created_at < cutoff, ~referenced(blobs.c.id)).limit(_BATCH)
                )
            ).scalars()
        )
    for blob_id in stale:
        removed += await purge_blob(database, storage, blob_id)
    strays = 0
    candidates: list[str] = []
    async for info in storage.list_objects():
        if info.modified_at < cutoff:
            candidates.append(info.key)
    for start in range(0, len(candidates), _BATCH):
        chunk = candidates[start : start + _BATCH]
        owners = [key.removesuffix(imaging.THUMB_SUFFIX).removesuffix(".part") for key in chunk]
        async with database.unit_of_work(write=False) as uow:
            known = set(
                (await uow.conn.execute(select(blobs.c.key).where(blobs.c.key.in_(sorted(set(owners)))))).scalars()
            )
        for key, owner in zip(chunk, owners, strict=True):
            if owner not in known or key.endswith(".part"):
                await storage.delete(key)
                strays += 1
    if removed or strays:
        logger.info("orphan sweep removed %d blobs and %d stray stored objects", removed, strays)
    return removed, strays


@handler(SWEEP_KIND)
@periodic(SWEEP_KIND, every_seconds=SWEEP_EVERY_SECONDS)
async def sweep_job(context: JobContext, payload: dict[str, Any]) -> None:
    del payload
    await sweep(context.database, context.storage, timedelta(hours=context.settings.orphan_grace_hours))
