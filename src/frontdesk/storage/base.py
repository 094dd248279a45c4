"""The storage interface every backend implements, and the helpers they share.

Keys are opaque, generated here (``new_key``): ``<yyyy>/<mm>/<random>``, never derived from a user's
file name, so no name can traverse out of the store. Bytes always stream: ``put`` reads an async
iterator of chunks and ``open`` yields chunks, so a 40 MB file never sits whole in memory.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from frontdesk.kit.time import utc_now

# How much of a file is held in memory at once while it streams.
CHUNK_SIZE = 256 * 1024


class TooLarge(Exception):
    """The bytes ran past the ``max_bytes`` given to :meth:`Storage.put`; nothing was kept."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    byte_size: int
    # Base64 MD5 of the bytes, as ActiveStorage's blob ``checksum``.
    checksum: str


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    byte_size: int
    modified_at: datetime


class Storage(Protocol):
    """``put`` · ``open`` · ``delete`` · ``signed_url``, plus ``list_objects`` for the orphan sweep."""

    name: str

    async def put(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int | None = None
    ) -> StoredObject:
        """Stream ``chunks`` into ``key``. Past ``max_bytes`` (or on any error) nothing is left behind
        and :class:`TooLarge` (or the error) is raised."""
        ...

    def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes of ``key`` (``start`` to ``end`` inclusive); ``FileNotFoundError`` when absent."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error (deletion is retried by durable work)."""
        ...

    async def exists(self, key: str) -> bool: ...

    def signed_url(
        self, key: str, *, filename: str, content_type: str, disposition: str, expires_in: int
    ) -> str | None:
        """A URL a browser can fetch the bytes from directly, or ``None`` when the backend has none
        (the disk: Frontdesk's own ``/files`` route serves them)."""
        ...

    def list_objects(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Every stored object (for the orphan sweep)."""
        ...

    async def close(self) -> None: ...


def new_key(suffix: str = "") -> str:
    now = utc_now()
    return f"{now:%Y}/{now:%m}/{secrets.token_urlsafe(18)}{suffix}"


class Checksummer:
    """Counts and MD5-sums bytes as they pass, enforcing ``max_bytes``."""

    def __init__(self, max_bytes: int | None) -> None:
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        self.max_bytes = max_bytes

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge()
        self.md5.update(chunk)

    def stored(self, key: str) -> StoredObject:
        import base64

        return StoredObject(key, self.size, base64.b64encode(self.md5.digest()).decode())


def content_disposition(disposition: str, filename: str) -> str:
    """``inline`` / ``attachment`` with the name both as a plain ASCII fallback and as RFC 5987 UTF-8.

    The name is cut to its last path segment and loses quotes, backslashes and every control or format
    character (CR, LF, bidi overrides…), and its leading dots: it cannot break out of the header, name a
    directory or hide as a dot-file. The disk route and S3's presigned URLs both use this."""
    import unicodedata
    from urllib.parse import quote

    segment = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(char for char in segment if unicodedata.category(char)[0] != "C" and char != '"')
    cleaned = cleaned.strip().lstrip(".").strip() or "file"
    ascii_name = "".join(char if " " <= char <= "~" else "_" for char in cleaned)
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"
