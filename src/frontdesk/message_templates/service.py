"""The template messages and when they are sent (Chatwoot's ``MessageTemplates::HookExecutionService``,
``MessageTemplates::Template::*`` and ``CsatSurveyService``).

After an incoming message, in this order (each rule sees what the previous one wrote):

* **out of office** — the inbox is out of office when the message arrived (``hours.is_out_of_office``), no
  public outgoing message in the 5 minutes before it, no template message in the conversation that (UTC)
  day, and a non-blank ``out_of_office_message``;
* **greeting** — ``greeting_enabled`` with a non-blank ``greeting_message``, and the conversation has no
  outgoing and no template message yet (so an out-of-office reply just sent stands in for it);
* **email collect** — a website inbox with ``enable_email_collect``, a contact without an email, and no
  ``input_email`` message in the conversation yet: a text asking for a way to reach the visitor, then an
  ``input_email`` message the widget answers through the Client API's message update.

On resolution, **the CSAT survey**: an ``input_csat`` message when the inbox has ``csat_survey_enabled``,
the conversation is still resolved, has no ``input_csat`` message yet and its labels pass
``csat_config.survey_rules`` (``contains`` / ``does_not_contain`` any of ``values``); outside an API
inbox's ``agent_reply_time_window`` an activity message records that it was not sent instead.

Every rule reads the conversation's messages again, so running twice (a job retried after a crash)
writes nothing the first run wrote. Messages are written by ``messages.service.create_message``, so their
webhooks and realtime frames go out as for any message; they have no sender (Frontdesk writes them).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select

from frontdesk.auth.dependencies import ROLE_ADMINISTRATOR, AccountContext, CurrentUser
from frontdesk.conversations import repository as conversation_repository
from frontdesk.conversations.presenters import STATUSES, reply_window_hours
from frontdesk.db import UnitOfWork
from frontdesk.errors import FrontdeskError
from frontdesk.inboxes.repository import CHANNEL_WEB_WIDGET
from frontdesk.kit.time import utc_now
from frontdesk.message_templates import hours
from frontdesk.messages import service as messages_service
from frontdesk.messages.enums import ACTIVITY, CONTENT_TYPES, INCOMING, OUTGOING, TEMPLATE
from frontdesk.messages.repository import MessageTarget
from frontdesk.messages.schemas import MessageCreate
from frontdesk.models import contacts, conversations, inboxes, messages

logger = logging.getLogger(__name__)

RESOLVED = STATUSES["resolved"]
INPUT_EMAIL = CONTENT_TYPES["input_email"]
INPUT_CSAT = CONTENT_TYPES["input_csat"]
# An agent who wrote in the last 5 minutes is in the middle of a conversation: no out-of-office reply.
ACTIVE_AGENT_WINDOW = timedelta(minutes=5)

# Frontdesk's own wording (Chatwoot's are i18n strings of its own).
WAYS_TO_REACH_YOU = "Leave your email address so the team can get back to you."
EMAIL_INPUT = "Get replies by email"
CSAT_DEFAULT_MESSAGE = "Please rate this conversation"
CSAT_NOT_SENT = "CSAT survey not sent: the conversation is outside the channel's reply window"

# The services take an acting user; template messages have none (``create_message(automated=True)``).
_NOBODY = CurrentUser(id=0, name="Frontdesk", email="", row=None)


def _present(text: str | None) -> bool:
    return bool(text and text.strip())


def may_send_after_incoming(inbox: Any, contact_email: str | None = None) -> bool:
    """Whether any template could follow an incoming message in this inbox (read from the inbox row and,
    for the email collect, the sender's email, so the message create pays nothing where none can)."""
    return bool(
        (inbox.greeting_enabled and _present(inbox.greeting_message))
        or (inbox.working_hours_enabled and _present(inbox.out_of_office_message))
        or (inbox.channel_type == CHANNEL_WEB_WIDGET and inbox.enable_email_collect and not _present(contact_email))
    )


async def _target(uow: UnitOfWork, conversation_id: int) -> MessageTarget | None:
    """The conversation as ``create_message`` writes into it, locked for the write (PostgreSQL)."""
    statement = conversation_repository.conversation_select().where(conversations.c.id == conversation_id)
    row = (await uow.conn.execute(statement.with_for_update(of=conversations))).first()
    return MessageTarget(row) if row is not None else None


async def _has_message(uow: UnitOfWork, conversation_id: int, *conditions: Any) -> bool:
    statement = select(exists().where(messages.c.conversation_id == conversation_id, *conditions))
    return bool(await uow.conn.scalar(statement))


async def _write(
    uow: UnitOfWork,
    target: MessageTarget,
    content: str,
    *,
    flood_limit: int,
    content_type: str = "text",
    content_attributes: dict[str, Any] | None = None,
    message_type: str = "template",
) -> Any:
    params = MessageCreate(
        content=content,
        message_type=message_type,
        content_type=content_type,
        content_attributes=content_attributes or {},
    )
    actor = AccountContext(account_id=target.conversation.account_id, user=_NOBODY, role=ROLE_ADMINISTRATOR)
    try:
        created = await messages_service.create_message(
            uow, actor, target, params, flood_limit=flood_limit, automated=True
        )
    except FrontdeskError as error:
        # The flood guard refused it (checked before anything is written): as Chatwoot's templates, which
        # rescue a failed create, the template is skipped rather than retried into a busy conversation.
        logger.info("template message skipped in conversation %s: %s", target.conversation.id, error.body)
        return None
    return created.row


async def _should_send_out_of_office(uow: UnitOfWork, inbox: Any, conversation_id: int, incoming: Any) -> bool:
    if not _present(inbox.out_of_office_message) or not inbox.working_hours_enabled:
        return False
    at: datetime = incoming.created_at
    week = await hours.load_working_hours(uow.conn, inbox.id)
    if not hours.is_out_of_office(inbox, week, at):
        return False
    if await _has_message(
        uow,
        conversation_id,
        messages.c.message_type == OUTGOING,
        messages.c.private.is_(False),
        messages.c.created_at > at - ACTIVE_AGENT_WINDOW,
    ):
        return False
    # Chatwoot's Message.today: the UTC day of the message.
    start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return not await _has_message(
        uow,
        conversation_id,
        messages.c.message_type == TEMPLATE,
        messages.c.created_at >= start,
        messages.c.created_at < start + timedelta(days=1),
    )


async def _should_send_greeting(uow: UnitOfWork, inbox: Any, conversation_id: int) -> bool:
    if not (inbox.greeting_enabled and _present(inbox.greeting_message)):
        return False
    return not await _has_message(uow, conversation_id, messages.c.message_type.in_((OUTGOING, TEMPLATE)))


async def _should_collect_email(uow: UnitOfWork, inbox: Any, conversation: Any) -> bool:
    if inbox.channel_type != CHANNEL_WEB_WIDGET or not inbox.enable_email_collect:
        return False
    email = await uow.conn.scalar(select(contacts.c.email).where(contacts.c.id == conversation.contact_id))
    if _present(email):
        return False
    return not await _has_message(uow, conversation.id, messages.c.content_type == INPUT_EMAIL)


async def send_templates_after_incoming(
    uow: UnitOfWork, conversation_id: int, message_id: int, *, flood_limit: int
) -> list[Any]:
    """The template messages an incoming message calls for (see the module docstring); the rows written."""
    target = await _target(uow, conversation_id)
    if target is None:
        return []
    conversation = target.conversation
    incoming = (
        await uow.conn.execute(
            select(messages.c.id, messages.c.created_at).where(
                messages.c.id == message_id,
                messages.c.conversation_id == conversation_id,
                messages.c.message_type == INCOMING,
            )
        )
    ).first()
    if incoming is None:
        return []
    inbox = (await uow.conn.execute(select(inboxes).where(inboxes.c.id == conversation.inbox_id))).first()
    if inbox is None or not may_send_after_incoming(inbox):
        return []
    written: list[Any] = []
    if await _should_send_out_of_office(uow, inbox, conversation_id, incoming):
        written.append(await _write(uow, target, inbox.out_of_office_message, flood_limit=flood_limit))
    if await _should_send_greeting(uow, inbox, conversation_id):
        written.append(await _write(uow, target, inbox.greeting_message, flood_limit=flood_limit))
    if await _should_collect_email(uow, inbox, conversation):
        written.append(await _write(uow, target, WAYS_TO_REACH_YOU, flood_limit=flood_limit))
        written.append(await _write(uow, target, EMAIL_INPUT, flood_limit=flood_limit, content_type="input_email"))
    return [row for row in written if row is not None]


async def _within_reply_window(uow: UnitOfWork, conversation: Any) -> bool:
    """Chatwoot's ``Conversation#can_reply?`` for the channels Frontdesk has: an API inbox with an
    ``agent_reply_time_window`` only within that many hours of the last incoming message."""
    window = reply_window_hours(conversation)
    if window is None:
        return True
    last_incoming = await uow.conn.scalar(
        select(func.max(messages.c.created_at)).where(
            messages.c.conversation_id == conversation.id, messages.c.message_type == INCOMING
        )
    )
    if last_incoming is None:
        return False
    if last_incoming.tzinfo is None:
        last_incoming = last_incoming.replace(tzinfo=UTC)
    return bool(utc_now() < last_incoming + timedelta(hours=window))


def survey_rules_allow(csat_config: dict[str, Any], labels: list[str]) -> bool:
    """``csat_config.survey_rules``: ``contains`` (default) any of ``values`` or ``does_not_contain`` them;
    no values (or another operator) allows every conversation."""
    rules = csat_config.get("survey_rules")
    if not isinstance(rules, dict):
        return True
    values = [value for value in rules.get("values") or [] if isinstance(value, str)]
    if not values:
        return True
    operator = rules.get("operator") or "contains"
    if operator == "contains":
        return any(value in labels for value in values)
    if operator == "does_not_contain":
        return not any(value in labels for value in values)
    return True


async def send_csat_survey(uow: UnitOfWork, conversation_id: int, *, flood_limit: int) -> Any | None:
    """The ``input_csat`` message of a resolved conversation, when the inbox asks for one and none was
    sent; the row written, or None."""
    target = await _target(uow, conversation_id)
    if target is None or target.conversation.status != RESOLVED:
        return None
    conversation = target.conversation
    inbox = (await uow.conn.execute(select(inboxes).where(inboxes.c.id == conversation.inbox_id))).first()
    if inbox is None or not inbox.csat_survey_enabled:
        return None
    if await _has_message(uow, conversation_id, messages.c.content_type == INPUT_CSAT):
        return None
    config: dict[str, Any] = inbox.csat_config or {}
    if not survey_rules_allow(config, await conversation_repository.label_titles(uow, conversation_id)):
        return None
    if not await _within_reply_window(uow, conversation):
        # CsatSurveyService: outside the messaging window the survey cannot go out; an activity message says so.
        if await _has_message(
            uow, conversation_id, messages.c.message_type == ACTIVITY, messages.c.content == CSAT_NOT_SENT
        ):
            return None
        return await _write(uow, target, CSAT_NOT_SENT, flood_limit=flood_limit, message_type="activity")
    message = config.get("message")
    content = message if isinstance(message, str) and message.strip() else CSAT_DEFAULT_MESSAGE
    display_type = config.get("display_type") or "emoji"
    return await _write(
        uow,
        target,
        content,
        flood_limit=flood_limit,
        content_type="input_csat",
        content_attributes={"display_type": display_type},
    )
