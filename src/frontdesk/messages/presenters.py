"""Message payloads: the REST partial (``api/v1/models/_message``) and ``Message#push_event_data``."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.agents.presenters import UserPushData, user_push_data
from frontdesk.contacts.presenters import ContactPushData, contact_push_data
from frontdesk.kit.time import iso, unix
from frontdesk.messages.enums import CONTENT_TYPE_NAMES, SENDER_CONTACT, SENDER_USER, STATUS_NAMES

Sender = UserPushData | ContactPushData


class MessagePayload(msgspec.Struct, kw_only=True):
    """The REST message: ``message_type`` is the integer, ``conversation_id`` the display id."""

    id: int
    content: str | None
    inbox_id: int
    echo_id: str | msgspec.UnsetType = msgspec.UNSET
    conversation_id: int
    message_type: int
    content_type: str
    status: str
    content_attributes: dict[str, Any]
    created_at: int
    private: bool
    source_id: str | None
    sender: Sender | msgspec.UnsetType = msgspec.UNSET
    # Only when the message has files (Chatwoot's ``attachments`` partial key).
    attachments: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET


class ContactInboxRef(msgspec.Struct):
    source_id: str | None


class MessageConversationData(msgspec.Struct):
    assignee_id: int | None
    unread_count: int
    last_activity_at: int
    contact_inbox: ContactInboxRef


class MessagePushData(msgspec.Struct, kw_only=True):
    """``Message#push_event_data``: every column, enums as names except ``message_type``, plus the conversation bits."""

    id: int
    content: str | None
    account_id: int
    inbox_id: int
    conversation_id: int
    message_type: int
    created_at: int
    updated_at: str | None
    private: bool
    status: str
    source_id: str | None
    content_type: str
    content_attributes: dict[str, Any]
    sender_type: str | None
    sender_id: int | None
    external_source_ids: dict[str, Any]
    additional_attributes: dict[str, Any]
    processed_message_content: str | None
    sentiment: dict[str, Any]
    conversation: MessageConversationData
    echo_id: str | msgspec.UnsetType = msgspec.UNSET
    sender: Sender | msgspec.UnsetType = msgspec.UNSET
    attachments: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET


class SenderRows:
    """The users (with their account availability) and contacts that wrote a set of messages, by id."""

    def __init__(self, users: dict[int, Any] | None = None, contacts: dict[int, Any] | None = None) -> None:
        self.users = users or {}
        self.contacts = contacts or {}

    def sender(self, row: Any) -> Sender | msgspec.UnsetType:
        if row.sender_type == SENDER_USER and row.sender_id in self.users:
            user = self.users[row.sender_id]
            return user_push_data(user, user.availability)
        if row.sender_type == SENDER_CONTACT and row.sender_id in self.contacts:
            return contact_push_data(self.contacts[row.sender_id])
        return msgspec.UNSET


def present_message(
    row: Any,
    display_id: int,
    senders: SenderRows,
    echo_id: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> MessagePayload:
    return MessagePayload(
        attachments=attachments if attachments else msgspec.UNSET,
        id=row.id,
        content=row.content,
        inbox_id=row.inbox_id,
        echo_id=echo_id if echo_id else msgspec.UNSET,
        conversation_id=display_id,
        message_type=row.message_type,
        content_type=CONTENT_TYPE_NAMES.get(row.content_type, "text"),
        status=STATUS_NAMES.get(row.status, "sent"),
        content_attributes=row.content_attributes or {},
        created_at=unix(row.created_at),
        private=row.private,
        source_id=row.source_id,
        sender=senders.sender(row),
    )


def message_push_data(
    row: Any,
    display_id: int,
    conversation: MessageConversationData,
    senders: SenderRows,
    attachments: list[dict[str, Any]] | None = None,
) -> MessagePushData:
    return MessagePushData(
        attachments=attachments if attachments else msgspec.UNSET,
        id=row.id,
        content=row.content,
        account_id=row.account_id,
        inbox_id=row.inbox_id,
        conversation_id=display_id,
        message_type=row.message_type,
        created_at=unix(row.created_at),
        updated_at=iso(row.updated_at),
        private=row.private,
        status=STATUS_NAMES.get(row.status, "sent"),
        source_id=row.source_id,
        content_type=CONTENT_TYPE_NAMES.get(row.content_type, "text"),
        content_attributes=row.content_attributes or {},
        sender_type=row.sender_type,
        sender_id=row.sender_id,
        external_source_ids=row.external_source_ids or {},
        additional_attributes=row.additional_attributes or {},
        processed_message_content=row.content,
        sentiment={},
        conversation=conversation,
        sender=senders.sender(row),
    )
