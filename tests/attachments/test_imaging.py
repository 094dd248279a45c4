"""Image analysis: dimensions and thumbnails from a resource-limited child, and the blob work around it.

Images are made here with Pillow; the bombs are written row by row through zlib, so neither this process
nor the test's time pays for the picture they claim to be.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import struct
import tempfile
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from frontdesk.attachments.imaging import (
    ImageAnalysis,
    ImagingLimits,
    analyze_blob,
    analyze_image,
    thumb_key_for,
)
from frontdesk.db import Database
from frontdesk.models.files import blobs
from frontdesk.storage.base import new_key
from frontdesk.storage.disk import DiskStorage
from tests.fixtures.server import ThrowawayDatabase

MEBIBYTE = 1024 * 1024


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary directory analyses work in; every test leaves it empty."""
    directory = tmp_path / "scratch"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    yield directory
    assert list(directory.iterdir()) == []


@pytest.fixture
def storage(tmp_path: Path, scratch: Path) -> DiskStorage:
    return DiskStorage(tmp_path / "store")


async def store(storage: DiskStorage, data: bytes) -> str:
    key = new_key()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]

    await storage.put(key, chunks(), content_type="application/octet-stream")
    return key


def encode(image: Image.Image, format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def crafted_png(width: int, height: int, *, color_type: int = 0, bit_depth: int = 1) -> bytes:
    """A valid PNG of zero pixels, compressed as it is written: tiny on disk whatever it claims."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    channels = {0: 1, 2: 3}[color_type]
    row = bytes(1 + (width * channels * bit_depth + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


async def analyzed(
    storage: DiskStorage, data: bytes, content_type: str, limits: ImagingLimits | None = None
) -> tuple[ImageAnalysis, Image.Image]:
    """The analysis of ``data`` and its thumbnail (loaded, its temporary file discarded)."""
    key = await store(storage, data)
    analysis = await analyze_image(storage, key, content_type, limits=limits or ImagingLimits())
    assert analysis is not None
    with Image.open(analysis.thumb_path) as opened:
        opened.load()
        thumb = opened
    assert analysis.thumb_path.exists()
    await analysis.discard()
    assert not analysis.thumb_path.exists()
    return analysis, thumb


async def test_png_dimensions_and_a_250_pixel_wide_thumbnail(storage: DiskStorage) -> None:
    analysis, thumb = await analyzed(storage, encode(Image.new("RGB", (1280, 720), "teal"), "PNG"), "image/png")
    assert (analysis.width, analysis.height) == (1280, 720)
    assert analysis.thumb_content_type == "image/jpeg"
    assert thumb.format == "JPEG"
    # 720 x 250 / 1280 = 140.6
    assert thumb.size == (250, 141)


async def test_a_narrow_image_is_not_enlarged(storage: DiskStorage) -> None:
    analysis, thumb = await analyzed(storage, encode(Image.new("RGB", (100, 50), "red"), "PNG"), "image/png")
    assert (analysis.width, analysis.height) == (100, 50)
    assert thumb.size == (100, 50)


async def test_exif_orientation_gives_the_displayed_dimensions(storage: DiskStorage) -> None:
    # Stored 600 x 300, left half red, right half blue; orientation 6 shows it turned a quarter clockwise.
    image = Image.new("RGB", (600, 300), "blue")
    image.paste(Image.new("RGB", (300, 300), "red"), (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    analysis, thumb = await analyzed(storage, encode(image, "JPEG", exif=exif, quality=90), "image/jpeg")
    assert (analysis.width, analysis.height) == (300, 600)
    assert thumb.size == (250, 500)
    top, bottom = thumb.convert("RGB").getpixel((125, 60)), thumb.convert("RGB").getpixel((125, 440))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


async def test_a_multi_picture_jpeg_is_a_jpeg(storage: DiskStorage) -> None:
    pictures = [Image.new("RGB", (1000, 400), "red"), Image.new("RGB", (1000, 400), "blue")]
    data = encode(pictures[0], "MPO", save_all=True, append_images=pictures[1:])
    analysis, thumb = await analyzed(storage, data, "image/jpeg")
    assert (analysis.width, analysis.height) == (1000, 400) and thumb.size == (250, 100)
    red, green, blue = thumb.convert("RGB").getpixel((125, 50))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60


async def test_a_transparent_png_keeps_its_transparency(storage: DiskStorage) -> None:
    image = Image.new("RGBA", (500, 500), (255, 0, 0, 255))
    image.paste(Image.new("RGBA", (250, 500), (0, 0, 0, 0)), (0, 0))
    analysis, thumb = await analyzed(storage, encode(image, "PNG"), "image/png")
    assert analysis.thumb_content_type == "image/png"
    assert thumb.format == "PNG" and thumb.mode == "RGBA"
    assert thumb.size == (250, 250)
    assert thumb.getpixel((10, 125)) == (0, 0, 0, 0)
    assert thumb.getpixel((240, 125)) == (255, 0, 0, 255)


async def test_an_opaque_image_with_an_alpha_channel_makes_a_jpeg(storage: DiskStorage) -> None:
    image = Image.new("RGBA", (400, 200), (0, 128, 0, 255))
    analysis, thumb = await analyzed(storage, encode(image, "PNG"), "image/png")
    assert analysis.thumb_content_type == "image/jpeg" and thumb.format == "JPEG"


async def test_a_sixteen_bit_grey_png_is_scaled_not_clipped(storage: DiskStorage) -> None:
    analysis, thumb = await analyzed(storage, encode(Image.new("I;16", (800, 400), 30000), "PNG"), "image/png")
    assert (analysis.width, analysis.height) == (800, 400) and thumb.size == (250, 125)
    grey = thumb.convert("L").getpixel((5, 5))
    assert isinstance(grey, int) and 110 <= grey <= 124


async def test_an_animated_gif_is_thumbnailed_from_its_first_frame(storage: DiskStorage) -> None:
    frames = [Image.new("RGB", (500, 300), color) for color in ("red", "lime", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    analysis, thumb = await analyzed(storage, data, "image/gif")
    assert (analysis.width, analysis.height) == (500, 300)
    assert thumb.size == (250, 150)
    red, green, blue = thumb.convert("RGB").getpixel((125, 75))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60


async def test_webp_animated_webp_and_bmp(storage: DiskStorage) -> None:
    analysis, thumb = await analyzed(storage, encode(Image.new("RGB", (1000, 500), "navy"), "WEBP"), "image/webp")
    assert (analysis.width, analysis.height) == (1000, 500) and thumb.size == (250, 125)

    frames = [Image.new("RGBA", (300, 300), color) for color in ((255, 0, 0, 255), (0, 0, 255, 128))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    analysis, thumb = await analyzed(storage, data, "image/webp")
    assert (analysis.width, analysis.height) == (300, 300) and thumb.size == (250, 250)
    red, green, blue = thumb.convert("RGB").getpixel((125, 125))  # type: ignore[misc]
    assert red > 240 and green < 15 and blue < 15

    analysis, thumb = await analyzed(storage, encode(Image.new("RGB", (640, 480), "olive"), "BMP"), "image/bmp")
    assert (analysis.width, analysis.height) == (640, 480) and thumb.size == (250, 188)


def peak_rss_reset() -> bool:
    """Reset this process's peak resident size (VmHWM), where the kernel allows it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


async def test_a_decompression_bomb_is_a_plain_file_and_costs_this_process_nothing(storage: DiskStorage) -> None:
    # 30000 x 30000 = 900 megapixels (900 MB as Pillow holds bilevel pixels) in about 110 kB.
    bomb = crafted_png(30000, 30000)
    assert len(bomb) < 200_000
    key = await store(storage, bomb)
    # With the peak reset, the peak after may only exceed the resident size now; else the old peak.
    before = status_kib("VmRSS") if peak_rss_reset() else status_kib("VmHWM")
    assert await analyze_image(storage, key, "image/png") is None
    grown_kib = status_kib("VmHWM") - before
    assert grown_kib < 8 * 1024, f"this process grew by {grown_kib} KiB"


async def test_an_image_past_the_pixel_limit_is_refused(storage: DiskStorage) -> None:
    # 60 MP: past the 50 MP limit but below twice it, where Pillow would only warn.
    key = await store(storage, crafted_png(8000, 7500))
    assert await analyze_image(storage, key, "image/png") is None
    analysis = await analyze_image(storage, key, "image/png", limits=ImagingLimits(max_pixels=70_000_000))
    assert analysis is not None and (analysis.width, analysis.height) == (8000, 7500)
    await analysis.discard()


async def test_the_memory_limit_stops_a_decode_that_needs_more(storage: DiskStorage) -> None:
    # 36 MP of RGB: 144 MB decoded, allowed by the default limits but not in 96 MiB.
    data = crafted_png(6000, 6000, color_type=2, bit_depth=8)
    analysis, thumb = await analyzed(storage, data, "image/png")
    assert (analysis.width, analysis.height) == (6000, 6000) and thumb.size == (250, 250)
    key = await store(storage, data)
    assert await analyze_image(storage, key, "image/png", limits=ImagingLimits(memory_bytes=96 * MEBIBYTE)) is None


async def test_corrupt_and_truncated_files_are_plain_files(storage: DiskStorage) -> None:
    garbage = os.urandom(4096)
    for data, content_type in (
        (garbage, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + garbage, "image/png"),
        (b"GIF89a" + garbage, "image/gif"),
        (b"", "image/png"),
    ):
        key = await store(storage, data)
        assert await analyze_image(storage, key, content_type) is None

    noise = Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3))
    jpeg = encode(noise, "JPEG", quality=90)
    key = await store(storage, jpeg[: len(jpeg) // 2])
    assert await analyze_image(storage, key, "image/jpeg") is None
    png = encode(noise, "PNG")
    key = await store(storage, png[: len(png) // 2])
    assert await analyze_image(storage, key, "image/png") is None


async def test_other_formats_are_not_decoded_whatever_their_declared_type(storage: DiskStorage) -> None:
    tiff = encode(Image.new("RGB", (300, 300), "red"), "TIFF")
    key = await store(storage, tiff)
    assert await analyze_image(storage, key, "image/png") is None
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"/>'
    key = await store(storage, svg)
    assert await analyze_image(storage, key, "image/svg+xml") is None
    png_key = await store(storage, encode(Image.new("RGB", (300, 300), "red"), "PNG"))
    assert await analyze_image(storage, png_key, "application/octet-stream") is None


async def test_a_decoder_past_its_time_is_killed(storage: DiskStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[asyncio.subprocess.Process] = []
    real_exec = asyncio.create_subprocess_exec

    async def recording_exec(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        process = await real_exec(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording_exec)
    key = await store(storage, encode(Image.new("RGB", (1280, 720), "teal"), "PNG"))
    assert await analyze_image(storage, key, "image/png", limits=ImagingLimits(timeout_seconds=0.01)) is None
    [process] = started
    assert process.returncode == -signal.SIGKILL


async def test_a_cancelled_analysis_kills_its_decoder_and_cleans_up(
    storage: DiskStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[asyncio.subprocess.Process] = []
    running = asyncio.Event()
    real_exec = asyncio.create_subprocess_exec

    async def recording_exec(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        process = await real_exec(*args, **kwargs)
        started.append(process)
        running.set()
        return process

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording_exec)
    key = await store(storage, encode(Image.new("RGB", (1280, 720), "teal"), "PNG"))
    task = asyncio.ensure_future(analyze_image(storage, key, "image/png"))
    await running.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert started[0].returncode == -signal.SIGKILL


async def test_a_file_larger_than_the_bound_is_not_copied(storage: DiskStorage) -> None:
    data = encode(Image.new("RGB", (1280, 720), "teal"), "PNG")
    key = await store(storage, data)
    assert await analyze_image(storage, key, "image/png", limits=ImagingLimits(max_source_bytes=len(data) - 1)) is None
    analysis = await analyze_image(storage, key, "image/png", limits=ImagingLimits(max_source_bytes=len(data)))
    assert analysis is not None
    await analysis.discard()


async def test_missing_bytes_are_an_error_of_the_storage(storage: DiskStorage) -> None:
    with pytest.raises(FileNotFoundError):
        await analyze_image(storage, new_key(), "image/png")


# analyze_blob, on the test database (SQLite or PostgreSQL, as FRONTDESK_TEST_DATABASE says).


@asynccontextmanager
async def opened(test_database: ThrowawayDatabase) -> AsyncIterator[Database]:
    database = Database(test_database.async_url)
    try:
        yield database
    finally:
        await database.dispose()


async def insert_blob(
    database: Database, storage: DiskStorage, data: bytes, content_type: str, *, meta: dict[str, Any] | None = None
) -> tuple[int, str]:
    key = await store(storage, data)
    async with database.unit_of_work() as uow:
        blob_id = (
            await uow.conn.execute(
                sa.insert(blobs)
                .values(
                    account_id=1,
                    key=key,
                    service="disk",
                    filename="picture",
                    content_type=content_type,
                    byte_size=len(data),
                    meta=meta or {},
                )
                .returning(blobs.c.id)
            )
        ).scalar_one()
    return blob_id, key


async def meta_of(database: Database, blob_id: int) -> Any:
    async with database.unit_of_work(write=False) as uow:
        return (await uow.conn.execute(sa.select(blobs.c.meta).where(blobs.c.id == blob_id))).scalar_one_or_none()


async def test_analyze_blob_stores_the_thumbnail_and_records_it(
    test_database: ThrowawayDatabase, storage: DiskStorage
) -> None:
    async with opened(test_database) as database:
        data = encode(Image.new("RGB", (1280, 720), "teal"), "PNG")
        blob_id, key = await insert_blob(database, storage, data, "image/png", meta={"identified": True, "x": 1})
        await analyze_blob(database, storage, blob_id)
        expected = {
            "x": 1,
            "analyzed": True,
            "width": 1280,
            "height": 720,
            "thumb_key": thumb_key_for(key),
            "thumb_content_type": "image/jpeg",
            "thumb_size": storage.path_of(thumb_key_for(key)).stat().st_size,
        }
        assert await meta_of(database, blob_id) == expected
        assert thumb_key_for(key) == f"{key}.thumb"
        with Image.open(storage.path_of(thumb_key_for(key))) as thumb:
            assert thumb.format == "JPEG" and thumb.size == (250, 141)

        # Again: the same result, the thumbnail stored over itself.
        await analyze_blob(database, storage, blob_id)
        assert await meta_of(database, blob_id) == expected
        assert await storage.exists(thumb_key_for(key))
        assert sorted(path.name for path in storage.path_of(key).parent.iterdir()) == sorted(
            [Path(key).name, Path(key).name + ".thumb"]
        )


async def test_analyze_blob_marks_an_unusable_image_unidentified(
    test_database: ThrowawayDatabase, storage: DiskStorage
) -> None:
    async with opened(test_database) as database:
        blob_id, key = await insert_blob(database, storage, crafted_png(30000, 30000), "image/png")
        await analyze_blob(database, storage, blob_id)
        assert await meta_of(database, blob_id) == {"analyzed": True, "identified": False}
        assert not await storage.exists(thumb_key_for(key))
        await analyze_blob(database, storage, blob_id)
        assert await meta_of(database, blob_id) == {"analyzed": True, "identified": False}

        corrupt_id, _ = await insert_blob(database, storage, os.urandom(2048), "image/jpeg")
        await analyze_blob(database, storage, corrupt_id)
        assert await meta_of(database, corrupt_id) == {"analyzed": True, "identified": False}


async def test_analyze_blob_removes_a_thumbnail_the_image_no_longer_earns(
    test_database: ThrowawayDatabase, storage: DiskStorage
) -> None:
    async with opened(test_database) as database:
        data = encode(Image.new("RGB", (1280, 720), "teal"), "PNG")
        blob_id, key = await insert_blob(database, storage, data, "image/png")
        await analyze_blob(database, storage, blob_id)
        assert await storage.exists(thumb_key_for(key))
        # Analysed again under limits it no longer passes: unidentified, and its old thumbnail goes.
        await analyze_blob(database, storage, blob_id, limits=ImagingLimits(max_pixels=100_000))
        assert await meta_of(database, blob_id) == {"analyzed": True, "identified": False}
        assert not await storage.exists(thumb_key_for(key))


async def test_analyze_blob_skips_other_content_types(test_database: ThrowawayDatabase, storage: DiskStorage) -> None:
    async with opened(test_database) as database:
        png = encode(Image.new("RGB", (300, 300), "red"), "PNG")
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"><rect width="9" height="9"/></svg>'
        for data, content_type in ((png, "application/pdf"), (png, "text/plain"), (svg, "image/svg+xml")):
            blob_id, key = await insert_blob(database, storage, data, content_type)
            await analyze_blob(database, storage, blob_id)
            assert await meta_of(database, blob_id) == {}
            assert not await storage.exists(thumb_key_for(key))


async def test_analyze_blob_of_a_blob_that_is_gone(
    test_database: ThrowawayDatabase, storage: DiskStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with opened(test_database) as database:
        await analyze_blob(database, storage, 987654)

        # Deleted while its thumbnail was being made: the thumbnail does not stay behind.
        data = encode(Image.new("RGB", (1280, 720), "teal"), "PNG")
        blob_id, key = await insert_blob(database, storage, data, "image/png")
        real_put = storage.put

        async def put_then_delete(*args: Any, **kwargs: Any) -> Any:
            stored = await real_put(*args, **kwargs)
            async with database.unit_of_work() as uow:
                await uow.conn.execute(sa.delete(blobs).where(blobs.c.id == blob_id))
            return stored

        monkeypatch.setattr(storage, "put", put_then_delete)
        await analyze_blob(database, storage, blob_id)
        assert await meta_of(database, blob_id) is None
        assert not await storage.exists(thumb_key_for(key))

        # Its bytes already purged: nothing is recorded.
        blob_id, key = await insert_blob(database, storage, data, "image/png")
        await storage.delete(key)
        await analyze_blob(database, storage, blob_id)
        assert await meta_of(database, blob_id) == {}
