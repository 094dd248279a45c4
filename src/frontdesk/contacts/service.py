"""Contacts: create, read, update, delete, search; their contact inboxes and labels. Never commits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.exc import IntegrityError

from frontdesk.attachments.service import purge_files_of_messages, purge_later
from frontdesk.attachments.uploads import ReceivedFile
from frontdesk.attachments.urls import FileUrls
from frontdesk.auth.dependencies import AccountContext
from frontdesk.avatars import service as avatars
from frontdesk.contacts import repository
from frontdesk.contacts.contact_inboxes import build_contact_inbox
from frontdesk.contacts.presenters import contact_push_data
from frontdesk.db import UnitOfWork
from frontdesk.errors import Unprocessable, ValidationFailed, not_authorized
from frontdesk.events.dispatcher import Event
from frontdesk.inboxes.repository import CHANNEL_API, CHANNEL_WEB_WIDGET, get_inbox, member_inbox_ids
from frontdesk.kit.time import iso, utc_now
from frontdesk.models import contacts, conversations, messages

MAX_STRING_LENGTH = 255
MAX_URL_LENGTH = 2048
MAX_PAGE = 10_000_000

# Devise's default email_regexp.
EMAIL_FORMAT = re.compile(r"\A[^@\s]+@[^@\s]+\Z")
PHONE_FORMAT = re.compile(r"\A\+[1-9]\d{1,14}\Z")

_HUMAN_NAMES = {
    "name": "Name",
    "email": "Email",
    "phone_number": "Phone number",
    "identifier": "Identifier",
    "avatar_url": "Avatar url",
    "labels": "Labels",
}


class _Errors:
    """Rails-style errors: full messages joined with ", ", attribute names in order."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.attributes: list[str] = []

    def add(self, attribute: str, message: str) -> None:
        self.messages.append(f"{_HUMAN_NAMES.get(attribute, attribute)} {message}")
        if attribute not in self.attributes:
            self.attributes.append(attribute)

    def raise_any(self) -> None:
        if self.messages:
            raise ValidationFailed(", ".join(self.messages), self.attributes)


def _blank_to_none(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value


def _normalize(values: dict[str, Any]) -> dict[str, Any]:
    """Chatwoot's before_validation: email downcased, blanks stored as NULL, JSON fields never null."""
    if "name" in values:
        values["name"] = values["name"] or ""
    if "email" in values:
        email = _blank_to_none(values["email"])
        values["email"] = email.strip().lower() if email is not None else None
    for key in ("phone_number", "identifier"):
        if key in values:
            values[key] = _blank_to_none(values[key])
    if "avatar_url" in values:
        # Chatwoot fetches avatar_url in a job that ignores what it cannot download: a blank or
        # non-web URL changes nothing. Frontdesk shows the URL itself until the avatars.fetch job has
        # stored its image (then the thumbnail is the stored copy's URL).
        url = (values["avatar_url"] or "").strip()
        if url.lower().startswith(("http://", "https://")):
            values["avatar_url"] = url
        else:
            del values["avatar_url"]
    if "blocked" in values:
        values["blocked"] = bool(values["blocked"])
    return values


async def _validate(uow: UnitOfWork, account_id: int, values: dict[str, Any], except_id: int | None = None) -> None:
    errors = _Errors()
    for key in ("name", "email", "phone_number", "identifier"):
        value = values.get(key)
        if value is not None and len(value) > MAX_STRING_LENGTH:
            errors.add(key, f"is too long (maximum is {MAX_STRING_LENGTH} characters)")
    avatar_url = values.get("avatar_url")
    if avatar_url is not None and len(avatar_url) > MAX_URL_LENGTH:
        errors.add("avatar_url", f"is too long (maximum is {MAX_URL_LENGTH} characters)")
    taken = await repository.taken_values(
        uow,
        account_id,
        email=values.get("email"),
        phone_number=values.get("phone_number"),
        identifier=values.get("identifier"),
        except_id=except_id,
    )
    email = values.get("email")
    if email is not None:
        if "email" in taken:
            errors.add("email", "has already been taken")
        if not EMAIL_FORMAT.match(email):
            errors.add("email", "Invalid email")
    if values.get("identifier") is not None and "identifier" in taken:
        errors.add("identifier", "has already been taken")
    phone_number = values.get("phone_number")
    if phone_number is not None:
        if "phone_number" in taken:
            errors.add("phone_number", "has already been taken")
        if not PHONE_FORMAT.match(phone_number):
            errors.add("phone_number", "should be in e164 format")
    errors.raise_any()


def _conflict(error: IntegrityError) -> ValidationFailed:
    """A unique constraint tripped by a concurrent write: the same 422 the pre-check would have given."""
    text = str(error.orig)
    for attribute in ("email", "phone_number", "identifier"):
        # PostgreSQL names the constraint, SQLite the columns.
        if f"contacts_account_id_{attribute}" in text or f"contacts.{attribute}" in text:
            return ValidationFailed(f"{_HUMAN_NAMES[attribute]} has already been taken", [attribute])
    return ValidationFailed("The change conflicts with existing data", [])


def _contact_type(current: int, values: dict[str, Any]) -> int:
    """Chatwoot's SyncAttributes: a visitor with an email, a phone or social details becomes a lead."""
    if current != 0:
        return current
    attributes = values.get("additional_attributes") or {}
    social = any(key.startswith("social_") and attributes[key] for key in attributes)
    if values.get("email") or values.get("phone_number") or social:
        return 1
    return current


def _parse_inbox_id(value: int | str | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if not value.strip():
        return None
    if value.strip().isdigit():
        return int(value.strip())
    raise ValidationFailed("inbox_id is invalid: Expected `int`", ["inbox_id"])


@dataclass(frozen=True)
class CreatedContact:
    contact: Any
    contact_inboxes: list[Any]
    inbox: Any | None
    source_id: str | None


async def _uploaded_avatar_values(uow: UnitOfWork, account_id: int, avatar: ReceivedFile) -> dict[str, Any]:
    blob = await avatars.new_avatar_blob(uow, account_id, avatar)
    files: FileUrls = uow.database.files
    return {"avatar_url": files.avatar_url(blob), "avatar_blob_id": blob.id}


async def create_contact(
    uow: UnitOfWork,
    account_id: int,
    fields: dict[str, Any],
    *,
    performer_id: int | None = None,
    avatar: ReceivedFile | None = None,
) -> CreatedContact:
    """A contact, and when ``inbox_id`` is given its contact inbox there (404 for an inbox of another account).

    ``avatar``: an uploaded file, which wins over an ``avatar_url`` (downloaded after commit otherwise)."""
    inbox_id = _parse_inbox_id(fields.pop("inbox_id", None))
    source_id = fields.pop("source_id", None)
    values = _normalize({key: value for key, value in fields.items() if value is not None})
    values["additional_attributes"] = values.get("additional_attributes") or {}
    values["custom_attributes"] = values.get("custom_attributes") or {}
    values.setdefault("name", "")
    await _validate(uow, account_id, values)
    fetch_url = values.get("avatar_url")
    if avatar is not None:
        values.update(await _uploaded_avatar_values(uow, account_id, avatar))
        fetch_url = None
    now = utc_now()
    values.update(account_id=account_id, contact_type=_contact_type(0, values), created_at=now, updated_at=now)
    try:
        contact = await repository.insert_contact(uow, values)
    except IntegrityError as error:
        raise _conflict(error) from None
    if fetch_url is not None:
        await avatars.fetch_later(uow, contacts, contact.id, account_id, fetch_url)
    inbox = None
    contact_inbox = None
    if inbox_id is not None:
        inbox = await get_inbox(uow, account_id, inbox_id)
        contact_inbox = await build_contact_inbox(
            uow, contact.id, inbox, str(source_id) if source_id is not None else None
        )
    uow.emit(
        Event(
            name="contact.created",
            account_id=account_id,
            occurred_at=now,
            subject={"contact_id": contact.id},
            data=_performer(performer_id),
        )
    )
    listed = (await repository.contact_inboxes_of(uow, [contact.id]))[contact.id]
    return CreatedContact(
        contact=contact,
        contact_inboxes=listed,
        inbox=inbox,
        source_id=contact_inbox.source_id if contact_inbox is not None else None,
    )


async def get_contact(uow: UnitOfWork, account_id: int, contact_id: int) -> Any:
    return await repository.get_contact(uow, account_id, contact_id)


async def contact_inboxes_of(uow: UnitOfWork, contact_ids: Sequence[int]) -> dict[int, list[Any]]:
    return await repository.contact_inboxes_of(uow, contact_ids)


CONTACT_TYPES = {0: "visitor", 1: "lead", 2: "customer"}


def _jsonable(key: str, value: Any) -> Any:
    """A changed value as Rails' ``previous_changes`` shows it: enum names, ISO times."""
    if key == "contact_type":
        return CONTACT_TYPES.get(value, value)
    return iso(value) if isinstance(value, datetime) else value


def _performer(performer_id: int | None) -> dict[str, Any]:
    return {"performer_id": performer_id} if performer_id is not None else {}


async def update_contact(
    uow: UnitOfWork,
    account_id: int,
    contact_id: int,
    fields: dict[str, Any],
    *,
    performer_id: int | None = None,
    avatar: ReceivedFile | None = None,
) -> Any:
    """Update the given fields; ``custom_attributes`` and ``additional_attributes`` merge into what is there.

    ``avatar``: an uploaded file, which replaces the avatar; otherwise a new ``avatar_url`` shows at once
    and is downloaded as the avatar after commit. The previous avatar's bytes are purged either way."""
    current = await repository.get_contact(uow, account_id, contact_id)
    if fields.get("blocked", False) is None:
        del fields["blocked"]
    values = _normalize(dict(fields))
    for key in ("custom_attributes", "additional_attributes"):
        if key in values:
            if values[key] is None:
                del values[key]
            else:
                values[key] = {**(getattr(current, key) or {}), **values[key]}
    blob_id: int | None = None
    if avatar is not None:
        uploaded = await _uploaded_avatar_values(uow, account_id, avatar)
        values["avatar_url"], blob_id = uploaded["avatar_url"], uploaded["avatar_blob_id"]
    elif values.get("avatar_url") in (None, current.avatar_url):
        return await _save(uow, account_id, current, values, performer_id)
    row = await _save(uow, account_id, current, values, performer_id)
    await avatars.replace_avatar_blob(uow, contacts, contact_id, account_id, blob_id)
    if avatar is None:
        await avatars.fetch_later(uow, contacts, contact_id, account_id, values["avatar_url"])
    return row


async def remove_custom_attributes(
    uow: UnitOfWork, account_id: int, contact_id: int, keys: Sequence[str], *, performer_id: int | None = None
) -> Any:
    """Drop the named keys from the contact's custom attributes (unknown keys are ignored)."""
    current = await repository.get_contact(uow, account_id, contact_id)
    remaining = {key: value for key, value in (current.custom_attributes or {}).items() if key not in keys}
    return await _save(uow, account_id, current, {"custom_attributes": remaining}, performer_id)


async def remove_avatar(uow: UnitOfWork, account_id: int, contact_id: int, *, performer_id: int | None = None) -> Any:
    """Chatwoot's ``DELETE …/avatar``: no avatar (the stored one's bytes are purged after commit)."""
    current = await repository.get_contact(uow, account_id, contact_id)
    row = await _save(uow, account_id, current, {"avatar_url": None}, performer_id)
    await avatars.replace_avatar_blob(uow, contacts, contact_id, account_id, None)
    return row


async def _save(
    uow: UnitOfWork, account_id: int, current: Any, values: dict[str, Any], performer_id: int | None
) -> Any:
    """Validate and write what differs from ``current``; ``contact.updated`` lists the changes (none: no event)."""
    contact_id = current.id
    await _validate(uow, account_id, values, except_id=contact_id)
    changed = {key: value for key, value in values.items() if getattr(current, key) != value}
    merged = {
        "email": current.email,
        "phone_number": current.phone_number,
        "additional_attributes": current.additional_attributes,
        **changed,
    }
    contact_type = _contact_type(current.contact_type, merged)
    if contact_type != current.contact_type:
        changed["contact_type"] = contact_type
    if not changed:
        return current
    now = utc_now()
    try:
        row = await repository.update_contact(uow, contact_id, {**changed, "updated_at": now})
    except IntegrityError as error:
        raise _conflict(error) from None
    changed_attributes = [
        {key: {"previous_value": _jsonable(key, getattr(current, key)), "current_value": _jsonable(key, value)}}
        for key, value in changed.items()
    ]
    changed_attributes.append(
        {"updated_at": {"previous_value": iso(current.updated_at), "current_value": iso(row.updated_at)}}
    )
    uow.emit(
        Event(
            name="contact.updated",
            account_id=account_id,
            occurred_at=now,
            subject={"contact_id": contact_id},
            data={"changed_attributes": changed_attributes, **_performer(performer_id)},
        )
    )
    return row


async def delete_contact(uow: UnitOfWork, account_id: int, contact_id: int, *, performer_id: int | None = None) -> None:
    """Delete the contact with its contact inboxes, conversations, messages and labels.

    Unlike Chatwoot, a contact online on the realtime feed is deleted too (Chatwoot answers 422 and
    the agent retries later); its widget session simply ends.
    """
    contact = await repository.get_contact(uow, account_id, contact_id)
    # Its conversations (and their messages) cascade away with it: their files go after the commit.
    await purge_files_of_messages(
        uow,
        account_id,
        messages.c.conversation_id.in_(select(conversations.c.id).where(conversations.c.contact_id == contact_id)),
    )
    if contact.avatar_blob_id is not None:
        await purge_later(uow, account_id, [contact.avatar_blob_id])
    await repository.delete_contact(uow, contact_id)
    # The row is gone once listeners run: they get Chatwoot's push data instead of an id to reload.
    contact_data = {**msgspec.to_builtins(contact_push_data(contact)), "account_id": account_id}
    uow.emit(
        Event(
            name="contact.deleted",
            account_id=account_id,
            occurred_at=utc_now(),
            subject={"contact_id": contact_id},
            data={"contact": contact_data, **_performer(performer_id)},
        )
    )


def parse_page(raw: str | None) -> int:
    """``page`` as Kaminari reads it: anything that is not a positive number is the first page."""
    try:
        page = int((raw or "1").strip())
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def normalize_labels(titles: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for title in titles:
        cleaned = title.strip().lower()
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen


@dataclass(frozen=True)
class ContactPage:
    contacts: list[Any]
    contact_inboxes: dict[int, list[Any]] | None
    count: int
    has_more: bool = False


async def list_contacts(
    uow: UnitOfWork,
    account_id: int,
    *,
    page: int,
    sort: str | None,
    labels: Sequence[str],
    include_contact_inboxes: bool,
) -> ContactPage:
    """The index: resolved contacts only (with an email, phone number or identifier), 15 a page."""
    conditions: list[ColumnElement[bool]] = [repository.resolved_condition()]
    titles = normalize_labels(labels)
    if titles:
        conditions.append(repository.labelled_with(account_id, titles))
    rows = await repository.page_of_contacts(uow, account_id, conditions, repository.sort_clauses(sort), page)
    count = await repository.count_contacts(uow, account_id, conditions)
    return await _page(uow, rows, count, include_contact_inboxes)


async def _page(
    uow: UnitOfWork, rows: list[Any], count: int, include_contact_inboxes: bool, has_more: bool = False
) -> ContactPage:
    contact_inboxes = (
        await repository.contact_inboxes_of(uow, [row.id for row in rows]) if include_contact_inboxes else None
    )
    return ContactPage(rows, contact_inboxes, count, has_more)


async def list_active_contacts(
    uow: UnitOfWork,
    account_id: int,
    online: Collection[int],
    *,
    page: int,
    sort: str | None,
    include_contact_inboxes: bool,
) -> ContactPage:
    """The contacts online on the realtime feed right now, 15 a page."""
    conditions = [repository.contacts_with_ids(list(online))]
    rows = await repository.page_of_contacts(uow, account_id, conditions, repository.sort_clauses(sort), page)
    count = await repository.count_contacts(uow, account_id, conditions)
    return await _page(uow, rows, count, include_contact_inboxes)


async def search_contacts(
    uow: UnitOfWork, account_id: int, *, q: str, page: int, sort: str | None, include_contact_inboxes: bool
) -> ContactPage:
    """Name, email, phone number or identifier containing ``q``; ``count`` is the size of this page."""
    rows = await repository.page_of_matching_contacts(uow, account_id, q.strip(), sort, page, extra=1)
    has_more = len(rows) > repository.RESULTS_PER_PAGE
    rows = rows[: repository.RESULTS_PER_PAGE]
    return await _page(uow, rows, len(rows), include_contact_inboxes, has_more)


async def filter_contacts(
    uow: UnitOfWork,
    account_id: int,
    condition: ColumnElement[bool],
    *,
    page: int,
    sort: str | None,
    include_contact_inboxes: bool,
) -> ContactPage:
    conditions = [repository.resolved_condition(), condition]
    rows = await repository.page_of_contacts(uow, account_id, conditions, repository.sort_clauses(sort), page)
    count = await repository.count_contacts(uow, account_id, conditions)
    return await _page(uow, rows, count, include_contact_inboxes)


async def _ensure_inbox_access(uow: UnitOfWork, account: AccountContext, inbox_id: int) -> None:
    if account.is_administrator:
        return
    if inbox_id not in await member_inbox_ids(uow, account.user.id, account.account_id):
        raise not_authorized()


async def create_contact_inbox(
    uow: UnitOfWork,
    account: AccountContext,
    contact_id: int,
    inbox_id: int,
    source_id: str | None,
    hmac_verified: bool,
) -> tuple[Any, Any]:
    """The contact's session on an inbox the user may see. Returns (contact inbox, inbox)."""
    contact = await repository.get_contact(uow, account.account_id, contact_id)
    inbox = await get_inbox(uow, account.account_id, inbox_id)
    await _ensure_inbox_access(uow, account, inbox.id)
    contact_inbox = await build_contact_inbox(uow, contact.id, inbox, source_id, hmac_verified=hmac_verified)
    return contact_inbox, inbox


async def contactable_inboxes(uow: UnitOfWork, account: AccountContext, contact_id: int) -> list[tuple[Any, str]]:
    """Inboxes a conversation with the contact could start in: (inbox, source_id) pairs.

    API inboxes always (the newest session's source_id, or a fresh UUID); website inboxes only where
    the contact has a session without conversations yet. Agents see only their inboxes.
    """
    contact = await repository.get_contact(uow, account.account_id, contact_id)
    found = await repository.inboxes_for_contacting(uow, account.account_id, [CHANNEL_API, CHANNEL_WEB_WIDGET])
    if not account.is_administrator:
        allowed = set(await member_inbox_ids(uow, account.user.id, account.account_id))
        found = [inbox for inbox in found if inbox.id in allowed]
    latest = await repository.latest_contact_inboxes(uow, contact.id)
    busy = await repository.contact_inboxes_with_conversations(uow, [row.id for row in latest.values()])
    result: list[tuple[Any, str]] = []
    for inbox in found:
        session = latest.get(inbox.id)
        if inbox.channel_type == CHANNEL_API:
            result.append((inbox, session.source_id if session is not None else str(uuid.uuid4())))
        elif session is not None and session.id not in busy:
            result.append((inbox, session.source_id))
    return result


async def contact_labels(uow: UnitOfWork, account_id: int, contact_id: int) -> list[str]:
    await repository.get_contact(uow, account_id, contact_id)
    return await repository.label_titles(uow, contact_id)


async def set_contact_labels(uow: UnitOfWork, account_id: int, contact_id: int, titles: Sequence[str]) -> list[str]:
    """Replace the contact's labels (lower-cased, blanks and repeats dropped); returns the new list."""
    await repository.get_contact(uow, account_id, contact_id)
    wanted = normalize_labels(titles)
    errors = _Errors()
    if any(len(title) > MAX_STRING_LENGTH for title in wanted):
        errors.add("labels", f"is too long (maximum is {MAX_STRING_LENGTH} characters)")
    errors.raise_any()
    await repository.replace_labels(uow, account_id, contact_id, wanted)
    return wanted


def _filter_error(message: str) -> Unprocessable:
    return Unprocessable(message)


def build_filter(account_id: int, conditions: Sequence[Any]) -> ColumnElement[bool]:
    """Chatwoot's contact filter payload as one condition; bad keys, operators or values are a 422."""
    built: list[tuple[ColumnElement[bool], str | None]] = []
    allowed_keys = ",".join(repository.FILTER_OPERATORS)
    for item in conditions:
        key, operator = item.attribute_key, item.filter_operator
        query_operator = item.query_operator
        if query_operator and query_operator.upper() not in ("AND", "OR"):
            raise _filter_error('Query operator must be either "AND" or "OR".')
        if key not in repository.FILTER_OPERATORS:
            raise _filter_error(
                f"Invalid attribute key - [{key}]. The key should be one of [{allowed_keys}]"
                " or a custom attribute defined in the account."
            )
        operators = repository.FILTER_OPERATORS[key]
        if key in repository.TEXT_KEYS or key in repository.ADDITIONAL_KEYS:
            operators = operators + repository.PRESENCE_OPERATORS
        if operator not in operators:
            raise _filter_error(
                f"Invalid operator. The allowed operators for {key} are [{','.join(repository.FILTER_OPERATORS[key])}]."
            )
        values = item.values if isinstance(item.values, list) else ([] if item.values is None else [item.values])
        invalid_value = _filter_error(f"Invalid value. The values provided for {key} are invalid")
        needs_values = operator not in ("is_present", "is_not_present")
        if needs_values and not [value for value in values if value is not None and str(value).strip() != ""]:
            raise invalid_value
        condition: ColumnElement[bool]
        if key == "labels":
            condition = repository.labels_condition(account_id, operator, values)
        elif key in repository.DATE_KEYS:
            condition = repository.date_condition(key, *_date_operand(operator, values[0], invalid_value))
        elif key == "blocked":
            condition = repository.blocked_condition(operator, _boolean(values[0], invalid_value))
        else:
            if any(isinstance(value, (dict, list)) for value in values):
                raise invalid_value
            condition = repository.text_condition(key, operator, values)
        built.append((condition, query_operator))
    if not built:
        return true()
    return repository.combine(built)


def _date_operand(operator: str, value: Any, invalid: Unprocessable) -> tuple[str, date]:
    if operator == "days_before":
        try:
            return "is_less_than", utc_now().date() - timedelta(days=int(str(value).strip()))
        except (ValueError, OverflowError):
            # Not a number, or a date before year 1 / beyond 9999: the value is invalid, not a missing resource.
            raise invalid from None
    try:
        return operator, date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise invalid from None


def _boolean(value: Any, invalid: Unprocessable) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "t", "yes"):
        return True
    if text in ("false", "0", "f", "no"):
        return False
    raise invalid
