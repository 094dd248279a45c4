"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 04:46:41.421612
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("token_ciphertext", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_tokens")),
        sa.UniqueConstraint("owner_type", "owner_id", name=op.f("uq_access_tokens_owner_type_owner_id")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_access_tokens_token_digest")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("locale", sa.String(length=16), server_default="en", nullable=False),
        sa.Column("domain", sa.String(length=100), nullable=True),
        sa.Column("support_email", sa.String(length=100), nullable=True),
        sa.Column("status", sa.Integer(), server_default="0", nullable=False),
        sa.Column("auto_resolve_duration", sa.Integer(), nullable=True),
        sa.Column(
            "custom_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default="{}", nullable=False
        ),
        sa.Column(
            "limits", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default="{}", nullable=False
        ),
        sa.Column("feature_flags", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_conversation_display_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("pubsub_token", sa.String(length=64), nullable=False),
        sa.Column("availability", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "ui_settings", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default="{}", nullable=False
        ),
        sa.Column(
            "custom_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("message_signature", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("pubsub_token", name=op.f("uq_users_pubsub_token")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "account_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.Integer(), server_default="0", nullable=False),
        sa.Column("availability", sa.Integer(), server_default="0", nullable=False),
        sa.Column("auto_offline", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("inviter_id", sa.Integer(), nullable=True),
        sa.Column("active_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_users_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"], ["users.id"], name=op.f("fk_account_users_inviter_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_users_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_users")),
        sa.UniqueConstraint("account_id", "user_id", name=op.f("uq_account_users_account_id_user_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("account_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_users_user_id"), ["user_id"], unique=False)

    op.create_table(
        "channel_api",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("hmac_token", sa.String(length=64), nullable=False),
        sa.Column("hmac_mandatory", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column(
            "additional_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_channel_api_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_api")),
        sa.UniqueConstraint("identifier", name=op.f("uq_channel_api_identifier")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("channel_api", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_api_account_id"), ["account_id"], unique=False)

    op.create_table(
        "channel_web_widgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("website_url", sa.String(length=255), nullable=False),
        sa.Column("website_token", sa.String(length=64), nullable=False),
        sa.Column("widget_color", sa.String(length=32), server_default="#1f93ff", nullable=False),
        sa.Column("welcome_title", sa.String(length=255), nullable=True),
        sa.Column("welcome_tagline", sa.String(length=255), nullable=True),
        sa.Column("reply_time", sa.Integer(), server_default="0", nullable=False),
        sa.Column("feature_flags", sa.Integer(), server_default="7", nullable=False),
        sa.Column("hmac_token", sa.String(length=64), nullable=False),
        sa.Column("hmac_mandatory", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("pre_chat_form_enabled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column(
            "pre_chat_form_options",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("continuity_via_email", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("allowed_domains", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_channel_web_widgets_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_web_widgets")),
        sa.UniqueConstraint("website_token", name=op.f("uq_channel_web_widgets_website_token")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("channel_web_widgets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_web_widgets_account_id"), ["account_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), server_default="", nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone_number", sa.String(length=255), nullable=True),
        sa.Column("identifier", sa.String(length=255), nullable=True),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column(
            "additional_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "custom_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_type", sa.Integer(), server_default="0", nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contacts_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("account_id", "email", name=op.f("uq_contacts_account_id_email")),
        sa.UniqueConstraint("account_id", "identifier", name=op.f("uq_contacts_account_id_identifier")),
        sa.UniqueConstraint("account_id", "phone_number", name=op.f("uq_contacts_account_id_phone_number")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_account_id_created_at", ["account_id", "created_at"], unique=False)
        batch_op.create_index("ix_contacts_account_id_name", ["account_id", "name"], unique=False)

    op.create_table(
        "inboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("channel_type", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column("enable_auto_assignment", sa.Boolean(), server_default="1", nullable=False),
        sa.Column(
            "auto_assignment_config",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("greeting_enabled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("greeting_message", sa.Text(), nullable=True),
        sa.Column("working_hours_enabled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("out_of_office_message", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("enable_email_collect", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("csat_survey_enabled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column(
            "csat_config", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default="{}", nullable=False
        ),
        sa.Column("allow_messages_after_resolved", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("lock_to_single_conversation", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("sender_name_type", sa.Integer(), server_default="0", nullable=False),
        sa.Column("business_name", sa.String(length=255), nullable=True),
        sa.Column("email_address", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_inboxes_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inboxes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inboxes_account_id"), ["account_id"], unique=False)

    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.String(length=32), server_default="#1f93ff", nullable=False),
        sa.Column("show_on_sidebar", sa.Boolean(), server_default="1", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_labels_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint("account_id", "title", name=op.f("uq_labels_account_id_title")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("allow_auto_assign", sa.Boolean(), server_default="1", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_teams_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_teams_account_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "contact_inboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("hmac_verified", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("pubsub_token", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_contact_inboxes_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_contact_inboxes_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_inboxes")),
        sa.UniqueConstraint("inbox_id", "source_id", name=op.f("uq_contact_inboxes_inbox_id_source_id")),
        sa.UniqueConstraint("pubsub_token", name=op.f("uq_contact_inboxes_pubsub_token")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("contact_inboxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_inboxes_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "contact_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contact_labels_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_contact_labels_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_labels")),
        sa.UniqueConstraint("contact_id", "title", name=op.f("uq_contact_labels_contact_id_title")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("contact_labels", schema=None) as batch_op:
        batch_op.create_index("ix_contact_labels_account_id_title", ["account_id", "title"], unique=False)

    op.create_table(
        "inbox_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_inbox_members_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inbox_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_members")),
        sa.UniqueConstraint("inbox_id", "user_id", name=op.f("uq_inbox_members_inbox_id_user_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("inbox_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_team_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_members")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_team_members_team_id_user_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("display_id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("contact_inbox_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), server_default="0", nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("muted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column(
            "additional_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "custom_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("cached_label_list", sa.Text(), server_default="", nullable=False),
        sa.Column("agent_last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignee_last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_reply_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "last_activity_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("identifier", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_conversations_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_conversations_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_conversations_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_inbox_id"],
            ["contact_inboxes.id"],
            name=op.f("fk_conversations_contact_inbox_id_contact_inboxes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_conversations_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_conversations_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("account_id", "display_id", name=op.f("uq_conversations_account_id_display_id")),
        sa.UniqueConstraint("uuid", name=op.f("uq_conversations_uuid")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_account_status_activity", ["account_id", "status", "last_activity_at"], unique=False
        )
        batch_op.create_index("ix_conversations_assignee_id_status", ["assignee_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_contact_inbox_id"), ["contact_inbox_id"], unique=False)
        batch_op.create_index("ix_conversations_inbox_id_status", ["inbox_id", "status"], unique=False)
        batch_op.create_index("ix_conversations_team_id", ["team_id"], unique=False)

    op.create_table(
        "conversation_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_conversation_labels_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_labels_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_labels")),
        sa.UniqueConstraint("conversation_id", "title", name=op.f("uq_conversation_labels_conversation_id_title")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("conversation_labels", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_labels_account_id_title", ["account_id", "title"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_type", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("content_type", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "content_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("private", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("status", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("sender_type", sa.String(length=32), nullable=True),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column(
            "external_source_ids",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "additional_attributes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_messages_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_messages_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_account_id_created_at", ["account_id", "created_at"], unique=False)
        batch_op.create_index("ix_messages_conversation_id_created_at", ["conversation_id", "created_at"], unique=False)
        batch_op.create_index("ix_messages_conversation_id_id", ["conversation_id", "id"], unique=False)
        batch_op.create_index("ix_messages_inbox_id_source_id", ["inbox_id", "source_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_inbox_id_source_id")
        batch_op.drop_index("ix_messages_conversation_id_id")
        batch_op.drop_index("ix_messages_conversation_id_created_at")
        batch_op.drop_index("ix_messages_account_id_created_at")

    op.drop_table("messages")
    with op.batch_alter_table("conversation_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_labels_account_id_title")

    op.drop_table("conversation_labels")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_team_id")
        batch_op.drop_index("ix_conversations_inbox_id_status")
        batch_op.drop_index(batch_op.f("ix_conversations_contact_inbox_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_contact_id"))
        batch_op.drop_index("ix_conversations_assignee_id_status")
        batch_op.drop_index("ix_conversations_account_status_activity")

    op.drop_table("conversations")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_user_id"))

    op.drop_table("team_members")
    with op.batch_alter_table("inbox_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_members_user_id"))

    op.drop_table("inbox_members")
    with op.batch_alter_table("contact_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_labels_account_id_title")

    op.drop_table("contact_labels")
    with op.batch_alter_table("contact_inboxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_inboxes_contact_id"))

    op.drop_table("contact_inboxes")
    op.drop_table("teams")
    op.drop_table("labels")
    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inboxes_account_id"))

    op.drop_table("inboxes")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_account_id_name")
        batch_op.drop_index("ix_contacts_account_id_created_at")

    op.drop_table("contacts")
    with op.batch_alter_table("channel_web_widgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_web_widgets_account_id"))

    op.drop_table("channel_web_widgets")
    with op.batch_alter_table("channel_api", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_api_account_id"))

    op.drop_table("channel_api")
    with op.batch_alter_table("account_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_users_user_id"))

    op.drop_table("account_users")
    op.drop_table("users")
    op.drop_table("accounts")
    op.drop_table("access_tokens")
