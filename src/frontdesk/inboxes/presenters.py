"""Inbox payloads shared by every domain (the full inbox payload lives beside the inbox endpoints)."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.inboxes.repository import CHANNEL_API, CHANNEL_WEB_WIDGET
from frontdesk.inboxes.schemas import InboxPayload, WorkingHour


class InboxSlim(msgspec.Struct):
    """Chatwoot's ``api/v1/models/_inbox_slim``: a contact inbox's ``inbox``."""

    id: int
    avatar_url: str
    channel_id: int
    name: str
    channel_type: str
    provider: str | None = None


def present_inbox_slim(row: Any) -> InboxSlim:
    return InboxSlim(
        id=row.id,
        avatar_url=row.avatar_url or "",
        channel_id=row.channel_id,
        name=row.name,
        channel_type=row.channel_type,
    )


def inbox_webhook_data(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name}


# --- The full inbox payload (Chatwoot's ``api/v1/models/_inbox``) -----------------------------------

REPLY_TIMES = {0: "in_a_few_minutes", 1: "in_a_few_hours", 2: "in_a_day"}
SENDER_NAME_TYPES = {0: "friendly", 1: "professional"}
# Channel::WebWidget feature_flags bits, in Chatwoot's order.
WIDGET_FEATURE_FLAGS = {
    "attachments": 1,
    "emoji_picker": 2,
    "end_conversation": 4,
    "use_inbox_avatar_for_bot": 8,
    "allow_mobile_webview": 16,
}


def selected_feature_flags(bits: int) -> list[str]:
    return [name for name, bit in WIDGET_FEATURE_FLAGS.items() if bits & bit]


def web_widget_script(base_url: str, website_token: str) -> str:
    """The embed snippet for a website: it loads the widget SDK from this very server."""

    def js(value: str) -> str:
        return msgspec.json.encode(value).decode().replace("</", "<\\/")

    return (
        "\n<script>\n"
        "  (function (d, t) {\n"
        f"    var BASE_URL = {js(base_url.rstrip('/'))};\n"
        "    var script = d.createElement(t), first = d.getElementsByTagName(t)[0];\n"
        '    script.src = BASE_URL + "/packs/js/sdk.js";\n'
        "    script.async = true;\n"
        "    script.onload = function () {\n"
        f"      window.chatwootSDK.run({{ websiteToken: {js(website_token)}, baseUrl: BASE_URL }});\n"
        "    };\n"
        "    first.parentNode.insertBefore(script, first);\n"
        '  })(document, "script");\n'
        "</script>\n"
    )


def present_inbox(
    row: Any, channel: Any, *, is_administrator: bool, base_url: str, week: list[WorkingHour]
) -> InboxPayload:
    """``row`` is the inboxes row, ``channel`` its channel_api or channel_web_widgets row, ``week`` its
    working hours (``message_templates.hours.load_working_hours``)."""
    payload = InboxPayload(
        id=row.id,
        avatar_url=row.avatar_url or "",
        channel_id=row.channel_id,
        name=row.name,
        channel_type=row.channel_type,
        greeting_enabled=row.greeting_enabled,
        greeting_message=row.greeting_message,
        working_hours_enabled=row.working_hours_enabled,
        enable_email_collect=row.enable_email_collect,
        csat_survey_enabled=row.csat_survey_enabled,
        csat_config=row.csat_config or {},
        enable_auto_assignment=row.enable_auto_assignment,
        auto_assignment_config=row.auto_assignment_config or {},
        out_of_office_message=row.out_of_office_message,
        working_hours=week,
        timezone=row.timezone,
        callback_webhook_url=None,
        allow_messages_after_resolved=row.allow_messages_after_resolved,
        lock_to_single_conversation=row.lock_to_single_conversation,
        sender_name_type=SENDER_NAME_TYPES.get(row.sender_name_type, "friendly"),
        business_name=row.business_name,
        allowed_domains=None,
        widget_color=None,
        website_url=None,
        hmac_mandatory=None,
        welcome_title=None,
        welcome_tagline=None,
        web_widget_script=None,
        website_token=None,
        selected_feature_flags=None,
        reply_time=None,
        messaging_service_sid=None,
        phone_number=None,
        provider=None,
    )
    if channel is None:
        return payload
    payload.hmac_mandatory = channel.hmac_mandatory
    if row.channel_type == CHANNEL_WEB_WIDGET:
        payload.allowed_domains = channel.allowed_domains or ""
        payload.widget_color = channel.widget_color
        payload.website_url = channel.website_url
        payload.welcome_title = channel.welcome_title
        payload.welcome_tagline = channel.welcome_tagline
        payload.web_widget_script = web_widget_script(base_url, channel.website_token)
        payload.website_token = channel.website_token
        payload.selected_feature_flags = selected_feature_flags(channel.feature_flags)
        payload.reply_time = REPLY_TIMES.get(channel.reply_time, "in_a_few_minutes")
        if is_administrator:
            payload.hmac_token = channel.hmac_token
        payload.pre_chat_form_enabled = channel.pre_chat_form_enabled
        payload.pre_chat_form_options = channel.pre_chat_form_options or {}
        payload.continuity_via_email = channel.continuity_via_email
    elif row.channel_type == CHANNEL_API:
        if is_administrator:
            payload.hmac_token = channel.hmac_token
            payload.secret = channel.secret
        payload.webhook_url = channel.webhook_url
        payload.inbox_identifier = channel.identifier
        payload.additional_attributes = channel.additional_attributes or {}
    return payload
