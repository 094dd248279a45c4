"""Conversations and their labels."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from frontdesk.models.base import JSONType, UTCDateTime, metadata

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # The id every API URL and payload uses; allocated per account (accounts.last_conversation_display_id).
    Column("display_id", Integer, nullable=False),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("contact_inbox_id", Integer, ForeignKey("contact_inboxes.id", ondelete="CASCADE"), index=True),
    # status: open 0, resolved 1, pending 2, snoozed 3.
    Column("status", Integer, nullable=False, server_default="0"),
    # priority: low 0, medium 1, high 2, urgent 3; NULL is none.
    Column("priority", Integer),
    Column("assignee_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL")),
    Column("snoozed_until", UTCDateTime),
    Column("muted", Boolean, nullable=False, server_default="0"),
    Column("additional_attributes", JSONType, nullable=False, server_default="{}"),
    Column("custom_attributes", JSONType, nullable=False, server_default="{}"),
    # Comma-separated label titles, kept beside conversation_labels for cheap payloads.
    Column("cached_label_list", Text, nullable=False, server_default=""),
    Column("agent_last_seen_at", UTCDateTime),
    Column("assignee_last_seen_at", UTCDateTime),
    Column("contact_last_seen_at", UTCDateTime),
    Column("first_reply_created_at", UTCDateTime),
    Column("waiting_since", UTCDateTime),
    Column("last_activity_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("identifier", String(255)),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "display_id"),
    # The dashboard's default list: one account, one status, newest activity first.
    Index("ix_conversations_account_status_activity", "account_id", "status", "last_activity_at"),
    Index("ix_conversations_inbox_id_status", "inbox_id", "status"),
    Index("ix_conversations_assignee_id_status", "assignee_id", "status"),
    Index("ix_conversations_team_id", "team_id"),
    # The list's mine / unassigned / all counts, answered from the index (0005).
    Index("ix_conversations_account_status_inbox_assignee", "account_id", "status", "inbox_id", "assignee_id"),
    sqlite_autoincrement=True,
)

conversation_labels = Table(
    "conversation_labels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(255), nullable=False),
    UniqueConstraint("conversation_id", "title"),
    Index("ix_conversation_labels_account_id_title", "account_id", "title"),
    sqlite_autoincrement=True,
)
