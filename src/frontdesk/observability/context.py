"""The id of the request being served, for every log line written while it runs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar

REQUEST_ID_HEADER = b"x-request-id"
# What a client may send as its own id: a bounded run of safe characters (anything else is replaced,
# so a log line can never be split or forged through the header).
_SAFE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("frontdesk_request_id", default=None)


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-Id`` when it is safe, otherwise a new uuid4 (hex)."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if _SAFE_ID.fullmatch(value):
                return value.decode()
            break
    return uuid.uuid4().hex
