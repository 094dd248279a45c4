"""Image attachments' dimensions and thumbnails, made off the request path.

Chatwoot shows an image attachment's ``width``, ``height`` and a ``thumb_url``: a representation 250 px
wide, the height in proportion, never enlarged (``resize_to_fill: [250, nil]``). :func:`analyze_blob` is
the work a durable job calls with a blob's id; :func:`analyze_image` is the part that needs no database.

The bytes are untrusted. They are copied to a temporary file (streamed, never whole in memory) and
decoded by :mod:`frontdesk.attachments.imaging_child`, a process of its own under address-space and CPU
limits and a wall-clock timeout enforced here. A decompression bomb, a corrupt or truncated file, an
unsupported format, a limit reached or a kill all mean the same thing — a plain file without a
thumbnail — and this process never holds more than one storage chunk of the image.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

import frontdesk
from frontdesk.config import Settings
from frontdesk.db import Database
from frontdesk.models.files import blobs
from frontdesk.storage.base import CHUNK_SIZE, Storage

logger = logging.getLogger(__name__)

CHILD_MODULE = "frontdesk.attachments.imaging_child"

# The content types analysed; anything else (SVG above all: a document, not pixels) stays a plain file.
IMAGE_CONTENT_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/gif", "image/bmp", "image/webp"})
THUMB_CONTENT_TYPES = frozenset({"image/jpeg", "image/png"})
THUMB_SUFFIX = ".thumb"
# The keys of ``blobs.meta`` this module owns; a new analysis replaces all of them.
META_KEYS = frozenset({"analyzed", "identified", "width", "height", "thumb_key", "thumb_content_type", "thumb_size"})
MEBIBYTE = 1024 * 1024


@dataclass(frozen=True)
class ImagingLimits:
    """What one decoding may cost. ``memory_bytes`` bounds the child's whole address space (interpreter
    and libraries included). The smallest bound that decoded each legitimate image (Pillow 13, CPython
    3.11, x86-64), 40 MP: baseline JPEG 32 MiB (decoded at 1/8 by ``draft``), progressive JPEG 144 MiB,
    RGB PNG and BMP 195 MiB, GIF 231 MiB, WebP 689 MiB; 50 MP (the pixel ceiling): RGBA PNG 422 MiB,
    GIF 279 MiB, RGBA WebP 853 MiB. 1 GiB passes them all; the pixel ceiling refuses bombs from their
    header, and the address-space bound stops whatever else tries to allocate past it."""

    # Pillow's MAX_IMAGE_PIXELS in the child: larger pictures are refused from their header alone.
    max_pixels: int = 50_000_000
    memory_bytes: int = 1024 * MEBIBYTE
    cpu_seconds: int = 30
    # Wall clock, from start to exit; the child is killed when it runs past.
    timeout_seconds: float = 45.0
    # Stored files larger than this are not decoded at all (``None``: no bound beyond the upload limit).
    max_source_bytes: int | None = None
    max_thumb_bytes: int = 16 * MEBIBYTE

    @classmethod
    def from_settings(cls, settings: Settings) -> ImagingLimits:
        return cls(max_source_bytes=settings.max_upload_bytes)


DEFAULT_LIMITS = ImagingLimits()


@dataclass(frozen=True)
class ImageAnalysis:
    """A usable image: its displayed size and its thumbnail, in a temporary file the caller owns and
    removes with :meth:`discard` once stored."""

    width: int
    height: int
    thumb_path: Path
    thumb_content_type: str

    async def discard(self) -> None:
        await asyncio.to_thread(shutil.rmtree, self.thumb_path.parent, True)


def is_image_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in IMAGE_CONTENT_TYPES


def thumb_key_for(blob_key: str) -> str:
    return blob_key + THUMB_SUFFIX


async def analyze_image(
    storage: Storage, key: str, content_type: str, *, limits: ImagingLimits = DEFAULT_LIMITS
) -> ImageAnalysis | None:
    """Measure the image stored at ``key`` and make its thumbnail, or ``None`` when it is not a usable
    image of an analysed type (bad bytes never raise). Errors of the storage itself (a missing key:
    ``FileNotFoundError``) do raise: they are no verdict on the file, and durable work retries them."""
    if not is_image_type(content_type):
        return None
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="frontdesk-imaging-"))
    analysis: ImageAnalysis | None = None
    try:
        source = workdir / "source"
        if not await _copy_to_file(storage, key, source, max_bytes=limits.max_source_bytes):
            logger.info("image %s not analysed: larger than %s bytes", key, limits.max_source_bytes)
            return None
        analysis = await _decode(source, workdir / "thumb", limits, label=key)
        return analysis
    finally:
        if analysis is None:
            await asyncio.to_thread(shutil.rmtree, workdir, True)
        else:
            await asyncio.to_thread(_remove, workdir / "source")


async def analyze_blob(
    database: Database, storage: Storage, blob_id: int, *, limits: ImagingLimits = DEFAULT_LIMITS
) -> None:
    """Analyse blob ``blob_id`` and record the result in ``blobs.meta``: ``{"analyzed": true, "width",
    "height", "thumb_key", "thumb_content_type"}`` with the thumbnail stored at ``<key>.thumb``, or
    ``{"analyzed": true, "identified": false}`` for a file that is no usable image. Other content types
    (and blobs whose bytes are not uploaded yet, or gone) are left alone. Idempotent; a blob deleted
    meanwhile is no error, and a thumbnail stored for it is removed again."""
    async with database.unit_of_work(write=False) as uow:
        row = (
            await uow.conn.execute(
                select(blobs.c.key, blobs.c.content_type, blobs.c.uploaded).where(blobs.c.id == blob_id)
            )
        ).first()
    if row is None or not row.uploaded or not is_image_type(row.content_type):
        return
    thumb_key = thumb_key_for(row.key)
    try:
        analysis = await analyze_image(storage, row.key, row.content_type, limits=limits)
    except FileNotFoundError:
        # The bytes went first: the blob is being purged.
        logger.info("blob %s not analysed: its bytes are gone", blob_id)
        return
    facts: dict[str, Any] = {"analyzed": True, "identified": False}
    if analysis is not None:
        try:
            thumb = await storage.put(
                thumb_key,
                _file_chunks(analysis.thumb_path),
                content_type=analysis.thumb_content_type,
                max_bytes=limits.max_thumb_bytes,
            )
        finally:
            await analysis.discard()
        facts = {
            "analyzed": True,
            "width": analysis.width,
            "height": analysis.height,
            "thumb_key": thumb_key,
            "thumb_content_type": analysis.thumb_content_type,
            "thumb_size": thumb.byte_size,
        }
    try:
        previous = await _record(database, blob_id, facts)
    except BaseException:
        if analysis is not None:
            # Nothing claims the thumbnail; the next attempt stores it again.
            with contextlib.suppress(Exception):
                await storage.delete(thumb_key)
        raise
    if previous is None:
        if analysis is not None:
            await storage.delete(thumb_key)
        return
    stale = previous.get("thumb_key")
    if isinstance(stale, str) and stale != facts.get("thumb_key"):
        await storage.delete(stale)


async def _record(database: Database, blob_id: int, facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """Write ``facts`` over this module's keys of the blob's meta; the meta before, or ``None`` when the
    blob is gone."""
    async with database.unit_of_work() as uow:
        meta = (
            await uow.conn.execute(select(blobs.c.meta).where(blobs.c.id == blob_id).with_for_update())
        ).scalar_one_or_none()
        if meta is None:
            return None
        previous: dict[str, Any] = dict(meta) if isinstance(meta, Mapping) else {}
        kept = {name: value for name, value in previous.items() if name not in META_KEYS}
        await uow.conn.execute(update(blobs).where(blobs.c.id == blob_id).values(meta={**kept, **facts}))
    return previous


async def _copy_to_file(storage: Storage, key: str, target: Path, *, max_bytes: int | None) -> bool:
    """Stream ``key`` into ``target``; false (and the copy incomplete) past ``max_bytes``."""
    chunks = storage.open(key)
    handle = await asyncio.to_thread(open, target, "wb")
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                return False
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
    return True


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


async def _decode(source: Path, target: Path, limits: ImagingLimits, *, label: str) -> ImageAnalysis | None:
    """Run the child on ``source``; its verdict, or ``None`` for any failure of any kind."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        CHILD_MODULE,
        "--memory-bytes",
        str(limits.memory_bytes),
        "--cpu-seconds",
        str(limits.cpu_seconds),
        "--max-pixels",
        str(limits.max_pixels),
        "--max-output-bytes",
        str(limits.max_thumb_bytes),
        str(source),
        str(target),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_environment(),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), limits.timeout_seconds)
    except TimeoutError:
        logger.info("image %s not analysed: the decoder ran past %ss", label, limits.timeout_seconds)
        return None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    if process.returncode != 0:
        reason = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {process.returncode}"]
        logger.info("image %s not analysed: %s", label, reason[0][:300])
        return None
    return _parse_verdict(stdout, target)


def _parse_verdict(stdout: bytes, target: Path) -> ImageAnalysis | None:
    try:
        verdict = json.loads(stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    if not isinstance(verdict, dict):
        return None
    width, height, content_type = verdict.get("width"), verdict.get("height"), verdict.get("thumb_content_type")
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        return None
    if content_type not in THUMB_CONTENT_TYPES or not target.is_file():
        return None
    return ImageAnalysis(width=width, height=height, thumb_path=target, thumb_content_type=content_type)


def _child_environment() -> dict[str, str]:
    # The child imports this package even where it runs from a source tree rather than an install.
    root = str(Path(frontdesk.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root if not path else f"{root}{os.pathsep}{path}"}


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
