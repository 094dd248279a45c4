"""An account's defined labels."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint, func

from frontdesk.models.base import UTCDateTime, metadata

labels = Table(
    "labels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(255), nullable=False),
    Column("description", Text),
    Column("color", String(32), nullable=False, server_default="#1f93ff"),
    Column("show_on_sidebar", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "title"),
    sqlite_autoincrement=True,
)
