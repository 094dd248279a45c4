"""Hot-path statements run straight through the database driver, inside the unit of work's transaction.

A Core statement costs ~160 µs of client CPU per execution through SQLAlchemy (compile-cache look-up,
parameter processing, the cursor and result wrappers), a prepared asyncpg statement ~40 µs. A
:class:`Prepared` is written as Core (one source of SQL for both databases), compiled once per dialect,
and executed with the driver's own call: asyncpg's ``fetch`` (its statement cache prepares it once per
connection) on PostgreSQL, the writer's sqlite3 connection on SQLite (see ``_driver_connection``). The
parameter and result conversions are the column types' own (JSON, UTC timestamps, booleans), so rows
look exactly as Core's do to the presenters: attribute access and ``_mapping``.

Statements run this way bypass Core's execution events, so they must not write a table the process
cache depends on (``frontdesk.cache``): the hot path writes messages, conversations, contacts and the
webhook outbox only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from frontdesk.db import UnitOfWork

_Processor = Callable[[Any], Any] | None


class DriverRow:
    """A result row: columns as attributes, and ``_mapping`` as SQLAlchemy's rows have it."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: dict[str, Any]) -> None:
        object.__setattr__(self, "_mapping", mapping)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("rows are read-only")

    def __iter__(self) -> Iterator[Any]:
        return iter(self._mapping.values())

    def __repr__(self) -> str:
        return f"DriverRow({self._mapping!r})"


class _Compiled:
    __slots__ = ("binds", "keys", "processors", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        bind_processors = compiled._bind_processors
        names = compiled.positiontup or []
        # (name, default, processor) in the driver's positional order; defaults are the statement's literals.
        self.binds: list[tuple[str, Any, Any]] = [
            (name, compiled.binds[name].value, bind_processors.get(name)) for name in names
        ]
        columns = compiled._result_columns or []
        self.keys = [entry.keyname for entry in columns]
        self.processors: list[_Processor] = [entry.type._cached_result_processor(dialect, None) for entry in columns]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, default, process in self.binds:
            value = values.get(name, default)
            out.append(process(value) if process is not None else value)
        return out

    def row(self, record: Sequence[Any]) -> DriverRow:
        return DriverRow(
            {
                key: (process(value) if process is not None else value)
                for key, process, value in zip(self.keys, self.processors, record, strict=True)
            }
        )


class Prepared:
    """A Core statement with named ``bindparam``s, run through the driver (see the module's docstring)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[int, _Compiled] = {}

    def _compiled(self, uow: UnitOfWork) -> _Compiled:
        dialect = uow.conn.dialect
        compiled = self._by_dialect.get(id(dialect))
        if compiled is None:
            compiled = self._by_dialect[id(dialect)] = _Compiled(self.statement, dialect)
        return compiled

    async def fetch(self, uow: UnitOfWork, **values: Any) -> list[DriverRow]:
        compiled = self._compiled(uow)
        records = await _run(uow, compiled.sql, compiled.arguments(values))
        return [compiled.row(record) for record in records]

    async def fetchrow(self, uow: UnitOfWork, **values: Any) -> DriverRow | None:
        rows = await self.fetch(uow, **values)
        return rows[0] if rows else None

    async def execute_many(self, uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._compiled(uow)
        arguments = [compiled.arguments(values) for values in rows]
        connection = await _driver_connection(uow)
        _observe(uow, compiled.sql)
        try:
            if uow.is_sqlite:
                connection.executemany(compiled.sql, arguments)
            else:
                await connection.executemany(compiled.sql, arguments)
        except Exception as error:
            raise _translated(error, compiled.sql) from error


async def _driver_connection(uow: UnitOfWork) -> Any:
    """The driver's connection under the unit of work, its transaction begun."""
    connection = uow.driver_connection
    if connection is not None:
        return connection
    adapted = (await uow.conn.get_raw_connection()).dbapi_connection
    if uow.is_sqlite:
        # The sqlite3 connection itself, used from the event loop's thread: db.py's "begin" hook has already
        # sent BEGIN IMMEDIATE, so this single writer waits for no lock, and a hot-path statement is tens of
        # microseconds of SQLite work where each hop to aiosqlite's thread and back costs two wake-ups.
        connection = adapted._connection._conn  # type: ignore[union-attr]
    else:
        # SQLAlchemy's asyncpg adapter begins the transaction lazily, at its first statement.
        if adapted._transaction is None:  # type: ignore[union-attr]
            await adapted._start_transaction()  # type: ignore[union-attr]
        connection = adapted._connection  # type: ignore[union-attr]
    uow.driver_connection = connection
    return connection


async def _run(uow: UnitOfWork, sql: str, arguments: list[Any]) -> Sequence[Sequence[Any]]:
    connection = await _driver_connection(uow)
    _observe(uow, sql)
    try:
        if uow.is_sqlite:
            rows: Sequence[Sequence[Any]] = connection.execute(sql, arguments).fetchall()
            return rows
        records: Sequence[Sequence[Any]] = await connection.fetch(sql, *arguments)
        return records
    except Exception as error:
        raise _translated(error, sql) from error


def _observe(uow: UnitOfWork, sql: str) -> None:
    observers = uow.database.driver_observers
    if observers:
        connection = uow.conn.sync_connection
        for observe in observers:
            observe(connection, sql)  # type: ignore[arg-type]


def _translated(error: Exception, sql: str) -> Exception:
    """The driver's error as SQLAlchemy would have raised it, so the app's handlers answer it the same way
    (a constraint → 422, a data exception such as an out-of-range id or a NUL character → 404 / 422)."""
    import sqlite3

    if isinstance(error, sqlite3.IntegrityError):
        return exc.IntegrityError(sql, None, error)
    if isinstance(error, sqlite3.Error):
        return exc.DBAPIError(sql, None, error)
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return error
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return exc.IntegrityError(sql, None, error)
    from asyncpg.exceptions import _base as asyncpg_base

    # Server-side SQLSTATE class 22, and the client-side refusal of an argument (an id beyond int4).
    if isinstance(error, asyncpg.DataError | asyncpg_base.DataError):
        return exc.DataError(sql, None, error)
    if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
        return exc.DBAPIError(sql, None, error)
    return error
