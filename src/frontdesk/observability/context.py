"""The id of the request being served, for every log line written while it runs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from random import getrandbits

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
    return new_request_id()


# uuid4's version (4) and variant (10) bits over 128 random ones: a valid uuid4 at a fifth of uuid.uuid4()'s cost
# on the hot path. The id needs to be unique, not unpredictable (it is no secret), so ``random`` serves.
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)


def new_request_id() -> str:
    return "%032x" % ((getrandbits(128) & _CLEAR) | _SET)
