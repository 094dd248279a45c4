"""Run the Alembic chain shipped inside the package against a database URL, and check where a database is.

``prepare_database`` is what the commands call at start: it brings a database whose schema is behind up to
date (``auto_migrate``), or refuses to start on one that is behind or ahead, and it turns an unreachable
database into one ``DatabaseNotReady`` line. On PostgreSQL the upgrade runs under a session advisory lock
on the connection Alembic uses, so processes starting together migrate once and the others find it current.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from frontdesk.config import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_lock key held across the upgrade ("FRONTDS" in ASCII); any fixed bigint would do.
MIGRATION_LOCK_KEY = 0x46524F4E544453
MIGRATE_COMMAND = "frontdesk migrate"


class DatabaseNotReady(Exception):
    """The database cannot be used as it is: unreachable, or its schema is not this release's. One line."""


@dataclass(frozen=True)
class SchemaState:
    current: tuple[str, ...]
    heads: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def is_current(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def is_ahead(self) -> bool:
        """A revision in the database the code does not know: a newer release migrated it."""
        return bool(self.unknown)

    def describe(self) -> str:
        current = ", ".join(self.current) or "none (empty database)"
        heads = ", ".join(self.heads)
        if self.is_ahead:
            return (
                f"the database schema is at revision {current}, which this release does not know "
                f"(its head is {heads}): a newer release migrated it; run that release, "
                f"or restore a database that `{MIGRATE_COMMAND}` of this release can bring up to date"
            )
        return f"the database schema is at revision {current}, behind this release's head {heads}"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """What autogenerate compares: not what lives outside the metadata on purpose — SQLite's FTS5 table of
    0007 and its shadow tables (``contacts_search_data`` …), and PostgreSQL's trigram indexes of 0005
    (``ix_contacts_<column>_trgm``, made only where the pg_trgm extension can be installed)."""
    searched = name is not None and (name == "contacts_search" or name.startswith("contacts_search_"))
    trigram = name is not None and name.endswith("_trgm")
    return not ((type_ == "table" and searched) or (type_ == "index" and trigram))


def schema_state_of(connection: Connection) -> SchemaState:
    """The database's current revisions against the chain's heads."""
    script = ScriptDirectory.from_config(alembic_config())
    current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    unknown = []
    for revision in current:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            unknown.append(revision)
    return SchemaState(current=current, heads=tuple(sorted(script.get_heads())), unknown=tuple(unknown))


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    # "heads": a database some branch of which a later revision merged is brought up all the same.
    command.upgrade(config, "heads")


def _engine_for(url: str) -> AsyncEngine:
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _wal(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    return engine


async def _locked_upgrade(connection: AsyncConnection, url: str, announce: bool) -> SchemaState:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # Session-level: it outlives the commits below and is released explicitly (or when the connection closes).
        await connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        await connection.commit()
    try:
        state: SchemaState = await connection.run_sync(schema_state_of)
        if state.is_ahead:
            raise DatabaseNotReady(state.describe())
        if not state.is_current:
            if announce:
                current = ", ".join(state.current) or "none"
                print(
                    f"Frontdesk: migrating the database from {current} to {', '.join(state.heads)}",
                    file=sys.stderr,
                    flush=True,
                )
            await connection.run_sync(_upgrade, alembic_config(url))
            await connection.commit()
        return state
    finally:
        if postgres:
            await connection.rollback()
            await connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
            await connection.commit()


async def migrate(url: str, *, announce: bool = False) -> SchemaState:
    """Bring the database at ``url`` to the newest revision (once, however many processes call this at once).

    Returns the state found before upgrading; raises ``DatabaseNotReady`` for a database ahead of the code."""
    engine = _engine_for(url)
    try:
        async with engine.connect() as connection:
            return await _locked_upgrade(connection, url, announce)
    finally:
        await engine.dispose()


async def schema_state(url: str) -> SchemaState:
    engine = _engine_for(url)
    try:
        async with engine.connect() as connection:
            state: SchemaState = await connection.run_sync(schema_state_of)
            return state
    finally:
        await engine.dispose()


def migrate_sync(url: str) -> None:
    asyncio.run(migrate(url))


def describe_database(url: str) -> str:
    if url.startswith("sqlite"):
        return url.split("///", 1)[-1]
    return url.split("@")[-1]


def unreachable(url: str, error: BaseException) -> DatabaseNotReady:
    """One line for a database that refused the connection, does not exist, or answered an error."""
    reason = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    detail = " ".join(str(reason).split()) or type(reason).__name__
    return DatabaseNotReady(f"cannot use the database at {describe_database(url)}: {detail}")


def prepare_database(settings: Settings, *, upgrade: bool | None = None) -> None:
    """At a command's start: migrate a schema that is behind (``upgrade``, default ``settings.auto_migrate``)
    or raise ``DatabaseNotReady`` naming the database's revision, the code's head and ``frontdesk migrate``."""
    if upgrade is None:
        upgrade = settings.auto_migrate
    url = settings.database_url
    try:
        if upgrade:
            asyncio.run(migrate(url, announce=True))
            return
        state = asyncio.run(schema_state(url))
    except DatabaseNotReady:
        raise
    except (SQLAlchemyError, OSError, CommandError) as error:
        raise unreachable(url, error) from error
    if state.is_ahead:
        raise DatabaseNotReady(state.describe())
    if not state.is_current:
        why = " (FRONTDESK_AUTO_MIGRATE is off)" if not settings.auto_migrate else ""
        raise DatabaseNotReady(f"{state.describe()}; run `{MIGRATE_COMMAND}`{why}")
