"""Chatwoot's attachment shapes: ``Attachment#push_event_data`` (messages in REST, webhooks and
``/cable``) and the ``_attachment`` partial of the attachment listings."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.attachments.file_types import AUDIO, FALLBACK, FILE_TYPE_NAMES, IMAGE, LOCATION
from frontdesk.attachments.repository import Attached
from frontdesk.attachments.urls import ORIGINAL, THUMB, FileUrls
from frontdesk.kit.time import unix


class AttachmentPushData(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: int
    message_id: int
    file_type: str
    account_id: int
    extension: str | None | msgspec.UnsetType = msgspec.UNSET
    content_type: str | msgspec.UnsetType = msgspec.UNSET
    data_url: str | None | msgspec.UnsetType = msgspec.UNSET
    thumb_url: str | msgspec.UnsetType = msgspec.UNSET
    file_size: int | msgspec.UnsetType = msgspec.UNSET
    width: int | None | msgspec.UnsetType = msgspec.UNSET
    height: int | None | msgspec.UnsetType = msgspec.UNSET
    transcribed_text: str | msgspec.UnsetType = msgspec.UNSET
    coordinates_lat: float | msgspec.UnsetType = msgspec.UNSET
    coordinates_long: float | msgspec.UnsetType = msgspec.UNSET
    fallback_title: str | None | msgspec.UnsetType = msgspec.UNSET
    meta: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class AttachmentListItem(msgspec.Struct, kw_only=True):
    """``api/v1/models/_attachment`` (the conversation and contact attachment listings)."""

    id: int
    message_id: int
    thumb_url: str
    data_url: str | None
    file_size: int | None
    file_type: str
    extension: str | None
    width: int | None
    height: int | None
    created_at: int
    sender: Any = None
    conversation_id: int | msgspec.UnsetType = msgspec.UNSET


class AttachmentList(msgspec.Struct):
    meta: dict[str, int]
    payload: list[AttachmentListItem]


def _dimension(meta: dict[str, Any], name: str) -> int | None:
    value = meta.get(name)
    return value if isinstance(value, int) else None


def push_data(item: Attached, files: FileUrls) -> AttachmentPushData:
    row, blob = item.attachment, item.blob
    data = AttachmentPushData(
        id=row.id,
        message_id=row.message_id,
        file_type=FILE_TYPE_NAMES.get(row.file_type, "file"),
        account_id=row.account_id,
    )
    if row.file_type == LOCATION:
        data.coordinates_lat = row.coordinates_lat
        data.coordinates_long = row.coordinates_long
        data.fallback_title = row.fallback_title
        data.data_url = row.external_url
        return data
    if row.file_type == FALLBACK:
        data.fallback_title = row.fallback_title
        data.data_url = row.external_url
        return data
    if blob is None:
        data.data_url = row.external_url
        data.thumb_url = ""
        return data
    meta = blob.meta or {}
    data.extension = row.extension
    data.content_type = blob.content_type
    data.data_url = files.url(blob, ORIGINAL)
    data.thumb_url = files.url(blob, THUMB) if row.file_type == IMAGE else ""
    data.file_size = blob.byte_size
    data.width = _dimension(meta, "width")
    data.height = _dimension(meta, "height")
    if row.file_type == AUDIO:
        data.transcribed_text = (row.meta or {}).get("transcribed_text") or ""
    return data


def push_data_list(items: list[Attached], files: FileUrls) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(push_data(item, files)) for item in items]


def list_item(row: Any, item: Attached, files: FileUrls, sender: Any, *, with_conversation: bool) -> AttachmentListItem:
    pushed = push_data(item, files)
    return AttachmentListItem(
        id=pushed.id,
        message_id=pushed.message_id,
        thumb_url=pushed.thumb_url if isinstance(pushed.thumb_url, str) else "",
        data_url=pushed.data_url if not isinstance(pushed.data_url, msgspec.UnsetType) else None,
        file_size=pushed.file_size if isinstance(pushed.file_size, int) else None,
        file_type=pushed.file_type,
        extension=pushed.extension if not isinstance(pushed.extension, msgspec.UnsetType) else None,
        width=pushed.width if not isinstance(pushed.width, msgspec.UnsetType) else None,
        height=pushed.height if not isinstance(pushed.height, msgspec.UnsetType) else None,
        created_at=unix(row.created_at),
        sender=sender,
        conversation_id=row.conversation_display_id if with_conversation else msgspec.UNSET,
    )
