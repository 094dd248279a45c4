"""Invalidations that cross processes: PostgreSQL ``NOTIFY`` on one channel, heard by every process.

The writer sends ``pg_notify`` inside its own transaction (see ``UnitOfWork.commit``), so the message
leaves exactly when the change commits, before the writer's client has its answer. Each process keeps
one listening connection; while it is down that process's cache is off, and when it comes back the
cache starts empty, so nothing missed in between can be served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from typing import Any

from sqlalchemy.engine import make_url

from frontdesk.cache.regions import ProcessCache

logger = logging.getLogger(__name__)

CHANNEL = "frontdesk_cache"
RECONNECT_SECONDS = 1.0


def new_tag() -> str:
    """A cache's name in the notifications it sends, so that it can skip its own (applied at commit)."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def notify_payload(tag: str, tables: set[str] | frozenset[str]) -> str:
    return f"{tag} {','.join(sorted(tables))}"


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class InvalidationFeed:
    """Hears other processes' invalidations for ``cache`` until stopped."""

    def __init__(self, database_url: str, cache: ProcessCache, tag: str) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.cache = cache
        self.tag = tag
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        """Connect now (so the first requests are cached) and keep reconnecting in the background."""
        with contextlib.suppress(Exception):
            await self._connect()
        self._task = asyncio.create_task(self._keep_connected(), name="frontdesk-cache-invalidation")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close()
        self.cache.set_enabled(False)

    async def _connect(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.add_listener(CHANNEL, self._heard)
        except BaseException:
            await connection.close()
            raise
        connection.add_termination_listener(self._terminated)
        self._connection = connection
        self._lost.clear()
        # Empty, then on: whatever changed while nobody listened is read afresh.
        self.cache.set_enabled(True)

    async def _keep_connected(self) -> None:
        while not self._stopping:
            if self._connection is None or self._connection.is_closed():
                try:
                    await self._connect()
                except Exception as error:
                    logger.warning("cache invalidation feed: cannot listen (%s); caching is off", error)
                    await asyncio.sleep(RECONNECT_SECONDS)
                    continue
            await self._lost.wait()

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        tag, _, tables = payload.partition(" ")
        if tag != self.tag:
            self.cache.invalidate(tables.split(","))

    def _terminated(self, _connection: Any) -> None:
        self.cache.set_enabled(False)
        self._connection = None
        self._lost.set()
        if not self._stopping:
            logger.warning("cache invalidation feed: connection lost; caching is off until it is back")

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close()
