"""The Client API's rules: an end user (a contact, through its session ``source_id`` on an API inbox)
creates and reads only its own contact, conversations and messages. Conversations and messages are
written by the same services as the Application API, so they behave alike and raise the same events.
Services never commit."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from typing import Any

import msgspec
from sqlalchemy import select, update

from frontdesk.auth.dependencies import ROLE_ADMINISTRATOR, AccountContext, CurrentUser
from frontdesk.contacts import service as contacts_service
from frontdesk.contacts.contact_inboxes import build_contact_inbox
from frontdesk.contacts.presenters import contact_push_data
from frontdesk.conversations import service as conversations_service
from frontdesk.conversations.events import emit_conversation_event
from frontdesk.conversations.presenters import STATUSES
from frontdesk.conversations.schemas import ConversationCreate
from frontdesk.db import UnitOfWork
from frontdesk.errors import Unauthorized, Unprocessable
from frontdesk.events.dispatcher import Event
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import constant_time_equal, utf8
from frontdesk.messages import service as messages_service
from frontdesk.messages.enums import CONTENT_TYPES, INCOMING, READ, STATUS_NAMES
from frontdesk.messages.enums import STATUSES as MESSAGE_STATUSES
from frontdesk.messages.repository import MessageTarget
from frontdesk.messages.schemas import MessageCreate
from frontdesk.models import contact_inboxes, conversations, messages
from frontdesk.public import repository
from frontdesk.public.schemas import (
    PublicContactCreate,
    PublicContactUpdate,
    PublicConversationCreate,
    PublicMessageCreate,
    PublicMessageUpdate,
)

HMAC_FAILED = "HMAC failed: Invalid Identifier Hash Provided"
CSAT_LOCKED = "You cannot update the CSAT survey after 14 days"
CSAT_LOCK_DAYS = 14
MAX_NAME_LENGTH = 255
RESOLVED = STATUSES["resolved"]

# The services take an acting user; the Client API's actor is the contact. This stand-in user id marks
# the events they raise, and is removed from them again (the contact is not a user).
_CONTACT_ACTOR_ID = 0

_ADJECTIVES = [
    "autumn",
    "hidden",
    "bitter",
    "misty",
    "silent",
    "empty",
    "dry",
    "dark",
    "summer",
    "icy",
    "delicate",
    "quiet",
    "white",
    "cool",
    "spring",
    "winter",
    "patient",
    "twilight",
    "dawn",
    "crimson",
    "wispy",
    "weathered",
    "blue",
    "billowing",
    "broken",
    "cold",
    "damp",
    "falling",
    "frosty",
    "green",
    "long",
    "late",
    "lingering",
    "bold",
    "little",
    "morning",
    "muddy",
    "old",
    "red",
    "rough",
    "still",
    "small",
    "sparkling",
    "shy",
    "wandering",
    "withered",
    "wild",
    "black",
    "young",
    "holy",
    "solitary",
    "fragrant",
    "aged",
    "snowy",
    "proud",
    "floral",
    "restless",
    "divine",
    "polished",
    "ancient",
    "purple",
    "lively",
    "nameless",
]
_NOUNS = [
    "waterfall",
    "river",
    "breeze",
    "moon",
    "rain",
    "wind",
    "sea",
    "morning",
    "snow",
    "lake",
    "sunset",
    "pine",
    "shadow",
    "leaf",
    "dawn",
    "glitter",
    "forest",
    "hill",
    "cloud",
    "meadow",
    "sun",
    "glade",
    "bird",
    "brook",
    "butterfly",
    "bush",
    "dew",
    "dust",
    "field",
    "fire",
    "flower",
    "firefly",
    "feather",
    "grass",
    "haze",
    "mountain",
    "night",
    "pond",
    "darkness",
    "snowflake",
    "silence",
    "sound",
    "sky",
    "shape",
    "surf",
    "thunder",
    "violet",
    "water",
    "wildflower",
    "wave",
    "resonance",
    "dream",
    "cherry",
    "tree",
    "fog",
    "frost",
    "voice",
    "paper",
    "frog",
    "smoke",
    "star",
]


def random_name() -> str:
    """A name for a contact that gave none, like Chatwoot's ``Haikunator.haikunate(1000)``."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(1000)}"


def identifier_hash(hmac_token: str, identifier: str) -> str:
    return hmac.new(utf8(hmac_token), utf8(identifier), sha256).hexdigest()


def check_identity(inbox: Any, identifier: str | None, given_hash: str | None) -> bool:
    """Chatwoot's ``process_hmac``: with a hash given, or when the inbox makes it mandatory, the hash must
    be hex HMAC-SHA256(hmac_token, identifier), else 401. True when a hash was given and is right."""
    if not given_hash and not inbox.hmac_mandatory:
        return False
    expected = identifier_hash(inbox.hmac_token, identifier or "")
    if not given_hash or not constant_time_equal(expected, given_hash.strip().lower()):
        raise Unauthorized(HMAC_FAILED)
    return True


def contact_actor(account_id: int, contact: Any) -> AccountContext:
    """The contact as the actor the conversation and message services expect (it may see the inbox)."""
    user = CurrentUser(id=_CONTACT_ACTOR_ID, name=contact.name, email=contact.email or "", row=None)
    return AccountContext(account_id=account_id, user=user, role=ROLE_ADMINISTRATOR)


@contextmanager
def acting_as_contact(uow: UnitOfWork) -> Iterator[None]:
    """Events raised inside carry no performer: the stand-in user is not a performer to announce."""
    first = len(uow.events)
    yield
    for event in uow.events[first:]:
        if event.data.get("performer_id") == _CONTACT_ACTOR_ID:
            del event.data["performer_id"]


async def mark_verified(uow: UnitOfWork, contact_inbox: Any) -> Any:
    if contact_inbox.hmac_verified:
        return contact_inbox
    return (
        await uow.conn.execute(
            update(contact_inboxes)
            .where(contact_inboxes.c.id == contact_inbox.id)
            .values(hmac_verified=True, updated_at=utc_now())
            .returning(*contact_inboxes.c)
        )
    ).one()


def _proves(contact: Any, identifier: str | None, verified: bool) -> bool:
    """A right hash verifies a session only for the contact that has that identifier."""
    return verified and bool(identifier) and contact.identifier == identifier


async def _find_contact(uow: UnitOfWork, account_id: int, payload: PublicContactCreate) -> Any | None:
    """By identifier, then email, then phone number. A match by email or phone that has another
    identifier is not the same person and is not reused."""
    if payload.identifier:
        found = await repository.find_contact_by(uow, account_id, "identifier", payload.identifier)
        if found is not None:
            return found
    for field in ("email", "phone_number"):
        value = getattr(payload, field)
        if not value or not value.strip():
            continue
        found = await repository.find_contact_by(uow, account_id, field, value)
        if found is None:
            continue
        if payload.identifier and found.identifier and found.identifier != payload.identifier:
            continue
        return found
    return None


async def create_contact(uow: UnitOfWork, inbox: Any, payload: PublicContactCreate) -> tuple[Any, Any]:
    """Chatwoot's ContactInboxWithContactBuilder: the session with this ``source_id`` if it exists, else
    the contact found by identifier, email or phone (or a new one) with a new session. Returns
    (contact inbox, contact)."""
    verified = check_identity(inbox, payload.identifier, payload.identifier_hash)
    if payload.source_id:
        existing = await repository.find_contact_inbox(uow, inbox.id, payload.source_id)
        if existing is not None:
            contact = await repository.get_contact(uow, existing.contact_id)
            if _proves(contact, payload.identifier, verified):
                existing = await mark_verified(uow, existing)
            return existing, contact
    contact = await _find_contact(uow, inbox.account_id, payload)
    if contact is None:
        fields: dict[str, Any] = {
            "name": (payload.name or random_name())[:MAX_NAME_LENGTH],
            "email": payload.email,
            "phone_number": payload.phone_number,
            "identifier": payload.identifier,
            "avatar_url": payload.avatar_url,
            "custom_attributes": payload.custom_attributes or {},
        }
        created = await contacts_service.create_contact(uow, inbox.account_id, fields)
        contact = created.contact
    contact_inbox = await build_contact_inbox(
        uow, contact.id, inbox, payload.source_id, hmac_verified=_proves(contact, payload.identifier, verified)
    )
    return contact_inbox, contact


async def get_session(
    uow: UnitOfWork, inbox: Any, source_id: str, identifier: str | None = None, given_hash: str | None = None
) -> tuple[Any, Any]:
    """The contact inbox and contact of ``source_id`` in this inbox (404 otherwise), identity checked."""
    contact_inbox = await repository.get_contact_inbox(uow, inbox.id, source_id)
    contact = await repository.get_contact(uow, contact_inbox.contact_id)
    if _proves(contact, identifier, check_identity(inbox, identifier, given_hash)):
        contact_inbox = await mark_verified(uow, contact_inbox)
    return contact_inbox, contact


async def update_contact(uow: UnitOfWork, inbox: Any, contact: Any, payload: PublicContactUpdate) -> Any:
    """Chatwoot's ContactIdentifyAction without merging: blank values are ignored, and an email or phone
    number that belongs to another contact is left out rather than merging that contact into this one."""
    fields: dict[str, Any] = {}
    for field in ("name", "email", "phone_number", "avatar_url"):
        value = getattr(payload, field)
        if value is None or not value.strip():
            continue
        if field in ("email", "phone_number"):
            other = await repository.find_contact_by(uow, inbox.account_id, field, value)
            if other is not None and other.id != contact.id:
                continue
        fields[field] = value
    if payload.custom_attributes:
        fields["custom_attributes"] = payload.custom_attributes
    if not fields:
        return contact
    return await contacts_service.update_contact(uow, inbox.account_id, contact.id, fields)


async def create_conversation(
    uow: UnitOfWork, contact_inbox: Any, contact: Any, payload: PublicConversationCreate, *, flood_limit: int
) -> Any:
    """Chatwoot's ConversationBuilder for the session (the inbox's single conversation when locked to one)."""
    account_id: int = contact.account_id
    params = ConversationCreate(
        source_id=contact_inbox.source_id,
        inbox_id=contact_inbox.inbox_id,
        contact_id=contact_inbox.contact_id,
        custom_attributes=payload.custom_attributes or {},
    )
    with acting_as_contact(uow):
        return await conversations_service.create_conversation(
            uow, contact_actor(account_id, contact), params, flood_limit=flood_limit
        )


async def resolve_conversation(uow: UnitOfWork, contact: Any, conversation: Any) -> Any:
    """``toggle_status`` of the Client API only resolves; a resolved conversation is left as it is."""
    if conversation.status == RESOLVED:
        return conversation
    with acting_as_contact(uow):
        result = await conversations_service.toggle_status(
            uow, contact_actor(conversation.account_id, contact), conversation, "resolved", None
        )
    return result.row


def toggle_typing(uow: UnitOfWork, contact: Any, conversation: Any, typing_status: str | None) -> None:
    """``conversation.typing_on``/``_off`` with the contact as the one typing; other values do nothing."""
    if typing_status not in ("on", "off"):
        return
    user: dict[str, Any] = msgspec.to_builtins(contact_push_data(contact))
    emit_conversation_event(
        uow, f"conversation.typing_{typing_status}", conversation, extra={"user": user, "is_private": False}
    )


async def update_last_seen(uow: UnitOfWork, conversation: Any) -> None:
    """The contact read the conversation: ``contact_last_seen_at``, and every message to the contact
    written until now and not yet read is marked read (Chatwoot's UpdateMessageStatusJob)."""
    now = utc_now()
    await uow.conn.execute(
        update(conversations)
        .where(conversations.c.id == conversation.id)
        .values(contact_last_seen_at=now, updated_at=now)
    )
    unread = list(
        await uow.conn.execute(
            select(messages.c.id, messages.c.status).where(
                messages.c.conversation_id == conversation.id,
                messages.c.message_type != INCOMING,
                messages.c.status.in_([MESSAGE_STATUSES["sent"], MESSAGE_STATUSES["delivered"]]),
                messages.c.created_at <= now,
            )
        )
    )
    if not unread:
        return
    await uow.conn.execute(
        update(messages).where(messages.c.id.in_([row.id for row in unread])).values(status=READ, updated_at=now)
    )
    for row in unread:
        changes = [{"status": {"previous_value": STATUS_NAMES[row.status], "current_value": STATUS_NAMES[READ]}}]
        uow.emit(
            Event(
                "message.updated",
                conversation.account_id,
                now,
                {"message_id": row.id, "conversation_id": conversation.id, "inbox_id": conversation.inbox_id},
                {"changed_attributes": changes},
            )
        )


async def create_message(
    uow: UnitOfWork, target: MessageTarget, payload: PublicMessageCreate, *, flood_limit: int
) -> messages_service.CreatedMessage:
    """Always an incoming message, written by the conversation's contact."""
    params = MessageCreate(content=payload.content, message_type="incoming", echo_id=payload.echo_id)
    actor = contact_actor(target.conversation.account_id, target.contact)
    with acting_as_contact(uow):
        return await messages_service.create_message(uow, actor, target, params, flood_limit=flood_limit)


_FORM_KEYS = ("name", "title", "value")
_CSAT_KEYS = ("feedback_message", "rating")


def _permitted_values(value: Any) -> Any:
    """Rails' ``permit(submitted_values: [:name, :title, :value, {csat_survey_response: [...]}])``."""

    def one(item: Any) -> dict[str, Any] | None:
        if not isinstance(item, dict):
            return None
        kept = {key: item[key] for key in _FORM_KEYS if key in item}
        csat = item.get("csat_survey_response")
        if isinstance(csat, dict):
            kept["csat_survey_response"] = {key: csat[key] for key in _CSAT_KEYS if key in csat}
        return kept

    if isinstance(value, list):
        return [kept for kept in (one(item) for item in value) if kept is not None]
    return one(value) or {}


async def update_message(uow: UnitOfWork, conversation: Any, message_id: int, payload: PublicMessageUpdate) -> Any:
    """An end user's answer to a form or a CSAT survey: ``content_attributes.submitted_values``."""
    row = await repository.get_public_message(uow, conversation, message_id)
    now = utc_now()
    if row.content_type == CONTENT_TYPES["input_csat"] and (now.date() - row.created_at.date()).days > CSAT_LOCK_DAYS:
        raise Unprocessable(CSAT_LOCKED)
    if payload.submitted_values is None:
        return row
    attributes = dict(row.content_attributes or {})
    previous = attributes.get("submitted_values")
    attributes["submitted_values"] = _permitted_values(payload.submitted_values)
    if previous == attributes["submitted_values"]:
        return row
    updated = (
        await uow.conn.execute(
            update(messages)
            .where(messages.c.id == row.id)
            .values(content_attributes=attributes, updated_at=now)
            .returning(*messages.c)
        )
    ).one()
    uow.emit(
        Event(
            "message.updated",
            conversation.account_id,
            now,
            {"message_id": row.id, "conversation_id": conversation.id, "inbox_id": conversation.inbox_id},
            {
                "changed_attributes": [
                    {
                        "content_attributes": {
                            "previous_value": row.content_attributes or {},
                            "current_value": attributes,
                        }
                    }
                ]
            },
        )
    )
    return updated
