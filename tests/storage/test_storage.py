"""The conformance suite every storage backend passes: disk (a temporary directory) and S3 (moto)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
from collections.abc import AsyncIterator

import pytest

from frontdesk.storage.base import Storage, TooLarge, new_key
from tests.fixtures.s3 import Backend

pytestmark = pytest.mark.asyncio(loop_scope="session")

MiB = 1024 * 1024


async def generate(size: int, *, chunk: int = MiB, seed: int = 0) -> AsyncIterator[bytes]:
    """``size`` pseudo-random bytes in ``chunk``-sized pieces, never all in memory at once."""
    rng = random.Random(seed)
    while size > 0:
        piece = min(chunk, size)
        size -= piece
        yield rng.randbytes(piece)


async def md5_of(chunks: AsyncIterator[bytes]) -> tuple[int, str]:
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        digest.update(chunk)
    return size, base64.b64encode(digest.digest()).decode()


async def read(storage: Storage, key: str, **options: int | None) -> bytes:
    return b"".join([chunk async for chunk in storage.open(key, **options)])


async def keys(storage: Storage, prefix: str = "") -> list[str]:
    return sorted([info.key async for info in storage.list_objects(prefix)])


def assert_nothing_left(backend: Backend) -> None:
    """No object, and on S3 no multipart upload left pending either."""
    if backend.s3 is not None:
        assert backend.bucket is not None
        assert backend.s3.pending_uploads(backend.bucket) == []


@pytest.mark.parametrize("size", [0, 11, 8 * MiB, 20 * MiB], ids=["empty", "small", "one-part", "20MiB"])
async def test_round_trip(storage: Storage, size: int) -> None:
    key = new_key(".bin")
    stored = await storage.put(key, generate(size), content_type="application/octet-stream")
    expected = await md5_of(generate(size))
    assert (stored.key, stored.byte_size, stored.checksum) == (key, *expected)
    assert await md5_of(storage.open(key)) == expected
    assert await storage.exists(key)
    [info] = [info async for info in storage.list_objects()]
    assert (info.key, info.byte_size) == (key, size)
    assert info.modified_at.tzinfo is not None


@pytest.mark.parametrize("size", [100, 20 * MiB], ids=["single-put", "multipart"])
async def test_too_large_leaves_nothing(backend: Backend, size: int) -> None:
    storage = backend.storage
    with pytest.raises(TooLarge):
        await storage.put("too/large", generate(size), content_type="text/plain", max_bytes=size - 1)
    assert not await storage.exists("too/large")
    assert await keys(storage) == []
    assert_nothing_left(backend)


async def test_exactly_max_bytes_is_kept(storage: Storage) -> None:
    stored = await storage.put("just/fits", generate(100), content_type="text/plain", max_bytes=100)
    assert stored.byte_size == 100
    assert await storage.exists("just/fits")


@pytest.mark.parametrize("before", [3, 9 * MiB], ids=["single-put", "multipart"])
async def test_an_error_mid_stream_leaves_nothing(backend: Backend, before: int) -> None:
    async def failing() -> AsyncIterator[bytes]:
        async for chunk in generate(before):
            yield chunk
        raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError, match="went away"):
        await backend.storage.put("broken/upload", failing(), content_type="text/plain")
    assert await keys(backend.storage) == []
    assert_nothing_left(backend)


@pytest.mark.parametrize("before", [3, 9 * MiB], ids=["single-put", "multipart"])
async def test_a_cancelled_upload_leaves_nothing(backend: Backend, before: int) -> None:
    stalled = asyncio.Event()

    async def stalling() -> AsyncIterator[bytes]:
        async for chunk in generate(before):
            yield chunk
        stalled.set()
        await asyncio.Event().wait()
        yield b"never"

    upload = asyncio.create_task(backend.storage.put("cut/off", stalling(), content_type="text/plain"))
    await asyncio.wait_for(stalled.wait(), timeout=30)
    if backend.s3 is not None and before > 8 * MiB:
        # The first part is already up: there is an upload to abort.
        assert backend.bucket is not None
        assert len(backend.s3.pending_uploads(backend.bucket)) == 1
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload
    assert await keys(backend.storage) == []
    assert_nothing_left(backend)


async def test_range_reads(storage: Storage) -> None:
    data = bytes(range(256)) * 4
    await storage.put("ranged", generate_bytes(data), content_type="application/octet-stream")
    assert await read(storage, "ranged", start=0, end=9) == data[:10]
    assert await read(storage, "ranged", start=10) == data[10:]
    assert await read(storage, "ranged", start=5, end=5) == data[5:6]
    assert await read(storage, "ranged", start=1000, end=5000) == data[1000:]
    assert await read(storage, "ranged", start=2000) == b""


async def generate_bytes(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_opening_a_missing_key_raises_file_not_found(storage: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        await read(storage, "no/such/key")


async def test_delete(storage: Storage) -> None:
    await storage.put("to/delete", generate(5), content_type="text/plain")
    assert await storage.exists("to/delete")
    await storage.delete("to/delete")
    assert not await storage.exists("to/delete")
    # Deletion is retried by durable work: a key already gone is fine.
    await storage.delete("to/delete")
    await storage.delete("never/existed")


async def test_list_objects_by_prefix(storage: Storage) -> None:
    for key in ("2024/01/a", "2024/01/b", "2024/02/c"):
        await storage.put(key, generate(3), content_type="text/plain")
    assert await keys(storage) == ["2024/01/a", "2024/01/b", "2024/02/c"]
    assert await keys(storage, "2024/01/") == ["2024/01/a", "2024/01/b"]
    assert await keys(storage, "2025/") == []


async def test_keys_with_characters_that_need_encoding(storage: Storage) -> None:
    key = "2024/05/a b+c%d=é~x;y&z.txt"
    await storage.put(key, generate_bytes(b"awkward"), content_type="text/plain")
    assert await read(storage, key) == b"awkward"
    assert await storage.exists(key)
    assert await keys(storage) == [key]
    await storage.delete(key)
    assert not await storage.exists(key)


async def test_overwriting_a_key_replaces_its_bytes(storage: Storage) -> None:
    await storage.put("same", generate_bytes(b"first"), content_type="text/plain")
    await storage.put("same", generate_bytes(b"second"), content_type="text/plain")
    assert await read(storage, "same") == b"second"
