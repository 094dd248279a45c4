"""Messages of conversations."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, func, text

from frontdesk.models.base import JSONType, UTCDateTime, metadata

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="CASCADE"), nullable=False),
    # The conversation's primary key (payloads show its display_id).
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    # message_type: incoming 0, outgoing 1, activity 2, template 3.
    Column("message_type", Integer, nullable=False),
    Column("content", Text),
    # content_type: text 0 … see messages.enums.CONTENT_TYPES.
    Column("content_type", Integer, nullable=False, server_default="0"),
    Column("content_attributes", JSONType, nullable=False, server_default="{}"),
    Column("private", Boolean, nullable=False, server_default="0"),
    # status: sent 0, delivered 1, read 2, failed 3.
    Column("status", Integer, nullable=False, server_default="0"),
    Column("source_id", Text),
    # "User", "Contact" or "AgentBot"; NULL for system activity.
    Column("sender_type", String(32)),
    Column("sender_id", Integer),
    Column("external_source_ids", JSONType, nullable=False, server_default="{}"),
    Column("additional_attributes", JSONType, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    Index("ix_messages_account_id_created_at", "account_id", "created_at"),
    Index("ix_messages_inbox_id_source_id", "inbox_id", "source_id"),
    # An incoming message's source_id is unique in its inbox: a second delivery of the same external
    # message is the first one, not a copy (migration 0003).
    Index(
        "uq_messages_inbox_id_source_id_incoming",
        "inbox_id",
        "source_id",
        unique=True,
        sqlite_where=text("message_type = 0 AND source_id IS NOT NULL"),
        postgresql_where=text("message_type = 0 AND source_id IS NOT NULL"),
    ),
    sqlite_autoincrement=True,
)
