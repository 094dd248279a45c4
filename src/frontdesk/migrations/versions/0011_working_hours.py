"""working_hours: each inbox's week (Chatwoot's table), existing inboxes given Chatwoot's default week

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day_of_week", sa.Integer(), nullable=False),
        sa.Column("closed_all_day", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("open_hour", sa.Integer(), nullable=True),
        sa.Column("open_minutes", sa.Integer(), nullable=True),
        sa.Column("close_hour", sa.Integer(), nullable=True),
        sa.Column("close_minutes", sa.Integer(), nullable=True),
        sa.Column("open_all_day", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_working_hours_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_working_hours_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_hours")),
        sa.UniqueConstraint("inbox_id", "day_of_week", name=op.f("uq_working_hours_inbox_id_day_of_week")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_working_hours_account_id", "working_hours", ["account_id"])
    # Every inbox has its week, as Chatwoot writes one when an inbox is created: Monday to Friday
    # 9:00-17:00, the weekend closed.
    for day in range(7):
        closed = day in (0, 6)
        hours = "NULL, NULL, NULL, NULL" if closed else "9, 0, 17, 0"
        op.execute(
            "INSERT INTO working_hours (inbox_id, account_id, day_of_week, closed_all_day, open_hour, "
            "open_minutes, close_hour, close_minutes, open_all_day) "
            f"SELECT id, account_id, {day}, {'TRUE' if closed else 'FALSE'}, {hours}, FALSE FROM inboxes"
        )


def downgrade() -> None:
    op.drop_index("ix_working_hours_account_id", table_name="working_hours")
    op.drop_table("working_hours")
