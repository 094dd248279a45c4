"""Accounts, the users who work in them, and their API access tokens."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from frontdesk.models.base import JSONType, UTCDateTime, metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("locale", String(16), nullable=False, server_default="en"),
    Column("domain", String(100)),
    Column("support_email", String(100)),
    Column("status", Integer, nullable=False, server_default="0"),
    Column("auto_resolve_duration", Integer),
    Column("custom_attributes", JSONType, nullable=False, server_default="{}"),
    Column("settings", JSONType, nullable=False, server_default="{}"),
    Column("limits", JSONType, nullable=False, server_default="{}"),
    Column("feature_flags", BigInteger, nullable=False, server_default="0"),
    # The last conversation display id handed out in this account (see conversations.display_ids).
    Column("last_conversation_display_id", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    sqlite_autoincrement=True,
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("display_name", String(255)),
    # Stored lower-cased; unique across the installation, as Chatwoot's devise login.
    Column("email", String(255), nullable=False, unique=True),
    Column("password_hash", String(255)),
    Column("pubsub_token", String(64), nullable=False, unique=True),
    Column("availability", Integer, nullable=False, server_default="0"),
    Column("ui_settings", JSONType, nullable=False, server_default="{}"),
    Column("custom_attributes", JSONType, nullable=False, server_default="{}"),
    Column("message_signature", Text),
    # Where the uploaded avatar is served (frontdesk.avatars); NULL when there is none.
    Column("avatar_url", String(2048)),
    # The uploaded avatar (blobs.id); the bytes are removed by a blobs.purge job, so no foreign key.
    Column("avatar_blob_id", Integer),
    Column("confirmed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    sqlite_autoincrement=True,
)

account_users = Table(
    "account_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # role: agent 0, administrator 1 (Chatwoot AccountUser enum).
    Column("role", Integer, nullable=False, server_default="0"),
    # availability: online 0, offline 1, busy 2.
    Column("availability", Integer, nullable=False, server_default="0"),
    Column("auto_offline", Boolean, nullable=False, server_default="1"),
    Column("inviter_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("active_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "user_id"),
    sqlite_autoincrement=True,
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_type", String(32), nullable=False),
    Column("owner_id", Integer, nullable=False),
    # HMAC-SHA256(server secret, token): what a request is looked up by.
    Column("token_digest", String(64), nullable=False, unique=True),
    # The token itself, encrypted with a key derived from the server secret, so the profile can show it.
    Column("token_ciphertext", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("owner_type", "owner_id"),
    sqlite_autoincrement=True,
)
