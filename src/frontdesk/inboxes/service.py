"""Inboxes with their channel (API or website widget), and their members.

Administrators create, change and delete inboxes and their member lists; agents see only the
inboxes they are members of. Deleting an inbox deletes, in the same transaction, its channel,
conversations, messages, contact sessions and memberships.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec
from sqlalchemy import delete, func, insert, select, update

from frontdesk.agents.service import agents_query, list_agents
from frontdesk.attachments.service import purge_files_of_messages, purge_later
from frontdesk.attachments.uploads import ReceivedFile
from frontdesk.auth.dependencies import ROLE_ADMINISTRATOR, AccountContext
from frontdesk.avatars import service as avatars
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, ValidationFailed
from frontdesk.events.dispatcher import Event
from frontdesk.inboxes.presenters import REPLY_TIMES, SENDER_NAME_TYPES, WIDGET_FEATURE_FLAGS
from frontdesk.inboxes.repository import CHANNEL_API, CHANNEL_WEB_WIDGET, get_inbox
from frontdesk.inboxes.schemas import ChannelParams, InboxCreate, InboxFields, InboxUpdate, WorkingHour
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import secure_token
from frontdesk.message_templates import hours
from frontdesk.models import (
    account_users,
    channel_api,
    channel_web_widgets,
    contact_inboxes,
    conversations,
    inbox_members,
    inboxes,
    messages,
    users,
    working_hours,
)
from frontdesk.webhooks.service import validate_webhook_url

CHANNEL_TYPES = {"api": CHANNEL_API, "web_widget": CHANNEL_WEB_WIDGET}
CHANNEL_TABLES = {CHANNEL_API: channel_api, CHANNEL_WEB_WIDGET: channel_web_widgets}
# Chatwoot accepts these too, but Frontdesk has no such channels.
UNSUPPORTED_CHANNEL_TYPES = frozenset({"email", "line", "telegram", "whatsapp", "sms"})

# Channel::WebWidget#validate_pre_chat_options: the form a website inbox starts with.
DEFAULT_PRE_CHAT_FORM_OPTIONS: dict[str, Any] = {
    "pre_chat_message": "Share your queries or comments here.",
    "pre_chat_fields": [
        {
            "field_type": "standard",
            "label": "Email Id",
            "name": "emailAddress",
            "type": "email",
            "required": True,
            "enabled": False,
        },
        {
            "field_type": "standard",
            "label": "Full name",
            "name": "fullName",
            "type": "text",
            "required": False,
            "enabled": False,
        },
        {
            "field_type": "standard",
            "label": "Phone number",
            "name": "phoneNumber",
            "type": "text",
            "required": False,
            "enabled": False,
        },
    ],
}

# Inbox columns that cannot hold NULL: an explicit null leaves them as they are.
_NOT_NULL_INBOX_FIELDS = frozenset(
    {
        "greeting_enabled",
        "enable_email_collect",
        "csat_survey_enabled",
        "csat_config",
        "enable_auto_assignment",
        "auto_assignment_config",
        "working_hours_enabled",
        "timezone",
        "allow_messages_after_resolved",
        "lock_to_single_conversation",
        "sender_name_type",
    }
)
_NOT_NULL_CHANNEL_FIELDS = frozenset(
    {
        "hmac_mandatory",
        "additional_attributes",
        "widget_color",
        "reply_time",
        "pre_chat_form_enabled",
        "pre_chat_form_options",
        "continuity_via_email",
        "allowed_domains",
        "feature_flags",
    }
)
_API_EDITABLE = ("webhook_url", "hmac_mandatory", "additional_attributes")
_WIDGET_EDITABLE = (
    "website_url",
    "widget_color",
    "welcome_title",
    "welcome_tagline",
    "reply_time",
    "pre_chat_form_enabled",
    "continuity_via_email",
    "hmac_mandatory",
    "allowed_domains",
    "pre_chat_form_options",
    "selected_feature_flags",
)

DELETION_MESSAGE = "Your inbox deletion request will be processed in some time."


@dataclass(frozen=True)
class InboxWithChannel:
    inbox: Any
    channel: Any
    week: list[WorkingHour]


# --- reading ---------------------------------------------------------------------------------------


async def _channels_of(uow: UnitOfWork, rows: Sequence[Any]) -> dict[tuple[str, int], Any]:
    """The channel rows of these inboxes: one query per channel type, not per inbox."""
    found: dict[tuple[str, int], Any] = {}
    for channel_type, table in CHANNEL_TABLES.items():
        ids = [row.channel_id for row in rows if row.channel_type == channel_type]
        if not ids:
            continue
        for channel in await uow.conn.execute(select(table).where(table.c.id.in_(ids))):
            found[(channel_type, channel.id)] = channel
    return found


async def _with_channels(uow: UnitOfWork, rows: Sequence[Any]) -> list[InboxWithChannel]:
    """With their channels and weeks: one query per channel type and one for the weeks, not per inbox."""
    channels = await _channels_of(uow, rows)
    weeks = await hours.load_weeks(uow.conn, [row.id for row in rows])
    return [InboxWithChannel(row, channels.get((row.channel_type, row.channel_id)), weeks[row.id]) for row in rows]


async def list_inboxes(uow: UnitOfWork, account: AccountContext) -> list[InboxWithChannel]:
    """The inboxes the user may see, by name: all for administrators, their member inboxes for agents."""
    statement = select(inboxes).where(inboxes.c.account_id == account.account_id)
    if not account.is_administrator:
        statement = statement.where(
            inboxes.c.id.in_(select(inbox_members.c.inbox_id).where(inbox_members.c.user_id == account.user.id))
        )
    rows = (await uow.conn.execute(statement.order_by(func.lower(inboxes.c.name), inboxes.c.id))).all()
    return await _with_channels(uow, rows)


async def access_inbox(uow: UnitOfWork, account: AccountContext, inbox_id: int) -> Any:
    """The inbox row when the user may see it; 404 for other accounts' inboxes and, for agents,
    inboxes they are not members of."""
    row = await get_inbox(uow, account.account_id, inbox_id)
    if not account.is_administrator:
        member = await uow.conn.scalar(
            select(inbox_members.c.id).where(
                inbox_members.c.inbox_id == inbox_id, inbox_members.c.user_id == account.user.id
            )
        )
        if member is None:
            raise NotFound()
    return row


async def get_inbox_with_channel(uow: UnitOfWork, account: AccountContext, inbox_id: int) -> InboxWithChannel:
    return (await _with_channels(uow, [await access_inbox(uow, account, inbox_id)]))[0]


# --- validation ------------------------------------------------------------------------------------


def _set_fields(struct: msgspec.Struct, names: Sequence[str]) -> dict[str, Any]:
    """The fields the client sent (``UNSET`` ones left out)."""
    return {name: getattr(struct, name) for name in names if getattr(struct, name) is not msgspec.UNSET}


def _enum_value(value: str | int, names: dict[int, str], field: str) -> int:
    if isinstance(value, int) and value in names:
        return value
    for number, name in names.items():
        if value == name or value == str(number):
            return number
    raise ValidationFailed(
        f"{field.split('.')[-1].replace('_', ' ').capitalize()} is not included in the list", [field]
    )


def _inbox_values(fields: InboxFields, *, creating: bool) -> dict[str, Any]:
    values = _set_fields(fields, InboxFields.__struct_fields__)
    for key in list(values):
        if values[key] is None and key in _NOT_NULL_INBOX_FIELDS:
            del values[key]
    if "name" in values or creating:
        name = (values.get("name") or "").strip()
        if not name:
            raise ValidationFailed("Name can't be blank", ["name"])
        values["name"] = name
    if "timezone" in values and not hours.is_known_timezone(values["timezone"]):
        raise ValidationFailed("Timezone is not included in the list", ["timezone"])
    if "sender_name_type" in values:
        values["sender_name_type"] = _enum_value(values["sender_name_type"], SENDER_NAME_TYPES, "sender_name_type")
    limit = (values.get("auto_assignment_config") or {}).get("max_assignment_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValidationFailed("Max assignment limit must be greater than 0", ["auto_assignment_config"])
    return values


def format_csat_config(config: dict[str, Any]) -> dict[str, Any]:
    """Chatwoot fills the CSAT settings it is given with its defaults when an inbox is updated."""
    rules = config.get("survey_rules") if isinstance(config.get("survey_rules"), dict) else {}
    formatted: dict[str, Any] = {
        "display_type": config.get("display_type") or "emoji",
        "message": config.get("message") or "",
        "survey_rules": {
            "operator": (rules or {}).get("operator") or "contains",
            "values": (rules or {}).get("values") or [],
        },
        "button_text": config.get("button_text") or "Please rate us",
        "language": config.get("language") or "en",
    }
    if config.get("template"):
        formatted["template"] = config["template"]
    return formatted


async def _check_webhook_target(channel_values: dict[str, Any], *, allow_private: bool) -> None:
    """An API inbox's webhook URL is refused when it points at a private or reserved address (SSRF)."""
    if channel_values.get("webhook_url"):
        channel_values["webhook_url"] = await validate_webhook_url(
            channel_values["webhook_url"], allow_private=allow_private, field="channel.webhook_url"
        )


def _channel_values(channel_type: str, params: ChannelParams, *, creating: bool) -> dict[str, Any]:
    editable = _API_EDITABLE if channel_type == CHANNEL_API else _WIDGET_EDITABLE
    values = _set_fields(params, editable)
    for key in list(values):
        if values[key] is None and key in _NOT_NULL_CHANNEL_FIELDS | {"selected_feature_flags"}:
            del values[key]
    if channel_type == CHANNEL_API:
        url = values.get("webhook_url")
        if url:
            parts = urlsplit(url.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValidationFailed("Webhook url is invalid", ["channel.webhook_url"])
            values["webhook_url"] = url.strip()
        window = (values.get("additional_attributes") or {}).get("agent_reply_time_window")
        if window not in (None, ""):
            try:
                positive = int(str(window)) > 0
            except ValueError:
                positive = False
            if not positive:
                raise ValidationFailed(
                    "Agent reply time window must be greater than 0", ["channel.additional_attributes"]
                )
        return values
    if "website_url" in values or creating:
        website_url = (values.get("website_url") or "").strip()
        if not website_url:
            raise ValidationFailed("Website url can't be blank", ["channel.website_url"])
        values["website_url"] = website_url
    if "widget_color" in values and not values["widget_color"].strip():
        raise ValidationFailed("Widget color can't be blank", ["channel.widget_color"])
    if "reply_time" in values:
        values["reply_time"] = _enum_value(values["reply_time"], REPLY_TIMES, "channel.reply_time")
    if "selected_feature_flags" in values:
        flags = values.pop("selected_feature_flags")
        unknown = [flag for flag in flags if flag not in WIDGET_FEATURE_FLAGS]
        if unknown:
            raise ValidationFailed(
                f"Selected feature flags has unknown flags: {', '.join(unknown)}", ["channel.selected_feature_flags"]
            )
        values["feature_flags"] = sum(WIDGET_FEATURE_FLAGS[flag] for flag in set(flags))
    wants_default_form = creating or "pre_chat_form_options" in values
    if wants_default_form and not (values.get("pre_chat_form_options") or {}).get("pre_chat_fields"):
        values["pre_chat_form_options"] = DEFAULT_PRE_CHAT_FORM_OPTIONS
    return values


def _channel_type_of(params: ChannelParams) -> str:
    kind = (params.type or "").strip()
    if not kind:
        raise ValidationFailed("Channel type can't be blank", ["channel.type"])
    if kind in UNSUPPORTED_CHANNEL_TYPES:
        raise ValidationFailed(f"Channel type {kind} is not supported; use api or web_widget", ["channel.type"])
    if kind not in CHANNEL_TYPES:
        raise ValidationFailed(f"Channel type {kind} is invalid; use api or web_widget", ["channel.type"])
    return CHANNEL_TYPES[kind]


# --- writing ---------------------------------------------------------------------------------------


async def create_inbox(
    uow: UnitOfWork,
    account_id: int,
    payload: InboxCreate,
    *,
    allow_private_webhooks: bool = False,
    avatar: ReceivedFile | None = None,
) -> Any:
    channel_type = _channel_type_of(payload.channel)
    values = _inbox_values(payload, creating=True)
    if payload.working_hours:
        # Refused before anything is written.
        hours.apply_changes(hours.default_week(), payload.working_hours)
    channel_values = _channel_values(channel_type, payload.channel, creating=True)
    await _check_webhook_target(channel_values, allow_private=allow_private_webhooks)
    now = utc_now()
    table = CHANNEL_TABLES[channel_type]
    channel_values.update(account_id=account_id, hmac_token=secure_token(24), created_at=now, updated_at=now)
    if channel_type == CHANNEL_API:
        channel_values.update(identifier=secure_token(24), secret=secure_token(24))
    else:
        channel_values["website_token"] = secure_token(24)
    channel_id = await uow.conn.scalar(insert(table).values(**channel_values).returning(table.c.id))
    inbox_id = await uow.conn.scalar(
        insert(inboxes)
        .values(
            **values,
            account_id=account_id,
            channel_type=channel_type,
            channel_id=channel_id,
            created_at=now,
            updated_at=now,
        )
        .returning(inboxes.c.id)
    )
    assert inbox_id is not None
    # OutOfOffisable#create_default_working_hours, with the days the body sent applied.
    week = hours.default_week()
    if payload.working_hours:
        week = hours.apply_changes(week, payload.working_hours)
    await hours.write_week(uow.conn, inbox_id, account_id, week)
    if avatar is not None:
        await avatars.set_avatar(uow, inboxes, inbox_id, account_id, avatar)
    uow.emit(Event(name="inbox.created", account_id=account_id, occurred_at=now, subject={"inbox_id": inbox_id}))
    return await get_inbox(uow, account_id, inbox_id)


_ENUM_NAMES: dict[str, dict[int, str]] = {"sender_name_type": SENDER_NAME_TYPES, "reply_time": REPLY_TIMES}


def _change(key: str, previous: Any, current: Any) -> dict[str, Any]:
    """One entry of ``changed_attributes``; enums by name, as Rails' ``previous_changes`` shows them."""
    names = _ENUM_NAMES.get(key)
    if names is not None:
        previous, current = names.get(previous, previous), names.get(current, current)
    return {key: {"previous_value": previous, "current_value": current}}


async def update_inbox(
    uow: UnitOfWork,
    account_id: int,
    inbox_id: int,
    payload: InboxUpdate,
    *,
    allow_private_webhooks: bool = False,
    avatar: ReceivedFile | None = None,
) -> Any:
    """Change the inbox's fields and its channel's editable attributes; ``inbox.updated`` lists what changed.
    ``avatar``: an uploaded file replacing the inbox's avatar (the previous one purged after commit)."""
    row = await get_inbox(uow, account_id, inbox_id)
    values = _inbox_values(payload, creating=False)
    if values.get("csat_config"):
        values["csat_config"] = format_csat_config(values["csat_config"])
    channel_values: dict[str, Any] = {}
    table = CHANNEL_TABLES.get(row.channel_type)
    channel: Any = None
    if payload.channel is not None and table is not None:
        channel_values = _channel_values(row.channel_type, payload.channel, creating=False)
        await _check_webhook_target(channel_values, allow_private=allow_private_webhooks)
        channel = (await uow.conn.execute(select(table).where(table.c.id == row.channel_id))).first()
    now = utc_now()
    changes: list[dict[str, Any]] = []
    if payload.working_hours:
        # Inbox#update_working_hours: the days named change, the others stay. Their rows are not the
        # inbox's attributes, so (as in Chatwoot) they are not among inbox.updated's changed_attributes.
        current = await hours.load_working_hours(uow.conn, inbox_id)
        week = hours.apply_changes(current, payload.working_hours)
        if week != current:
            await hours.write_week(uow.conn, inbox_id, account_id, week)
    changed_inbox = {key: value for key, value in values.items() if getattr(row, key) != value}
    for key, value in changed_inbox.items():
        changes.append(_change(key, getattr(row, key), value))
    if changed_inbox:
        await uow.conn.execute(update(inboxes).where(inboxes.c.id == inbox_id).values(**changed_inbox, updated_at=now))
    if channel is not None and table is not None:
        changed_channel = {key: value for key, value in channel_values.items() if getattr(channel, key) != value}
        for key, value in changed_channel.items():
            changes.append(_change(key, getattr(channel, key), value))
        if changed_channel:
            await uow.conn.execute(
                update(table).where(table.c.id == channel.id).values(**changed_channel, updated_at=now)
            )
    if changes:
        uow.emit(
            Event(
                name="inbox.updated",
                account_id=account_id,
                occurred_at=now,
                subject={"inbox_id": inbox_id},
                data={"changed_attributes": changes},
            )
        )
    if avatar is not None:
        await avatars.set_avatar(uow, inboxes, inbox_id, account_id, avatar)
    return await get_inbox(uow, account_id, inbox_id)


async def remove_inbox_avatar(uow: UnitOfWork, account_id: int, inbox_id: int) -> None:
    """Chatwoot's ``DELETE …/inboxes/{id}/avatar``; the stored bytes are purged after commit."""
    await get_inbox(uow, account_id, inbox_id)
    await avatars.remove_avatar(uow, inboxes, inbox_id, account_id)


async def delete_inbox(uow: UnitOfWork, account_id: int, inbox_id: int) -> None:
    """Delete the inbox with everything that lives in it (contacts stay: they belong to the account)."""
    row = await get_inbox(uow, account_id, inbox_id)
    await purge_files_of_messages(uow, account_id, messages.c.inbox_id == inbox_id)
    if row.avatar_blob_id is not None:
        await purge_later(uow, account_id, [row.avatar_blob_id])
    await uow.conn.execute(delete(messages).where(messages.c.inbox_id == inbox_id))
    await uow.conn.execute(delete(conversations).where(conversations.c.inbox_id == inbox_id))
    await uow.conn.execute(delete(contact_inboxes).where(contact_inboxes.c.inbox_id == inbox_id))
    await uow.conn.execute(delete(inbox_members).where(inbox_members.c.inbox_id == inbox_id))
    await uow.conn.execute(delete(working_hours).where(working_hours.c.inbox_id == inbox_id))
    await uow.conn.execute(delete(inboxes).where(inboxes.c.id == inbox_id))
    table = CHANNEL_TABLES.get(row.channel_type)
    if table is not None:
        await uow.conn.execute(delete(table).where(table.c.id == row.channel_id))


# --- members ---------------------------------------------------------------------------------------


async def member_user_ids(uow: UnitOfWork, inbox_id: int) -> list[int]:
    result = await uow.conn.execute(select(inbox_members.c.user_id).where(inbox_members.c.inbox_id == inbox_id))
    return [row.user_id for row in result]


async def list_members(uow: UnitOfWork, account_id: int, inbox_id: int) -> list[Any]:
    """The inbox's members who are agents of the account, as agent rows."""
    statement = (
        agents_query()
        .where(
            account_users.c.account_id == account_id,
            users.c.id.in_(select(inbox_members.c.user_id).where(inbox_members.c.inbox_id == inbox_id)),
        )
        .order_by(users.c.id)
    )
    return list((await uow.conn.execute(statement)).all())


async def _require_agents(uow: UnitOfWork, account_id: int, user_ids: Sequence[int]) -> list[int]:
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return []
    found = {row.id for row in await list_agents(uow, account_id, wanted)}
    missing = [user_id for user_id in wanted if user_id not in found]
    if missing:
        raise ValidationFailed(
            f"User ids {', '.join(str(user_id) for user_id in missing)} are not agents of this account", ["user_ids"]
        )
    return wanted


async def _insert_members(uow: UnitOfWork, inbox_id: int, user_ids: Sequence[int]) -> None:
    if not user_ids:
        return
    now = utc_now()
    await uow.conn.execute(
        insert(inbox_members),
        [{"inbox_id": inbox_id, "user_id": user_id, "created_at": now, "updated_at": now} for user_id in user_ids],
    )


async def _lock_inbox(uow: UnitOfWork, inbox_id: int) -> None:
    """Serialise membership changes of one inbox on PostgreSQL (SQLite has a single writer)."""
    if not uow.is_sqlite:
        await uow.conn.execute(select(inboxes.c.id).where(inboxes.c.id == inbox_id).with_for_update())


async def add_members(uow: UnitOfWork, account_id: int, inbox_id: int, user_ids: Sequence[int]) -> list[Any]:
    await get_inbox(uow, account_id, inbox_id)
    wanted = await _require_agents(uow, account_id, user_ids)
    await _lock_inbox(uow, inbox_id)
    current = set(await member_user_ids(uow, inbox_id))
    await _insert_members(uow, inbox_id, [user_id for user_id in wanted if user_id not in current])
    return await list_members(uow, account_id, inbox_id)


async def replace_members(uow: UnitOfWork, account_id: int, inbox_id: int, user_ids: Sequence[int]) -> list[Any]:
    await get_inbox(uow, account_id, inbox_id)
    wanted = await _require_agents(uow, account_id, user_ids)
    await _lock_inbox(uow, inbox_id)
    current = set(await member_user_ids(uow, inbox_id))
    removed = [user_id for user_id in current if user_id not in wanted]
    if removed:
        await uow.conn.execute(
            delete(inbox_members).where(inbox_members.c.inbox_id == inbox_id, inbox_members.c.user_id.in_(removed))
        )
    await _insert_members(uow, inbox_id, [user_id for user_id in wanted if user_id not in current])
    return await list_members(uow, account_id, inbox_id)


async def remove_members(uow: UnitOfWork, account_id: int, inbox_id: int, user_ids: Sequence[int]) -> None:
    await get_inbox(uow, account_id, inbox_id)
    await _require_agents(uow, account_id, user_ids)
    if user_ids:
        await uow.conn.execute(
            delete(inbox_members).where(
                inbox_members.c.inbox_id == inbox_id, inbox_members.c.user_id.in_(list(user_ids))
            )
        )


async def assignable_agents(uow: UnitOfWork, account_id: int, inbox_id: int) -> list[Any]:
    """Chatwoot's ``Inbox#assignable_agents``: the inbox's members, then the account's administrators."""
    members = await list_members(uow, account_id, inbox_id)
    seen = {row.id for row in members}
    administrators = (
        await uow.conn.execute(
            agents_query()
            .where(account_users.c.account_id == account_id, account_users.c.role == ROLE_ADMINISTRATOR)
            .order_by(users.c.id)
        )
    ).all()
    return members + [row for row in administrators if row.id not in seen]
