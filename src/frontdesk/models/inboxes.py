"""Inboxes, their channels (API and website widget) and their members."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint, func

from frontdesk.models.base import JSONType, UTCDateTime, metadata

channel_api = Table(
    "channel_api",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("webhook_url", String(2048)),
    # The public inbox_identifier of the Client API.
    Column("identifier", String(64), nullable=False, unique=True),
    Column("hmac_token", String(64), nullable=False),
    Column("hmac_mandatory", Boolean, nullable=False, server_default="0"),
    # Webhook signing secret.
    Column("secret", String(64), nullable=False),
    Column("additional_attributes", JSONType, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    sqlite_autoincrement=True,
)

channel_web_widgets = Table(
    "channel_web_widgets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("website_url", String(255), nullable=False),
    Column("website_token", String(64), nullable=False, unique=True),
    Column("widget_color", String(32), nullable=False, server_default="#1f93ff"),
    Column("welcome_title", String(255)),
    Column("welcome_tagline", String(255)),
    # reply_time: in_a_few_minutes 0, in_a_few_hours 1, in_a_day 2.
    Column("reply_time", Integer, nullable=False, server_default="0"),
    Column("feature_flags", Integer, nullable=False, server_default="7"),
    Column("hmac_token", String(64), nullable=False),
    Column("hmac_mandatory", Boolean, nullable=False, server_default="0"),
    Column("pre_chat_form_enabled", Boolean, nullable=False, server_default="0"),
    Column("pre_chat_form_options", JSONType, nullable=False, server_default="{}"),
    Column("continuity_via_email", Boolean, nullable=False, server_default="1"),
    Column("allowed_domains", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    sqlite_autoincrement=True,
)

inboxes = Table(
    "inboxes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    # "Channel::Api" or "Channel::WebWidget"; channel_id points into the matching channel table.
    Column("channel_type", String(64), nullable=False),
    Column("channel_id", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("avatar_url", String(2048)),
    # The uploaded avatar (blobs.id); the bytes are removed by a blobs.purge job, so no foreign key.
    Column("avatar_blob_id", Integer),
    Column("enable_auto_assignment", Boolean, nullable=False, server_default="1"),
    Column("auto_assignment_config", JSONType, nullable=False, server_default="{}"),
    Column("greeting_enabled", Boolean, nullable=False, server_default="0"),
    Column("greeting_message", Text),
    Column("working_hours_enabled", Boolean, nullable=False, server_default="0"),
    Column("out_of_office_message", Text),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("enable_email_collect", Boolean, nullable=False, server_default="1"),
    Column("csat_survey_enabled", Boolean, nullable=False, server_default="0"),
    Column("csat_config", JSONType, nullable=False, server_default="{}"),
    Column("allow_messages_after_resolved", Boolean, nullable=False, server_default="1"),
    Column("lock_to_single_conversation", Boolean, nullable=False, server_default="0"),
    # sender_name_type: friendly 0, professional 1.
    Column("sender_name_type", Integer, nullable=False, server_default="0"),
    Column("business_name", String(255)),
    Column("email_address", String(255)),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    sqlite_autoincrement=True,
)

inbox_members = Table(
    "inbox_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("inbox_id", "user_id"),
    sqlite_autoincrement=True,
)
