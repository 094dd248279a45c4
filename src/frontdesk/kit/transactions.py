"""One transaction per request, ended by the response's status before the response leaves.

A request's unit of work is opened lazily by the ``uow`` dependency and kept in the ASGI scope.
This middleware ends it when the response starts: a status below 400 commits, anything else rolls
back, so a request that fails never half-writes. If the commit itself fails, the client gets the
error instead of the success it would otherwise have seen.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.exc import IntegrityError

from frontdesk.db import Database, UnitOfWork

logger = logging.getLogger(__name__)

_SCOPE_KEY = "frontdesk.uow"
_LOCK_KEY = "frontdesk.uow_lock"


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

        async def send_after_ending_transaction(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                uow: UnitOfWork | None = scope.get("state", {}).get(_SCOPE_KEY)
                if uow is not None and not uow.closed:
                    if message["status"] < 400:
                        try:
                            await uow.commit()
                        except IntegrityError as error:
                            logger.info("commit refused by a constraint: %s", error.orig)
                            replaced = True
                            for error_message in _error_messages(
                                422, {"error": "The change conflicts with existing data"}
                            ):
                                await send(error_message)
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
