"""Engines, connections and the unit of work.

SQLite (the embedded default) gets one writer connection whose transactions start with
``BEGIN IMMEDIATE`` and a small pool of readers: WAL with a busy timeout alone still fails with
"database is locked" once several writers race. PostgreSQL uses one asyncpg pool for both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from frontdesk.events.dispatcher import Dispatcher, Event


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
    begin_statement = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_statement)

    return engine


class Database:
    """The engines of one database, and the dispatcher whose events ride on its transactions."""

    def __init__(self, url: str, dispatcher: Dispatcher | None = None, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.dispatcher = dispatcher or Dispatcher()
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

    async def dispose(self) -> None:
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
        return UnitOfWork(conn, self)

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

    @property
    def is_sqlite(self) -> bool:
        return self.database.is_sqlite

    def emit(self, event: Event) -> None:
        self.events.append(event)

    async def commit(self) -> None:
        if self.closed:
            return
        rows = None
        try:
            if self.events:
                rows = await self.database.dispatcher.before_commit(self)
            await self.conn.commit()
        except BaseException:
            await self.rollback()
            raise
        self.closed = True
        await self.conn.close()
        if rows is not None:
            await self.database.dispatcher.after_commit(self.events, rows.detached())

    async def rollback(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.events.clear()
        try:
            await self.conn.rollback()
        finally:
            await self.conn.close()
