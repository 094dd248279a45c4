"""Join the branches: 0002, 0003, 0005, 0006 and 0007 each grew from 0001

Revision ID: 0008
Revises: 0002, 0003, 0005, 0006, 0007

Nothing changes in the schema. From here the chain has one head again, so ``alembic revision`` (the
README's command for a new migration) works, and new revisions follow this one.
"""

from __future__ import annotations

revision = "0008"
down_revision = ("0002", "0003", "0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
