"""indexes the benchmarks showed the dashboard's reads need

Revision ID: 0005
Revises: 0001

- conversations (account_id, status, inbox_id, assignee_id): the conversation list's counts
  (mine / unassigned / all of one status, for an administrator or within an agent's inboxes) are
  answered from the index alone instead of visiting every matching row (bench/lists.py: the count was
  ~90% of the list's time at 100 k conversations).
- contacts (account_id, id): the contact list and search page in id order; with it the database walks
  the account's contacts in that order and stops at the page's end, instead of fetching every match
  through the created_at index and sorting (SQLite: a search for a common name at 100 k contacts went
  from ~750 ms to ~1 ms; a term that matches almost nothing still reads every contact).
- PostgreSQL only, when the pg_trgm extension can be had: trigram GIN indexes on the lower-cased
  contact fields the contact search matches with ``LIKE '%q%'``, so a search reads the matching rows
  instead of scanning the account's contacts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

TRIGRAM_COLUMNS = ("name", "email", "phone_number", "identifier")


def _has_trigrams(bind: sa.engine.Connection) -> bool:
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if available is None:
        return False
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        # Not allowed to create it here (not a trusted extension for this role): the search still works, unindexed.
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def upgrade() -> None:
    op.create_index(
        "ix_conversations_account_status_inbox_assignee",
        "conversations",
        ["account_id", "status", "inbox_id", "assignee_id"],
    )
    op.create_index("ix_contacts_account_id_id", "contacts", ["account_id", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _has_trigrams(bind):
        for column in TRIGRAM_COLUMNS:
            op.execute(
                f"CREATE INDEX IF NOT EXISTS ix_contacts_{column}_trgm ON contacts "
                f"USING gin (lower({column}) gin_trgm_ops)"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for column in TRIGRAM_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_contacts_{column}_trgm")
    op.drop_index("ix_contacts_account_id_id", table_name="contacts")
    op.drop_index("ix_conversations_account_status_inbox_assignee", table_name="conversations")
