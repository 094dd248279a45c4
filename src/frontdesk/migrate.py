"""Run the Alembic chain shipped inside the package against a database URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    # "heads": a database some branch of which a later revision merged is brought up all the same.
    command.upgrade(config, "heads")


async def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest revision."""
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        from pathlib import Path as _Path

        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if database and database != ":memory:":
            _Path(database).parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _wal(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    config = alembic_config(url)
    async with engine.connect() as connection:
        await connection.run_sync(_upgrade, config)
        await connection.commit()
    await engine.dispose()


def migrate_sync(url: str) -> None:
    asyncio.run(migrate(url))
