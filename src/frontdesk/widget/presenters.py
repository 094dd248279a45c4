"""Widget API payloads (Chatwoot's ``app/views/api/v1/widget/**`` and the widget page's globals)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from frontdesk.agents.presenters import AVAILABILITY_NAMES
from frontdesk.config import Settings
from frontdesk.conversations.presenters import PRIORITY_NAMES, STATUS_NAMES
from frontdesk.db import UnitOfWork
from frontdesk.inboxes.presenters import REPLY_TIMES, selected_feature_flags
from frontdesk.inboxes.schemas import WorkingHour
from frontdesk.kit.time import iso, unix
from frontdesk.messages.enums import CONTENT_TYPE_NAMES
from frontdesk.messages.presenters import SenderRows
from frontdesk.public.presenters import present_contact_record, present_message_rows
from frontdesk.widget.schemas import (
    ConfigContact,
    ConversationRecord,
    EnabledLanguage,
    WebsiteChannelConfig,
    WidgetConfig,
    WidgetContact,
    WidgetConversationCreated,
    WidgetConversationSummary,
    WidgetInboxMember,
    WidgetInboxMembers,
    WidgetMessage,
    WidgetMessageCreated,
    WidgetMessageList,
    WidgetMessageMeta,
)

BRAND_NAME = "Frontdesk"
# The languages the widget speaks, as Chatwoot's ``available_locales_with_name`` names them.
LANGUAGES = [
    EnabledLanguage("English (en)", "en"),
    EnabledLanguage("Español (es)", "es"),
    EnabledLanguage("Português (pt)", "pt"),
    EnabledLanguage("Português Brasileiro (pt_BR)", "pt_BR"),
    EnabledLanguage("Français (fr)", "fr"),
    EnabledLanguage("Deutsch (de)", "de"),
]
LANGUAGE_CODES = frozenset(language.iso_639_1_code for language in LANGUAGES)
# Chatwoot's pre-chat form defaults (Channel::WebWidget before_validation), for a channel saved without fields.
DEFAULT_PRE_CHAT_MESSAGE = "Share your queries or comments here."


def default_pre_chat_fields() -> list[dict[str, Any]]:
    def field(name: str, kind: str, label: str, required: bool) -> dict[str, Any]:
        return {
            "label": label,
            "name": name,
            "type": kind,
            "field_type": "standard",
            "required": required,
            "enabled": False,
        }

    return [
        field("emailAddress", "email", "Email Id", True),
        field("fullName", "text", "Full name", False),
        field("phoneNumber", "text", "Phone number", False),
    ]


def pre_chat_form_options(inbox: Any) -> dict[str, Any]:
    options = dict(inbox.pre_chat_form_options or {})
    if not options.get("pre_chat_fields"):
        options["pre_chat_fields"] = default_pre_chat_fields()
        options.setdefault("pre_chat_message", DEFAULT_PRE_CHAT_MESSAGE)
    return options


def global_config(settings: Settings, *, page: bool) -> dict[str, Any]:
    """``GlobalConfig.get(…)`` of the widget page (``page``) and of the config endpoint."""
    config: dict[str, Any] = {
        "LOGO_THUMBNAIL": "",
        "BRAND_NAME": BRAND_NAME,
        "WIDGET_BRAND_URL": settings.base_url,
        "MAXIMUM_FILE_UPLOAD_SIZE": settings.max_upload_bytes // (1024 * 1024),
        "INSTALLATION_NAME": BRAND_NAME,
    }
    if page:
        config["DIRECT_UPLOADS_ENABLED"] = True
    return config


def locale_of(inbox: Any) -> str:
    locale: str = inbox.account_locale or "en"
    return locale


def present_channel_config(
    inbox: Any, token: str, week: list[WorkingHour], utc_off_set: str, settings: Settings
) -> WebsiteChannelConfig:
    return WebsiteChannelConfig(
        allow_messages_after_resolved=bool(inbox.allow_messages_after_resolved),
        api_host=settings.base_url,
        auth_token=token,
        avatar_url=inbox.avatar_url or "",
        csat_survey_enabled=bool(inbox.csat_survey_enabled),
        disable_branding=False,
        enabled_features=selected_feature_flags(inbox.feature_flags),
        enabled_languages=LANGUAGES,
        locale=locale_of(inbox),
        out_of_office_message=inbox.out_of_office_message,
        portal=None,
        pre_chat_form_enabled=bool(inbox.pre_chat_form_enabled),
        pre_chat_form_options=pre_chat_form_options(inbox),
        reply_time=REPLY_TIMES.get(inbox.reply_time, "in_a_few_minutes"),
        timezone=inbox.timezone,
        utc_off_set=utc_off_set,
        website_name=inbox.name,
        website_token=inbox.website_token,
        welcome_tagline=inbox.welcome_tagline,
        welcome_title=inbox.welcome_title,
        widget_color=inbox.widget_color,
        working_hours=week,
        working_hours_enabled=bool(inbox.working_hours_enabled),
    )


def present_config(
    inbox: Any,
    contact_inbox: Any,
    contact: Any,
    token: str,
    week: list[WorkingHour],
    utc_off_set: str,
    settings: Settings,
) -> WidgetConfig:
    return WidgetConfig(
        website_channel_config=present_channel_config(inbox, token, week, utc_off_set, settings),
        contact=ConfigContact(
            email=contact.email,
            id=contact.id,
            identifier=contact.identifier,
            name=contact.name,
            phone_number=contact.phone_number,
            pubsub_token=contact_inbox.pubsub_token,
        ),
        global_config=global_config(settings, page=False),
    )


def web_channel_globals(inbox: Any, week: list[WorkingHour], utc_off_set: str) -> dict[str, Any]:
    """``window.chatwootWebChannel`` of the widget page (``widgets/show.html.erb``)."""
    return {
        "avatarUrl": inbox.avatar_url or "",
        "hasAConnectedAgentBot": "",
        "locale": locale_of(inbox),
        "websiteName": inbox.name,
        "websiteToken": inbox.website_token,
        "welcomeTagline": inbox.welcome_tagline,
        "welcomeTitle": inbox.welcome_title or "",
        "widgetColor": inbox.widget_color,
        "portal": None,
        "enabledFeatures": selected_feature_flags(inbox.feature_flags),
        "enabledLanguages": msgspec.to_builtins(LANGUAGES),
        "replyTime": REPLY_TIMES.get(inbox.reply_time, "in_a_few_minutes"),
        "preChatFormEnabled": bool(inbox.pre_chat_form_enabled),
        "preChatFormOptions": pre_chat_form_options(inbox),
        "workingHoursEnabled": bool(inbox.working_hours_enabled),
        "csatSurveyEnabled": bool(inbox.csat_survey_enabled),
        "workingHours": msgspec.to_builtins(week),
        "outOfOfficeMessage": inbox.out_of_office_message,
        "utcOffset": utc_off_set,
        "timezone": inbox.timezone,
        "allowMessagesAfterResolved": bool(inbox.allow_messages_after_resolved),
        "disableBranding": False,
    }


def present_contact(
    contact: Any, *, with_identifier: bool = False, widget_auth_token: str | None = None
) -> WidgetContact:
    answer = WidgetContact(
        id=contact.id,
        has_email=bool(contact.email),
        has_name=bool(contact.name),
        has_phone_number=bool(contact.phone_number),
    )
    if with_identifier:
        answer.identifier = contact.identifier
    if widget_auth_token:
        answer.widget_auth_token = widget_auth_token
    return answer


def present_summary(conversation: Any | None) -> WidgetConversationSummary:
    if conversation is None:
        return WidgetConversationSummary()
    return WidgetConversationSummary(
        id=conversation.display_id,
        inbox_id=conversation.inbox_id,
        contact_last_seen_at=unix(conversation.contact_last_seen_at),
        status=STATUS_NAMES[conversation.status],
    )


def present_conversation_record(row: Any) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        account_id=row.account_id,
        inbox_id=row.inbox_id,
        status=STATUS_NAMES[row.status],
        assignee_id=row.assignee_id,
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
        contact_id=row.contact_id,
        display_id=row.display_id,
        contact_last_seen_at=iso(row.contact_last_seen_at),
        agent_last_seen_at=iso(row.agent_last_seen_at),
        additional_attributes=row.additional_attributes or {},
        contact_inbox_id=row.contact_inbox_id,
        uuid=row.uuid,
        identifier=row.identifier,
        last_activity_at=iso(row.last_activity_at),
        team_id=row.team_id,
        campaign_id=None,
        snoozed_until=iso(row.snoozed_until),
        custom_attributes=row.custom_attributes or {},
        assignee_last_seen_at=iso(row.assignee_last_seen_at),
        first_reply_created_at=iso(row.first_reply_created_at),
        priority=PRIORITY_NAMES.get(row.priority) if row.priority is not None else None,
        sla_policy_id=None,
        waiting_since=iso(row.waiting_since),
        cached_label_list=row.cached_label_list or "",
    )


def present_message(
    row: Any, display_id: int, senders: SenderRows, attachments: list[dict[str, Any]] | None = None
) -> WidgetMessage:
    return WidgetMessage(
        id=row.id,
        content=row.content,
        message_type=row.message_type,
        content_type=CONTENT_TYPE_NAMES.get(row.content_type, "text"),
        content_attributes=row.content_attributes or {},
        created_at=unix(row.created_at),
        conversation_id=display_id,
        attachments=attachments if attachments else msgspec.UNSET,
        sender=senders.sender(row),
    )


async def present_messages(
    uow: UnitOfWork, conversation: Any, rows: Sequence[Any], senders: SenderRows | None = None
) -> list[WidgetMessage]:
    return await present_message_rows(uow, conversation, rows, present_message, senders)


def present_message_list(conversation: Any | None, messages: list[WidgetMessage]) -> WidgetMessageList:
    meta = WidgetMessageMeta()
    if conversation is not None:
        meta.contact_last_seen_at = unix(conversation.contact_last_seen_at)
    return WidgetMessageList(payload=messages, meta=meta)


def present_created_message(
    row: Any, display_id: int, senders: SenderRows, attachments: list[dict[str, Any]]
) -> WidgetMessageCreated:
    return WidgetMessageCreated(
        id=row.id,
        content=row.content,
        inbox_id=row.inbox_id,
        conversation_id=display_id,
        message_type=row.message_type,
        created_at=unix(row.created_at),
        private=bool(row.private),
        source_id=row.source_id,
        content_attributes=row.content_attributes or {},
        attachments=attachments if attachments else msgspec.UNSET,
        sender=senders.sender(row),
    )


async def present_created_conversation(uow: UnitOfWork, conversation: Any, contact: Any) -> WidgetConversationCreated:
    from frontdesk.public.repository import public_messages_of

    rows = (await public_messages_of(uow, [conversation.id]))[conversation.id]
    return WidgetConversationCreated(
        id=conversation.display_id,
        inbox_id=conversation.inbox_id,
        contact_last_seen_at=unix(conversation.contact_last_seen_at),
        status=STATUS_NAMES[conversation.status],
        messages=await present_messages(uow, conversation, rows),
        custom_attributes=conversation.custom_attributes or {},
        contact=present_contact_record(contact),
    )


def availability_status(row: Any, online: frozenset[int]) -> str:
    """Chatwoot's OnlineStatusTracker: an agent connected to the realtime feed (or one who does not go
    offline automatically) has the availability they chose; any other is offline."""
    if row.id in online or not row.auto_offline:
        return AVAILABILITY_NAMES.get(row.availability, "online")
    return "offline"


def present_inbox_members(rows: Sequence[Any], online: frozenset[int]) -> WidgetInboxMembers:
    return WidgetInboxMembers(
        payload=[
            WidgetInboxMember(
                id=row.id,
                name=row.display_name or row.name,
                avatar_url=row.avatar_url or "",
                availability_status=availability_status(row, online),
            )
            for row in rows
        ]
    )
