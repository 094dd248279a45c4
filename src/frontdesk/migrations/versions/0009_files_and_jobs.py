"""Stored files (blobs), message attachments, avatars, and the durable jobs table

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UNFINISHED = "status IN ('pending', 'failed')"


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.Column("uploaded", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("meta", JSON, server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blobs")),
        sa.UniqueConstraint("key", name=op.f("uq_blobs_key")),
    )
    op.create_index("ix_blobs_account_id", "blobs", ["account_id"])
    op.create_index("ix_blobs_created_at", "blobs", ["created_at"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=True),
        sa.Column("file_type", sa.Integer(), server_default="0", nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("external_url", sa.Text(), nullable=True),
        sa.Column("fallback_title", sa.Text(), nullable=True),
        sa.Column("coordinates_lat", sa.Float(), server_default="0", nullable=False),
        sa.Column("coordinates_long", sa.Float(), server_default="0", nullable=False),
        sa.Column("meta", JSON, server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_attachments_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_attachments_message_id_messages"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name=op.f("fk_attachments_blob_id_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index("ix_attachments_message_id", "attachments", ["message_id"])
    op.create_index("ix_attachments_blob_id", "attachments", ["blob_id"])
    op.create_index("ix_attachments_account_id_id", "attachments", ["account_id", "id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("payload", JSON, server_default="{}", nullable=False),
        sa.Column("ordering_key", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="10", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(
        "ix_jobs_unfinished_next_attempt_at",
        "jobs",
        ["next_attempt_at"],
        sqlite_where=sa.text(UNFINISHED),
        postgresql_where=sa.text(UNFINISHED),
    )
    op.create_index(
        "ix_jobs_unfinished_ordering_key_id",
        "jobs",
        ["ordering_key", "id"],
        sqlite_where=sa.text(UNFINISHED),
        postgresql_where=sa.text(UNFINISHED),
    )
    for table in ("contacts", "users", "inboxes"):
        op.add_column(table, sa.Column("avatar_blob_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a batch copy of contacts would drop 0007's triggers.
    for table in ("contacts", "users", "inboxes"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN avatar_blob_id")
    op.drop_table("jobs")
    op.drop_table("attachments")
    op.drop_table("blobs")
