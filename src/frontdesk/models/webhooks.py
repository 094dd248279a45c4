"""Account webhooks and the webhook delivery outbox."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, func, text

from frontdesk.models.base import JSONType, UTCDateTime, metadata

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # Stored and shown, never used to filter deliveries (as Chatwoot).
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="SET NULL")),
    Column("name", String(255)),
    Column("url", String(2048), nullable=False),
    # Webhook event names (``message_created`` …) this webhook receives.
    Column("subscriptions", JSONType, nullable=False, server_default="[]"),
    Column("secret", String(64), nullable=False),
    # After a reset the previous secret signs too, until previous_secret_expires_at.
    Column("previous_secret", String(64)),
    Column("previous_secret_expires_at", UTCDateTime),
    # webhook_type: account_type 0, inbox_type 1.
    Column("webhook_type", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("updated_at", UTCDateTime, nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "url"),
    sqlite_autoincrement=True,
)

# Spelled out (not bound) so both databases match the claim query to the partial index.
UNFINISHED_SQL = "status IN ('pending', 'failed')"

# The transactional outbox: one row per (event, target), written in the transaction of the change.
# status: pending (not tried yet), failed (tried, will be retried), succeeded, dead (given up).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # "account_webhook" or "api_inbox".
    Column("target_kind", String(32), nullable=False),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE")),
    Column("inbox_id", Integer, ForeignKey("inboxes.id", ondelete="CASCADE")),
    # The endpoint the ordering is kept per: "webhook:<id>" or "inbox:<id>".
    Column("endpoint", String(64), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event", String(64), nullable=False),
    # Stable across redeliveries of the same event (``webhook-id``).
    Column("event_id", String(36), nullable=False),
    # Stable across retries of this delivery (``X-Chatwoot-Delivery``).
    Column("delivery_id", String(36), nullable=False, unique=True),
    # "conv:<pk>", "contact:<id>", "inbox:<id>": deliveries of one key to one endpoint go one at a time, in id order.
    Column("ordering_key", String(64)),
    # The exact JSON text sent.
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("leased_until", UTCDateTime),
    Column("lease_owner", String(64)),
    Column("last_error", Text),
    Column("response_code", Integer),
    # The message a message_created/updated delivery is about (failed-marking of API-inbox messages).
    Column("message_id", Integer),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("delivered_at", UTCDateTime),
    # The worker's claim walks the unfinished rows oldest first and stops at its batch: its cost does
    # not grow with the finished rows, nor with the backlog behind the first eligible ones.
    Index(
        "ix_webhook_deliveries_unfinished_id",
        "id",
        sqlite_where=text(UNFINISHED_SQL),
        postgresql_where=text(UNFINISHED_SQL),
    ),
    # The head-of-line check: an older unfinished delivery of the same endpoint and key.
    Index("ix_webhook_deliveries_endpoint_key_status_id", "endpoint", "ordering_key", "status", "id"),
    # The delivery logs and replay, newest first.
    Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    Index("ix_webhook_deliveries_inbox_id_id", "inbox_id", "id"),
    sqlite_autoincrement=True,
)

# An API inbox's previous webhook secret after a reset (channel_api keeps only the current one).
channel_api_previous_secrets = Table(
    "channel_api_previous_secrets",
    metadata,
    Column("channel_api_id", Integer, ForeignKey("channel_api.id", ondelete="CASCADE"), primary_key=True),
    Column("previous_secret", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
