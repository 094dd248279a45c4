"""SQLite: a trigram full-text index of the contact fields the contact search matches

Revision ID: 0007
Revises: 0001

The contact search (``contacts/repository.py``) matches ``lower(col) LIKE '%q%'`` on name, email,
phone number and identifier. On PostgreSQL 0005's trigram GIN indexes answer it; on SQLite a term that
matches almost nothing (an exact e-mail address) read every contact of the account (bench/lists.py:
p95 9 ms at 10 k contacts, 68 ms at 100 k). ``contacts_search`` is an FTS5 table with the ``trigram``
tokenizer (case-insensitive) over those four columns, its rowid the contact's id: the search finds its
candidates there (a phrase of the term's trigrams is a substring match) and re-checks them with the
LIKE, so its results stay exactly the LIKE's.

Triggers on ``contacts`` keep it in step; the existing contacts are copied in. On PostgreSQL this
revision does nothing.

A later batch migration that recreates ``contacts`` (SQLite's ``ALTER`` by copy-and-rename) drops these
triggers with the old table: it must create them again and refill ``contacts_search``.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = "name, email, phone_number, identifier"
NEW_VALUES = "new.id, new.name, new.email, new.phone_number, new.identifier"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE VIRTUAL TABLE contacts_search USING fts5({COLUMNS}, tokenize = 'trigram case_sensitive 0')")
    op.execute(f"INSERT INTO contacts_search (rowid, {COLUMNS}) SELECT id, {COLUMNS} FROM contacts")
    # The search reads few segments once the copy is merged into one b-tree.
    op.execute("INSERT INTO contacts_search (contacts_search) VALUES ('optimize')")
    op.execute(
        "CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN "
        f"INSERT INTO contacts_search (rowid, {COLUMNS}) VALUES ({NEW_VALUES}); END"
    )
    # Only a change of a searched column re-indexes (not last_activity_at, written on every message).
    op.execute(
        f"CREATE TRIGGER contacts_search_update AFTER UPDATE OF id, {COLUMNS} ON contacts BEGIN "
        "DELETE FROM contacts_search WHERE rowid = old.id; "
        f"INSERT INTO contacts_search (rowid, {COLUMNS}) VALUES ({NEW_VALUES}); END"
    )
    # Also fires for the contacts an account's deletion cascades to.
    op.execute(
        "CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN "
        "DELETE FROM contacts_search WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("contacts_search_delete", "contacts_search_update", "contacts_search_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS contacts_search")
