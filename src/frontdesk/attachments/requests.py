"""Endpoints that take files: the form dependency, and the transaction that waits for it.

A multipart request's files stream into storage *before* the request's write transaction opens (on
SQLite that transaction holds the one writer: a slow upload inside it would stop every other write).
So the caller is authenticated on a read-only connection first, the files are stored, and only then
do the ``uow`` and ``account`` dependencies open the transaction the rows are written in. Bytes whose
rows did not commit are removed after the response (``remove_unclaimed``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy import select

from frontdesk.attachments.file_types import is_acceptable
from frontdesk.attachments.uploads import (
    ReceivedFile,
    UploadLimits,
    is_multipart,
    receive_multipart,
    remove_stored,
    upload_error,
)
from frontdesk.auth.dependencies import provide_account, provide_current_user, provide_uow
from frontdesk.config import Settings
from frontdesk.db import Database, UnitOfWork
from frontdesk.errors import FrontdeskError
from frontdesk.kit.body import BodySpec, convert, read_raw_body, unwrap
from frontdesk.models import blobs

logger = logging.getLogger(__name__)

# JSON and url-encoded bodies on upload routes keep the limit every other route has.
MAX_PLAIN_BODY = 20 * 1024 * 1024
_STORED_KEYS = "frontdesk.stored_keys"
_ATTACHMENT_FIELD = re.compile(r"^(?:message\[)?attachments\]?(?:\[\d*\])?$")


@dataclass
class FilesForm:
    """A request's body fields and the files it stored."""

    fields: dict[str, Any]
    files: list[ReceivedFile] = field(default_factory=list)


def is_attachment_field(name: str) -> bool:
    return bool(_ATTACHMENT_FIELD.match(name))


def attachment_limits(settings: Settings) -> UploadLimits:
    def refuse(content_type: str, filename: str) -> str | None:
        if not is_acceptable(content_type, filename):
            return f"Attachments type not supported ({content_type})"
        return None

    return UploadLimits(max_files=max(1, settings.max_attachments), max_bytes=settings.max_upload_bytes, refuse=refuse)


async def authenticate_read_only(request: Request[Any, Any, Any], precheck: Any = None) -> None:
    """Resolve the user (and account) on a read-only connection, before any write transaction."""
    parameters = request.route_handler.parsed_fn_signature.parameters
    needs_user = "account" in parameters or "current_user" in parameters
    if not needs_user and precheck is None:
        return
    database: Database = request.app.state.database
    uow = await database.begin(write=False)
    try:
        if needs_user:
            user = await provide_current_user(request, uow)
            if "account" in parameters:
                await provide_account(request, request.path_params["account_id"], user, uow)
        if precheck is not None:
            await precheck(request, uow)
    finally:
        await uow.rollback()


async def _read_plain(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """A non-multipart body, within the usual size limit (upload routes lift Litestar's own)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_PLAIN_BODY:
        raise FrontdeskError({"error": "Request Entity Too Large"}, 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PLAIN_BODY:
            raise FrontdeskError({"error": "Request Entity Too Large"}, 413)
        chunks.append(chunk)
    raw = b"".join(chunks)
    request._body = request._connection_state.body = raw
    return await read_raw_body(request)


async def read_files_form(
    request: Request[Any, Any, Any],
    limits: UploadLimits,
    *,
    is_file_field: Any = is_attachment_field,
    precheck: Any = None,
) -> FilesForm:
    """``precheck(request, uow)``: more to verify on a read-only connection before any byte is stored
    (the Client API's session), raising the error to answer."""
    if not is_multipart(request):
        return FilesForm(await _read_plain(request))
    await authenticate_read_only(request, precheck)
    database: Database = request.app.state.database
    received = await receive_multipart(request, database.storage, limits, is_file_field=is_file_field)
    request.scope.setdefault("state", {}).setdefault(_STORED_KEYS, []).extend(f.stored.key for f in received.files)
    return FilesForm(received.fields, received.files)


async def remove_unclaimed(request: Request[Any, Any, Any]) -> None:
    """After the response: stored uploads no committed blob row claims are removed (a refused or failed
    request leaves no bytes behind)."""
    keys: list[str] = request.scope.get("state", {}).get(_STORED_KEYS) or []
    if not keys:
        return
    database: Database = request.app.state.database
    try:
        async with database.unit_of_work(write=False) as uow:
            claimed = set((await uow.conn.execute(select(blobs.c.key).where(blobs.c.key.in_(keys)))).scalars())
    except Exception:
        logger.warning("could not check the request's stored uploads; the orphan sweep will", exc_info=True)
        return
    await remove_stored(database.storage, [key for key in keys if key not in claimed])


def files_form(
    struct: type[Any],
    wrap: str | None,
    limits_of: Any = attachment_limits,
    *,
    file_field: str = "attachments[]",
    **options: Any,
) -> dict[str, Provide]:
    """Route dependencies of an endpoint taking files: ``form`` (the fields and stored files),
    ``payload`` (the fields as ``struct``) and a ``uow`` that opens only once the files are in."""

    async def provide_form(request: Request[Any, Any, Any]) -> FilesForm:
        return await read_files_form(request, limits_of(request.app.state.settings), **options)

    async def provide_payload(request: Request[Any, Any, Any], form: NamedDependency[FilesForm]) -> Any:
        return convert(unwrap(form.fields, wrap), struct)

    async def provide_uow_after_form(request: Request[Any, Any, Any], form: NamedDependency[FilesForm]) -> UnitOfWork:
        return await provide_uow(request)

    provide_payload.body_spec = BodySpec(struct, wrap, file_field)  # type: ignore[attr-defined]
    return {
        "form": Provide(provide_form),
        "payload": Provide(provide_payload),
        "uow": Provide(provide_uow_after_form),
    }


__all__ = ["FilesForm", "attachment_limits", "files_form", "is_attachment_field", "remove_unclaimed", "upload_error"]
