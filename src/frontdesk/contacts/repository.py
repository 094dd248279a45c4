"""The contacts' queries: every one is scoped to an account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, column, delete, func, insert, or_, select, table, update
from sqlalchemy.sql.elements import UnaryExpression

from frontdesk.db import UnitOfWork
from frontdesk.errors import NotFound
from frontdesk.models import contact_inboxes, contact_labels, contacts, conversations, inboxes

RESULTS_PER_PAGE = 15

# SQLite only (migration 0007): an FTS5 trigram index of name, email, phone number and identifier, its
# rowid the contact's id, kept in step with contacts by triggers. Not in the metadata: PostgreSQL has no
# such table, and the trigram GIN indexes of 0005 serve the same search there.
contacts_search = table("contacts_search", column("rowid", Integer), column("contacts_search"))
# The trigram index answers terms of at least three characters; shorter ones match many contacts, so
# walking the account's contacts in id order finds a page quickly.
TRIGRAM = 3


async def get_contact(uow: UnitOfWork, account_id: int, contact_id: int) -> Any:
    """The contact row, or 404 when it is not in this account."""
    row = (
        await uow.conn.execute(select(contacts).where(contacts.c.id == contact_id, contacts.c.account_id == account_id))
    ).first()
    if row is None:
        raise NotFound()
    return row


async def insert_contact(uow: UnitOfWork, values: dict[str, Any]) -> Any:
    return (await uow.conn.execute(insert(contacts).values(**values).returning(*contacts.c))).one()


async def update_contact(uow: UnitOfWork, contact_id: int, values: dict[str, Any]) -> Any:
    return (
        await uow.conn.execute(
            update(contacts).where(contacts.c.id == contact_id).values(**values).returning(*contacts.c)
        )
    ).one()


async def delete_contact(uow: UnitOfWork, contact_id: int) -> None:
    # The foreign keys cascade to contact inboxes, conversations (and so their messages) and labels.
    await uow.conn.execute(delete(contacts).where(contacts.c.id == contact_id))


async def taken_values(
    uow: UnitOfWork,
    account_id: int,
    *,
    email: str | None,
    phone_number: str | None,
    identifier: str | None,
    except_id: int | None = None,
) -> set[str]:
    """Which of the unique fields another contact of the account already holds."""
    wanted: list[ColumnElement[bool]] = []
    if email is not None:
        wanted.append(contacts.c.email == email)
    if phone_number is not None:
        wanted.append(contacts.c.phone_number == phone_number)
    if identifier is not None:
        wanted.append(contacts.c.identifier == identifier)
    if not wanted:
        return set()
    query = select(contacts.c.email, contacts.c.phone_number, contacts.c.identifier).where(
        contacts.c.account_id == account_id, or_(*wanted)
    )
    if except_id is not None:
        query = query.where(contacts.c.id != except_id)
    taken: set[str] = set()
    for row in await uow.conn.execute(query):
        if email is not None and row.email == email:
            taken.add("email")
        if phone_number is not None and row.phone_number == phone_number:
            taken.add("phone_number")
        if identifier is not None and row.identifier == identifier:
            taken.add("identifier")
    return taken


async def contact_inboxes_of(uow: UnitOfWork, contact_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each contact's contact inboxes with their inbox's slim columns, in one query."""
    found: dict[int, list[Any]] = {contact_id: [] for contact_id in contact_ids}
    if not contact_ids:
        return found
    result = await uow.conn.execute(
        select(
            contact_inboxes.c.contact_id,
            contact_inboxes.c.source_id,
            inboxes.c.id,
            inboxes.c.avatar_url,
            inboxes.c.channel_id,
            inboxes.c.name,
            inboxes.c.channel_type,
        )
        .join(inboxes, inboxes.c.id == contact_inboxes.c.inbox_id)
        .where(contact_inboxes.c.contact_id.in_(list(contact_ids)))
        .order_by(contact_inboxes.c.id)
    )
    for row in result:
        found[row.contact_id].append(row)
    return found


def sort_clauses(sort: str | None, contact_id: ColumnElement[int] = contacts.c.id) -> list[UnaryExpression[Any]]:
    """Chatwoot's ``sort`` (Sift ``sort_on``): a key, ``-`` for descending; unknown keys are ignored.

    Ties, and everything without a key, in ``contact_id`` order (a column equal to the contact's id).
    """
    clauses: list[UnaryExpression[Any]] = []
    if sort:
        descending = sort.startswith("-")
        key = sort[1:] if descending else sort
        expression: Any = None
        # Plain string columns sort as PostgreSQL does by default: NULLs last ascending, first descending.
        nulls_last = not descending
        if key == "email":
            expression = contacts.c.email
        elif key == "phone_number":
            expression = contacts.c.phone_number
        elif key == "name":
            expression = func.lower(contacts.c.name)
        else:
            nulls_last = True
            if key == "last_activity_at":
                expression = contacts.c.last_activity_at
            elif key == "created_at":
                expression = contacts.c.created_at
            elif key in ("company_name", "city", "country"):
                expression = contacts.c.additional_attributes[key].as_string()
        if expression is not None:
            ordered = expression.desc() if descending else expression.asc()
            clauses.append(ordered.nulls_last() if nulls_last else ordered.nulls_first())
    clauses.append(contact_id.asc())
    return clauses


def resolved_condition() -> ColumnElement[bool]:
    """Chatwoot lists only contacts someone can reach: with an email, a phone number or an identifier."""
    return or_(contacts.c.email != "", contacts.c.phone_number != "", contacts.c.identifier != "")


def contacts_with_ids(ids: Sequence[int]) -> ColumnElement[bool]:
    return contacts.c.id.in_(list(ids))


def labelled_with(account_id: int, titles: Sequence[str]) -> ColumnElement[bool]:
    return contacts.c.id.in_(
        select(contact_labels.c.contact_id).where(
            contact_labels.c.account_id == account_id, contact_labels.c.title.in_(list(titles))
        )
    )


async def page_of_contacts(
    uow: UnitOfWork,
    account_id: int,
    conditions: Sequence[ColumnElement[bool]],
    order: Sequence[UnaryExpression[Any]],
    page: int,
    *,
    extra: int = 0,
) -> list[Any]:
    """One page (``extra`` more rows to tell whether there is a next page)."""
    query = (
        select(contacts)
        .where(contacts.c.account_id == account_id, *conditions)
        .order_by(*order)
        .offset((page - 1) * RESULTS_PER_PAGE)
        .limit(RESULTS_PER_PAGE + extra)
    )
    return list(await uow.conn.execute(query))


async def count_contacts(uow: UnitOfWork, account_id: int, conditions: Sequence[ColumnElement[bool]]) -> int:
    count = await uow.conn.scalar(
        select(func.count()).select_from(contacts).where(contacts.c.account_id == account_id, *conditions)
    )
    return int(count or 0)


def search_condition(term: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on name, email, phone number and identifier (``%`` and ``_`` literal)."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        *(
            func.lower(column).like(pattern, escape="\\")
            for column in (contacts.c.name, contacts.c.email, contacts.c.phone_number, contacts.c.identifier)
        )
    )


def _trigram_phrase(term: str) -> str:
    """An FTS5 query of one phrase, the term's characters literally: with the trigram tokenizer, a substring."""
    return '"' + term.replace('"', '""') + '"'


async def page_of_matching_contacts(
    uow: UnitOfWork, account_id: int, term: str, sort: str | None, page: int, *, extra: int = 0
) -> list[Any]:
    """One page of the contacts ``search_condition(term)`` matches (``extra`` more rows, see ``page_of_contacts``).

    On SQLite, a term of three characters or more is looked up in ``contacts_search``: its candidates,
    in id order, are the contacts whose case-folded fields contain the case-folded term (FTS5 folds all
    of Unicode, so they include every LIKE match), and the LIKE re-checks each one, so the rows are the
    LIKE's exactly. With the default order the read stops at the page's end whether the term is common
    or rare. Shorter terms, and terms with a NUL (which FTS5's query syntax cannot quote), take the LIKE
    alone, as every term does on PostgreSQL (where 0005's trigram indexes serve it).
    """
    if "\x00" in term and not uow.is_sqlite:
        # PostgreSQL's text cannot hold a NUL, so no field contains one (and the driver refuses the parameter).
        return []
    condition = search_condition(term)
    if not uow.is_sqlite or len(term.lower()) < TRIGRAM or "\x00" in term:
        return await page_of_contacts(uow, account_id, [condition], sort_clauses(sort), page, extra=extra)
    query = (
        select(contacts)
        .select_from(contacts_search.join(contacts, contacts.c.id == contacts_search.c.rowid))
        .where(
            contacts_search.c.contacts_search.match(_trigram_phrase(term.lower())),
            contacts.c.account_id == account_id,
            condition,
        )
        # Ordered by the FTS table's rowid, which FTS5 returns in order: no sort, and the LIMIT ends the read.
        .order_by(*sort_clauses(sort, contacts_search.c.rowid))
        .offset((page - 1) * RESULTS_PER_PAGE)
        .limit(RESULTS_PER_PAGE + extra)
    )
    return list(await uow.conn.execute(query))


async def label_titles(uow: UnitOfWork, contact_id: int) -> list[str]:
    result = await uow.conn.execute(
        select(contact_labels.c.title).where(contact_labels.c.contact_id == contact_id).order_by(contact_labels.c.id)
    )
    return [row.title for row in result]


async def replace_labels(uow: UnitOfWork, account_id: int, contact_id: int, titles: Sequence[str]) -> None:
    current = await label_titles(uow, contact_id)
    stale = [title for title in current if title not in titles]
    if stale:
        await uow.conn.execute(
            delete(contact_labels).where(contact_labels.c.contact_id == contact_id, contact_labels.c.title.in_(stale))
        )
    fresh = [title for title in titles if title not in current]
    if fresh:
        await uow.conn.execute(
            insert(contact_labels),
            [{"account_id": account_id, "contact_id": contact_id, "title": title} for title in fresh],
        )


async def inboxes_for_contacting(uow: UnitOfWork, account_id: int, channel_types: Sequence[str]) -> list[Any]:
    result = await uow.conn.execute(
        select(inboxes)
        .where(inboxes.c.account_id == account_id, inboxes.c.channel_type.in_(list(channel_types)))
        .order_by(inboxes.c.id)
    )
    return list(result)


async def latest_contact_inboxes(uow: UnitOfWork, contact_id: int) -> dict[int, Any]:
    """The contact's newest contact inbox on each inbox."""
    result = await uow.conn.execute(
        select(contact_inboxes).where(contact_inboxes.c.contact_id == contact_id).order_by(contact_inboxes.c.id)
    )
    return {row.inbox_id: row for row in result}


async def contact_inboxes_with_conversations(uow: UnitOfWork, contact_inbox_ids: Sequence[int]) -> set[int]:
    if not contact_inbox_ids:
        return set()
    result = await uow.conn.execute(
        select(conversations.c.contact_inbox_id)
        .where(conversations.c.contact_inbox_id.in_(list(contact_inbox_ids)))
        .distinct()
    )
    return {row.contact_inbox_id for row in result}


# Filters (POST …/contacts/filter): Chatwoot's lib/filters/filter_keys.yml, contacts section.
TEXT_KEYS = {"name", "email", "identifier", "phone_number"}
ADDITIONAL_KEYS = {"country_code", "city", "company_name"}
DATE_KEYS = {"created_at", "last_activity_at"}
FILTER_OPERATORS: dict[str, list[str]] = {
    "name": ["equal_to", "not_equal_to", "contains", "does_not_contain"],
    "phone_number": ["equal_to", "not_equal_to", "contains", "does_not_contain", "starts_with"],
    "email": ["equal_to", "not_equal_to", "contains", "does_not_contain"],
    "identifier": ["equal_to", "not_equal_to"],
    "country_code": ["equal_to", "not_equal_to"],
    "city": ["equal_to", "not_equal_to", "contains", "does_not_contain"],
    "company_name": ["equal_to", "not_equal_to", "contains", "does_not_contain"],
    "labels": ["equal_to", "not_equal_to", "is_present", "is_not_present"],
    "created_at": ["is_greater_than", "is_less_than", "days_before"],
    "last_activity_at": ["is_greater_than", "is_less_than", "days_before"],
    "blocked": ["equal_to", "not_equal_to"],
}
# Beyond Chatwoot's lists: presence checks on the text keys (a superset, so Chatwoot's clients are unaffected).
PRESENCE_OPERATORS = ["is_present", "is_not_present"]


def _like_pattern(value: str, *, prefix: bool = False) -> str:
    escaped = value.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


def _filter_column(key: str) -> Any:
    if key in ADDITIONAL_KEYS:
        # Chatwoot stores the country code as additional_attributes.country_code.
        return contacts.c.additional_attributes[key].as_string()
    return getattr(contacts.c, key)


def text_condition(key: str, operator: str, values: Sequence[Any]) -> ColumnElement[bool]:
    """A text key compared case-insensitively (``phone_number`` as ``+digits``), as Chatwoot's filters do."""
    column = _filter_column(key)
    if operator == "is_present":
        return and_(column.is_not(None), column != "")
    if operator == "is_not_present":
        return or_(column.is_(None), column == "")
    if key == "phone_number":
        first = "+" + str(values[0]).replace("+", "")
        if operator in ("equal_to", "not_equal_to"):
            plain: ColumnElement[bool] = column == first if operator == "equal_to" else column != first
            return plain
        compared = func.lower(column)
    else:
        compared = func.lower(column)
        first = str(values[0]).lower()
    if operator == "equal_to":
        return compared == first
    if operator == "not_equal_to":
        return compared != first
    if operator == "starts_with":
        return compared.like(_like_pattern(str(values[0]), prefix=True), escape="\\")
    patterns = [_like_pattern(str(value)) for value in values]
    if operator == "contains":
        return or_(*(compared.like(pattern, escape="\\") for pattern in patterns))
    return and_(*(compared.not_like(pattern, escape="\\") for pattern in patterns))


def labels_condition(account_id: int, operator: str, values: Sequence[Any]) -> ColumnElement[bool]:
    labelled = select(contact_labels.c.id).where(
        contact_labels.c.contact_id == contacts.c.id, contact_labels.c.account_id == account_id
    )
    if operator in ("equal_to", "not_equal_to"):
        labelled = labelled.where(contact_labels.c.title.in_([str(value).lower() for value in values]))
    exists = labelled.exists()
    return exists if operator in ("equal_to", "is_present") else ~exists


def date_condition(key: str, operator: str, day: date) -> ColumnElement[bool]:
    """``(column)::date > day`` / ``< day``, as bounds on the UTC timestamp so both databases agree."""
    column = _filter_column(key)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    bound: ColumnElement[bool] = (
        column >= start + timedelta(days=1) if operator == "is_greater_than" else column < start
    )
    return bound


def blocked_condition(operator: str, value: bool) -> ColumnElement[bool]:
    return contacts.c.blocked == value if operator == "equal_to" else contacts.c.blocked != value


def combine(conditions: Sequence[tuple[ColumnElement[bool], str | None]]) -> ColumnElement[bool]:
    """Chain conditions left to right by each one's query operator, with SQL's precedence (AND before OR)."""
    groups: list[list[ColumnElement[bool]]] = [[]]
    for index, (condition, _) in enumerate(conditions):
        groups[-1].append(condition)
        joiner = conditions[index][1]
        if index < len(conditions) - 1 and (joiner or "AND").upper() == "OR":
            groups.append([])
    return or_(*(and_(*group) for group in groups))
