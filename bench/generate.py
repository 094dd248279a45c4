"""Fill one account with realistic data, fast: agents, API inboxes with members, teams, labels, contacts
with contact inboxes, conversations (statuses, assignees, teams, labels) and their messages.

    .venv/bin/python -m bench.generate --db sqlite --conversations 100000 --messages 1000000
    .venv/bin/python -m bench.generate --db postgres --quick

The schema comes from ``frontdesk.migrate.migrate_sync`` and the administrator (with an API access
token issued by ``frontdesk.auth.tokens``) from ``create_account_with_admin``; everything else goes in
with bulk inserts of Core ``insert(table)`` statements (``executemany`` on SQLite) or ``COPY`` on
PostgreSQL, in chunks, with a progress bar on stderr. It keeps the invariants the application relies
on: ``accounts.last_conversation_display_id`` is the largest display id, ``cached_label_list`` matches
``conversation_labels``, ``last_activity_at`` is the newest message's time, contact-inbox and message
``source_id``s are unique, sequences continue after the generated ids.

The last line on stdout is a JSON record (also written beside the database as its marker): database
URL, account id, the administrator's token, an agent's token, sizes and the secret key the server must
use for the tokens to open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import sqlite as sqlite_dialect

from bench.common import SECRET_KEY, BenchDatabase, progress
from frontdesk.models import (
    account_users,
    channel_api,
    contact_inboxes,
    contact_labels,
    contacts,
    conversation_labels,
    conversations,
    inbox_members,
    inboxes,
    labels,
    messages,
    team_members,
    teams,
    users,
)


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Chris Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Ashley Donald "
    "Kimberly Steven Emily Paul Donna Andrew Michelle Joshua Carol Kenneth Amanda Kevin Melissa Brian Deborah "
    "George Stephanie Timothy Rebecca Ronald Sharon Jason Laura Edward Cynthia Jeffrey Kathleen Ryan Amy Jacob "
    "Angela Gary Shirley Nicholas Anna Eric Brenda Jonathan Pamela Stephen Emma Larry Nicole Justin Helen Scott "
    "Samantha Brandon Katherine Benjamin Christine Samuel Debra Gregory Rachel Alexander Carolyn Frank Janet "
    "Raymond Maria Jack Olivia Dennis Heather Jerry Diane Tyler Julie Aaron Joyce Jose Victoria Adam Kelly Nathan "
    "Christina Henry Lauren Zachary Joan Douglas Evelyn Peter Judith Kyle Megan Noah Andrea Ethan Cheryl Jeremy"
)
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim "
    "Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler"
)
WORDS = _words(
    "hello hi thanks thank you please order invoice refund shipping delivery package account password reset "
    "login error issue problem question help support billing payment card charged twice subscription plan "
    "upgrade downgrade cancel cancellation renewal receipt address update email phone number verify code "
    "app website page button crash slow loading sync export import report dashboard settings notification "
    "the a an and or but so because when where why how what which it this that there here is are was were "
    "be been have has had do does did can could would should will may might must not no yes ok great sorry "
    "I we you they he she my our your their today tomorrow yesterday week month morning afternoon evening "
    "still again already soon just now later asap quickly waiting received sent tracking number status "
    "available unavailable broken missing wrong damaged replacement return warranty discount coupon price "
    "team agent manager customer client user admin feature request bug fix release version mobile desktop"
)
LABELS = (
    "billing",
    "bug",
    "feature-request",
    "refund",
    "shipping",
    "vip",
    "urgent-followup",
    "onboarding",
    "churn-risk",
    "feedback",
    "sales",
    "spam",
)
STATUS_WEIGHTS = ((0, 30), (1, 55), (2, 10), (3, 5))  # open, resolved, pending, snoozed
SENTENCE_POOL = 20_000


@dataclass(frozen=True)
class Sizes:
    agents: int = 100
    inboxes: int = 20
    teams: int = 5
    contacts: int = 100_000
    conversations: int = 100_000
    messages: int = 1_000_000
    members_per_inbox: int = 25


QUICK = Sizes(agents=10, inboxes=3, teams=2, contacts=300, conversations=300, messages=3_000, members_per_inbox=5)


# ---------------------------------------------------------------- sinks: where the rows go


class Sink:
    async def copy(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def scalar(self, sql: str) -> Any:
        raise NotImplementedError

    async def execute(self, sql: str) -> None:
        raise NotImplementedError

    async def begin(self) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


def _sqlite_datetime(value: datetime) -> str:
    # The text SQLAlchemy's SQLite DATETIME writes (UTC, microseconds, no offset).
    value = value.astimezone(UTC) if value.tzinfo is not None and value.tzinfo is not UTC else value
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


class SqliteSink(Sink):
    """Core ``insert(table)`` compiled for SQLite, run with the driver's ``executemany``."""

    def __init__(self, path: str) -> None:
        sqlite3.register_adapter(datetime, _sqlite_datetime)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-200000")
        self._statements: dict[tuple[str, tuple[str, ...]], str] = {}

    async def copy(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        key = (table.name, tuple(columns))
        sql = self._statements.get(key)
        if sql is None:
            sql = str(insert(table).compile(dialect=sqlite_dialect.dialect(), column_keys=list(columns)))
            self._statements[key] = sql
        self.conn.executemany(sql, rows)

    async def scalar(self, sql: str) -> Any:
        return self.conn.execute(sql).fetchone()[0]

    async def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    async def begin(self) -> None:
        self.conn.execute("BEGIN")

    async def commit(self) -> None:
        self.conn.execute("COMMIT")

    async def close(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class PostgresSink(Sink):
    """Binary ``COPY … FROM STDIN`` through asyncpg."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._transaction: Any = None

    @classmethod
    async def open(cls, dsn: str) -> PostgresSink:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        await conn.execute("SET synchronous_commit = off")
        return cls(conn)

    async def copy(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        await self.conn.copy_records_to_table(table.name, records=rows, columns=list(columns))

    async def scalar(self, sql: str) -> Any:
        return await self.conn.fetchval(sql)

    async def execute(self, sql: str) -> None:
        await self.conn.execute(sql)

    async def begin(self) -> None:
        self._transaction = self.conn.transaction()
        await self._transaction.start()

    async def commit(self) -> None:
        await self._transaction.commit()
        self._transaction = None

    async def close(self) -> None:
        await self.conn.close()


# ---------------------------------------------------------------- the data


class Generator:
    def __init__(self, sink: Sink, account_id: int, sizes: Sizes, seed: int) -> None:
        self.sink = sink
        self.account_id = account_id
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.ids: dict[str, int] = {}
        self.rows_written = 0

    async def next_ids(self) -> None:
        for table in (
            users,
            account_users,
            teams,
            team_members,
            channel_api,
            inboxes,
            inbox_members,
            labels,
            contacts,
            contact_inboxes,
            contact_labels,
            conversations,
            conversation_labels,
            messages,
        ):
            self.ids[table.name] = int(await self.sink.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}")) + 1

    def take(self, table: Table, count: int) -> int:
        first = self.ids[table.name]
        self.ids[table.name] = first + count
        return first

    def token(self, length: int = 24) -> str:
        return f"{self.rng.getrandbits(length * 4):0{length}x}"

    async def write(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await self.sink.copy(table, columns, rows)
            self.rows_written += len(rows)

    # ------------------------------------------------------------ the account's people and inboxes

    async def people_and_inboxes(self, admin_user_id: int) -> None:
        s, now, account = self.sizes, self.now, self.account_id
        await self.sink.begin()
        first_user = self.take(users, s.agents)
        self.agent_ids = list(range(first_user, first_user + s.agents))
        created = now - timedelta(days=400)
        await self.write(
            users,
            ("id", "name", "email", "pubsub_token", "availability", "confirmed_at", "created_at", "updated_at"),
            [
                (
                    uid,
                    f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}",
                    f"agent{i + 1}.a{account}@bench.frontdesk.test",
                    self.token(),
                    i % 3,
                    created,
                    created,
                    created,
                )
                for i, uid in enumerate(self.agent_ids)
            ],
        )
        first = self.take(account_users, s.agents)
        await self.write(
            account_users,
            (
                "id",
                "account_id",
                "user_id",
                "role",
                "availability",
                "auto_offline",
                "active_at",
                "created_at",
                "updated_at",
            ),
            [
                (first + i, account, uid, 0, i % 3, True, now - timedelta(hours=i), created, created)
                for i, uid in enumerate(self.agent_ids)
            ],
        )
        first = self.take(teams, s.teams)
        self.team_ids = list(range(first, first + s.teams))
        team_names = ["Support", "Billing", "Sales", "Success", "Engineering", "Onboarding", "Escalations"]
        await self.write(
            teams,
            ("id", "account_id", "name", "description", "allow_auto_assign", "created_at", "updated_at"),
            [
                (tid, account, f"{team_names[i % len(team_names)]} {i + 1}", "A generated team", True, created, created)
                for i, tid in enumerate(self.team_ids)
            ],
        )
        first = self.take(team_members, s.agents)
        await self.write(
            team_members,
            ("id", "team_id", "user_id", "created_at", "updated_at"),
            [(first + i, self.team_ids[i % s.teams], uid, created, created) for i, uid in enumerate(self.agent_ids)],
        )
        first_channel = self.take(channel_api, s.inboxes)
        await self.write(
            channel_api,
            ("id", "account_id", "identifier", "hmac_token", "hmac_mandatory", "secret", "created_at", "updated_at"),
            [
                (first_channel + i, account, self.token(24), self.token(24), False, self.token(24), created, created)
                for i in range(s.inboxes)
            ],
        )
        first_inbox = self.take(inboxes, s.inboxes)
        self.inbox_ids = list(range(first_inbox, first_inbox + s.inboxes))
        await self.write(
            inboxes,
            ("id", "account_id", "channel_type", "channel_id", "name", "created_at", "updated_at"),
            [
                (first_inbox + i, account, "Channel::Api", first_channel + i, f"API inbox {i + 1}", created, created)
                for i in range(s.inboxes)
            ],
        )
        # Each inbox has members_per_inbox agents (a sliding window over the agents); the admin is in none.
        per_inbox = min(s.members_per_inbox, s.agents)
        self.inbox_members: dict[int, list[int]] = {}
        member_rows = []
        for i, inbox_id in enumerate(self.inbox_ids):
            start = (i * per_inbox) % s.agents
            members = [self.agent_ids[(start + k) % s.agents] for k in range(per_inbox)]
            self.inbox_members[inbox_id] = members
            for uid in members:
                member_rows.append((self.ids["inbox_members"], inbox_id, uid, created, created))
                self.ids["inbox_members"] += 1
        await self.write(inbox_members, ("id", "inbox_id", "user_id", "created_at", "updated_at"), member_rows)
        first = self.take(labels, len(LABELS))
        colors = ("#1f93ff", "#ff6b6b", "#44ce4b", "#f5a623", "#8e44ad", "#34495e")
        await self.write(
            labels,
            ("id", "account_id", "title", "description", "color", "show_on_sidebar", "created_at", "updated_at"),
            [
                (first + i, account, title, f"{title} conversations", colors[i % len(colors)], True, created, created)
                for i, title in enumerate(LABELS)
            ],
        )
        await self.sink.commit()
        del admin_user_id

    # ------------------------------------------------------------ contacts

    async def contacts(self, chunk: int = 10_000) -> None:
        s, rng, account = self.sizes, self.rng, self.account_id
        total = s.contacts
        first_contact = self.take(contacts, total)
        first_ci = self.take(contact_inboxes, total)
        self.first_contact = first_contact
        self.first_contact_inbox = first_ci
        started = time.monotonic()
        year = 365 * 86400
        for base in range(0, total, chunk):
            count = min(chunk, total - base)
            contact_rows = []
            ci_rows = []
            label_rows = []
            for i in range(base, base + count):
                first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST) + i * 31) % len(LAST)]
                created = self.now - timedelta(seconds=rng.randrange(year))
                contact_rows.append(
                    (
                        first_contact + i,
                        account,
                        f"{first} {last}",
                        f"{first}.{last}.{i + 1}@example.com".lower(),
                        f"+1{2_000_000_000 + i}",
                        f"crm-{i + 1}" if i % 2 == 0 else None,
                        created,  # last_activity_at: moved to the newest conversation below
                        (0, 1, 2)[i % 3],
                        False,
                        created,
                        created,
                    )
                )
                ci_rows.append(
                    (
                        first_ci + i,
                        first_contact + i,
                        self.inbox_ids[i % s.inboxes],
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        False,
                        self.token(24),
                        created,
                        created,
                    )
                )
                if i % 5 == 0:
                    label_rows.append((self.ids["contact_labels"], account, first_contact + i, LABELS[i % len(LABELS)]))
                    self.ids["contact_labels"] += 1
            await self.sink.begin()
            await self.write(
                contacts,
                (
                    "id",
                    "account_id",
                    "name",
                    "email",
                    "phone_number",
                    "identifier",
                    "last_activity_at",
                    "contact_type",
                    "blocked",
                    "created_at",
                    "updated_at",
                ),
                contact_rows,
            )
            await self.write(
                contact_inboxes,
                (
                    "id",
                    "contact_id",
                    "inbox_id",
                    "source_id",
                    "hmac_verified",
                    "pubsub_token",
                    "created_at",
                    "updated_at",
                ),
                ci_rows,
            )
            await self.write(contact_labels, ("id", "account_id", "contact_id", "title"), label_rows)
            await self.sink.commit()
            progress("contacts", base + count, total, started)

    # ------------------------------------------------------------ conversations and messages

    def message_counts(self) -> list[int]:
        """How many messages each conversation gets: around the mean, every 100th ten times longer, summing
        to exactly the number asked for (at least one each)."""
        s, rng = self.sizes, self.rng
        n, m = s.conversations, s.messages
        mean = m / n
        weights = [(10.0 if i % 100 == 7 else 1.0) * (0.2 + 1.6 * rng.random()) for i in range(n)]
        scale = m / sum(weights)
        counts = [max(1, int(w * scale)) for w in weights]
        difference = m - sum(counts)
        step = 1 if difference > 0 else -1
        index = 0
        while difference != 0:
            j = (index * 7919) % n
            if step > 0 or counts[j] > 1:
                counts[j] += step
                difference -= step
            index += 1
        del mean
        return counts

    async def conversations(self, chunk: int = 2_000) -> None:
        s, rng, account = self.sizes, self.rng, self.account_id
        total = s.conversations
        counts = self.message_counts()
        sentences = [
            " ".join(rng.choices(WORDS, k=rng.randint(3, 40))).capitalize() + rng.choice(".?!")
            for _ in range(SENTENCE_POOL)
        ]
        first_conversation = self.take(conversations, total)
        first_message = self.ids["messages"]
        started = time.monotonic()
        messages_done = 0
        statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
        contact_last_activity: dict[int, datetime] = {}
        year = 365 * 86400
        message_id = first_message
        for base in range(0, total, chunk):
            count = min(chunk, total - base)
            conversation_rows = []
            label_rows = []
            message_rows = []
            for i in range(base, base + count):
                conversation_id = first_conversation + i
                contact_index = i % s.contacts
                contact_id = self.first_contact + contact_index
                contact_inbox_id = self.first_contact_inbox + contact_index
                inbox_id = self.inbox_ids[contact_index % s.inboxes]
                members = self.inbox_members[inbox_id]
                status = statuses[rng.randrange(100)]
                assignee = members[rng.randrange(len(members))] if rng.random() < 0.8 else None
                team = self.team_ids[rng.randrange(len(self.team_ids))] if rng.random() < 0.5 else None
                priority = (None, None, 0, 1, 2, 3)[rng.randrange(6)]
                titles = sorted(rng.sample(LABELS, rng.choice((0, 0, 1, 1, 2, 3))), key=LABELS.index)
                for title in titles:
                    label_rows.append((self.ids["conversation_labels"], account, conversation_id, title))
                    self.ids["conversation_labels"] += 1
                n_messages = counts[i]
                gaps = [rng.randint(30, 3600) for _ in range(n_messages)]
                span = sum(gaps)
                created = self.now - timedelta(seconds=span + rng.randrange(year))
                at = created
                first_reply: datetime | None = None
                last_incoming: datetime | None = None
                last_outgoing: datetime | None = None
                for k in range(n_messages):
                    at = at + timedelta(seconds=gaps[k], microseconds=rng.randrange(1, 1_000_000))
                    roll = rng.random() if k else 0.0
                    content = sentences[(message_id * 7919) % SENTENCE_POOL]
                    if roll < 0.5:  # incoming, from the contact
                        message_rows.append(
                            (
                                message_id,
                                account,
                                inbox_id,
                                conversation_id,
                                0,
                                content,
                                0,
                                False,
                                0,
                                f"bench-{message_id}",
                                "Contact",
                                contact_id,
                                at,
                                at,
                            )
                        )
                        last_incoming = at
                    elif roll < 0.95:  # outgoing, from an agent (a private note now and then)
                        private = roll > 0.92
                        sender = assignee or members[k % len(members)]
                        message_rows.append(
                            (
                                message_id,
                                account,
                                inbox_id,
                                conversation_id,
                                1,
                                content,
                                0,
                                private,
                                (0, 1, 2)[k % 3],
                                None,
                                "User",
                                sender,
                                at,
                                at,
                            )
                        )
                        if not private:
                            last_outgoing = at
                            if first_reply is None:
                                first_reply = at
                    else:  # activity
                        message_rows.append(
                            (
                                message_id,
                                account,
                                inbox_id,
                                conversation_id,
                                2,
                                "Conversation was marked resolved",
                                0,
                                False,
                                0,
                                None,
                                None,
                                None,
                                at,
                                at,
                            )
                        )
                    message_id += 1
                last_activity = at
                waiting = (
                    last_incoming
                    if status != 1 and last_incoming and (last_outgoing is None or last_outgoing < last_incoming)
                    else None
                )
                seen = last_activity - timedelta(seconds=rng.randint(0, 7200))
                conversation_rows.append(
                    (
                        conversation_id,
                        account,
                        i + 1,
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        inbox_id,
                        contact_id,
                        contact_inbox_id,
                        status,
                        priority,
                        assignee,
                        team,
                        last_activity + timedelta(days=1) if status == 3 else None,
                        False,
                        ", ".join(titles),
                        seen,
                        seen if assignee else None,
                        seen,
                        first_reply,
                        waiting,
                        last_activity,
                        created,
                        last_activity,
                    )
                )
                previous = contact_last_activity.get(contact_id)
                if previous is None or previous < last_activity:
                    contact_last_activity[contact_id] = last_activity
            await self.sink.begin()
            await self.write(
                conversations,
                (
                    "id",
                    "account_id",
                    "display_id",
                    "uuid",
                    "inbox_id",
                    "contact_id",
                    "contact_inbox_id",
                    "status",
                    "priority",
                    "assignee_id",
                    "team_id",
                    "snoozed_until",
                    "muted",
                    "cached_label_list",
                    "agent_last_seen_at",
                    "assignee_last_seen_at",
                    "contact_last_seen_at",
                    "first_reply_created_at",
                    "waiting_since",
                    "last_activity_at",
                    "created_at",
                    "updated_at",
                ),
                conversation_rows,
            )
            await self.write(conversation_labels, ("id", "account_id", "conversation_id", "title"), label_rows)
            await self.write(
                messages,
                (
                    "id",
                    "account_id",
                    "inbox_id",
                    "conversation_id",
                    "message_type",
                    "content",
                    "content_type",
                    "private",
                    "status",
                    "source_id",
                    "sender_type",
                    "sender_id",
                    "created_at",
                    "updated_at",
                ),
                message_rows,
            )
            await self.sink.commit()
            messages_done += len(message_rows)
            progress("conversations+messages", base + count, total, started)
        self.ids["messages"] = message_id
        self.contact_last_activity = contact_last_activity

    async def finish(self, is_postgres: bool) -> None:
        """Contacts' last activity, the account's display-id counter, sequences, statistics."""
        sink, account = self.sink, self.account_id
        await sink.begin()
        await sink.execute(
            f"UPDATE contacts SET last_activity_at = (SELECT MAX(c.last_activity_at) FROM conversations c "
            f"WHERE c.contact_id = contacts.id), updated_at = updated_at "
            f"WHERE account_id = {account} AND EXISTS (SELECT 1 FROM conversations c WHERE c.contact_id = contacts.id)"
        )
        await sink.execute(
            f"UPDATE accounts SET last_conversation_display_id = "
            f"(SELECT COALESCE(MAX(display_id), 0) FROM conversations WHERE account_id = {account}) "
            f"WHERE id = {account}"
        )
        await sink.commit()
        if is_postgres:
            for name in self.ids:
                await sink.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
            # What autovacuum does shortly after a bulk load (statistics, and the visibility map that
            # index-only scans rely on).
            await sink.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------- orchestration


async def _create_admin(url: str) -> tuple[int, int, str]:
    from frontdesk.accounts.service import create_account_with_admin
    from frontdesk.db import Database
    from frontdesk.kit.tokens import TokenVault

    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            created = await create_account_with_admin(
                uow,
                TokenVault(SECRET_KEY),
                account_name="Bench Co",
                email=f"admin.{uuid.uuid4().hex[:8]}@bench.frontdesk.test",
                password="bench-password",
                user_name="Bench Admin",
            )
    finally:
        await database.dispose()
    return created.account_id, created.user_id, created.access_token


async def _issue_agent_token(url: str, user_id: int) -> str:
    from frontdesk.auth.tokens import issue_access_token
    from frontdesk.db import Database
    from frontdesk.kit.tokens import TokenVault

    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            return await issue_access_token(uow, TokenVault(SECRET_KEY), "User", user_id)
    finally:
        await database.dispose()


async def _fill(db: BenchDatabase, account_id: int, admin_id: int, sizes: Sizes, seed: int) -> Generator:
    sink: Sink = SqliteSink(db.dsn) if db.kind == "sqlite" else await PostgresSink.open(db.dsn)
    try:
        generator = Generator(sink, account_id, sizes, seed)
        await generator.next_ids()
        await generator.people_and_inboxes(admin_id)
        await generator.contacts()
        await generator.conversations()
        await generator.finish(db.kind == "postgres")
    finally:
        await sink.close()
    return generator


async def check_invariants(db: BenchDatabase, account_id: int) -> dict[str, int]:
    """Counts, and the invariants the application relies on (raises if one is broken)."""
    from sqlalchemy import text

    from frontdesk.db import Database

    database = Database(db.url)
    try:
        async with database.unit_of_work(write=False) as uow:

            async def one(sql: str) -> int:
                return int((await uow.conn.execute(text(sql), {"a": account_id})).scalar_one() or 0)

            figures = {
                "conversations": await one("SELECT COUNT(*) FROM conversations WHERE account_id = :a"),
                "messages": await one("SELECT COUNT(*) FROM messages WHERE account_id = :a"),
                "contacts": await one("SELECT COUNT(*) FROM contacts WHERE account_id = :a"),
            }
            last = await one("SELECT last_conversation_display_id FROM accounts WHERE id = :a")
            top = await one("SELECT COALESCE(MAX(display_id), 0) FROM conversations WHERE account_id = :a")
            if last != top:
                raise AssertionError(f"last_conversation_display_id {last} != max display_id {top}")
            if figures["conversations"]:
                sample = (
                    await uow.conn.execute(
                        text(
                            "SELECT c.id, c.cached_label_list, c.last_activity_at, "
                            "(SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id) AS newest "
                            "FROM conversations c WHERE c.account_id = :a ORDER BY c.id LIMIT 50"
                        ),
                        {"a": account_id},
                    )
                ).all()
                for row in sample:
                    titles = (
                        await uow.conn.execute(
                            text("SELECT title FROM conversation_labels WHERE conversation_id = :c"), {"c": row.id}
                        )
                    ).scalars()
                    cached = {t.strip() for t in row.cached_label_list.split(",") if t.strip()}
                    if cached != set(titles):
                        raise AssertionError(f"conversation {row.id}: cached_label_list out of sync")
                    if str(row.newest)[:19] != str(row.last_activity_at)[:19]:
                        raise AssertionError(f"conversation {row.id}: last_activity_at {row.last_activity_at}")
    finally:
        await database.dispose()
    return figures


def generate(db: BenchDatabase, sizes: Sizes, *, seed: int = 1, quiet: bool = False) -> dict[str, Any]:
    """A fresh database holding one generated account; returns (and stores beside it) its record."""
    from frontdesk.migrate import migrate_sync

    began = time.monotonic()
    db.create()
    migrate_sync(db.url)
    account_id, admin_id, token = asyncio.run(_create_admin(db.url))
    generator = asyncio.run(_fill(db, account_id, admin_id, sizes, seed))
    agent_id = generator.agent_ids[0]
    agent_token = asyncio.run(_issue_agent_token(db.url, agent_id))
    seconds = time.monotonic() - began
    figures = asyncio.run(check_invariants(db, account_id))
    record = {
        "kind": db.kind,
        "name": db.name,
        "database_url": db.url,
        "secret_key": SECRET_KEY,
        "account_id": account_id,
        "admin_user_id": admin_id,
        "access_token": token,
        "agent_user_id": agent_id,
        "agent_access_token": agent_token,
        "inbox_ids": generator.inbox_ids,
        "sizes": asdict(sizes),
        "counts": figures,
        "rows_written": generator.rows_written,
        "seconds": round(seconds, 2),
    }
    db.marker.write_text(json.dumps(record, indent=2))
    if not quiet:
        sys.stderr.write(
            f"generated {generator.rows_written:,} rows in {seconds:.1f}s "
            f"({generator.rows_written / seconds:,.0f} rows/s) into {db.kind}:{db.name}\n"
        )
    return record


def ensure(db: BenchDatabase, sizes: Sizes, *, fresh: bool = False) -> dict[str, Any]:
    """The generated database of these sizes: reused when its marker says it holds them, else generated."""
    marker = None if fresh else db.load_marker()
    if marker is not None and marker.get("sizes") == asdict(sizes) and marker.get("secret_key") == SECRET_KEY:
        from frontdesk.migrate import migrate_sync

        # Revisions added since it was generated (indexes among them) apply to the data already there.
        migrate_sync(db.url)
        return marker
    return generate(db, sizes)


def sizes_name(sizes: Sizes) -> str:
    return f"c{sizes.conversations}_m{sizes.messages}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--name", default=None, help="database name (default: from the sizes)")
    parser.add_argument("--quick", action="store_true", help=f"small data: {QUICK}")
    parser.add_argument("--agents", type=int)
    parser.add_argument("--inboxes", type=int)
    parser.add_argument("--teams", type=int)
    parser.add_argument("--contacts", type=int, help="default: as many as conversations")
    parser.add_argument("--conversations", type=int)
    parser.add_argument("--messages", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    base = QUICK if args.quick else Sizes()
    values = asdict(base)
    for key in ("agents", "inboxes", "teams", "conversations", "messages"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    values["contacts"] = args.contacts if args.contacts is not None else values["conversations"]
    sizes = Sizes(**values)
    if sizes.conversations < 1 or sizes.messages < sizes.conversations or sizes.contacts < 1:
        parser.error("need at least one contact, one conversation and a message per conversation")
    db = BenchDatabase(args.db, args.name or sizes_name(sizes))
    record = generate(db, sizes, seed=args.seed)
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
