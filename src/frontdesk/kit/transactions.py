"""One transaction per request, ended by the response's status before the response leaves.

A request's unit of work is opened lazily by the ``uow`` dependency and kept in the ASGI scope.
This middleware ends it when the response starts: a status below 400 commits, anything else rolls
back, so a request that fails never half-writes. If the commit itself fails, the client gets the
error instead of the success it would otherwise have seen.

An outer middleware that must store the answer with the request's changes (the ``Idempotency-Key``)
puts an ``AnswerRecorder`` in the scope's state under ``ANSWER_RECORDER``. A successful response is
then held until its body is complete (up to ``MAX_HELD_BODY`` bytes), the recorder writes it on the
request's own connection, and only then does the transaction commit and the response leave: a crash
can no longer commit the work without its answer. A larger body falls back to committing at the
start, and the recorder stores the answer itself afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send
from sqlalchemy.exc import IntegrityError

from frontdesk.db import Database, UnitOfWork

logger = logging.getLogger(__name__)

_SCOPE_KEY = "frontdesk.uow"
_LOCK_KEY = "frontdesk.uow_lock"
ANSWER_RECORDER = "frontdesk.answer_recorder"
# Bodies up to this size are held back until the commit; responses here are small JSON.
MAX_HELD_BODY = 1024 * 1024
CONFLICT = {"error": "The change conflicts with existing data"}


class AnswerRecorder(Protocol):
    """Writes a response in the request's transaction; ``stored`` once that transaction committed."""

    stored: bool

    async def record(self, uow: UnitOfWork, start: HTTPResponseStartEvent, body: bytes) -> None: ...


async def request_unit_of_work(scope: Scope, database: Database, *, write: bool) -> UnitOfWork:
    state: dict[str, Any] = scope.setdefault("state", {})
    # Litestar resolves a handler's independent dependencies concurrently: two of them asking at once must
    # share one transaction (on SQLite a second writer connection would wait for the first forever).
    lock: asyncio.Lock = state.setdefault(_LOCK_KEY, asyncio.Lock())
    async with lock:
        existing: UnitOfWork | None = state.get(_SCOPE_KEY)
        if existing is not None:
            return existing
        uow = await database.begin(write=write)
        uow.origin = "request"
        state[_SCOPE_KEY] = uow
        return uow


def _error_messages(status: int, body: dict[str, Any]) -> tuple[Message, Message]:
    payload = msgspec.json.encode(body)
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
    }
    return start, {"type": "http.response.body", "body": payload, "more_body": False}


class TransactionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        replaced = False
        held: HTTPResponseStartEvent | None = None
        held_chunks: list[bytes] = []
        held_size = 0

        async def commit_or_refuse(uow: UnitOfWork) -> bool:
            """Commit; on a constraint's refusal answer 422 instead and say so (False)."""
            nonlocal replaced
            try:
                await uow.commit()
            except IntegrityError as error:
                logger.info("commit refused by a constraint: %s", error.orig)
                replaced = True
                for error_message in _error_messages(422, CONFLICT):
                    await send(error_message)
                return False
            return True

        async def send_held(start: HTTPResponseStartEvent, chunks: list[bytes], more_body: bool) -> None:
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": more_body})

        async def record_then_commit(uow: UnitOfWork, recorder: AnswerRecorder, start: HTTPResponseStartEvent) -> None:
            nonlocal replaced
            body = b"".join(held_chunks)
            try:
                await recorder.record(uow, start, body)
            except Exception:
                # Committing without the answer would reopen the window a retry runs twice in.
                logger.exception("could not store the answer in the request's transaction")
                await uow.rollback()
                replaced = True
                for error_message in _error_messages(500, {"error": "Internal Server Error"}):
                    await send(error_message)
                return
            if not await commit_or_refuse(uow):
                return
            recorder.stored = True
            await send_held(start, [body], False)

        async def send_after_ending_transaction(message: Message) -> None:
            nonlocal replaced, held, held_size
            if replaced:
                return
            if held is not None:
                if message["type"] != "http.response.body":
                    await send(message)
                    return
                held_chunks.append(bytes(message.get("body", b"")))
                held_size += len(held_chunks[-1])
                held_state = scope["state"]
                held_uow: UnitOfWork = held_state[_SCOPE_KEY]
                start, more_body = held, bool(message.get("more_body", False))
                if not more_body:
                    held = None
                    await record_then_commit(held_uow, held_state[ANSWER_RECORDER], start)
                elif held_size > MAX_HELD_BODY:
                    # Too large to hold: commit as without a recorder, which then stores the answer itself.
                    held = None
                    if await commit_or_refuse(held_uow):
                        await send_held(start, held_chunks, True)
                    held_chunks.clear()
                return
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                uow: UnitOfWork | None = state.get(_SCOPE_KEY)
                if uow is not None and not uow.closed:
                    if message["status"] < 400:
                        if uow.writable and ANSWER_RECORDER in state:
                            held = message
                            return
                        if not await commit_or_refuse(uow):
                            return
                    else:
                        await uow.rollback()
            await send(message)

        try:
            await self.app(scope, receive, send_after_ending_transaction)
        finally:
            leftover: UnitOfWork | None = scope.get("state", {}).get(_SCOPE_KEY)
            if leftover is not None and not leftover.closed:
                await leftover.rollback()
