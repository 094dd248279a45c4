"""The embedded default: files under ``<data dir>/storage``, written to a temporary name and renamed
into place once complete, so a reader never sees half a file and a crash leaves only a ``.part``."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from frontdesk.storage.base import CHUNK_SIZE, Checksummer, ObjectInfo, StoredObject

PART_SUFFIX = ".part"


class DiskStorage:
    name = "disk"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_of(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # Keys are generated (storage.base.new_key), but a key is never allowed out of the root either.
        if self.root not in path.parents:
            raise ValueError(f"storage key outside the store: {key!r}")
        return path

    async def put(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int | None = None
    ) -> StoredObject:
        del content_type
        path = self.path_of(key)
        part = path.with_name(path.name + PART_SUFFIX)
        summer = Checksummer(max_bytes)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        handle = await asyncio.to_thread(open, part, "wb")
        try:
            pending = bytearray()
            async for chunk in chunks:
                summer.update(chunk)
                pending += chunk
                if len(pending) >= CHUNK_SIZE:
                    await asyncio.to_thread(handle.write, bytes(pending))
                    pending.clear()
            if pending:
                await asyncio.to_thread(handle.write, bytes(pending))
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, part, path)
        except BaseException:
            handle.close()
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
            raise
        return summer.stored(key)

    async def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            if start:
                handle.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await asyncio.to_thread(handle.read, size)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        path = self.path_of(key)
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(path.unlink)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    def signed_url(
        self, key: str, *, filename: str, content_type: str, disposition: str, expires_in: int
    ) -> str | None:
        return None

    async def list_objects(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        def scan() -> list[ObjectInfo]:
            found: list[ObjectInfo] = []
            base = self.root / prefix if prefix else self.root
            if not base.exists():
                return found
            for directory, _, names in os.walk(base):
                for name in names:
                    full = Path(directory) / name
                    try:
                        stat = full.stat()
                    except FileNotFoundError:
                        continue
                    key = full.relative_to(self.root).as_posix()
                    found.append(ObjectInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)))
            return found

        for info in await asyncio.to_thread(scan):
            yield info

    async def close(self) -> None:
        return None
