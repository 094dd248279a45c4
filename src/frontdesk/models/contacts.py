"""Contacts, their sessions on inboxes (contact inboxes) and their labels."""

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

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False, server_default=""),
    # Stored lower-cased, so uniqueness is case-insensitive as in Chatwoot.
    Column("email", String(255)),
    Column("phone_number", String(255)),
    Column("identifier", String(255)),
    Column("avatar_url", String(2048)),
    # The uploaded avatar (blobs.id); the bytes are removed by a blobs.purge job, so no foreign key.
    Column("avatar_blob_id", Integer),
    Column("additional_attributes", JSONType, nullable=False, server_default="{}"),
    Column("custom_attributes", JSONType, nullable=False, server_default="{}"),
    Column("last_activity_at", UTCDateTime),
    # contact_type: visitor 0, lead 1, customer 2.
    Column("contact_type", Integer, nullable=False, server_default="0"),
    Column("blocked", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "email"),
    UniqueConstraint("account_id", "identifier"),
    UniqueConstraint("account_id", "phone_number"),
    Index("ix_contacts_account_id_created_at", "account_id", "created_at"),
    Index("ix_contacts_account_id_name", "account_id", "name"),
    # The contact search walks an account's contacts in id order and stops after a page (0005).
    Index("ix_contacts_account_id_id", "account_id", "id"),
    sqlite_autoincrement=True,
)

contact_inboxes = Table(
    "contact_inboxes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="CASCADE"), nullable=False),
    Column("source_id", Text, nullable=False),
    Column("hmac_verified", Boolean, nullable=False, server_default="0"),
    Column("pubsub_token", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("inbox_id", "source_id"),
    sqlite_autoincrement=True,
)

contact_labels = Table(
    "contact_labels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(255), nullable=False),
    UniqueConstraint("contact_id", "title"),
    Index("ix_contact_labels_account_id_title", "account_id", "title"),
    sqlite_autoincrement=True,
)
