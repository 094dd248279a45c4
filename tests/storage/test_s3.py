"""What only S3 has: presigned URLs, paged listings, addressing styles, S3's own errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from yarl import URL

from frontdesk.storage import storage_from_settings
from frontdesk.storage.s3 import S3Error, S3Storage
from tests.fixtures.s3 import S3Server
from tests.fixtures.server import settings_for

# Every test async, on the session loop the fixtures use (sync ones would trip the mark).
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def s3(s3_server: S3Server) -> AsyncIterator[S3Storage]:
    storage = s3_server.storage(s3_server.create_bucket(), list_page_size=3)
    try:
        yield storage
    finally:
        await storage.close()


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as client, client.get(URL(url, encoded=True)) as response:
        return response.status, dict(response.headers), await response.read()


def disposition_of(storage: S3Storage, filename: str) -> str:
    url = storage.signed_url("k", filename=filename, content_type="text/plain", disposition="attachment", expires_in=60)
    [value] = parse_qs(urlsplit(url).query)["response-content-disposition"]
    return value


async def test_a_presigned_url_serves_the_bytes_with_the_asked_headers(s3: S3Storage) -> None:
    # Stored as PDF, then asked for as another type: the URL's own type wins.
    await s3.put("2024/05/doc", once(b"%PDF-1.4 fake"), content_type="application/pdf")
    url = s3.signed_url(
        "2024/05/doc",
        filename="Résumé 2024.pdf",
        content_type="application/pdf",
        disposition="attachment",
        expires_in=300,
    )
    status, headers, body = await fetch(url)
    assert status == 200
    assert body == b"%PDF-1.4 fake"
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"R_sum_ 2024.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202024.pdf"
    )


async def test_presigned_url_shape(s3: S3Storage) -> None:
    url = s3.signed_url("a b/é", filename="x", content_type="text/plain", disposition="inline", expires_in=90)
    parts = urlsplit(url)
    assert parts.path == f"/{s3.bucket}/a%20b/%C3%A9"
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["90"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert query["response-content-type"] == ["text/plain"]
    # Past S3's seven days the lifetime is cut to them.
    long = s3.signed_url("k", filename="x", content_type="text/plain", disposition="inline", expires_in=10**9)
    assert parse_qs(urlsplit(long).query)["X-Amz-Expires"] == [str(7 * 24 * 3600)]


@pytest.mark.parametrize(
    ("filename", "ascii_name"),
    [
        ('quo"ted".txt', "quoted.txt"),
        ("evil\r\nSet-Cookie: a=b.txt", "evilSet-Cookie: a=b.txt"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("日本語.png", "___.png"),
        ("\u202egnp.exe", "gnp.exe"),
        ("...", "file"),
    ],
)
async def test_file_names_are_sanitised_in_the_disposition(s3: S3Storage, filename: str, ascii_name: str) -> None:
    value = disposition_of(s3, filename)
    assert value.startswith(f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''")
    assert not any(char in value for char in "\r\n/\\\u202e")
    assert value.count('"') == 2


async def test_a_tampered_presigned_url_is_refused(s3: S3Storage) -> None:
    await s3.put("k", once(b"secret"), content_type="text/plain")
    url = s3.signed_url("k", filename="x", content_type="text/plain", disposition="inline", expires_in=60)
    assert (await fetch(url))[0] == 200
    # One character of the signature changed.
    at = url.index("X-Amz-Signature=") + len("X-Amz-Signature=") + 5
    tampered = url[:at] + ("0" if url[at] != "0" else "1") + url[at + 1 :]
    status, _, body = await fetch(tampered)
    assert status == 403
    assert b"SignatureDoesNotMatch" in body
    # So is one of the signed parameters: the response type cannot be swapped for another.
    swapped = url.replace("response-content-type=text%2Fplain", "response-content-type=text%2Fhtml")
    assert swapped != url
    assert (await fetch(swapped))[0] == 403


async def test_an_expired_presigned_url_is_refused(s3: S3Storage) -> None:
    await s3.put("k", once(b"secret"), content_type="text/plain")
    url = s3.signed_url("k", filename="x", content_type="text/plain", disposition="inline", expires_in=1)
    await asyncio.sleep(2)
    status, _, body = await fetch(url)
    assert status == 403
    assert b"expired" in body


async def test_listings_follow_continuation_tokens(s3: S3Storage) -> None:
    expected = [f"2024/06/{index:02}" for index in range(10)]
    for key in expected:
        await s3.put(key, once(b"x"), content_type="text/plain")
    # Three a page: four pages.
    assert [info.key async for info in s3.list_objects("2024/")] == expected


async def test_the_stored_content_type_is_kept(s3: S3Storage, s3_server: S3Server) -> None:
    await s3.put("typed", once(b"<svg/>"), content_type="image/svg+xml")
    head = s3_server.client().head_object(Bucket=s3.bucket, Key="typed")
    assert head["ContentType"] == "image/svg+xml"


async def test_s3_errors_carry_the_s3_code(s3_server: S3Server) -> None:
    storage = s3_server.storage("no-such-bucket-here")
    try:
        with pytest.raises(S3Error) as raised:
            await storage.put("k", once(b"x"), content_type="text/plain")
        assert raised.value.code == "NoSuchBucket"
        assert raised.value.status == 404
        assert "NoSuchBucket" in str(raised.value)
    finally:
        await storage.close()


async def test_from_settings(s3_settings: dict[str, object], tmp_path: Path) -> None:
    settings = settings_for("sqlite+aiosqlite:///unused.db", tmp_path, **s3_settings)
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3Storage)
    try:
        await storage.put("configured", once(b"ok"), content_type="text/plain")
        assert await storage.exists("configured")
    finally:
        await storage.close()
        await storage.close()


async def test_virtual_hosted_and_default_endpoints() -> None:
    storage = S3Storage(bucket="files", region="eu-west-1", access_key_id="a", secret_access_key="b")
    url = storage.signed_url("2024/k", filename="x", content_type="text/plain", disposition="inline", expires_in=60)
    assert url.startswith("https://files.s3.eu-west-1.amazonaws.com/2024/k?")
    assert "%2Feu-west-1%2Fs3%2Faws4_request" in url
    custom = S3Storage(
        bucket="files", region="auto", access_key_id="a", secret_access_key="b", endpoint_url="https://r2.example:8443"
    )
    assert custom.signed_url("k", filename="x", content_type="t/p", disposition="inline", expires_in=60).startswith(
        "https://files.r2.example:8443/k?"
    )


async def test_incomplete_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="bucket"):
        S3Storage(bucket="", region="us-east-1", access_key_id="a", secret_access_key="b")
    with pytest.raises(ValueError, match="ACCESS_KEY"):
        S3Storage(bucket="b", region="us-east-1", access_key_id="", secret_access_key="")
    with pytest.raises(ValueError, match="http"):
        S3Storage(bucket="b", region="us-east-1", access_key_id="a", secret_access_key="b", endpoint_url="ftp://x")


async def test_a_wrongly_signed_request_is_refused_with_the_s3_code(s3_server: S3Server) -> None:
    # The store in front of moto checks header signatures too: a wrong secret cannot write or read.
    bucket = s3_server.create_bucket()
    storage = S3Storage(
        bucket=bucket,
        region="us-east-1",
        access_key_id=s3_server.access_key_id,
        secret_access_key="not-the-secret",
        endpoint_url=s3_server.endpoint_url,
        force_path_style=True,
    )
    try:
        with pytest.raises(S3Error) as raised:
            await storage.put("k", once(b"x"), content_type="text/plain")
        assert (raised.value.status, raised.value.code) == (403, "SignatureDoesNotMatch")
        # A HEAD answer has no body, so no S3 code: the status is all there is, as on AWS.
        with pytest.raises(S3Error, match="403 AccessDenied"):
            await storage.exists("k")
    finally:
        await storage.close()
    assert s3_server.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
