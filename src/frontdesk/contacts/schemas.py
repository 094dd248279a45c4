"""Wire shapes of contacts (Chatwoot's ``api/v1/models/_contact`` partial and the contacts views)."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from frontdesk.inboxes.presenters import InboxSlim
from frontdesk.kit.schema import Schema

# Requests. Strings are plain ``str`` here: the service checks lengths itself, so the 422 reads like
# Chatwoot's ("Name is too long (maximum is 255 characters)").


class ContactCreate(Schema):
    name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    identifier: str | None = None
    blocked: bool | None = None
    avatar_url: str | None = None
    additional_attributes: dict[str, Any] | None = None
    custom_attributes: dict[str, Any] | None = None
    # int, or a string from a form; anything that is not a number is a 422 naming ``inbox_id``.
    inbox_id: int | str | None = None
    source_id: str | int | None = None


class ContactUpdate(Schema):
    name: str | None | UnsetType = UNSET
    email: str | None | UnsetType = UNSET
    phone_number: str | None | UnsetType = UNSET
    identifier: str | None | UnsetType = UNSET
    blocked: bool | None | UnsetType = UNSET
    avatar_url: str | None | UnsetType = UNSET
    additional_attributes: dict[str, Any] | None | UnsetType = UNSET
    custom_attributes: dict[str, Any] | None | UnsetType = UNSET


class ContactInboxCreate(Schema):
    inbox_id: int
    source_id: str | int | None = None
    hmac_verified: bool | None = None


class CustomAttributeKeys(Schema):
    custom_attributes: list[str] | None = None


class LabelsUpdate(Schema):
    labels: list[str] | None = None


class FilterCondition(Schema):
    attribute_key: str
    filter_operator: str
    values: list[Any] | str | int | float | bool | None = None
    query_operator: str | None = None
    custom_attribute_type: str | None = None


class ContactFilter(Schema):
    payload: list[FilterCondition]
    page: int | str | None = None


# Responses.


class ContactInboxPayload(msgspec.Struct):
    """``api/v1/models/_contact_inbox``."""

    source_id: str
    inbox: InboxSlim


class ContactPayload(msgspec.Struct, kw_only=True):
    """``api/v1/models/_contact``; ``last_activity_at`` only when set, ``contact_inboxes`` only when asked for."""

    additional_attributes: dict[str, Any]
    availability_status: str
    email: str | None
    id: int
    name: str
    phone_number: str | None
    blocked: bool
    identifier: str | None
    thumbnail: str
    custom_attributes: dict[str, Any]
    last_activity_at: int | UnsetType = UNSET
    created_at: int
    contact_inboxes: list[ContactInboxPayload] | UnsetType = UNSET


class InboxRecord(msgspec.Struct):
    """The inbox as Rails dumps a record (``json.inbox @contact_inbox.inbox``): its columns, ISO timestamps."""

    id: int
    channel_id: int
    account_id: int
    name: str
    created_at: str | None
    updated_at: str | None
    channel_type: str
    enable_auto_assignment: bool
    greeting_enabled: bool
    greeting_message: str | None
    email_address: str | None
    working_hours_enabled: bool
    out_of_office_message: str | None
    timezone: str
    enable_email_collect: bool
    csat_survey_enabled: bool
    allow_messages_after_resolved: bool
    auto_assignment_config: dict[str, Any]
    lock_to_single_conversation: bool
    portal_id: int | None
    sender_name_type: str
    business_name: str | None
    csat_config: dict[str, Any]


class CreatedContactInbox(msgspec.Struct):
    inbox: InboxRecord | None
    source_id: str | None


class CreatedContact(msgspec.Struct):
    contact: ContactPayload
    contact_inbox: CreatedContactInbox


class ContactCreateResponse(msgspec.Struct):
    payload: CreatedContact


class ContactResponse(msgspec.Struct):
    payload: ContactPayload


class ContactListMeta(msgspec.Struct):
    count: int
    # Chatwoot echoes the ``page`` it was given (a string from a query), or 1.
    current_page: int | str


class ContactList(msgspec.Struct):
    meta: ContactListMeta
    payload: list[ContactPayload]


class ContactSearchMeta(msgspec.Struct):
    count: int
    current_page: int | str
    has_more: bool


class ContactSearchResult(msgspec.Struct):
    meta: ContactSearchMeta
    payload: list[ContactPayload]


class ContactableInbox(msgspec.Struct):
    inbox: InboxSlim
    source_id: str


class ContactableInboxes(msgspec.Struct):
    payload: list[ContactableInbox]


class LabelList(msgspec.Struct):
    payload: list[str]
