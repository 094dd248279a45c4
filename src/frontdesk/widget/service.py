"""The Widget API's rules: a visitor of a website inbox (its contact inbox, named by the widget token)
reads and writes only its own contact, conversations and messages. Contacts, conversations and
messages are written by the same services as the Application and Client APIs, so they raise the same
events. Services never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update

from frontdesk.contacts import service as contacts_service
from frontdesk.contacts.contact_inboxes import build_contact_inbox
from frontdesk.db import UnitOfWork
from frontdesk.errors import ValidationFailed
from frontdesk.inboxes.presenters import _default_working_hours
from frontdesk.inboxes.schemas import WorkingHour
from frontdesk.kit.time import utc_now
from frontdesk.messages.enums import SENDER_CONTACT
from frontdesk.models import contact_inboxes, conversations, messages
from frontdesk.public import repository as public_repository
from frontdesk.public.service import MAX_NAME_LENGTH, check_identity, random_name
from frontdesk.widget.auth import WidgetSession, find_visitor
from frontdesk.widget.schemas import WidgetContactUpdate
from frontdesk.widget.tokens import WidgetTokens

# Bits of channel_web_widgets.feature_flags (inboxes.presenters.WIDGET_FEATURE_FLAGS).
END_CONVERSATION = 4
ALLOW_MOBILE_WEBVIEW = 16
# A contact update drops at most this many rounds of invalid fields before giving up.
_DISCARD_ROUNDS = 3


async def working_hours(uow: UnitOfWork, inbox: Any) -> list[WorkingHour]:
    """The inbox's week (plan contract 5). Until working hours are stored per inbox, every inbox has
    Chatwoot's default week; this is the one place that reads it."""
    del uow, inbox
    return _default_working_hours()


def utc_offset(timezone: str | None, now: datetime | None = None) -> str:
    """``ActiveSupport::TimeZone[tz].now.formatted_offset``: ``"+05:30"``; an unknown zone is UTC."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    offset = (now or utc_now()).astimezone(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


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
