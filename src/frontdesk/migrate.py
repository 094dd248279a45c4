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


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    # Feature branches of the chain (each off 0001) all apply; a merge revision joins them.
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
