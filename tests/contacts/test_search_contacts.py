"""Contact search (``GET …/contacts/search?q=``): a case-insensitive substring of name, email, phone number
or identifier, 15 a page in id order, whatever path the database takes (on SQLite the FTS5 trigram table
of migration 0007 for terms of three characters or more, the LIKE alone for shorter ones).

Every expectation is computed by ``_reference``: the LIKE's meaning written in Python. The data keeps
non-ASCII letters in one case, where SQLite's ``lower`` (ASCII only) and PostgreSQL's agree.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from frontdesk.migrate import alembic_config, migrate_sync
from tests.contacts.helpers import create
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, database_kind, serve

SEARCHED = ("name", "email", "phone_number", "identifier")


def _search(admin: Admin, q: str, **params: Any) -> dict[str, Any]:
    response = admin.api.get(admin.path("/contacts/search"), params={"q": q, **params})
    assert response.status_code == 200, (q, response.text)
    body: dict[str, Any] = response.json()
    return body


def _ids(admin: Admin, q: str, **params: Any) -> list[int]:
    return [item["id"] for item in _search(admin, q, **params)["payload"]]


def _reference(contacts: list[dict[str, Any]], q: str) -> list[int]:
    term = q.strip().lower()
    return sorted(
        contact["id"] for contact in contacts if any(term in (contact[field] or "").lower() for field in SEARCHED)
    )


def _all_pages(admin: Admin, q: str, **params: Any) -> list[int]:
    found: list[int] = []
    page = 1
    while True:
        body = _search(admin, q, page=str(page), **params)
        assert body["meta"]["count"] == len(body["payload"]) <= 15
        found += [item["id"] for item in body["payload"]]
        if not body["meta"]["has_more"]:
            return found
        page += 1


@pytest.fixture
def crowd(server: RunningServer, admin: Admin) -> tuple[list[dict[str, Any]], Admin]:
    """40 contacts of the admin's account and 40 of another, created alternately (their ids interleave)."""
    other = make_admin(server, account_name="Other")
    mine: list[dict[str, Any]] = []
    for number in range(40):
        mine.append(
            create(
                admin,
                name=f"Common Person {number:02d}",
                email=f"person{number:02d}@corp.test",
                phone_number=f"+4930{number:06d}",
                identifier=f"crm-{number:02d}" if number % 2 else None,
            )
        )
        create(other, name=f"Common Person {number:02d}", email=f"person{number:02d}@corp.test")
    return mine, other


def test_rare_and_common_terms_page_in_id_order(admin: Admin, crowd: tuple[list[dict[str, Any]], Admin]) -> None:
    mine, _ = crowd
    ids = [contact["id"] for contact in mine]
    assert _ids(admin, "person07@corp.test") == [ids[7]]
    assert _ids(admin, "PERSON07@CORP.TEST") == [ids[7]]
    assert _ids(admin, "+4930000031") == [ids[31]]
    assert _ids(admin, "crm-33") == [ids[33]]
    assert _ids(admin, "crm-32") == []
    assert _ids(admin, "no such contact anywhere") == []
    for q in ("common person", "PERSON", "corp.test", "crm-", "+4930"):
        first = _search(admin, q)
        expected = _reference(mine, q)
        assert [item["id"] for item in first["payload"]] == expected[:15]
        assert first["meta"] == {"count": 15, "current_page": 1, "has_more": True}
        assert _all_pages(admin, q) == expected
    last = _search(admin, "person", page="3")
    assert [item["id"] for item in last["payload"]] == ids[30:]
    assert last["meta"] == {"count": 10, "current_page": "3", "has_more": False}
    assert _search(admin, "person", page="4")["payload"] == []


def test_other_accounts_contacts_are_never_found(admin: Admin, crowd: tuple[list[dict[str, Any]], Admin]) -> None:
    mine, other = crowd
    theirs = create(other, name="Only Theirs", email="only.theirs@elsewhere.test", identifier="zq")
    for q in ("only theirs", "elsewhere", "zq", "z", "common person"):
        assert theirs["id"] not in _all_pages(admin, q)
    assert _ids(other, "only theirs") == [theirs["id"]]
    mine_ids = {contact["id"] for contact in mine}
    assert set(_all_pages(admin, "person")) == mine_ids
    assert not set(_all_pages(other, "person")) & mine_ids


def test_sorted_search_keeps_the_sort_and_the_pages(admin: Admin, crowd: tuple[list[dict[str, Any]], Admin]) -> None:
    mine, _ = crowd
    by_name_descending = [contact["id"] for contact in sorted(mine, key=lambda contact: contact["name"], reverse=True)]
    assert _all_pages(admin, "person", sort="-name") == by_name_descending
    assert _all_pages(admin, "pe", sort="-name") == by_name_descending
    assert _ids(admin, "person0", sort="-email") == by_name_descending[-10:]


SPECIAL_NAMES = [
    'Say "hello" Ltd',
    "O'Brien Pat",
    "100% Natural",
    "snake_case_name",
    "Star * Power",
    "Jean-Luc Picard",
    "(VIP) Customer",
    "NEAR Protocol",
    "AND OR NOT",
    "Zoë Ångström",
    "東京 太郎",
    "Smile 🙂 Face",
    "back\\slash",
    "caret^colon:plus+",
    "braces {name} here",
]

SPECIAL_TERMS = [
    '"',
    '"hello"',
    'say "',
    '""',
    '"""',
    "'",
    "o'b",
    "''",
    "%",
    "100%",
    "0% n",
    "%%%",
    "_",
    "_case_",
    "e_c",
    "___",
    "*",
    "r * p",
    "**",
    "*a",
    "a*",
    "-",
    "-luc",
    "n-l",
    "(",
    "(vip)",
    "(vi",
    ")",
    "near",
    "NEAR",
    "near pro",
    "NEAR(",
    "NEAR/2",
    "and or",
    "OR NOT",
    "not",
    "^colon:",
    ":plus+",
    "col:",
    "{name}",
    "\\",
    "k\\s",
    "\\%",
    "zoë",
    "ngström",
    "ë",
    "東京",
    "京 太",
    "🙂",
    "e 🙂 f",
    'ext"1',
    "a%b_c*d",
    "%b_",
    "x' OR '1'='1",
    "'; DROP TABLE contacts; --",
]


def test_special_characters_are_literal(admin: Admin) -> None:
    made = [create(admin, name=name) for name in SPECIAL_NAMES]
    made.append(create(admin, name="Quoted Identifier", identifier='ext"1'))
    made.append(create(admin, name="Wildcards Identifier", identifier="a%b_c*d"))
    for q in SPECIAL_TERMS:
        assert _ids(admin, q) == _reference(made, q), q
    # Non-ASCII letters in another case: SQLite's lower() folds ASCII only, PostgreSQL's all of Unicode
    # (with its locale); either way an answer, never an error.
    for q in ("ÅNGSTRÖM", "ZOË", "ë", "ẞ", "İ"):
        _search(admin, q)
    if database_kind() == "sqlite":
        # The term is lower-cased in Python, the stored name by SQLite (ASCII only): "Ångström" keeps its
        # "Å", which "ångström" does not match. The trigram index folds both to "å", but the LIKE that
        # re-checks its candidates decides, as it did before the index.
        assert _ids(admin, "ÅNGSTRÖM") == []
        assert _ids(admin, "ångström") == []
        assert _ids(admin, "ZOË ") == [made[SPECIAL_NAMES.index("Zoë Ångström")]["id"]]


def test_odd_terms_are_answered(admin: Admin) -> None:
    create(admin, name="Plain Contact", email="plain@x.io")
    for q in ("a\x00b", "plain\x00", "\x00\x00\x00", "x" * 2000, "plain " * 300, "\t\tplain\n"):
        _search(admin, q)
    assert _ids(admin, "\t\tplain\n") == _ids(admin, "plain")
    # Bytes that are not UTF-8, and an encoded surrogate, straight in the query string.
    for raw in ("%FF%FE%FD", "pl%FFain", "%ED%A0%80%ED%A0%80x"):
        response = admin.api.get(admin.path(f"/contacts/search?q={raw}"))
        assert response.status_code == 200, (raw, response.text)


def test_short_terms(admin: Admin) -> None:
    made = [
        create(admin, name="Al", email="al@x.io"),
        create(admin, name="Bo Li", phone_number="+15550001"),
        create(admin, name="Cy", identifier="q7"),
        create(admin, name="Zed"),
    ]
    for q in ("a", "A", "l", "al", "o l", "+1", "q7", "Q7", "7", "x.", "ze", "zz", "@"):
        assert _ids(admin, q) == _reference(made, q), q


def test_updates_and_deletes_are_searched_at_once(admin: Admin) -> None:
    contact = create(admin, name="Ursula Unwin", email="ursula@before.test", identifier="old-ident")
    other = create(admin, name="Ursula Vance", email="vance@x.test")
    assert _ids(admin, "ursula") == [contact["id"], other["id"]]
    changed = admin.api.put(
        admin.path(f"/contacts/{contact['id']}"),
        json={
            "name": "Wilma Wright",
            "email": "wilma@after.test",
            "identifier": "new-ident",
            "phone_number": "+15557654321",
        },
    )
    assert changed.status_code == 200, changed.text
    assert _ids(admin, "ursula") == [other["id"]]
    assert _ids(admin, "before.test") == []
    assert _ids(admin, "old-ident") == []
    for q in ("wilma wright", "after.test", "new-ident", "+15557654321", "765432"):
        assert _ids(admin, q) == [contact["id"]], q
    # A change to fields the search does not read keeps the contact found.
    touched = admin.api.put(
        admin.path(f"/contacts/{contact['id']}"), json={"custom_attributes": {"plan": "gold"}, "blocked": True}
    )
    assert touched.status_code == 200, touched.text
    assert _ids(admin, "wilma") == [contact["id"]]
    # Fields cleared are no longer found.
    cleared = admin.api.put(admin.path(f"/contacts/{contact['id']}"), json={"email": "", "identifier": ""})
    assert cleared.status_code == 200, cleared.text
    assert _ids(admin, "after.test") == []
    assert _ids(admin, "new-ident") == []
    assert _ids(admin, "wilma") == [contact["id"]]
    assert admin.api.delete(admin.path(f"/contacts/{contact['id']}")).status_code == 200
    assert _ids(admin, "wilma") == []
    assert _ids(admin, "765432") == []
    assert _ids(admin, "ursula") == [other["id"]]
    replacement = create(admin, name="Wilma Again", email="wilma@after.test")
    assert _ids(admin, "wilma@after") == [replacement["id"]]


@pytest.mark.skipif(database_kind() != "sqlite", reason="the FTS5 table exists on SQLite only")
def test_the_trigram_table_follows_the_contacts(test_database: ThrowawayDatabase, admin: Admin) -> None:
    def check() -> None:
        with test_database.sync_engine.begin() as conn:
            indexed = conn.exec_driver_sql("SELECT rowid, name, email FROM contacts_search ORDER BY rowid").all()
            stored = conn.exec_driver_sql("SELECT id, name, email FROM contacts ORDER BY id").all()
            assert [tuple(row) for row in indexed] == [tuple(row) for row in stored]
            conn.exec_driver_sql("INSERT INTO contacts_search (contacts_search, rank) VALUES ('integrity-check', 1)")

    # The previous test's rows were deleted by the reset (tests/fixtures/server.py): the triggers emptied it too.
    check()
    first = create(admin, name="Tracked One", email="one@x.io")
    create(admin, name="Tracked Two", email="two@x.io")
    check()
    assert admin.api.put(admin.path(f"/contacts/{first['id']}"), json={"name": "Renamed"}).status_code == 200
    check()
    assert admin.api.delete(admin.path(f"/contacts/{first['id']}")).status_code == 200
    check()


@pytest.mark.skipif(database_kind() != "postgres", reason="checks that 0007 left PostgreSQL alone")
def test_no_trigram_table_on_postgres(test_database: ThrowawayDatabase) -> None:
    with test_database.sync_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT to_regclass('contacts_search')").scalar() is None


@pytest.fixture
def database_before_0007() -> Iterator[ThrowawayDatabase]:
    """A SQLite database as the previous release made it: every branch of the chain but 0007 (the trigram
    table), i.e. the heads before the merge revision 0008."""
    path = Path(tempfile.mkdtemp(prefix="frontdesk-before-0007-")) / "frontdesk.db"
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        for head in ("0002", "0003", "0005", "0006"):
            command.upgrade(config, head)
    database = ThrowawayDatabase(f"sqlite+aiosqlite:///{path}", engine, "sqlite")
    try:
        yield database
    finally:
        database.close()


@pytest.mark.skipif(database_kind() != "sqlite", reason="0007 does something on SQLite only")
def test_the_migration_indexes_the_contacts_already_there(database_before_0007: ThrowawayDatabase) -> None:
    # The contacts an earlier release wrote (its schema, so plain SQL: today's code needs today's columns).
    with database_before_0007.sync_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO accounts (id, name) VALUES (1, 'Before')"))
        for n in range(20):
            conn.execute(
                sa.text("INSERT INTO contacts (account_id, name, email) VALUES (1, :name, :email)"),
                {"name": f"Earlier Contact {n}", "email": f"earlier{n}@before.test"},
            )
        made = [
            {"id": row.id, "name": row.name, "email": row.email, "phone_number": None, "identifier": None}
            for row in conn.execute(sa.text("SELECT id, name, email FROM contacts ORDER BY id"))
        ]
    migrate_sync(database_before_0007.async_url)
    with contextmanager(serve)(database_before_0007) as server:
        owner = make_admin(server)
        with database_before_0007.sync_engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO account_users (account_id, user_id, role) VALUES (1, :user, 1)"),
                {"user": owner.user_id},
            )
        database_before_0007.changed()
        admin = Admin(account_id=1, user_id=owner.user_id, token=owner.token, api=owner.api)
        assert _ids(admin, "ea") == [contact["id"] for contact in made[:15]]
        assert _ids(admin, "earlier7@before") == [made[7]["id"]]
        assert _all_pages(admin, "earlier contact") == _reference(made, "earlier contact")
        later = create(admin, name="Later Contact", email="later@after.test")
        assert _ids(admin, "contact") == [contact["id"] for contact in made[:15]]
        assert _all_pages(admin, "contact") == [*_reference(made, "contact"), later["id"]]
