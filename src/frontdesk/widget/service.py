"""The Widget API's rules: a visitor of a website inbox (its contact inbox, named by the widget token)
reads and writes only its own contact, conversations and messages. Contacts, conversations and
messages are written by the same services as the Application and Client APIs, so they raise the same
events. Services never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from frontdesk.contacts import service as contacts_service
from frontdesk.contacts.contact_inboxes import build_contact_inbox
from frontdesk.conversations import service as conversations_service
from frontdesk.conversations.presenters import label_list
from frontdesk.conversations.schemas import ConversationCreate
from frontdesk.db import UnitOfWork
from frontdesk.errors import Forbidden, FrontdeskError, NotFound, ValidationFailed
from frontdesk.events.dispatcher import Event
from frontdesk.inboxes.schemas import WorkingHour
from frontdesk.kit.time import utc_now
from frontdesk.message_templates import hours
from frontdesk.messages import repository as messages_repository
from frontdesk.messages import service as messages_service
from frontdesk.messages.enums import CONTENT_TYPES, SENDER_CONTACT
from frontdesk.messages.schemas import MessageCreate
from frontdesk.messages.service import has_null_byte
from frontdesk.models import contact_inboxes, conversations, messages
from frontdesk.public import repository as public_repository
from frontdesk.public import service as public_service
from frontdesk.public.schemas import PublicMessageUpdate
from frontdesk.public.service import (
    MAX_NAME_LENGTH,
    acting_as_contact,
    check_identity,
    contact_actor,
    mark_verified,
    random_name,
)
from frontdesk.widget import repository
from frontdesk.widget.auth import WidgetSession, find_visitor
from frontdesk.widget.browser import browser_details, browser_language
from frontdesk.widget.schemas import (
    WidgetContactUpdate,
    WidgetConversationCreate,
    WidgetMessageCreate,
    WidgetMessageFields,
    WidgetMessageUpdate,
    WidgetPreChatContact,
)
from frontdesk.widget.tokens import WidgetTokens

# Bits of channel_web_widgets.feature_flags (inboxes.presenters.WIDGET_FEATURE_FLAGS).
END_CONVERSATION = 4
ALLOW_MOBILE_WEBVIEW = 16
# A contact update drops at most this many rounds of invalid fields before giving up.
_DISCARD_ROUNDS = 3


async def working_hours(uow: UnitOfWork, inbox: Any) -> list[WorkingHour]:
    """The inbox's stored week (Chatwoot's default week where none was stored)."""
    return await hours.load_working_hours(uow.conn, inbox.id)


def utc_offset(timezone: str | None, now: datetime | None = None) -> str:
    """``ActiveSupport::TimeZone[tz].now.formatted_offset``: ``"+05:30"``."""
    return hours.utc_offset(timezone, now)


def has_feature(inbox: Any, bit: int) -> bool:
    return bool(inbox.feature_flags & bit)


async def create_visitor(uow: UnitOfWork, inbox: Any) -> tuple[Any, Any]:
    """Chatwoot's ``Channel::WebWidget#create_contact_inbox``: an anonymous contact (a random name) and
    its session on the inbox. Returns (contact inbox, contact)."""
    created = await contacts_service.create_contact(uow, inbox.account_id, {"name": random_name()})
    contact_inbox = await build_contact_inbox(uow, created.contact.id, inbox)
    return contact_inbox, created.contact


async def visitor_of(
    uow: UnitOfWork, tokens: WidgetTokens, inbox: Any, token: str | None, *, fresh_token: bool
) -> tuple[Any, Any, str]:
    """The visitor a widget token names in this inbox, else a new one. Returns (contact inbox, contact,
    token): a new visitor always gets a new token; a known one keeps its token unless ``fresh_token``
    (the config endpoint always mints one)."""
    found = await find_visitor(uow, tokens, inbox, token)
    if found is None:
        contact_inbox, contact = await create_visitor(uow, inbox)
        return contact_inbox, contact, tokens.mint(contact_inbox.source_id, inbox.id)
    contact_inbox, contact, _ = found
    if fresh_token or not token:
        token = tokens.mint(contact_inbox.source_id, inbox.id)
    return contact_inbox, contact, token


async def _update_discarding_invalid(uow: UnitOfWork, account_id: int, contact: Any, fields: dict[str, Any]) -> Any:
    """ContactIdentifyAction's ``discard_invalid_attrs``: a field that does not validate (an email
    that is malformed or another contact's, say) is left out, the rest is saved."""
    for _ in range(_DISCARD_ROUNDS):
        if not fields:
            return contact
        try:
            return await contacts_service.update_contact(uow, account_id, contact.id, dict(fields))
        except ValidationFailed as error:
            dropped = [name for name in error.attributes if name in fields]
            if not dropped:
                raise
            for name in dropped:
                del fields[name]
    return contact


async def _adopt_session(uow: UnitOfWork, contact_inbox: Any, contact: Any, owner: Any) -> Any:
    """A verified identity of an existing contact: the visitor's session, its conversations and its
    messages move to that contact (Chatwoot merges the anonymous contact into the identified one; the
    anonymous contact is left behind, without this session)."""
    now = utc_now()
    moved = (
        await uow.conn.execute(
            update(contact_inboxes)
            .where(contact_inboxes.c.id == contact_inbox.id)
            .values(contact_id=owner.id, updated_at=now)
            .returning(*contact_inboxes.c)
        )
    ).one()
    conversation_ids = (
        (
            await uow.conn.execute(
                update(conversations)
                .where(conversations.c.contact_inbox_id == contact_inbox.id)
                .values(contact_id=owner.id, updated_at=now)
                .returning(conversations.c.id)
            )
        )
        .scalars()
        .all()
    )
    if conversation_ids:
        await uow.conn.execute(
            update(messages)
            .where(
                messages.c.conversation_id.in_(list(conversation_ids)),
                messages.c.sender_type == SENDER_CONTACT,
                messages.c.sender_id == contact.id,
            )
            .values(sender_id=owner.id)
        )
    return moved


async def identify(
    uow: UnitOfWork, inbox: Any, contact_inbox: Any, contact: Any, payload: WidgetContactUpdate, *, verified: bool
) -> tuple[Any, Any]:
    """Chatwoot's ContactIdentifyAction for the widget (``discard_invalid_attrs``). Blank values change
    nothing; ``custom_attributes`` and ``additional_attributes`` merge. An ``identifier`` is set on a
    contact without one; when another contact of the account has it, a verified identity (a right
    ``identifier_hash``) moves the session to that contact, and an unverified one is left out — so a
    visitor cannot take over someone else's contact by naming its identifier. Returns (contact inbox, contact)."""
    fields: dict[str, Any] = {}
    identifier = str(payload.identifier).strip() if payload.identifier is not None else ""
    if identifier and contact.identifier is None:
        owner = await public_repository.find_contact_by(uow, inbox.account_id, "identifier", identifier)
        if owner is None:
            fields["identifier"] = identifier
        elif owner.id != contact.id and verified:
            contact_inbox = await _adopt_session(uow, contact_inbox, contact, owner)
            contact = owner
    for field in ("name", "email", "phone_number", "avatar_url"):
        value = getattr(payload, field)
        if value is None or not value.strip():
            continue
        fields[field] = value[:MAX_NAME_LENGTH] if field == "name" else value
    if payload.custom_attributes:
        fields["custom_attributes"] = payload.custom_attributes
    if payload.additional_attributes:
        fields["additional_attributes"] = payload.additional_attributes
    return contact_inbox, await _update_discarding_invalid(uow, inbox.account_id, contact, fields)


def should_verify(inbox: Any, payload: WidgetContactUpdate) -> bool:
    """Chatwoot's ``should_verify_hmac?``: a hash given or identity validation mandatory — except a call
    that only sets custom attributes without an identifier."""
    if not payload.identifier_hash and not inbox.hmac_mandatory:
        return False
    return not (payload.custom_attributes and payload.identifier in (None, ""))


async def set_user(
    uow: UnitOfWork, tokens: WidgetTokens, session: WidgetSession, payload: WidgetContactUpdate
) -> tuple[Any, Any, str | None]:
    """``PATCH /contact/set_user`` (the SDK's ``$chatwoot.setUser``): the identity check (401 on a wrong
    hash), a new contact and session when the visitor already is someone else (a new widget token then),
    the session marked verified when the hash was checked. Returns (contact inbox, contact, new token)."""
    inbox = session.inbox
    verify = should_verify(inbox, payload)
    identifier = str(payload.identifier) if payload.identifier is not None else None
    if verify:
        check_identity(_HmacSettings(inbox.hmac_token, True), identifier, payload.identifier_hash)
    contact_inbox, contact = session.contact_inbox, session.contact
    new_token: str | None = None
    if contact.identifier and contact.identifier != identifier:
        contact_inbox, contact = await create_visitor(uow, inbox)
        new_token = tokens.mint(contact_inbox.source_id, inbox.id)
    contact_inbox, contact = await identify(uow, inbox, contact_inbox, contact, payload, verified=verify)
    if verify:
        contact_inbox = await mark_verified(uow, contact_inbox)
    return contact_inbox, contact, new_token


class _HmacSettings:
    """What ``public.service.check_identity`` reads of an inbox; here the check is always enforced."""

    __slots__ = ("hmac_mandatory", "hmac_token")

    def __init__(self, hmac_token: str, hmac_mandatory: bool) -> None:
        self.hmac_token = hmac_token
        self.hmac_mandatory = hmac_mandatory


def attribute_keys(value: list[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


async def remove_contact_attributes(uow: UnitOfWork, session: WidgetSession, keys: list[str]) -> Any:
    return await contacts_service.remove_custom_attributes(uow, session.account_id, session.contact.id, keys)


# --- conversations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """What the widget's request says about the visit: ``browser_language``, ``browser`` and the locale."""

    browser_language: str | None
    browser: dict[str, str]
    locale: str | None = None

    @classmethod
    def of(cls, user_agent: str | None, accept_language: str | None, locale: str | None = None) -> Visit:
        return cls(browser_language(accept_language), browser_details(user_agent), locale)


def _conversation_attributes(visit: Visit, message: WidgetMessageFields | None) -> dict[str, Any]:
    """Chatwoot's widget ``conversation_params`` additional attributes."""
    timestamp = message.timestamp if message is not None else None
    return {
        "browser_language": visit.browser_language,
        "browser": visit.browser,
        "initiated_at": {"timestamp": str(timestamp) if timestamp is not None else None},
        "referer": message.referer_url if message is not None else None,
    }


async def _prechat_contact(uow: UnitOfWork, session: WidgetSession, contact: WidgetPreChatContact | None) -> Any:
    """The pre-chat form's contact fields: email lower-cased; the name only for a contact not yet known by
    an email, phone number or identifier (then defaulting to the email's local part)."""
    current = session.contact
    if contact is None:
        return current
    email = (contact.email or "").strip().lower() or None
    fields: dict[str, Any] = {}
    if email:
        fields["email"] = email
    if contact.phone_number and contact.phone_number.strip():
        fields["phone_number"] = contact.phone_number.strip()
    if not (current.email or current.phone_number or current.identifier):
        name = (contact.name or "").strip() or (email.split("@")[0] if email else "")
        if name:
            fields["name"] = name[:MAX_NAME_LENGTH]
    return await _update_discarding_invalid(uow, session.account_id, current, fields)


async def _new_conversation(
    uow: UnitOfWork,
    session: WidgetSession,
    contact: Any,
    visit: Visit,
    message: WidgetMessageFields | None,
    custom_attributes: dict[str, Any] | None,
    *,
    flood_limit: int,
) -> Any:
    params = ConversationCreate(
        source_id=session.contact_inbox.source_id,
        inbox_id=session.inbox.id,
        contact_id=contact.id,
        additional_attributes=_conversation_attributes(visit, message),
        custom_attributes=custom_attributes or {},
    )
    with acting_as_contact(uow):
        return await conversations_service.create_conversation(
            uow, contact_actor(session.account_id, contact), params, flood_limit=flood_limit
        )


async def _write_message(
    uow: UnitOfWork, session: WidgetSession, conversation: Any, fields: WidgetMessageFields | None, *, flood_limit: int
) -> messages_service.CreatedMessage:
    """An incoming message of the visitor into its conversation, through the messages service."""
    fields = fields or WidgetMessageFields()
    attributes: dict[str, Any] = {}
    if fields.reply_to not in (None, ""):
        attributes["in_reply_to"] = fields.reply_to
    target = await messages_repository.conversation_for_session(
        uow,
        session.inbox.id,
        session.contact_inbox.source_id,
        conversation.display_id,
        utc_now() - messages_service.FLOOD_WINDOW,
    )
    params = MessageCreate(
        content=fields.content,
        message_type="incoming",
        echo_id=fields.echo_id,
        content_attributes=attributes or None,
    )
    with acting_as_contact(uow):
        return await messages_service.create_message(
            uow,
            contact_actor(session.account_id, target.contact),
            target,
            params,
            flood_limit=flood_limit,
            by_visitor=True,
        )


async def create_conversation(
    uow: UnitOfWork, session: WidgetSession, payload: WidgetConversationCreate, visit: Visit, *, flood_limit: int
) -> tuple[Any, Any]:
    """``POST /conversations`` (the pre-chat form): the contact's fields, a new conversation with the
    visit's attributes, and its first message. Returns (conversation, contact)."""
    contact = await _prechat_contact(uow, session, payload.contact)
    conversation = await _new_conversation(
        uow, session, contact, visit, payload.message, payload.custom_attributes, flood_limit=flood_limit
    )
    created = await _write_message(uow, session, conversation, payload.message, flood_limit=flood_limit)
    return await repository.get_conversation_by_id(uow, conversation.id), created.senders.contacts.get(
        contact.id, contact
    )


async def latest_conversation(uow: UnitOfWork, session: WidgetSession) -> Any | None:
    return await repository.last_conversation(uow, session.contact_inbox)


async def require_conversation(uow: UnitOfWork, session: WidgetSession) -> Any:
    """The visitor's latest conversation; 404 when it has none (Chatwoot's ``render_not_found_if_empty``)."""
    conversation = await latest_conversation(uow, session)
    if conversation is None:
        raise NotFound()
    return conversation


def toggle_typing(uow: UnitOfWork, session: WidgetSession, conversation: Any, typing_status: str | None) -> None:
    public_service.toggle_typing(uow, session.contact, conversation, typing_status)


async def end_conversation(uow: UnitOfWork, session: WidgetSession, conversation: Any) -> None:
    """``GET /conversations/toggle_status``: the visitor ends the conversation, when the inbox lets it."""
    if not has_feature(session.inbox, END_CONVERSATION):
        raise Forbidden("Ending conversations is not enabled for this inbox")
    await public_service.resolve_conversation(uow, session.contact, conversation)


async def update_last_seen(uow: UnitOfWork, conversation: Any | None) -> None:
    if conversation is not None:
        await public_service.update_last_seen(uow, conversation)


def send_transcript(conversation: Any | None) -> None:
    """Chatwoot answers 429 without a conversation, and 402 when the account may not e-mail transcripts:
    Frontdesk sends no e-mail at all yet, so every transcript request is the latter."""
    if conversation is None:
        raise FrontdeskError({"error": "There is no conversation to send"}, 429)
    raise FrontdeskError({"error": "Email transcripts are not available on this installation"}, 402)


async def replace_conversation_attributes(
    uow: UnitOfWork, session: WidgetSession, conversation: Any, attributes: dict[str, Any] | None
) -> Any:
    with acting_as_contact(uow):
        return await conversations_service.set_custom_attributes(
            uow, contact_actor(session.account_id, session.contact), conversation, attributes or {}
        )


async def remove_conversation_attributes(
    uow: UnitOfWork, session: WidgetSession, conversation: Any, keys: list[str]
) -> Any:
    remaining = {key: value for key, value in (conversation.custom_attributes or {}).items() if key not in keys}
    if remaining != (conversation.custom_attributes or {}):
        await replace_conversation_attributes(uow, session, conversation, remaining)
    return await repository.get_conversation_by_id(uow, conversation.id)


# --- messages ------------------------------------------------------------------------------------------


def cursor(value: str | None, field: str) -> int | None:
    """A ``before``/``after`` message id; anything else is a 422 naming the parameter."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise ValidationFailed(f"{field} must be a message id", [field])
    return int(text)


async def list_messages(
    uow: UnitOfWork, session: WidgetSession, *, before: int | None, after: int | None
) -> tuple[Any | None, list[Any], Any]:
    """Chatwoot's MessageFinder on the latest conversation, private notes and activity hidden."""
    conversation = await latest_conversation(uow, session)
    if conversation is None:
        return None, [], None
    rows, senders = await messages_service.list_messages(uow, conversation, before=before, after=after, internal=False)
    return conversation, rows, senders


async def create_message(
    uow: UnitOfWork, session: WidgetSession, payload: WidgetMessageCreate, visit: Visit, *, flood_limit: int
) -> messages_service.CreatedMessage:
    """``POST /messages``: into the latest conversation, or a new one (with the payload's custom
    attributes and those of its labels the account has)."""
    conversation = await latest_conversation(uow, session)
    if conversation is None:
        conversation = await _new_conversation(
            uow,
            session,
            session.contact,
            visit,
            payload.message,
            payload.custom_attributes,
            flood_limit=flood_limit,
        )
        titles = await repository.existing_label_titles(
            uow, session.account_id, conversations_service.normalize_labels(payload.labels)
        )
        if titles:
            with acting_as_contact(uow):
                await conversations_service.set_labels(
                    uow, contact_actor(session.account_id, session.contact), conversation, titles
                )
    return await _write_message(uow, session, conversation, payload.message, flood_limit=flood_limit)


async def update_message(uow: UnitOfWork, session: WidgetSession, message_id: int, payload: WidgetMessageUpdate) -> Any:
    """``PATCH /messages/{id}``: an ``input_email`` answer sets ``submitted_email`` and the contact's email;
    any other message takes ``submitted_values`` (form, cards, CSAT answers). Returns the contact."""
    message = await repository.get_visible_message(uow, session.contact_inbox, message_id)
    conversation = await repository.get_conversation_by_id(uow, message.conversation_id)
    contact = session.contact
    if message.content_type == CONTENT_TYPES["input_email"]:
        email = ((payload.contact.email if payload.contact else None) or "").strip().lower()
        if not email:
            raise ValidationFailed("contact.email is required", ["contact.email"])
        await _set_content_attributes(uow, conversation, message, {"submitted_email": email})
        fields: dict[str, Any] = {"email": email}
        name = payload.contact.name if payload.contact else None
        if name and name.strip() and not (contact.email or contact.phone_number or contact.identifier):
            fields["name"] = name.strip()[:MAX_NAME_LENGTH]
        return await _update_discarding_invalid(uow, session.account_id, contact, fields)
    submitted = payload.message.submitted_values if payload.message else None
    await public_service.update_message(uow, conversation, message.id, PublicMessageUpdate(submitted_values=submitted))
    return contact


async def _set_content_attributes(uow: UnitOfWork, conversation: Any, message: Any, values: dict[str, Any]) -> None:
    previous = message.content_attributes or {}
    attributes = {**previous, **values}
    if attributes == previous:
        return
    now = utc_now()
    await uow.conn.execute(
        update(messages).where(messages.c.id == message.id).values(content_attributes=attributes, updated_at=now)
    )
    uow.emit(
        Event(
            "message.updated",
            conversation.account_id,
            now,
            {"message_id": message.id, "conversation_id": conversation.id, "inbox_id": conversation.inbox_id},
            {"changed_attributes": [{"content_attributes": {"previous_value": previous, "current_value": attributes}}]},
        )
    )


# --- events and labels ---------------------------------------------------------------------------------

WEBWIDGET_TRIGGERED = "webwidget.triggered"


def trigger_event(
    uow: UnitOfWork, session: WidgetSession, name: str | None, event_info: dict[str, Any] | None, visit: Visit
) -> None:
    """``POST /events``: ``webwidget.triggered`` (the visitor opened the widget) reaches the webhooks
    subscribed to ``webwidget_triggered``, with the visit merged into ``event_info``. Other events (the
    widget's ``campaign.triggered``) have no listener in Frontdesk and change nothing."""
    if not name or not name.strip():
        raise ValidationFailed("name is required", ["name"])
    if has_null_byte(event_info or {}):
        raise ValidationFailed("event_info contains a null byte", ["event_info"])
    if name.strip() != WEBWIDGET_TRIGGERED:
        return
    info = {
        **(event_info or {}),
        "widget_language": visit.locale,
        "browser_language": visit.browser_language,
        "browser": visit.browser,
    }
    uow.emit(
        Event(
            WEBWIDGET_TRIGGERED,
            session.account_id,
            utc_now(),
            {"contact_inbox_id": session.contact_inbox.id, "contact_id": session.contact.id},
            {"event_info": info},
        )
    )


async def add_label(uow: UnitOfWork, session: WidgetSession, title: str | None) -> None:
    """``POST /labels``: the label joins the latest conversation if the account has it; else nothing."""
    await _change_labels(uow, session, title, add=True)


async def remove_label(uow: UnitOfWork, session: WidgetSession, title: str) -> None:
    await _change_labels(uow, session, title, add=False)


async def _change_labels(uow: UnitOfWork, session: WidgetSession, title: str | None, *, add: bool) -> None:
    title = (title or "").strip()
    conversation = await latest_conversation(uow, session)
    if not title or conversation is None:
        return
    current = label_list(conversation.cached_label_list)
    if add:
        if title in current or not await repository.existing_label_titles(uow, session.account_id, [title]):
            return
        wanted = [*current, title]
    else:
        if title not in current:
            return
        wanted = [existing for existing in current if existing != title]
    with acting_as_contact(uow):
        await conversations_service.set_labels(
            uow, contact_actor(session.account_id, session.contact), conversation, wanted
        )


async def inbox_agents(uow: UnitOfWork, session: WidgetSession) -> list[Any]:
    return await repository.inbox_agents(uow, session.inbox)
