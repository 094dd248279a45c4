"""Dashboard sign-in sessions: the browser holds a random id in a cookie; only its keyed digest is kept."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from frontdesk.models.base import UTCDateTime, metadata

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # HMAC-SHA256 hex of the cookie's session id, keyed by the server secret.
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_user_sessions_expires_at", "expires_at"),
    sqlite_autoincrement=True,
)
