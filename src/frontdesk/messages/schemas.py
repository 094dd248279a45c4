"""Request and response shapes of a conversation's messages."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.agents.presenters import UserPushData
from frontdesk.contacts.presenters import ContactPushData
from frontdesk.kit.schema import Id, Schema
from frontdesk.messages.presenters import MessagePayload


class MessageCreate(Schema):
    """``POST …/conversations/{id}/messages`` (and ``message`` of a conversation create)."""

    content: str | None = None
    message_type: str | None = None
    private: bool = False
    content_type: str | None = None
    # An object, or a JSON string of one (multipart clients send it that way).
    content_attributes: dict[str, Any] | str | None = None
    echo_id: str | int | None = None
    source_id: str | None = None
    campaign_id: Id | None = None
    # When the message was written in the integrator's system (kept in content_attributes).
    external_created_at: int | str | None = None
    template_params: dict[str, Any] | None = None
    # Audio attachments of a voice message get ``meta.is_voice_message`` (Chatwoot's MessageBuilder).
    is_voice_message: bool = False
    # Multipart: files, or signed blob ids of direct uploads (read by attachments.requests, not here).
    attachments: list[str] | None = None


class MessageStatusUpdate(Schema):
    status: str | None = None
    external_error: str | None = None


class MessagesMeta(msgspec.Struct, kw_only=True):
    labels: list[str]
    additional_attributes: dict[str, Any]
    contact: ContactPushData
    assignee: UserPushData | msgspec.UnsetType = msgspec.UNSET
    agent_last_seen_at: str | None
    assignee_last_seen_at: str | None


class MessageList(msgspec.Struct):
    meta: MessagesMeta
    payload: list[MessagePayload]
