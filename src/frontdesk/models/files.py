"""Stored files (blobs) and the message attachments that show them.

A blob is the stored bytes' record: its storage key, name, type, size and checksum. It belongs to an
account but has no foreign key to it, nor do attachments cascade into it: when a message, conversation,
contact or account goes, the rows that referenced a blob go with it, and durable work (a ``blobs.purge``
job written in the same transaction) removes the bytes and the blob once the commit is done.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, func

from frontdesk.models.base import JSONType, UTCDateTime, metadata

blobs = Table(
    "blobs",
    metadata,
    Column("id", Integer, primary_key=True),
    # No foreign key: the blob must outlive its account until its bytes are removed.
    Column("account_id", Integer, nullable=False),
    Column("key", String(255), nullable=False, unique=True),
    # The backend holding the bytes ("disk" or "s3"), so a store switch never loses old files.
    Column("service", String(16), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("byte_size", Integer, nullable=False),
    # Base64 MD5, as ActiveStorage.
    Column("checksum", String(64)),
    # A direct upload's blob exists before its bytes do; true once they are stored.
    Column("uploaded", Boolean, nullable=False, server_default="1"),
    # width, height, analyzed, thumb_key, thumb_content_type (see attachments.analysis).
    Column("meta", JSONType, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Index("ix_blobs_account_id", "account_id"),
    Index("ix_blobs_created_at", "created_at"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("blob_id", Integer, ForeignKey("blobs.id"), nullable=True),
    # file_type: image 0, audio 1, video 2, file 3, location 4, fallback 5, … (attachments.file_types).
    Column("file_type", Integer, nullable=False, server_default="0"),
    Column("extension", String(32)),
    Column("external_url", Text),
    Column("fallback_title", Text),
    Column("coordinates_lat", Float, nullable=False, server_default="0"),
    Column("coordinates_long", Float, nullable=False, server_default="0"),
    Column("meta", JSONType, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    Index("ix_attachments_message_id", "message_id"),
    Index("ix_attachments_blob_id", "blob_id"),
    Index("ix_attachments_account_id_id", "account_id", "id"),
)
