"""Idempotency keys: the first answer to a write, kept so a retry with the same key gets it back."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, UniqueConstraint

from frontdesk.models.base import JSONType, UTCDateTime, metadata

# One row per (caller + method + path, key). A request claims its key by inserting the row "in_progress"
# (the unique constraint decides who runs); the answer is stored on the row when the request is done.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    # sha256 hex of the caller (token digest, session, public contact or IP), the method and the path.
    Column("scope_hash", String(64), nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    # sha256 hex of the request (query string and body) that first used the key.
    Column("request_hash", String(64), nullable=False),
    # "in_progress" while the first request runs, then "completed".
    Column("state", String(16), nullable=False),
    # While in progress: a request whose worker vanished can be taken over after this moment.
    Column("locked_until", UTCDateTime),
    Column("response_status", Integer),
    Column("content_type", String(255)),
    # The answer's headers (name, value pairs) that a replay repeats.
    Column("response_headers", JSONType, nullable=False, server_default="[]"),
    Column("response_body", LargeBinary),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    UniqueConstraint("scope_hash", "idempotency_key"),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
    sqlite_autoincrement=True,
)
