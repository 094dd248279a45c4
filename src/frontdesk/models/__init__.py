"""The tables, as SQLAlchemy Core ``Table`` objects (hot paths use Core statements, not the ORM)."""

from frontdesk.models.accounts import access_tokens, account_users, accounts, users
from frontdesk.models.base import metadata
from frontdesk.models.contacts import contact_inboxes, contact_labels, contacts
from frontdesk.models.conversations import conversation_labels, conversations
from frontdesk.models.files import attachments, blobs
from frontdesk.models.idempotency import idempotency_keys
from frontdesk.models.inboxes import channel_api, channel_web_widgets, inbox_members, inboxes
from frontdesk.models.jobs import jobs
from frontdesk.models.labels import labels
from frontdesk.models.messages import messages
from frontdesk.models.sessions import user_sessions
from frontdesk.models.teams import team_members, teams
from frontdesk.models.webhooks import channel_api_previous_secrets, webhook_deliveries, webhooks
from frontdesk.models.working_hours import working_hours

__all__ = [
    "access_tokens",
    "account_users",
    "accounts",
    "attachments",
    "blobs",
    "channel_api",
    "channel_api_previous_secrets",
    "channel_web_widgets",
    "contact_inboxes",
    "contact_labels",
    "contacts",
    "conversation_labels",
    "conversations",
    "idempotency_keys",
    "inbox_members",
    "inboxes",
    "jobs",
    "labels",
    "messages",
    "metadata",
    "team_members",
    "teams",
    "user_sessions",
    "users",
    "webhook_deliveries",
    "webhooks",
    "working_hours",
]
