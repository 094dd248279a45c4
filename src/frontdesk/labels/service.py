"""An account's labels: defining, renaming (which renames the tags already on conversations and
contacts) and deleting them (which takes the tag off them), as Chatwoot's Label model and its jobs."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from frontdesk.conversations.events import emit_conversation_event
from frontdesk.conversations.presenters import label_list
from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound, ValidationFailed
from frontdesk.kit.time import utc_now
from frontdesk.kit.unique import ensure_free, write_unique
from frontdesk.models import contact_labels, conversation_labels, conversations, labels

DEFAULT_COLOR = "#1f93ff"
MAX_TITLE_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 20_000
# Ids are PostgreSQL int4: a larger one names no row (and must not reach the driver).
MAX_ID = 2**31 - 1
# labels.color is a String(32); a hex colour needs 7.
MAX_COLOR_LENGTH = 32


def valid_label_title(title: str) -> bool:
    """Chatwoot's ``\\A[\\p{L}\\p{N}]+[\\p{L}\\p{N}_-]+\\Z``: two characters or more, letters and digits,
    then also ``_`` and ``-``."""
    if len(title) < 2 or not _letter_or_number(title[0]):
        return False
    return all(_letter_or_number(char) or char in "_-" for char in title)


def _letter_or_number(char: str) -> bool:
    return unicodedata.category(char)[0] in ("L", "N")


async def list_labels(uow: UnitOfWork, account_id: int) -> Sequence[Any]:
    """The account's labels by title (Label's default scope)."""
    result = await uow.conn.execute(
        select(labels).where(labels.c.account_id == account_id).order_by(labels.c.title, labels.c.id)
    )
    return result.all()


async def get_label(uow: UnitOfWork, account_id: int, label_id: int) -> Any:
    if not 0 < label_id <= MAX_ID:
        raise NotFound()
    row = (
        await uow.conn.execute(select(labels).where(labels.c.account_id == account_id, labels.c.id == label_id))
    ).first()
    if row is None:
        raise NotFound()
    return row


async def create_label(uow: UnitOfWork, account_id: int, fields: dict[str, Any]) -> Any:
    values = _validated({"title": None, **fields})
    values.setdefault("color", DEFAULT_COLOR)
    values.setdefault("show_on_sidebar", True)
    await ensure_free(uow, labels, "title", values["title"], account_id, None)
    now = utc_now()
    statement = insert(labels).values(account_id=account_id, created_at=now, updated_at=now, **values)
    label_id = await write_unique(uow, statement.returning(labels.c.id), "title")
    return await get_label(uow, account_id, label_id)


async def update_label(uow: UnitOfWork, current: Any, fields: dict[str, Any]) -> Any:
    """Update ``current`` (a label row fetched with ``get_label``); a new title renames its tags."""
    account_id, label_id = current.account_id, current.id
    values = _validated(fields)
    if not values:
        return current
    if "title" in values:
        await ensure_free(uow, labels, "title", values["title"], account_id, label_id)
    statement = update(labels).where(labels.c.id == label_id).values(updated_at=utc_now(), **values)
    await write_unique(uow, statement.returning(labels.c.id), "title")
    if "title" in values and values["title"] != current.title:
        await _rename_tags(uow, account_id, current.title, values["title"])
    return await get_label(uow, account_id, label_id)


async def delete_label(uow: UnitOfWork, current: Any) -> None:
    """Delete ``current`` (a label row fetched with ``get_label``) and take its tag off everything."""
    await uow.conn.execute(delete(labels).where(labels.c.id == current.id))
    await _remove_tags(uow, current.account_id, current.title)


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    """Normalised column values, or a 422 listing every failed rule as Rails' ``full_messages``."""
    values = dict(fields)
    messages: list[str] = []
    attributes: list[str] = []

    def fail(attribute: str, message: str) -> None:
        messages.append(message)
        if attribute not in attributes:
            attributes.append(attribute)

    if "title" in values:
        title = (values["title"] or "").lower()
        values["title"] = title
        if not title.strip():
            fail("title", "Title must not be blank")
        if len(title) > MAX_TITLE_LENGTH:
            fail("title", f"Title is too long (maximum is {MAX_TITLE_LENGTH} characters)")
        if not valid_label_title(title):
            fail("title", "Title is invalid")
    description = values.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        fail("description", f"Description is too long (maximum is {MAX_DESCRIPTION_LENGTH} characters)")
    if "color" in values:
        color = (values["color"] or "").strip()
        values["color"] = color
        if not color:
            fail("color", "Color must not be blank")
        elif len(color) > MAX_COLOR_LENGTH:
            fail("color", f"Color is too long (maximum is {MAX_COLOR_LENGTH} characters)")
    if "show_on_sidebar" in values and values["show_on_sidebar"] is None:
        fail("show_on_sidebar", "Show on sidebar must not be blank")
    if messages:
        raise ValidationFailed(", ".join(messages), attributes)
    return values


async def _tagged_conversations(uow: UnitOfWork, account_id: int, title: str) -> Sequence[Any]:
    tagged = select(conversation_labels.c.conversation_id).where(
        conversation_labels.c.account_id == account_id, conversation_labels.c.title == title
    )
    result = await uow.conn.execute(
        select(
            conversations.c.id, conversations.c.account_id, conversations.c.inbox_id, conversations.c.cached_label_list
        ).where(conversations.c.account_id == account_id, conversations.c.id.in_(tagged))
    )
    return result.all()


async def _store_cached_lists(uow: UnitOfWork, lists: list[dict[str, Any]], *, touch: bool) -> None:
    """Write each conversation's new ``cached_label_list`` (``{"conversation_pk", "cached"}``) in one
    executemany; ``touch`` also moves ``updated_at``, as a conversation save does."""
    if not lists:
        return
    statement = update(conversations).where(conversations.c.id == bindparam("conversation_pk"))
    if touch:
        now = utc_now()
        lists = [{**values, "now": now} for values in lists]
        statement = statement.values(cached_label_list=bindparam("cached"), updated_at=bindparam("now"))
    else:
        statement = statement.values(cached_label_list=bindparam("cached"))
    await uow.conn.execute(statement, lists)


async def _rename_tags(uow: UnitOfWork, account_id: int, old: str, new: str) -> None:
    """Labels::UpdateService: every conversation and contact of the account tagged ``old`` is tagged
    ``new`` instead (once, where it already had both); each conversation raises conversation.updated."""
    tagged = await _tagged_conversations(uow, account_id, old)
    for table, owner in ((conversation_labels, "conversation_id"), (contact_labels, "contact_id")):
        owner_column = table.c[owner]
        already_new = select(owner_column).where(table.c.account_id == account_id, table.c.title == new)
        await uow.conn.execute(
            delete(table).where(table.c.account_id == account_id, table.c.title == old, owner_column.in_(already_new))
        )
        await uow.conn.execute(
            update(table).where(table.c.account_id == account_id, table.c.title == old).values(title=new)
        )
    lists: list[dict[str, Any]] = []
    for row in tagged:
        previous = label_list(row.cached_label_list)
        current: list[str] = []
        for item in previous:
            renamed = new if item == old else item
            if renamed not in current:
                current.append(renamed)
        if new not in current:
            current.append(new)
        lists.append({"conversation_pk": row.id, "cached": ", ".join(current)})
        emit_conversation_event(uow, "conversation.updated", row, changes={"label_list": (previous, current)})
    await _store_cached_lists(uow, lists, touch=True)


async def _remove_tags(uow: UnitOfWork, account_id: int, title: str) -> None:
    """Labels::DestroyService: the deleted label comes off the account's conversations and contacts
    (Chatwoot writes only the cached list there, raising no conversation event)."""
    tagged = await _tagged_conversations(uow, account_id, title)
    await uow.conn.execute(
        delete(conversation_labels).where(
            conversation_labels.c.account_id == account_id, conversation_labels.c.title == title
        )
    )
    await uow.conn.execute(
        delete(contact_labels).where(contact_labels.c.account_id == account_id, contact_labels.c.title == title)
    )
    lists = [
        {
            "conversation_pk": row.id,
            "cached": ", ".join(item for item in label_list(row.cached_label_list) if item != title),
        }
        for row in tagged
    ]
    await _store_cached_lists(uow, lists, touch=False)
