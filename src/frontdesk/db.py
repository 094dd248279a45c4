"""Engines, connections and the unit of work.

SQLite (the embedded default) gets one writer connection whose transactions start with
``BEGIN IMMEDIATE`` and a small pool of readers: WAL with a busy timeout alone still fails with
"database is locked" once several writers race. PostgreSQL uses one asyncpg pool for both.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import UpdateBase

from frontdesk.cache.invalidation import CHANNEL as CACHE_CHANNEL
from frontdesk.cache.invalidation import new_tag, notify_payload
from frontdesk.cache.regions import CACHED_TABLES, ProcessCache, written_tables
from frontdesk.events.dispatcher import Dispatcher, Event

logger = logging.getLogger(__name__)

# The UnitOfWork a pooled connection currently serves (in its ``info``), for the write recorder below.
_UOW_KEY = "frontdesk.uow"


def _json_serializer(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit mode at the driver: SQLAlchemy's "begin" hook below issues the BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _interrupt_cancelled_statement(context: Any) -> None:
    """A statement whose task is cancelled keeps running in aiosqlite's thread, holding SQLite's lock,
    while SQLAlchemy discards the connection: interrupt it (sqlite3's interrupt is thread-safe)."""
    if isinstance(context.original_exception, Exception) or context.connection is None:
        return
    try:
        driver = context.connection.connection.driver_connection
    except exc.SQLAlchemyError:
        return
    native = getattr(driver, "_connection", None)
    if native is not None:
        native.interrupt()


def _create_sqlite_engine(url: str, *, writer: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        json_serializer=_json_serializer,
        json_deserializer=msgspec.json.decode,
        pool_size=1 if writer else 4,
        max_overflow=0,
        pool_timeout=60,
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "handle_error", _interrupt_cancelled_statement)
    begin_statement = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_statement)

    return engine


def _record_write(conn: Connection, statement: Any, *_: Any) -> None:
    """After every Core statement: an INSERT, UPDATE or DELETE tells its unit of work what it changed."""
    if isinstance(statement, UpdateBase):
        uow: UnitOfWork | None = conn.info.get(_UOW_KEY)
        if uow is not None:
            uow.note_written(written_tables(statement))


class Database:
    """The engines of one database, and the dispatcher whose events ride on its transactions."""

    def __init__(
        self, url: str, dispatcher: Dispatcher | None = None, *, pool_size: int = 10, cache: bool = False
    ) -> None:
        """``cache``: use this process's :class:`ProcessCache` (the serving process does). On SQLite it is on
        at once (one process serves); on PostgreSQL it turns on when :meth:`start` hears other processes'
        invalidations. Other processes (workers, commands) read the database every time."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.dispatcher = dispatcher or Dispatcher()
        self.cache = ProcessCache(enabled=cache and self.is_sqlite)
        self.cache_tag = new_tag()
        # Called with (connection, SQL) for each statement run straight through the driver (which Core's
        # events do not see): the tests' statement counters.
        self.driver_observers: list[Callable[[Connection, str], None]] = []
        self._wants_cache = cache
        self._invalidation_feed: Any = None
        # Where stored files live and how their URLs are signed (attachments.urls.FileUrls), set by the
        # process that serves or works on this database; payloads read it through their RowCache.
        self.storage: Any = None
        self.files: Any = None
        # Called with the tables each committed unit of work wrote (only when it wrote some), right after
        # the commit and whether or not it raised events: how this process's job runners hear of new jobs.
        # A hook must be quick and must not raise; one that does is logged, never the commit's error.
        self.commit_hooks: list[Callable[[set[str]], None]] = []
        if self.is_sqlite:
            self.write_engine = _create_sqlite_engine(url, writer=True)
            self.read_engine = _create_sqlite_engine(url, writer=False)
        else:
            self.write_engine = create_async_engine(
                url,
                json_serializer=_json_serializer,
                json_deserializer=msgspec.json.decode,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=False,
            )
            self.read_engine = self.write_engine
        event.listen(self.write_engine.sync_engine, "after_execute", _record_write)

    async def start(self) -> None:
        """Start what the database needs beyond its pools: on PostgreSQL, the cache's invalidation feed."""
        if self._wants_cache and not self.is_sqlite and self._invalidation_feed is None:
            from frontdesk.cache.invalidation import InvalidationFeed

            self._invalidation_feed = InvalidationFeed(self.url, self.cache, self.cache_tag)
            await self._invalidation_feed.start()

    async def dispose(self) -> None:
        if self._invalidation_feed is not None:
            await self._invalidation_feed.stop()
            self._invalidation_feed = None
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()

    async def begin(self, *, write: bool = True) -> UnitOfWork:
        """Open a connection and start its transaction; the caller ends it with commit() or rollback()."""
        engine = self.write_engine if write else self.read_engine
        conn = await engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        uow = UnitOfWork(conn, self)
        uow.writable = write
        return uow

    @asynccontextmanager
    async def unit_of_work(self, *, write: bool = True) -> AsyncIterator[UnitOfWork]:
        """One transaction for a block: commits when it ends, rolls back on an exception."""
        uow = await self.begin(write=write)
        try:
            yield uow
        except BaseException:
            await uow.rollback()
            raise
        await uow.commit()


class UnitOfWork:
    """A connection inside one transaction, plus the events the work raised.

    Events are handed to the dispatcher's in-transaction listeners just before the commit (so
    outbox rows commit with the change) and to its after-commit listeners once the commit
    succeeded; a rollback drops them.
    """

    def __init__(self, conn: AsyncConnection, database: Database) -> None:
        self.conn = conn
        self.database = database
        self.events: list[Event] = []
        self.closed = False
        # False for a read-only transaction (on SQLite a reader connection that may not write).
        self.writable = True
        # "request" for a request's transaction (kit.transactions), "work" for anything else.
        self.origin = "work"
        # Tables this transaction changed through Core statements (cascades included).
        self.written: set[str] = set()
        # Rows the work holds in their final state for this transaction, keyed as RowCache keys them
        # (``(table name, id)`` …): the commit's payloads start from them instead of reading them again.
        # A later Core write to one of their tables drops that table's rows.
        self.known_rows: dict[Any, Any] = {}
        # The driver's own connection, once a hot-path statement asked for it (frontdesk.kit.driver).
        self.driver_connection: Any = None
        conn.sync_connection.info[_UOW_KEY] = self  # type: ignore[union-attr]

    @property
    def is_sqlite(self) -> bool:
        return self.database.is_sqlite

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def note_written(self, tables: frozenset[str]) -> None:
        if not tables:
            return
        self.written.update(tables)
        if self.known_rows:
            for key in [key for key in self.known_rows if isinstance(key, tuple) and key[0] in tables]:
                del self.known_rows[key]

    def know_row(self, table_name: str, row_id: int, row: Any) -> None:
        """Hand the commit's payloads a row this work already holds in its final state."""
        self.known_rows[(table_name, row_id)] = row

    async def commit(self) -> None:
        if self.closed:
            return
        rows = None
        stale = self.written & CACHED_TABLES
        try:
            if self.events:
                rows = await self.database.dispatcher.before_commit(self)
            if stale and not self.is_sqlite:
                # Sent by PostgreSQL when (and only if) this transaction commits.
                await self.conn.exec_driver_sql(
                    "SELECT pg_notify($1, $2)", (CACHE_CHANNEL, notify_payload(self.database.cache_tag, stale))
                )
            await self.conn.commit()
        except BaseException:
            await self.rollback()
            raise
        self._close_bookkeeping()
        if stale:
            self.database.cache.invalidate(stale)
        await self.conn.close()
        if self.written and self.database.commit_hooks:
            for hook in list(self.database.commit_hooks):
                try:
                    hook(self.written)
                except Exception:
                    logger.exception("commit hook %r failed", hook)
        if rows is not None:
            await self.database.dispatcher.after_commit(self.events, rows.detached())

    async def rollback(self) -> None:
        if self.closed:
            return
        self._close_bookkeeping()
        self.events.clear()
        try:
            await self.conn.rollback()
        finally:
            await self.conn.close()

    def _close_bookkeeping(self) -> None:
        self.closed = True
        try:
            info = self.conn.sync_connection.info  # type: ignore[union-attr]
        except exc.PendingRollbackError:
            # Cancelled in the middle of a statement: the connection is invalidated, and its info
            # (with our key) goes with it once it is rolled back.
            return
        if info.get(_UOW_KEY) is self:
            del info[_UOW_KEY]
