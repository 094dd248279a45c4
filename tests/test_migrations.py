"""The migration chain: one head, and a migrated database holding exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from frontdesk.migrate import alembic_config, include_name
from frontdesk.models import metadata
from tests.fixtures.server import ThrowawayDatabase


def test_the_chain_has_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_a_migrated_database_matches_the_models(test_database: ThrowawayDatabase) -> None:
    """What autogenerate would write for a fresh database: nothing (models and migrations agree)."""
    with test_database.sync_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
