"""Files over HTTP: serving stored bytes behind signed URLs, direct uploads, and the attachment listings."""

from __future__ import annotations

import re
import time
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Stream
from sqlalchemy import select

from frontdesk.attachments import presenters, repository, service
from frontdesk.attachments.file_types import is_acceptable, normalize_content_type, safe_filename, serves_inline
from frontdesk.attachments.requests import FilesForm, attachment_limits, files_form, remove_unclaimed
from frontdesk.attachments.uploads import upload_error
from frontdesk.attachments.urls import ORIGINAL, THUMB, UPLOAD, FileUrls
from frontdesk.auth.dependencies import Account, Uow
from frontdesk.config import Settings
from frontdesk.contacts import repository as contact_repository
from frontdesk.conversations import repository as conversation_repository
from frontdesk.conversations.repository import visible_to
from frontdesk.db import Database, UnitOfWork
from frontdesk.errors import Forbidden, FrontdeskError, NotFound
from frontdesk.kit.body import body
from frontdesk.kit.schema import Schema
from frontdesk.kit.time import iso, utc_now
from frontdesk.messages.presenters import SenderRows
from frontdesk.models import blobs
from frontdesk.storage.base import Storage, TooLarge, content_disposition, new_key

# What a served file may do in a browser: nothing (no scripts, no frames, no requests but to itself).
FILE_CSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _file_headers(content_type: str, filename: str, size: int, cache_control: str) -> dict[str, str]:
    disposition = "inline" if serves_inline(content_type) else "attachment"
    return {
        "Content-Disposition": content_disposition(disposition, filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": FILE_CSP,
        "Cache-Control": cache_control,
        "Accept-Ranges": "bytes",
        "Content-Length": str(size),
    }


async def stream_stored(
    request: Request[Any, Any, Any],
    storage: Storage,
    key: str,
    *,
    content_type: str,
    filename: str,
    size: int | None,
    cache_control: str = "private, max-age=3600",
) -> Response[Any]:
    """Stored bytes as a response a browser cannot run (nosniff, a sandboxing CSP), honouring ``Range``."""
    if size is None:
        size = sum([len(chunk) async for chunk in storage.open(key)])
    headers = _file_headers(content_type, filename, size, cache_control)
    start, end, status = 0, size - 1, 200
    wanted = request.headers.get("range")
    match = _RANGE.match(wanted.strip()) if wanted else None
    if match and size > 0 and (match.group(1) or match.group(2)):
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:
            start = max(0, size - int(match.group(2)))
        if start > end or start >= size:
            return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
    try:
        first = storage.open(key, start=start, end=end)
    except FileNotFoundError:
        raise NotFound() from None
    return Stream(first, status_code=status, media_type=content_type, headers=headers)


async def _blob_for_token(database: Database, token: str, variant: str) -> Any:
    files: FileUrls = database.files
    parsed = files.parse_token(token)
    if parsed is None:
        raise NotFound()
    token_data, signature = parsed
    if token_data.variant != variant and not (variant == ORIGINAL and token_data.variant == THUMB):
        raise NotFound()
    async with database.unit_of_work(write=False) as uow:
        blob = (await uow.conn.execute(select(blobs).where(blobs.c.id == token_data.blob_id))).first()
    if blob is None or not files.verify(blob.account_id, token_data, signature):
        # One answer for "no such file" and "not this signature": ids cannot be probed.
        raise NotFound()
    if token_data.expires < time.time():
        raise Forbidden("This link has expired")
    return blob, token_data


@get("/files/{token:str}/{filename:str}", include_in_schema=False)
async def serve_file(request: Request[Any, Any, Any], token: FromPath[str], filename: FromPath[str]) -> Response[Any]:
    """The bytes behind a ``data_url`` / ``thumb_url`` / ``avatar_url`` (disk storage; S3 URLs are presigned)."""
    del filename
    database: Database = request.app.state.database
    blob, token_data = await _blob_for_token(database, token, ORIGINAL)
    if not blob.uploaded:
        raise NotFound()
    key, content_type, size = blob.key, blob.content_type, blob.byte_size
    meta = blob.meta or {}
    if token_data.variant == THUMB and meta.get("thumb_key"):
        key = meta["thumb_key"]
        content_type = meta.get("thumb_content_type") or "image/jpeg"
        size = int(meta.get("thumb_size") or 0) or None
    return await stream_stored(
        request, database.storage, key, content_type=content_type, filename=blob.filename, size=size
    )


class DirectUploadBlob(Schema):
    filename: str = ""
    byte_size: int = 0
    checksum: str | None = None
    content_type: str | None = None
    metadata: dict[str, Any] | None = None


class DirectUploadCreate(Schema):
    blob: DirectUploadBlob | None = None


class DirectUploadTarget(msgspec.Struct):
    url: str
    headers: dict[str, str]


class DirectUploadAnswer(msgspec.Struct, kw_only=True):
    """ActiveStorage's blob JSON with ``signed_id`` and ``direct_upload``."""

    id: int
    key: str
    filename: str
    content_type: str
    metadata: dict[str, Any]
    service_name: str
    byte_size: int
    checksum: str | None
    created_at: str | None
    signed_id: str
    direct_upload: DirectUploadTarget


@post(
    "/api/v1/accounts/{account_id:int}/conversations/{conversation_id:int}/direct_uploads",
    status_code=200,
    summary="Start a direct upload",
    operation_id="create-a-direct-upload",
    tags=["Messages"],
    dependencies={"payload": body(DirectUploadCreate, after="account")},
)
async def create_direct_upload(
    request: Request[Any, Any, Any],
    account: Account,
    uow: Uow,
    conversation_id: FromPath[int],
    payload: NamedDependency[DirectUploadCreate],
) -> DirectUploadAnswer:
    """The first step of Chatwoot's direct upload: a blob to PUT the bytes to; its ``signed_id`` then goes
    into ``attachments[]`` of a message create."""
    await conversation_repository.get_conversation(uow, account, conversation_id)
    return await start_direct_upload(uow, request.app.state.settings, account.account_id, payload)


async def start_direct_upload(
    uow: UnitOfWork, settings: Settings, account_id: int, payload: DirectUploadCreate
) -> DirectUploadAnswer:
    """A blob awaiting its bytes (declared size and type checked), and where to PUT them; shared by the
    agents' and the widget's direct uploads."""
    declared = payload.blob or DirectUploadBlob()
    filename = safe_filename(declared.filename)
    content_type = normalize_content_type(declared.content_type, filename)
    if declared.byte_size <= 0 or declared.byte_size > settings.max_upload_bytes:
        raise upload_error(f"Blob byte_size must be between 1 and {settings.max_upload_bytes} bytes", "blob.byte_size")
    if not is_acceptable(content_type, filename):
        raise upload_error(f"Blob content_type not supported ({content_type})", "blob.content_type")
    files: FileUrls = uow.database.files
    (blob,) = await repository.insert_blobs(
        uow,
        [
            {
                "account_id": account_id,
                "key": new_key(),
                "service": files.storage.name,
                "filename": filename,
                "content_type": content_type,
                "byte_size": declared.byte_size,
                "checksum": declared.checksum,
                "uploaded": False,
                "meta": {},
                "created_at": utc_now(),
            }
        ],
    )
    headers = {"Content-Type": content_type}
    if declared.checksum:
        headers["Content-MD5"] = declared.checksum
    return DirectUploadAnswer(
        id=blob.id,
        key=blob.key,
        filename=blob.filename,
        content_type=blob.content_type,
        metadata=declared.metadata or {},
        service_name=blob.service,
        byte_size=blob.byte_size,
        checksum=blob.checksum,
        created_at=iso(blob.created_at),
        signed_id=files.signed_id(account_id, blob.id),
        direct_upload=DirectUploadTarget(url=files.upload_url(blob), headers=headers),
    )


@put("/files/uploads/{token:str}", status_code=204, include_in_schema=False, request_max_body_size=None)
async def receive_direct_upload(request: Request[Any, Any, Any], token: FromPath[str]) -> None:
    """The second step: the bytes, exactly as declared (size and MD5), streamed into storage."""
    database: Database = request.app.state.database
    blob, _ = await _blob_for_token(database, token, UPLOAD)
    if blob.uploaded:
        raise FrontdeskError({"error": "This upload is complete already"}, 409)
    storage = database.storage
    try:
        stored = await storage.put(blob.key, request.stream(), content_type=blob.content_type, max_bytes=blob.byte_size)
    except TooLarge:
        raise upload_error("The upload is larger than its declared byte_size", "byte_size") from None
    if stored.byte_size != blob.byte_size or (blob.checksum and stored.checksum != blob.checksum):
        await storage.delete(blob.key)
        raise upload_error("The upload does not match its declared byte_size and checksum", "checksum")
    async with database.unit_of_work() as uow:
        await service.mark_uploaded(uow, blob.id, stored.byte_size, stored.checksum)


class UploadAnswer(msgspec.Struct):
    file_url: str
    blob_key: str
    blob_id: str


class UploadFields(Schema):
    attachment: str | None = None


def _upload_limits(settings: Any) -> Any:
    limits = attachment_limits(settings)
    return type(limits)(max_files=1, max_bytes=limits.max_bytes, refuse=limits.refuse, field_name="attachment")


@post(
    "/api/v1/accounts/{account_id:int}/upload",
    status_code=200,
    summary="Upload a file",
    operation_id="upload-a-file",
    tags=["Messages"],
    dependencies=files_form(
        UploadFields, None, _upload_limits, file_field="attachment", is_file_field=lambda name: name == "attachment"
    ),
    request_max_body_size=None,
    after_response=remove_unclaimed,
)
async def upload_file(
    request: Request[Any, Any, Any], account: Account, uow: Uow, form: NamedDependency[FilesForm]
) -> UploadAnswer:
    """Chatwoot's generic upload: a file (``attachment``) becomes a blob whose signed id a message's
    ``attachments[]`` (or an automation) can use."""
    received: FilesForm = form
    if not received.files:
        raise upload_error("attachment is required", "attachment")
    files: FileUrls = uow.database.files
    (blob,) = await repository.insert_blobs(
        uow, [service.blob_values(account.account_id, files.storage.name, received.files[0])]
    )
    return UploadAnswer(
        file_url=files.url(blob), blob_key=blob.key, blob_id=files.signed_id(account.account_id, blob.id)
    )


class _SenderOf:
    __slots__ = ("sender_id", "sender_type")

    def __init__(self, row: Any) -> None:
        self.sender_type = row.message_sender_type
        self.sender_id = row.message_sender_id


def _page(value: str | None) -> int:
    try:
        page = int(value) if value else 1
    except ValueError:
        return 1
    return min(max(page, 1), 100_000)


async def _present_listing(
    uow: Any, account_id: int, total: int, rows: list[Any], *, with_conversation: bool
) -> presenters.AttachmentList:
    from frontdesk.messages.service import load_senders

    authors = [_SenderOf(row) for row in rows]
    senders: SenderRows = await load_senders(uow, account_id, authors)
    files: FileUrls = uow.database.files
    items = []
    for row, author in zip(rows, authors, strict=True):
        sender = senders.sender(author)
        items.append(
            presenters.list_item(
                row,
                repository.attached_of(row),
                files,
                None if isinstance(sender, msgspec.UnsetType) else msgspec.to_builtins(sender),
                with_conversation=with_conversation,
            )
        )
    return presenters.AttachmentList(meta={"total_count": total}, payload=items)


@get(
    "/api/v1/accounts/{account_id:int}/conversations/{conversation_id:int}/attachments",
    summary="Get conversation attachments",
    operation_id="get-conversation-attachments",
    tags=["Conversations"],
)
async def conversation_attachments(
    account: Account, uow: Uow, conversation_id: FromPath[int], page: FromQuery[str | None] = None
) -> presenters.AttachmentList:
    conversation = await conversation_repository.get_conversation(uow, account, conversation_id)
    total, rows = await repository.conversation_attachments(uow, account.account_id, conversation.id, _page(page))
    return await _present_listing(uow, account.account_id, total, rows, with_conversation=False)


@get(
    "/api/v1/accounts/{account_id:int}/contacts/{contact_id:int}/attachments",
    summary="Get contact attachments",
    operation_id="get-contact-attachments",
    tags=["Contacts"],
)
async def contact_attachments(
    account: Account, uow: Uow, contact_id: FromPath[int], page: FromQuery[str | None] = None
) -> presenters.AttachmentList:
    contact = await contact_repository.get_contact(uow, account.account_id, contact_id)
    total, rows = await repository.contact_attachments(
        uow, account.account_id, contact.id, visible_to(account), _page(page)
    )
    return await _present_listing(uow, account.account_id, total, rows, with_conversation=True)


router = Router(
    path="/",
    route_handlers=[
        serve_file,
        create_direct_upload,
        receive_direct_upload,
        upload_file,
        conversation_attachments,
        contact_attachments,
    ],
)
