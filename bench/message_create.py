"""Message create through the real server, against a raw-driver one-insert-transaction baseline.

    .venv/bin/python -m bench.message_create --db postgres
    .venv/bin/python -m bench.message_create --db sqlite --quick

What is measured: ``POST /api/v1/accounts/{id}/conversations/{display_id}/messages`` on API-channel
conversations of a generated account (alternately incoming and outgoing, the full response body read),
with an account webhook subscribed to ``message_created`` and a ``webhook_url`` on every API inbox, so
every create also enqueues both webhook deliveries in the outbox (the delivery worker is switched off in
the server, so what is timed is the request, not the deliveries). With ``--client-api``, the Client API's
message create (``POST /public/api/v1/inboxes/…/contacts/…/conversations/…/messages``) is measured in the
same rounds. ``frontdesk serve`` runs in a subprocess; the load comes from this process over loopback with
N concurrent keep-alive clients, bounded in time and requests.

The baseline, measured in the same run on the same database with the same concurrency and bounds:
one transaction inserting one ``messages`` row, straight through the driver (asyncpg with a pool of
N connections; aiosqlite with one connection and ``BEGIN IMMEDIATE`` … ``COMMIT``, as SQLite admits
one writer at a time). The ratio is app requests/s over baseline transactions/s (targets: ≥ 0.25 on
PostgreSQL with both webhook targets, ≥ 0.35 without, ≥ 0.2 on SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    BenchDatabase,
    LoadResult,
    emit,
    expect_ok,
    frontdesk,
    http_session,
    ratio,
    run_load,
)
from bench.generate import Sizes, ensure

SIZES = Sizes(agents=20, inboxes=4, teams=2, contacts=2_000, conversations=2_000, messages=20_000, members_per_inbox=5)
QUICK_SIZES = Sizes(agents=5, inboxes=2, teams=1, contacts=200, conversations=200, messages=1_000, members_per_inbox=3)
BENCHMARK = "message_create"


# ---------------------------------------------------------------- the baseline


async def baseline_postgres(dsn: str, record: dict[str, Any], concurrency: int, duration: float, limit: int) -> Any:
    import asyncpg

    conversations = await _conversation_keys_pg(dsn, record["account_id"])
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    sql = (
        "INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, content_type, private, "
        "status, sender_type, sender_id, created_at, updated_at) "
        "VALUES ($1, $2, $3, 1, $4, 0, false, 0, 'User', $5, $6, $6) RETURNING id"
    )

    async def one(number: int) -> None:
        conversation_id, inbox_id = conversations[number % len(conversations)]
        now = datetime.now(UTC)
        async with pool.acquire() as conn, conn.transaction():
            await conn.fetchval(
                sql, record["account_id"], inbox_id, conversation_id, f"baseline {number}", record["admin_user_id"], now
            )

    try:
        return await run_load(one, concurrency=concurrency, duration=duration, max_requests=limit)
    finally:
        await pool.close()


async def _conversation_keys_pg(dsn: str, account_id: int) -> list[tuple[int, int]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT id, inbox_id FROM conversations WHERE account_id = $1 ORDER BY id", account_id)
    finally:
        await conn.close()
    return [(row["id"], row["inbox_id"]) for row in rows]


async def baseline_sqlite(path: str, record: dict[str, Any], concurrency: int, duration: float, limit: int) -> Any:
    import aiosqlite

    conn = await aiosqlite.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
        await conn.execute(f"PRAGMA {pragma}")
    async with conn.execute(
        "SELECT id, inbox_id FROM conversations WHERE account_id = ? ORDER BY id", (record["account_id"],)
    ) as cursor:
        conversations = [(row[0], row[1]) for row in await cursor.fetchall()]
    lock = asyncio.Lock()
    sql = (
        "INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, content_type, private, "
        "status, sender_type, sender_id, created_at, updated_at) "
        "VALUES (?, ?, ?, 1, ?, 0, 0, 0, 'User', ?, ?, ?) RETURNING id"
    )

    async def one(number: int) -> None:
        conversation_id, inbox_id = conversations[number % len(conversations)]
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        async with lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                async with conn.execute(
                    sql,
                    (
                        record["account_id"],
                        inbox_id,
                        conversation_id,
                        f"baseline {number}",
                        record["admin_user_id"],
                        now,
                        now,
                    ),
                ) as cursor:
                    await cursor.fetchone()
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    try:
        return await run_load(one, concurrency=concurrency, duration=duration, max_requests=limit)
    finally:
        await conn.close()


def run_baseline(db: BenchDatabase, record: dict[str, Any], concurrency: int, duration: float, limit: int) -> Any:
    if db.kind == "postgres":
        return asyncio.run(baseline_postgres(db.dsn, record, concurrency, duration, limit))
    return asyncio.run(baseline_sqlite(db.dsn, record, concurrency, duration, limit))


# ---------------------------------------------------------------- the application


async def add_webhook(base_url: str, record: dict[str, Any]) -> bool:
    """Both webhook targets: an account webhook on message_created, and every API inbox's ``webhook_url``
    (their URLs are never called: the worker is off)."""
    account = f"{base_url}/api/v1/accounts/{record['account_id']}"
    async with http_session(1, record["access_token"]) as session:
        async with session.post(
            f"{account}/webhooks", json={"url": "http://127.0.0.1:9/bench-hook", "subscriptions": ["message_created"]}
        ) as response:
            await response.read()
            if response.status != 200:
                return False
        async with session.get(f"{account}/inboxes") as response:
            listed = await response.json()
        for inbox in listed["payload"]:
            async with session.patch(
                f"{account}/inboxes/{inbox['id']}", json={"channel": {"webhook_url": "http://127.0.0.1:9/bench-inbox"}}
            ) as response:
                await response.read()
                if response.status != 200:
                    return False
    return True


async def client_targets(db: BenchDatabase, record: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(inbox identifier, contact source_id, conversation display id) of the account's conversations."""
    sql = (
        "SELECT ch.identifier, ci.source_id, c.display_id FROM conversations c "
        "JOIN contact_inboxes ci ON ci.id = c.contact_inbox_id JOIN inboxes i ON i.id = c.inbox_id "
        "JOIN channel_api ch ON ch.id = i.channel_id WHERE c.account_id = {0} ORDER BY c.id"
    )
    if db.kind == "postgres":
        import asyncpg

        conn = await asyncpg.connect(db.dsn)
        try:
            rows = await conn.fetch(sql.format("$1"), record["account_id"])
        finally:
            await conn.close()
        return [(row[0], row[1], row[2]) for row in rows]
    import aiosqlite

    async with aiosqlite.connect(db.dsn) as conn, conn.execute(sql.format("?"), (record["account_id"],)) as cursor:
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]


async def message_load(
    base_url: str,
    record: dict[str, Any],
    *,
    concurrency: int,
    duration: float,
    limit: int,
    warmup: int = 20,
    client_targets: list[tuple[str, str, int]] | None = None,
) -> LoadResult:
    """POST messages to the account's conversations from ``concurrency`` clients; the whole response read.
    With ``client_targets``, through the Client API (always incoming, as the contact) instead."""
    account = record["account_id"]
    display_ids = list(range(1, record["counts"]["conversations"] + 1))
    random.Random(7).shuffle(display_ids)
    kinds = itertools.cycle(("incoming", "outgoing"))
    targets = list(client_targets or [])
    random.Random(7).shuffle(targets)
    async with http_session(concurrency, record["access_token"]) as session:

        async def one(number: int) -> None:
            if targets:
                identifier, source_id, display_id = targets[number % len(targets)]
                url = f"{base_url}/public/api/v1/inboxes/{identifier}/contacts/{source_id}/conversations/{display_id}"
                body = {"content": f"Bench message {number}: where is my order?"}
            else:
                display_id = display_ids[number % len(display_ids)]
                url = f"{base_url}/api/v1/accounts/{account}/conversations/{display_id}"
                body = {"content": f"Bench message {number}: where is my order?", "message_type": next(kinds)}
            async with session.post(f"{url}/messages", json=body) as response:
                await expect_ok(response)

        await run_load(one, concurrency=min(concurrency, 4), duration=30, max_requests=warmup)
        return await run_load(one, concurrency=concurrency, duration=duration, max_requests=limit)


def run_app(
    db: BenchDatabase,
    record: dict[str, Any],
    concurrency: int,
    duration: float,
    limit: int,
    *,
    webhook: bool = True,
    client: bool = False,
) -> Any:
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    with frontdesk(
        db.url,
        data_dir,
        log_name=f"{BENCHMARK}-{db.kind}",
        FRONTDESK_EMBEDDED_WORKER="0",
        FRONTDESK_WEBHOOK_ALLOW_PRIVATE_NETWORK="1",
    ) as server:
        added = asyncio.run(add_webhook(server.base_url, record)) if webhook else False
        targets = asyncio.run(client_targets(db, record)) if client else None
        result = asyncio.run(
            message_load(
                server.base_url,
                record,
                concurrency=concurrency,
                duration=duration,
                limit=limit,
                client_targets=targets,
            )
        )
    return result, added


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.message_create", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="small data, a couple of seconds per measure")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=None, help="seconds per measure (default 10, quick 1.5)")
    parser.add_argument("--requests", type=int, default=None, help="at most this many per measure")
    parser.add_argument(
        "--no-webhook", action="store_true", help="no account webhook: what the create costs without the outbox"
    )
    parser.add_argument("--rounds", type=int, default=None, help="alternate baseline/app this many times (best kept)")
    parser.add_argument(
        "--client-api",
        action="store_true",
        help="also measure the Client API's message create (as the contact) in the same rounds",
    )
    args = parser.parse_args(argv)
    duration = args.duration or (1.5 if args.quick else 10.0)
    limit = args.requests or (300 if args.quick else 50_000)
    rounds = args.rounds or (1 if args.quick else 2)
    sizes = QUICK_SIZES if args.quick else SIZES
    db = BenchDatabase(args.db, "message_create_quick" if args.quick else "message_create")
    record = ensure(db, sizes, fresh=True)

    baselines: list[LoadResult] = []
    apps: list[LoadResult] = []
    clients: list[LoadResult] = []
    webhook = False
    for _ in range(rounds):
        baselines.append(run_baseline(db, record, args.concurrency, duration, limit))
        result, added = run_app(db, record, args.concurrency, duration, limit, webhook=not args.no_webhook)
        webhook = webhook or added
        apps.append(result)
        if args.client_api:
            clients.append(
                run_app(db, record, args.concurrency, duration, limit, webhook=not args.no_webhook, client=True)[0]
            )
    base = max(baselines, key=lambda r: r.rps)
    app = max(apps, key=lambda r: r.rps)
    common = {"concurrency": args.concurrency, "rounds": rounds}
    emit(BENCHMARK, db.kind, "baseline: raw-driver insert tx/s", base.rps, "tx/s", n=base.count, **common)
    emit(BENCHMARK, db.kind, "baseline: p99", base.ms(0.99), "ms", p50=base.ms(0.5))
    emit(
        BENCHMARK,
        db.kind,
        "app: POST message req/s",
        app.rps,
        "req/s",
        n=app.count,
        errors=app.errors,
        webhook=webhook,
        **common,
    )
    emit(BENCHMARK, db.kind, "app: p99", app.ms(0.99), "ms", p50=app.ms(0.5))
    emit(
        BENCHMARK,
        db.kind,
        "ratio app/baseline (req/s)",
        ratio(app.rps, base.rps),
        "x",
        target=">=0.25 postgres (0.35 without webhooks), >=0.2 sqlite",
    )
    if clients:
        client = max(clients, key=lambda r: r.rps)
        emit(BENCHMARK, db.kind, "client API: POST message req/s", client.rps, "req/s", n=client.count, **common)
        emit(BENCHMARK, db.kind, "client API: p99", client.ms(0.99), "ms", p50=client.ms(0.5))
        # Cost per message is the inverse of the throughput: the target is the Client API within 1.2x.
        emit(BENCHMARK, db.kind, "cost client/account API", ratio(app.rps, client.rps), "x", target="<=1.2")
        if client.errors:
            print(f"client API: first error: {client.first_error}", file=sys.stderr)
    if app.errors:
        print(f"first error: {app.first_error}", file=sys.stderr)
    return 1 if app.count == 0 or base.count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
