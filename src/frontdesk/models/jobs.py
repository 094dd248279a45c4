"""Durable work: one table for every kind of job that must survive a crash (see frontdesk.jobs)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, func, text

from frontdesk.models.base import JSONType, UTCDateTime, metadata

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(64), nullable=False),
    # No foreign key: a job about an account (removing its files) outlives the account's rows.
    Column("account_id", Integer),
    Column("payload", JSONType, nullable=False, server_default="{}"),
    # Jobs with one key run one at a time, in id order; NULL runs in any order.
    Column("ordering_key", String(255)),
    # pending → running (leased) → succeeded | failed (retrying) | dead.
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="10"),
    Column("next_attempt_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("leased_until", UTCDateTime),
    Column("lease_owner", String(255)),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("finished_at", UTCDateTime),
    Index(
        "ix_jobs_unfinished_next_attempt_at",
        "next_attempt_at",
        sqlite_where=text("status IN ('pending', 'failed')"),
        postgresql_where=text("status IN ('pending', 'failed')"),
    ),
    Index(
        "ix_jobs_unfinished_ordering_key_id",
        "ordering_key",
        "id",
        sqlite_where=text("status IN ('pending', 'failed')"),
        postgresql_where=text("status IN ('pending', 'failed')"),
    ),
)
