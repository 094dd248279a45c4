"""Wire shapes of inboxes and inbox members (Chatwoot's ``api/v1/models/_inbox`` view and the bodies
of ``inboxes_controller`` / ``inbox_members_controller``)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from frontdesk.agents.presenters import AgentPayload
from frontdesk.kit.schema import JsonObject, Schema, ShortStr

UrlStr = Annotated[str, msgspec.Meta(max_length=2048)]
# Chatwoot's Limits::GREETING_MESSAGE_MAX_LENGTH and OUT_OF_OFFICE_MESSAGE_MAX_LENGTH.
MessageStr = Annotated[str, msgspec.Meta(max_length=10_000)]
ColorStr = Annotated[str, msgspec.Meta(max_length=32)]
DomainsStr = Annotated[str, msgspec.Meta(max_length=20_000)]


class ChannelParams(Schema):
    """``channel: {...}``: ``type`` on create, then the attributes the channel type lets one edit
    (Channel::Api and Channel::WebWidget ``EDITABLE_ATTRS``); attributes of the other type are ignored."""

    type: ShortStr | None = None
    # Channel::Api
    webhook_url: UrlStr | None | UnsetType = UNSET
    hmac_mandatory: bool | None | UnsetType = UNSET
    additional_attributes: JsonObject | None | UnsetType = UNSET
    # Channel::WebWidget
    website_url: ShortStr | None | UnsetType = UNSET
    widget_color: ColorStr | None | UnsetType = UNSET
    welcome_title: ShortStr | None | UnsetType = UNSET
    welcome_tagline: ShortStr | None | UnsetType = UNSET
    reply_time: str | int | None | UnsetType = UNSET
    pre_chat_form_enabled: bool | None | UnsetType = UNSET
    pre_chat_form_options: JsonObject | None | UnsetType = UNSET
    continuity_via_email: bool | None | UnsetType = UNSET
    allowed_domains: DomainsStr | None | UnsetType = UNSET
    selected_feature_flags: list[str] | None | UnsetType = UNSET


class InboxFields(Schema):
    """The inbox's own attributes (``inbox_attributes`` of Chatwoot's controller)."""

    name: ShortStr | None | UnsetType = UNSET
    greeting_enabled: bool | None | UnsetType = UNSET
    greeting_message: MessageStr | None | UnsetType = UNSET
    enable_email_collect: bool | None | UnsetType = UNSET
    csat_survey_enabled: bool | None | UnsetType = UNSET
    csat_config: JsonObject | None | UnsetType = UNSET
    enable_auto_assignment: bool | None | UnsetType = UNSET
    auto_assignment_config: JsonObject | None | UnsetType = UNSET
    working_hours_enabled: bool | None | UnsetType = UNSET
    out_of_office_message: MessageStr | None | UnsetType = UNSET
    timezone: Annotated[str, msgspec.Meta(max_length=64)] | None | UnsetType = UNSET
    allow_messages_after_resolved: bool | None | UnsetType = UNSET
    lock_to_single_conversation: bool | None | UnsetType = UNSET
    sender_name_type: str | int | None | UnsetType = UNSET
    business_name: ShortStr | None | UnsetType = UNSET


class WorkingHourParams(Schema):
    """One day of ``working_hours: [...]`` (top level of the inbox body, as Chatwoot's controller reads
    it); attributes left out keep the day's stored value. Ranges are checked by the service, which names
    the entry in its 422."""

    day_of_week: int
    closed_all_day: bool | None | UnsetType = UNSET
    open_hour: int | None | UnsetType = UNSET
    open_minutes: int | None | UnsetType = UNSET
    close_hour: int | None | UnsetType = UNSET
    close_minutes: int | None | UnsetType = UNSET
    open_all_day: bool | None | UnsetType = UNSET


# Seven days, and room for a client that repeats some: Chatwoot applies every entry in order.
WorkingHoursList = Annotated[list[WorkingHourParams], msgspec.Meta(max_length=50)]


class InboxCreate(InboxFields, kw_only=True):
    channel: ChannelParams
    working_hours: WorkingHoursList | None | UnsetType = UNSET


class InboxUpdate(InboxFields, kw_only=True):
    channel: ChannelParams | None = None
    working_hours: WorkingHoursList | None | UnsetType = UNSET


class WorkingHour(msgspec.Struct):
    day_of_week: int
    closed_all_day: bool
    open_hour: int | None
    open_minutes: int | None
    close_hour: int | None
    close_minutes: int | None
    open_all_day: bool


class InboxPayload(msgspec.Struct):
    """Chatwoot's ``api/v1/models/_inbox`` for API and website inboxes; keys Chatwoot writes only for
    one channel type (or only for administrators) are left out elsewhere."""

    id: int
    avatar_url: str
    channel_id: int
    name: str
    channel_type: str
    greeting_enabled: bool
    greeting_message: str | None
    working_hours_enabled: bool
    enable_email_collect: bool
    csat_survey_enabled: bool
    csat_config: dict[str, Any]
    enable_auto_assignment: bool
    auto_assignment_config: dict[str, Any]
    out_of_office_message: str | None
    working_hours: list[WorkingHour]
    timezone: str
    callback_webhook_url: str | None
    allow_messages_after_resolved: bool
    lock_to_single_conversation: bool
    sender_name_type: str
    business_name: str | None
    allowed_domains: str | None
    widget_color: str | None
    website_url: str | None
    hmac_mandatory: bool | None
    welcome_title: str | None
    welcome_tagline: str | None
    web_widget_script: str | None
    website_token: str | None
    selected_feature_flags: list[str] | None
    reply_time: str | None
    messaging_service_sid: None
    phone_number: None
    provider: None
    hmac_token: str | UnsetType = UNSET
    pre_chat_form_enabled: bool | UnsetType = UNSET
    pre_chat_form_options: dict[str, Any] | UnsetType = UNSET
    continuity_via_email: bool | UnsetType = UNSET
    secret: str | UnsetType = UNSET
    webhook_url: str | None | UnsetType = UNSET
    inbox_identifier: str | UnsetType = UNSET
    additional_attributes: dict[str, Any] | UnsetType = UNSET


class InboxList(msgspec.Struct):
    payload: list[InboxPayload]


class InboxDeleted(msgspec.Struct):
    message: str


class InboxMembersBody(Schema):
    inbox_id: int
    user_ids: list[int]


class AgentList(msgspec.Struct):
    payload: list[AgentPayload]
