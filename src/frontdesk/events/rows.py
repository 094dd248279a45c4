"""Rows read once per commit and shared by every payload built for it.

Webhook payloads (built in the transaction, just before it commits) and realtime frames (built after
the commit) of one unit of work need mostly the same rows: the message, its conversation, the inbox,
the contact, the sender. A :class:`RowCache` made for the commit reads each of them once: the
in-transaction listeners read through it on the transaction's own connection, so what they read is
exactly what commits; the after-commit listeners get it detached, holding that committed state, and
put it ``over`` a cache on a connection of their own, which reads (once) what it does not hold yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.cache.regions import ROW_TABLES, ProcessCache

T = TypeVar("T")

# The entry under which a commit's RowCache holds its database's file URLs (attachments.urls.FileUrls).
FILE_URLS_KEY = ("file_urls",)


class RowCache:
    """``shared``: the process's cache, through which the rows and values that rarely change (inboxes,
    channels, accounts, agents, recipients) are read; ``written``: the tables the connection's transaction
    changed (those are read around the process cache)."""

    def __init__(
        self,
        conn: AsyncConnection | None,
        entries: dict[Hashable, Any] | None = None,
        *,
        fallback: RowCache | None = None,
        shared: ProcessCache | None = None,
        written: set[str] | None = None,
    ) -> None:
        self.conn = conn
        self.entries: dict[Hashable, Any] = entries if entries is not None else {}
        self.fallback = fallback
        self.shared = shared
        self.written: set[str] = written if written is not None else set()

    def detached(self) -> RowCache:
        """The same rows without the connection (which the commit closes)."""
        return RowCache(None, self.entries)

    def over(self, fallback: RowCache) -> RowCache:
        """This cache's rows first, then ``fallback``'s, which loads (and keeps) what neither holds."""
        return RowCache(None, self.entries, fallback=fallback)

    async def once(
        self, key: Hashable, load: Callable[[AsyncConnection], Awaitable[T]], *, region: str | None = None
    ) -> T:
        """``load``'s result for ``key``, loaded on the first call only (through the process cache's
        ``region`` when one is named)."""
        if key in self.entries:
            value: T = self.entries[key]
            return value
        if self.fallback is not None:
            return await self.fallback.once(key, load, region=region)
        conn = self.conn
        if conn is None:
            raise RuntimeError(f"a detached row cache has no {key!r}: put it over an attached one")
        if region is not None and self.shared is not None:
            loaded = await self.shared.get(region, key, lambda: load(conn), self.written)
        else:
            loaded = await load(conn)
        self.entries[key] = loaded
        return loaded

    async def row(self, table: Table, row_id: int) -> Any | None:
        """The row of ``table`` with this primary key ``id``, or ``None``."""

        async def load(conn: AsyncConnection) -> Any | None:
            return (await conn.execute(select(table).where(table.c.id == row_id))).first()

        return await self.once((table.name, row_id), load, region="rows" if table.name in ROW_TABLES else None)

    async def prefetch(self, table: Table, row_ids: Iterable[int]) -> None:
        """Read the rows of ``table`` with these ids that this cache lacks, in one statement."""
        missing = sorted({row_id for row_id in row_ids if (table.name, row_id) not in self.entries})
        if not missing:
            return
        if self.conn is None:
            raise RuntimeError("a detached row cache cannot prefetch")
        found = {row.id: row for row in await self.conn.execute(select(table).where(table.c.id.in_(missing)))}
        for row_id in missing:
            self.entries[(table.name, row_id)] = found.get(row_id)
