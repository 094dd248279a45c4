"""Contact payloads shared by every domain (the REST contact partial lives beside the contacts endpoints)."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from frontdesk.contacts.schemas import ContactInboxPayload, ContactPayload, InboxRecord
from frontdesk.inboxes.presenters import present_inbox_slim
from frontdesk.kit.time import iso, unix


class ContactPushData(msgspec.Struct, tag_field="type", tag="contact"):
    """``Contact#push_event_data``: a conversation's ``meta.sender`` and an incoming message's sender
    (``"type": "contact"``)."""

    additional_attributes: dict[str, Any]
    custom_attributes: dict[str, Any]
    email: str | None
    id: int
    identifier: str | None
    name: str
    phone_number: str | None
    thumbnail: str
    blocked: bool


def contact_push_data(row: Any) -> ContactPushData:
    return ContactPushData(
        additional_attributes=row.additional_attributes or {},
        custom_attributes=row.custom_attributes or {},
        email=row.email,
        id=row.id,
        identifier=row.identifier,
        name=row.name,
        phone_number=row.phone_number,
        thumbnail=row.avatar_url or "",
        blocked=row.blocked,
    )


def contact_webhook_data(row: Any, account: dict[str, Any]) -> dict[str, Any]:
    """``Contact#webhook_data``; ``account`` is ``{"id", "name"}``."""
    return {
        "account": account,
        "additional_attributes": row.additional_attributes or {},
        "avatar": row.avatar_url or "",
        "custom_attributes": row.custom_attributes or {},
        "email": row.email,
        "id": row.id,
        "identifier": row.identifier,
        "name": row.name,
        "phone_number": row.phone_number,
        "thumbnail": row.avatar_url or "",
        "blocked": row.blocked,
    }


# The REST payloads of the contacts endpoints.

SENDER_NAME_TYPES = {0: "friendly", 1: "professional"}


def present_contact(row: Any, contact_inboxes: list[Any] | None = None, *, online: bool = False) -> ContactPayload:
    """The ``_contact`` partial; ``contact_inboxes`` rows carry the inbox's slim columns (see repository);
    ``online`` is the realtime presence of the contact."""
    return ContactPayload(
        additional_attributes=row.additional_attributes or {},
        availability_status="online" if online else "offline",
        email=row.email,
        id=row.id,
        name=row.name or "",
        phone_number=row.phone_number,
        blocked=bool(row.blocked),
        identifier=row.identifier,
        thumbnail=row.avatar_url or "",
        custom_attributes=row.custom_attributes or {},
        last_activity_at=unix(row.last_activity_at) if row.last_activity_at is not None else UNSET,
        created_at=unix(row.created_at),
        contact_inboxes=(
            [ContactInboxPayload(source_id=item.source_id, inbox=present_inbox_slim(item)) for item in contact_inboxes]
            if contact_inboxes is not None
            else UNSET
        ),
    )


def present_inbox_record(row: Any) -> InboxRecord:
    return InboxRecord(
        id=row.id,
        channel_id=row.channel_id,
        account_id=row.account_id,
        name=row.name,
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
        channel_type=row.channel_type,
        enable_auto_assignment=bool(row.enable_auto_assignment),
        greeting_enabled=bool(row.greeting_enabled),
        greeting_message=row.greeting_message,
        email_address=row.email_address,
        working_hours_enabled=bool(row.working_hours_enabled),
        out_of_office_message=row.out_of_office_message,
        timezone=row.timezone,
        enable_email_collect=bool(row.enable_email_collect),
        csat_survey_enabled=bool(row.csat_survey_enabled),
        allow_messages_after_resolved=bool(row.allow_messages_after_resolved),
        auto_assignment_config=row.auto_assignment_config or {},
        lock_to_single_conversation=bool(row.lock_to_single_conversation),
        portal_id=None,
        sender_name_type=SENDER_NAME_TYPES.get(row.sender_name_type, "friendly"),
        business_name=row.business_name,
        csat_config=row.csat_config or {},
    )
