"""Amazon S3 and S3-protocol stores (MinIO, Ceph, R2, moto…) over aiohttp, signed with our own SigV4.

Bytes stream both ways. ``put`` holds at most one part (8 MiB) in memory: a file that ends within it is one
PutObject; a longer one becomes a multipart upload, aborted on :class:`TooLarge`, on any error and on
cancellation, so an upload cut off mid-stream leaves neither an object nor an incomplete upload behind.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import logging
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from frontdesk.storage.base import CHUNK_SIZE, Checksummer, ObjectInfo, StoredObject, content_disposition
from frontdesk.storage.sigv4 import (
    MAX_PRESIGN_SECONDS,
    Credentials,
    canonical_query,
    presign,
    sign_headers,
    uri_encode,
)

if TYPE_CHECKING:
    from frontdesk.config import Settings

log = logging.getLogger(__name__)

# The size of each multipart part, and of the largest file sent as one PutObject (S3 wants ≥ 5 MiB parts).
PART_SIZE = 8 * 1024 * 1024


class S3Error(Exception):
    """An S3 request failed: the HTTP status and S3's own error code (``NoSuchBucket``, ``AccessDenied``…)."""

    def __init__(self, operation: str, status: int, code: str, message: str = "", request_id: str = "") -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        detail = f": {message}" if message else ""
        request = f" (request id {request_id})" if request_id else ""
        super().__init__(f"S3 {operation} failed with {status} {code}{detail}{request}")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child_text(element: ET.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return child.text or ""
    return ""


def _parse_xml(body: bytes) -> ET.Element | None:
    try:
        return ET.fromstring(body)
    except ET.ParseError:
        return None


def _error_of(operation: str, status: int, headers: Mapping[str, str], body: bytes) -> S3Error:
    root = _parse_xml(body) if body else None
    request_id = headers.get("x-amz-request-id", "")
    if root is None or _local(root.tag) != "Error":
        # HEAD answers carry no body: the status is all there is.
        return S3Error(
            operation, status, {403: "AccessDenied", 404: "NotFound"}.get(status, f"HTTP{status}"), "", request_id
        )
    return S3Error(operation, status, _child_text(root, "Code"), _child_text(root, "Message"), request_id)


def _digests(body: bytes) -> tuple[str, str]:
    """SHA-256 (hex, the signed payload hash) and MD5 (base64, ``Content-MD5``) of a request body."""
    return (
        hashlib.sha256(body).hexdigest(),
        base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode(),
    )


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        endpoint_url: str | None = None,
        force_path_style: bool = False,
        list_page_size: int = 1000,
    ) -> None:
        if not bucket:
            raise ValueError("S3 storage needs a bucket (FRONTDESK_S3_BUCKET)")
        if not access_key_id or not secret_access_key:
            raise ValueError("S3 storage needs FRONTDESK_S3_ACCESS_KEY_ID and FRONTDESK_S3_SECRET_ACCESS_KEY")
        self.bucket = bucket
        self.credentials = Credentials(access_key_id, secret_access_key, region)
        endpoint = urlsplit(endpoint_url or f"https://s3.{region}.amazonaws.com")
        if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
            raise ValueError(f"FRONTDESK_S3_ENDPOINT_URL must be an http(s) URL, not {endpoint_url!r}")
        self.scheme = endpoint.scheme
        # Path style: https://endpoint/bucket/key; virtual-hosted: https://bucket.endpoint/key.
        if force_path_style:
            self.host = endpoint.netloc
            self.base_path = f"/{bucket}"
        else:
            self.host = f"{bucket}.{endpoint.netloc}"
            self.base_path = ""
        self.list_page_size = list_page_size
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        return cls(
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            endpoint_url=settings.s3_endpoint_url,
            force_path_style=settings.s3_force_path_style,
        )

    # Requests.

    def _path(self, key: str | None) -> str:
        return f"{self.base_path}/{key}" if key is not None else (self.base_path or "/")

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=15, sock_read=120),
                auto_decompress=False,
            )
        return self._session

    @contextlib.asynccontextmanager
    async def _request(
        self,
        method: str,
        key: str | None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        query = query or {}
        payload = body or b""
        if len(payload) > CHUNK_SIZE:
            payload_hash, md5 = await asyncio.to_thread(_digests, payload)
        else:
            payload_hash, md5 = _digests(payload)
        sent = dict(headers or {})
        if body is not None:
            sent["Content-MD5"] = md5
        path = self._path(key)
        signed = sign_headers(
            self.credentials,
            method=method,
            host=self.host,
            path=path,
            query=query,
            headers=sent,
            payload_hash=payload_hash,
            now=datetime.now(UTC),
        )
        url = self._url(path, canonical_query(query))
        # A file-like body is written to the socket in pieces, with its Content-Length, without blocking the loop.
        data = io.BytesIO(body) if body is not None else None
        async with self._client().request(
            method, url, headers=signed, data=data, allow_redirects=False, skip_auto_headers=("Content-Type",)
        ) as response:
            yield response

    def _url(self, path: str, query: str) -> URL:
        tail = f"?{query}" if query else ""
        # Encoded here exactly as signed: yarl must not re-encode it.
        return URL(f"{self.scheme}://{self.host}{uri_encode(path, keep_slash=True)}{tail}", encoded=True)

    async def _call(
        self,
        operation: str,
        method: str,
        key: str | None,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> tuple[int, bytes]:
        async with self._request(method, key, query=query, headers=headers, body=body) as response:
            data = await response.read()
            if response.status not in ok:
                raise _error_of(operation, response.status, response.headers, data)
            return response.status, data

    # The Storage interface.

    async def put(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int | None = None
    ) -> StoredObject:
        summer = Checksummer(max_bytes)
        pending = bytearray()
        upload_id: str | None = None
        parts: list[tuple[int, str]] = []
        putting = False
        try:
            async for chunk in chunks:
                summer.update(chunk)
                pending += chunk
                while len(pending) > PART_SIZE:
                    if upload_id is None:
                        upload_id = await self._create_multipart(key, content_type)
                    part = bytes(pending[:PART_SIZE])
                    del pending[:PART_SIZE]
                    parts.append((len(parts) + 1, await self._upload_part(key, upload_id, len(parts) + 1, part)))
            if upload_id is None:
                putting = True
                await self._call("PutObject", "PUT", key, headers={"Content-Type": content_type}, body=bytes(pending))
            else:
                if pending:
                    parts.append(
                        (len(parts) + 1, await self._upload_part(key, upload_id, len(parts) + 1, bytes(pending)))
                    )
                await self._complete_multipart(key, upload_id, parts)
        except BaseException:
            # Shielded: a cancelled upload still gets its clean-up; a second cancel leaves it running.
            if upload_id is not None:
                await asyncio.shield(self._forget_upload(key, upload_id))
            elif putting:
                # The PutObject may have landed before the answer was lost.
                await asyncio.shield(self._forget_object(key))
            raise
        return summer.stored(key)

    async def _create_multipart(self, key: str, content_type: str) -> str:
        _, data = await self._call(
            "CreateMultipartUpload", "POST", key, query={"uploads": ""}, headers={"Content-Type": content_type}
        )
        root = _parse_xml(data)
        upload_id = _child_text(root, "UploadId") if root is not None else ""
        if not upload_id:
            raise S3Error("CreateMultipartUpload", 200, "MalformedResponse", "no UploadId in the answer")
        return upload_id

    async def _upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> str:
        async with self._request(
            "PUT", key, query={"partNumber": str(number), "uploadId": upload_id}, body=body
        ) as response:
            data = await response.read()
            if response.status != 200:
                raise _error_of("UploadPart", response.status, response.headers, data)
            return response.headers.get("ETag", "")

    async def _complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        manifest = ET.Element("CompleteMultipartUpload")
        for number, etag in parts:
            part = ET.SubElement(manifest, "Part")
            ET.SubElement(part, "PartNumber").text = str(number)
            ET.SubElement(part, "ETag").text = etag
        _, data = await self._call(
            "CompleteMultipartUpload",
            "POST",
            key,
            query={"uploadId": upload_id},
            headers={"Content-Type": "application/xml"},
            body=ET.tostring(manifest),
        )
        # S3 may answer 200 and still report an error in the body.
        root = _parse_xml(data)
        if root is not None and _local(root.tag) == "Error":
            raise _error_of("CompleteMultipartUpload", 200, {}, data)

    async def _forget_upload(self, key: str, upload_id: str) -> None:
        try:
            await self._call("AbortMultipartUpload", "DELETE", key, query={"uploadId": upload_id}, ok=(204, 404))
        except Exception:
            # The original error is the one to raise; a bucket lifecycle rule is the backstop.
            log.exception("could not abort multipart upload %s of %s", upload_id, key)

    async def _forget_object(self, key: str) -> None:
        try:
            await self.delete(key)
        except Exception:
            log.exception("could not remove %s after a failed upload", key)

    async def open(self, key: str, *, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        headers = {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        async with self._request("GET", key, headers=headers) as response:
            if response.status == 404:
                raise FileNotFoundError(key)
            if response.status == 416:
                # A range starting past the end: nothing, as on disk.
                return
            if response.status not in (200, 206):
                raise _error_of("GetObject", response.status, response.headers, await response.read())
            async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                yield chunk

    async def delete(self, key: str) -> None:
        await self._call("DeleteObject", "DELETE", key, ok=(200, 204, 404))

    async def exists(self, key: str) -> bool:
        status, _ = await self._call("HeadObject", "HEAD", key, ok=(200, 404))
        return status == 200

    def signed_url(self, key: str, *, filename: str, content_type: str, disposition: str, expires_in: int) -> str:
        """A presigned GET that makes S3 answer with ``content_type`` and the disposition (and nothing else:
        S3 cannot add ``nosniff`` or a CSP). Lifetimes past S3's limit of seven days are cut to it."""
        path = self._path(key)
        query = presign(
            self.credentials,
            method="GET",
            host=self.host,
            path=path,
            query={
                "response-content-type": content_type,
                "response-content-disposition": content_disposition(disposition, filename),
            },
            expires_in=max(1, min(expires_in, MAX_PRESIGN_SECONDS)),
            now=datetime.now(UTC),
        )
        return str(self._url(path, query))

    async def list_objects(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        token: str | None = None
        while True:
            query = {"list-type": "2", "max-keys": str(self.list_page_size)}
            if prefix:
                query["prefix"] = prefix
            if token:
                query["continuation-token"] = token
            _, data = await self._call("ListObjectsV2", "GET", None, query=query)
            root = _parse_xml(data)
            if root is None:
                raise S3Error("ListObjectsV2", 200, "MalformedResponse", "the listing is not XML")
            for item in root:
                if _local(item.tag) != "Contents":
                    continue
                yield ObjectInfo(
                    _child_text(item, "Key"),
                    int(_child_text(item, "Size") or 0),
                    datetime.fromisoformat(_child_text(item, "LastModified")),
                )
            token = _child_text(root, "NextContinuationToken")
            if _child_text(root, "IsTruncated") != "true" or not token:
                return

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
