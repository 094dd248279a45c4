"""An inbox's week: one row per day (Chatwoot's ``working_hours``), ``day_of_week`` 0 = Sunday."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, Table, UniqueConstraint, func

from frontdesk.models.base import UTCDateTime, metadata

working_hours = Table(
    "working_hours",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("day_of_week", Integer, nullable=False),
    Column("closed_all_day", Boolean, nullable=False, server_default="0"),
    # NULL on a day closed all day (Chatwoot requires them only on open days).
    Column("open_hour", Integer),
    Column("open_minutes", Integer),
    Column("close_hour", Integer),
    Column("close_minutes", Integer),
    Column("open_all_day", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("inbox_id", "day_of_week"),
    sqlite_autoincrement=True,
)
