"""Request and response shapes of the Widget API (Chatwoot's ``api/v1/widget/*`` controllers and views)."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.agents.presenters import UserPushData
from frontdesk.contacts.presenters import ContactPushData
from frontdesk.inboxes.schemas import WorkingHour
from frontdesk.kit.schema import LongStr, Schema, ShortStr
from frontdesk.public.schemas import ContactRecord

# --- requests -----------------------------------------------------------------------------------------


class WidgetContactUpdate(Schema):
    """``PATCH /contact`` and ``PATCH /contact/set_user`` (Chatwoot's permitted params)."""

    website_token: str | None = None
    identifier: ShortStr | int | None = None
    identifier_hash: ShortStr | None = None
    email: ShortStr | None = None
    name: ShortStr | None = None
    avatar_url: str | None = None
    phone_number: ShortStr | None = None
    custom_attributes: dict[str, Any] | None = None
    additional_attributes: dict[str, Any] | None = None


class WidgetCustomAttributeKeys(Schema):
    """``POST /contact/destroy_custom_attributes``: ``{"custom_attributes": ["plan", …]}``."""

    website_token: str | None = None
    custom_attributes: list[ShortStr] | ShortStr | None = None


class WidgetPreChatContact(Schema):
    name: ShortStr | None = None
    email: ShortStr | None = None
    phone_number: ShortStr | None = None


class WidgetMessageFields(Schema):
    content: LongStr | None = None
    # Unix seconds (a string from the widget) or any text: kept as the conversation's ``initiated_at``.
    timestamp: str | int | float | None = None
    referer_url: str | None = None
    echo_id: str | int | None = None
    reply_to: int | str | None = None


class WidgetConversationCreate(Schema):
    """``POST /conversations``: the pre-chat form's contact fields and the first message."""

    website_token: str | None = None
    contact: WidgetPreChatContact | None = None
    message: WidgetMessageFields | None = None
    custom_attributes: dict[str, Any] | None = None


class WidgetTyping(Schema):
    website_token: str | None = None
    typing_status: str | None = None


class WidgetConversationAttributes(Schema):
    """``POST /conversations/set_custom_attributes``: replaces the conversation's custom attributes."""

    website_token: str | None = None
    custom_attributes: dict[str, Any] | None = None


class WidgetConversationAttributeKeys(Schema):
    """``POST /conversations/destroy_custom_attributes``: ``{"custom_attribute": ["key", …]}``."""

    website_token: str | None = None
    custom_attribute: list[ShortStr] | ShortStr | None = None


class WidgetMessageCreate(Schema):
    """``POST /messages``: JSON, or multipart with ``message[attachments][]`` files (or signed blob ids of
    direct uploads). ``custom_attributes`` and ``labels`` apply when the message starts a conversation."""

    website_token: str | None = None
    message: WidgetMessageFields | None = None
    custom_attributes: dict[str, Any] | None = None
    labels: list[ShortStr] | None = None


class WidgetSubmittedEmail(Schema):
    email: ShortStr | None = None
    name: ShortStr | None = None


class WidgetSubmittedValues(Schema):
    submitted_values: list[dict[str, Any]] | dict[str, Any] | None = None


class WidgetMessageUpdate(Schema):
    """``PATCH /messages/{id}``: ``{"contact": {"email"}}`` answers an ``input_email`` message; otherwise
    ``{"message": {"submitted_values": [{"name", "title", "value", "csat_survey_response": {…}}]}}``."""

    website_token: str | None = None
    contact: WidgetSubmittedEmail | None = None
    message: WidgetSubmittedValues | None = None


class WidgetEventCreate(Schema):
    """``POST /events``: ``webwidget.triggered`` (the bubble opened) or ``campaign.triggered``."""

    website_token: str | None = None
    name: ShortStr | None = None
    event_info: dict[str, Any] | None = None


class WidgetLabel(Schema):
    website_token: str | None = None
    label: ShortStr | None = None


class WidgetTranscript(Schema):
    website_token: str | None = None
    email: ShortStr | None = None


# --- responses ----------------------------------------------------------------------------------------


class ErrorBody(msgspec.Struct):
    error: str


class EnabledLanguage(msgspec.Struct):
    name: str
    iso_639_1_code: str


class WebsiteChannelConfig(msgspec.Struct):
    """``configs/create.json.jbuilder``'s ``website_channel_config``."""

    allow_messages_after_resolved: bool
    api_host: str
    auth_token: str
    avatar_url: str
    csat_survey_enabled: bool
    disable_branding: bool
    enabled_features: list[str]
    enabled_languages: list[EnabledLanguage]
    locale: str
    out_of_office_message: str | None
    portal: None
    pre_chat_form_enabled: bool
    pre_chat_form_options: dict[str, Any]
    reply_time: str
    timezone: str
    utc_off_set: str
    website_name: str
    website_token: str
    welcome_tagline: str | None
    welcome_title: str | None
    widget_color: str
    working_hours: list[WorkingHour]
    working_hours_enabled: bool


class ConfigContact(msgspec.Struct):
    email: str | None
    id: int
    identifier: str | None
    name: str
    phone_number: str | None
    pubsub_token: str


class WidgetConfig(msgspec.Struct):
    """``POST /config``: the widget's settings, the visitor and a freshly minted widget token."""

    website_channel_config: WebsiteChannelConfig
    contact: ConfigContact
    global_config: dict[str, Any]


class WidgetContact(msgspec.Struct, kw_only=True):
    """``contacts/show`` (with ``identifier``), ``update`` and ``set_user`` (with ``widget_auth_token``
    when the visitor became another contact)."""

    id: int
    has_email: bool
    has_name: bool
    has_phone_number: bool
    identifier: str | None | msgspec.UnsetType = msgspec.UNSET
    widget_auth_token: str | msgspec.UnsetType = msgspec.UNSET


class WidgetConversationSummary(msgspec.Struct, kw_only=True):
    """``conversations/index``: the visitor's latest conversation, or ``{}``."""

    id: int | msgspec.UnsetType = msgspec.UNSET
    inbox_id: int | msgspec.UnsetType = msgspec.UNSET
    contact_last_seen_at: int | msgspec.UnsetType = msgspec.UNSET
    status: str | msgspec.UnsetType = msgspec.UNSET


class WidgetMessage(msgspec.Struct, kw_only=True):
    """``api/v1/models/_widget_message`` and ``messages/index``: ``message_type`` the integer,
    ``conversation_id`` the display id; ``attachments``/``sender`` only when there are some."""

    id: int
    content: str | None
    message_type: int
    content_type: str
    content_attributes: dict[str, Any]
    created_at: int
    conversation_id: int
    attachments: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET
    sender: UserPushData | ContactPushData | msgspec.UnsetType = msgspec.UNSET


class WidgetConversationCreated(msgspec.Struct):
    """``conversations/create``."""

    id: int
    inbox_id: int
    contact_last_seen_at: int
    status: str
    messages: list[WidgetMessage]
    custom_attributes: dict[str, Any]
    contact: ContactRecord


class ConversationRecord(msgspec.Struct):
    """A conversations row as Rails' ``as_json`` renders it (``destroy_custom_attributes``)."""

    id: int
    account_id: int
    inbox_id: int
    status: str
    assignee_id: int | None
    created_at: str | None
    updated_at: str | None
    contact_id: int
    display_id: int
    contact_last_seen_at: str | None
    agent_last_seen_at: str | None
    additional_attributes: dict[str, Any]
    contact_inbox_id: int | None
    uuid: str
    identifier: str | None
    last_activity_at: str | None
    team_id: int | None
    campaign_id: int | None
    snoozed_until: str | None
    custom_attributes: dict[str, Any]
    assignee_last_seen_at: str | None
    first_reply_created_at: str | None
    priority: str | None
    sla_policy_id: int | None
    waiting_since: str | None
    cached_label_list: str


class WidgetMessageMeta(msgspec.Struct, kw_only=True):
    contact_last_seen_at: int | msgspec.UnsetType = msgspec.UNSET


class WidgetMessageList(msgspec.Struct):
    payload: list[WidgetMessage]
    meta: WidgetMessageMeta


class WidgetMessageCreated(msgspec.Struct, kw_only=True):
    """``messages/create``."""

    id: int
    content: str | None
    inbox_id: int
    conversation_id: int
    message_type: int
    created_at: int
    private: bool
    source_id: str | None
    content_attributes: dict[str, Any]
    attachments: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET
    sender: UserPushData | ContactPushData | msgspec.UnsetType = msgspec.UNSET


class WidgetMessageUpdated(msgspec.Struct, kw_only=True):
    """``messages/update``: the contact when an ``input_email`` answer identified it, else ``{}``."""

    contact: ContactRecord | msgspec.UnsetType = msgspec.UNSET


class WidgetInboxMember(msgspec.Struct):
    id: int
    name: str
    avatar_url: str
    availability_status: str


class WidgetInboxMembers(msgspec.Struct):
    payload: list[WidgetInboxMember]


class WidgetCampaign(msgspec.Struct):
    """``campaigns/index``' items; Frontdesk has no campaigns yet, so the list is always empty."""

    id: int
    trigger_rules: dict[str, Any]
    trigger_only_during_business_hours: bool
    message: str
    sender: UserPushData | None
