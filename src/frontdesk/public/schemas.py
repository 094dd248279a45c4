"""Request and response shapes of the Client API (Chatwoot's ``public/api/v1/inboxes/*`` views)."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.agents.presenters import UserPushData
from frontdesk.contacts.presenters import ContactPushData
from frontdesk.inboxes.schemas import WorkingHour
from frontdesk.kit.schema import LongStr, Schema, ShortStr


class PublicContactCreate(Schema):
    """``POST …/contacts``: every field optional; ``identifier_hash`` proves ``identifier``."""

    identifier: ShortStr | None = None
    identifier_hash: ShortStr | None = None
    email: ShortStr | None = None
    # Cut at 255 characters, as Chatwoot's builder truncates it.
    name: str | None = None
    avatar_url: str | None = None
    phone_number: ShortStr | None = None
    custom_attributes: dict[str, Any] | None = None
    # The contact inbox's source id; a new UUID when absent.
    source_id: ShortStr | None = None


class PublicContactUpdate(Schema):
    """``PATCH …/contacts/{contact_identifier}``: ``identifier`` only goes with ``identifier_hash``; it is
    never changed."""

    identifier: ShortStr | None = None
    identifier_hash: ShortStr | None = None
    email: ShortStr | None = None
    name: ShortStr | None = None
    avatar_url: str | None = None
    phone_number: ShortStr | None = None
    custom_attributes: dict[str, Any] | None = None


class PublicConversationCreate(Schema):
    custom_attributes: dict[str, Any] | None = None


class PublicTyping(Schema):
    typing_status: str | None = None


class PublicMessageCreate(Schema):
    content: LongStr | None = None
    echo_id: str | int | None = None


class PublicMessageUpdate(Schema):
    """Form and CSAT answers: ``{"submitted_values": [{"name", "title", "value"}]}`` or
    ``{"submitted_values": {"csat_survey_response": {"rating", "feedback_message"}}}``."""

    submitted_values: list[dict[str, Any]] | dict[str, Any] | None = None


# --- responses ----------------------------------------------------------------------------------------


class PublicInbox(msgspec.Struct):
    """``GET /public/api/v1/inboxes/{inbox_identifier}``."""

    identifier: str
    identity_validation_enabled: bool
    name: str
    timezone: str
    working_hours: list[WorkingHour]
    working_hours_enabled: bool
    csat_survey_enabled: bool
    greeting_enabled: bool


class PublicContactInbox(msgspec.Struct):
    """A contact's session on the inbox: what the end user's app keeps (``source_id``, ``pubsub_token``)."""

    source_id: str
    pubsub_token: str
    id: int
    name: str
    email: str | None
    phone_number: str | None


class ContactRecord(msgspec.Struct):
    """A contacts row as Rails' ``as_json`` renders it (the PATCH answer and a conversation's ``contact``)."""

    id: int
    name: str
    email: str | None
    phone_number: str | None
    account_id: int
    created_at: str | None
    updated_at: str | None
    additional_attributes: dict[str, Any]
    identifier: str | None
    custom_attributes: dict[str, Any]
    last_activity_at: str | None
    contact_type: str
    middle_name: str
    last_name: str
    location: str
    country_code: str
    blocked: bool
    company_id: int | None


class PublicMessage(msgspec.Struct, kw_only=True):
    """Chatwoot's ``public/api/v1/models/_message``: ``message_type`` the integer, ``conversation_id``
    the display id."""

    id: int
    content: str | None
    message_type: int
    content_type: str
    content_attributes: dict[str, Any]
    created_at: int
    conversation_id: int
    sender: UserPushData | ContactPushData | msgspec.UnsetType = msgspec.UNSET
    # Only when the message has files.
    attachments: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET


class PublicConversation(msgspec.Struct):
    """Chatwoot's ``public/api/v1/models/_conversation``: its public messages, oldest first, and its contact."""

    id: int
    uuid: str
    inbox_id: int
    contact_last_seen_at: int
    status: str
    agent_last_seen_at: int
    messages: list[PublicMessage]
    contact: ContactRecord
