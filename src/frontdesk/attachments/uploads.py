"""Receiving ``multipart/form-data`` as a stream: file parts go straight into storage as they arrive,
the other parts become the body's fields (Rails bracket keys as ``kit.body`` reads them).

Nothing here holds a whole file: the parser hands over slices of each network chunk, a bounded queue
carries them to the part's ``Storage.put``, and a part past its limit stops the upload. When anything
fails — a limit, a refused type, a client that hangs up mid-stream — every file this request stored is
removed before the error leaves, so no bytes outlive a request that wrote no row. (A process killed
mid-upload leaves bytes no blob row claims; the orphan sweep removes them after a grace period.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from frontdesk.attachments.file_types import normalize_content_type, safe_filename
from frontdesk.errors import BadRequest, FrontdeskError
from frontdesk.kit.body import _check_depth, _set_nested
from frontdesk.storage.base import Storage, StoredObject, TooLarge, new_key

logger = logging.getLogger(__name__)

# Non-file fields together (content, attributes…): far above any message, far below a file.
MAX_FIELDS_BYTES = 2 * 1024 * 1024
_QUEUE_DEPTH = 8


@dataclass(frozen=True)
class ReceivedFile:
    field: str
    filename: str
    content_type: str
    stored: StoredObject


@dataclass
class ReceivedForm:
    fields: dict[str, Any]
    files: list[ReceivedFile] = field(default_factory=list)


@dataclass(frozen=True)
class UploadLimits:
    max_files: int
    max_bytes: int
    # (content type, file name) → None when accepted, else the reason.
    refuse: Callable[[str, str], str | None]
    # The name of the error's field ("attachments", "avatar").
    field_name: str = "attachments"


def upload_error(message: str, field_name: str) -> FrontdeskError:
    """A refused upload, as Chatwoot's message create answers a failed save (422 naming the field)."""
    return FrontdeskError({"error": message, "message": message, "attributes": [field_name]}, 422)


def is_multipart(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "multipart/form-data"


class _Sink:
    """One file part on its way into storage."""

    def __init__(self, storage: Storage, key: str, content_type: str, max_bytes: int) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(_QUEUE_DEPTH)
        self.task = asyncio.create_task(
            storage.put(key, self._chunks(), content_type=content_type, max_bytes=max_bytes)
        )

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self.queue.get()
            if chunk is None:
                return
            yield chunk

    async def send(self, chunk: bytes | None) -> None:
        """Hand over a chunk (``None``: the part ended); raises what ``put`` raised if it stopped."""
        if self.task.done():
            self.task.result()
            return
        putting = asyncio.ensure_future(self.queue.put(chunk))
        await asyncio.wait({putting, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if not putting.done():
            putting.cancel()
            self.task.result()

    async def cancel(self) -> None:
        if not self.task.done():
            self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task


async def receive_multipart(
    request: Request[Any, Any, Any],
    storage: Storage,
    limits: UploadLimits,
    *,
    is_file_field: Callable[[str], bool],
) -> ReceivedForm:
    """Read the request's multipart body: files of ``is_file_field`` fields into ``storage``."""
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise BadRequest("The multipart body has no boundary")

    events: list[tuple[str, Any]] = []
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower().strip()] = bytes(header_value).strip()
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        events.append(("part", dict(headers)))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        events.append(("data", data[start:end]))

    def on_part_end() -> None:
        events.append(("end", None))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    form = ReceivedForm(fields={})
    stored_keys: list[str] = []
    sink: _Sink | None = None
    sink_meta: tuple[str, str, str] | None = None
    value: bytearray | None = None
    name = ""
    fields_bytes = 0
    completed = False
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except Exception as error:
                raise BadRequest(f"The multipart body is malformed: {error}") from None
            for kind, item in events:
                if kind == "part":
                    _, params = parse_options_header(item.get(b"content-disposition", b""))
                    name = params.get(b"name", b"").decode("utf-8", "replace")
                    raw_filename = params.get(b"filename")
                    if raw_filename is not None and is_file_field(name):
                        filename = safe_filename(raw_filename.decode("utf-8", "replace"))
                        content_type = normalize_content_type(
                            item.get(b"content-type", b"").decode("latin-1"), filename
                        )
                        if len(form.files) + 1 > limits.max_files:
                            raise upload_error(
                                f"Attachments exceeded maximum allowed ({limits.max_files})", limits.field_name
                            )
                        reason = limits.refuse(content_type, filename)
                        if reason is not None:
                            raise upload_error(reason, limits.field_name)
                        key = new_key()
                        stored_keys.append(key)
                        sink = _Sink(storage, key, content_type, limits.max_bytes)
                        sink_meta = (name, filename, content_type)
                        value = None
                    elif raw_filename is not None:
                        # A file in a field nobody reads: drained, not kept (Chatwoot ignores it too).
                        value = None
                    else:
                        value = bytearray()
                elif kind == "data":
                    if sink is not None:
                        await sink.send(bytes(item))
                    elif value is not None:
                        fields_bytes += len(item)
                        if fields_bytes > MAX_FIELDS_BYTES:
                            raise upload_error("The form fields are too large", "base")
                        value.extend(item)
                elif kind == "end":
                    if sink is not None and sink_meta is not None:
                        await sink.send(None)
                        stored = await sink.task
                        form.files.append(ReceivedFile(sink_meta[0], sink_meta[1], sink_meta[2], stored))
                        sink, sink_meta = None, None
                    elif value is not None:
                        _set_nested(form.fields, name, value.decode("utf-8", "replace"))
                        value = None
            events.clear()
        parser.finalize()
        if sink is not None:
            raise BadRequest("The multipart body ended inside a part")
        _check_depth(form.fields)
        completed = True
        return form
    except TooLarge:
        raise upload_error(
            f"Attachments size is too big (maximum is {limits.max_bytes // (1024 * 1024)} MB)", limits.field_name
        ) from None
    finally:
        if not completed:
            if sink is not None:
                await sink.cancel()
            await remove_stored(storage, stored_keys)


async def remove_stored(storage: Storage, keys: list[str]) -> None:
    """Best effort: what fails here is left for the orphan sweep."""
    for key in keys:
        try:
            await asyncio.shield(storage.delete(key))
        except BaseException:
            logger.warning("could not remove the stored upload %s; the orphan sweep will", key, exc_info=True)
