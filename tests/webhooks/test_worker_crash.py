"""Several ``frontdesk worker`` processes on PostgreSQL, SIGKILLed mid-stream: no delivery is lost,
duplicates only ever repeat a delivery id, and per-key order holds for first receipts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from frontdesk.accounts.service import create_account_with_admin
from frontdesk.db import Database
from frontdesk.kit.time import utc_now
from frontdesk.kit.tokens import TokenVault
from frontdesk.models import webhook_deliveries
from frontdesk.webhooks.outbox import TARGET_ACCOUNT_WEBHOOK, delivery_row, encode_payload
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import ThrowawayDatabase, database_kind

pytestmark = pytest.mark.skipif(database_kind() != "postgres", reason="several workers need PostgreSQL")

KEYS = 10
PER_KEY = 30


def _worker_env(database: ThrowawayDatabase, data_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "FRONTDESK_DATABASE_URL": database.async_url,
        "FRONTDESK_DATA_DIR": data_dir,
        "FRONTDESK_SECRET_KEY": "crash-test",
        "FRONTDESK_WEBHOOK_ALLOW_PRIVATE_NETWORK": "true",
        "FRONTDESK_WEBHOOK_LEASE_SECONDS": "2",
        "FRONTDESK_WEBHOOK_POLL_INTERVAL": "0.05",
        "FRONTDESK_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        "FRONTDESK_WEBHOOK_RETRY_MAX_SECONDS": "0.2",
        "FRONTDESK_WEBHOOK_CONCURRENCY": "8",
        "FRONTDESK_LOG_LEVEL": "warning",
    }


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _enqueue(database: ThrowawayDatabase, url: str) -> dict[str, tuple[str, int]]:
    """An account, a webhook row and KEYS * PER_KEY outbox rows; returns delivery id → (key, sequence)."""

    async def run() -> dict[str, tuple[str, int]]:
        db = Database(database.async_url)
        try:
            async with db.unit_of_work() as uow:
                created = await create_account_with_admin(
                    uow,
                    TokenVault("x"),
                    account_name="Crash",
                    email="crash@example.com",
                    password="password123",
                    user_name="Crash",
                )
            now = utc_now()
            async with db.unit_of_work() as uow:
                webhook_id = (
                    await uow.conn.execute(
                        sa.text(
                            "INSERT INTO webhooks (account_id, url, subscriptions, secret, webhook_type,"
                            " created_at, updated_at) VALUES (:a, :u, '[\"contact_updated\"]', 's', 0, :n, :n)"
                            " RETURNING id"
                        ),
                        {"a": created.account_id, "u": url, "n": now},
                    )
                ).scalar_one()
                rows: list[dict[str, Any]] = []
                for sequence in range(PER_KEY):
                    for key in range(KEYS):
                        payload = {"key": f"k{key}", "seq": sequence, "event": "contact_updated"}
                        rows.append(
                            delivery_row(
                                account_id=created.account_id,
                                target_kind=TARGET_ACCOUNT_WEBHOOK,
                                target_id=webhook_id,
                                url=url,
                                event="contact_updated",
                                event_id=f"00000000-0000-4000-8000-{key:04d}{sequence:08d}",
                                ordering_key=f"k{key}",
                                payload=encode_payload(payload),
                                message_id=None,
                            )
                        )
                await uow.conn.execute(sa.insert(webhook_deliveries), rows)
            return {row["delivery_id"]: (str(row["ordering_key"]), int(row["event_id"][-8:])) for row in rows}
        finally:
            await db.dispose()

    return asyncio.run(run())


@pytest.fixture
def slow_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    receiver.respond(lambda item: (200, {}, 0.03))
    try:
        yield receiver
    finally:
        receiver.stop()


def test_sigkilled_workers_lose_no_delivery(test_database: ThrowawayDatabase, slow_receiver: Receiver) -> None:
    expected = _enqueue(test_database, slow_receiver.url("/crash"))
    env = _worker_env(test_database, tempfile.mkdtemp(prefix="frontdesk-crash-"))
    workers = [_start_worker(env) for _ in range(3)]
    try:
        # Let them get going, then kill every one of them mid-stream.
        deadline = time.monotonic() + 30
        while len(slow_receiver.received()) < len(expected) // 4:
            assert time.monotonic() < deadline, "the workers did not start delivering"
            time.sleep(0.02)
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
        for worker in workers:
            worker.wait(timeout=10)
        received_before = len(slow_receiver.received())
        assert received_before < len(expected), "killed too late to test anything"
        with test_database.sync_engine.connect() as conn:
            leased = conn.execute(
                sa.text(
                    "SELECT count(*) FROM webhook_deliveries WHERE leased_until IS NOT NULL AND status <> 'succeeded'"
                )
            ).scalar_one()
        assert leased > 0, "no delivery was in flight when the workers died"
        # One worker comes back; expired leases make the in-flight rows claimable again.
        workers.append(_start_worker(env))
        deadline = time.monotonic() + 60
        while True:
            with test_database.sync_engine.connect() as conn:
                left = conn.execute(
                    sa.text("SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'")
                ).scalar_one()
            if left == 0:
                break
            assert time.monotonic() < deadline, f"{left} deliveries never finished"
            time.sleep(0.1)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()

    received = slow_receiver.received()
    got = {item.delivery for item in received}
    # Every event arrived at least once.
    assert got == set(expected)
    # A duplicate is always the same delivery (same id, same payload).
    for item in received:
        key, sequence = expected[item.delivery]
        assert item.json["key"] == key
        assert item.json["seq"] == sequence
        assert item.headers["webhook-id"].endswith(f"{int(key[1:]):04d}{sequence:08d}")
    # First receipts of each key are in order.
    first_seen: dict[str, list[int]] = {}
    seen: set[str] = set()
    for item in received:
        if item.delivery in seen:
            continue
        seen.add(item.delivery)
        first_seen.setdefault(item.json["key"], []).append(item.json["seq"])
    for key, sequences in first_seen.items():
        assert sequences == list(range(PER_KEY)), key
    duplicates = len(received) - len(expected)
    print(f"{len(expected)} deliveries, {duplicates} duplicates after the kill")


def test_a_standalone_worker_wakes_on_notify(test_database: ThrowawayDatabase, slow_receiver: Receiver) -> None:
    """Without polling (a 30 s interval), a `frontdesk worker` in another process sends within moments of the
    commit: the outbox's NOTIFY wakes it."""
    slow_receiver.respond(None)
    env = {
        **_worker_env(test_database, tempfile.mkdtemp(prefix="frontdesk-notify-")),
        "FRONTDESK_WEBHOOK_POLL_INTERVAL": "30",
    }
    worker = _start_worker(env)
    try:
        time.sleep(2.0)  # started and idle
        started = time.time()
        expected = _enqueue_notified(test_database, slow_receiver.url("/notify"))
        deadline = time.monotonic() + 10
        while len(slow_receiver.received()) < expected:
            assert time.monotonic() < deadline, "the worker was not woken"
            time.sleep(0.01)
        assert slow_receiver.received()[-1].received_at - started < 5
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)


def _enqueue_notified(database: ThrowawayDatabase, url: str) -> int:
    """A contact event through the real outbox listener (which notifies), to an account webhook."""
    from frontdesk.config import Settings
    from frontdesk.events.dispatcher import Event
    from frontdesk.events.registry import register_listeners

    async def run() -> None:
        db = Database(database.async_url)
        settings = Settings(data_dir=Path(tempfile.gettempdir()), database_url=database.async_url, secret_key="x")
        register_listeners(db.dispatcher, settings)
        try:
            async with db.unit_of_work() as uow:
                created = await create_account_with_admin(
                    uow,
                    TokenVault("x"),
                    account_name="Notify",
                    email="notify@example.com",
                    password="password123",
                    user_name="N",
                )
            now = utc_now()
            async with db.unit_of_work() as uow:
                await uow.conn.execute(
                    sa.text(
                        "INSERT INTO webhooks (account_id, url, subscriptions, secret, webhook_type,"
                        " created_at, updated_at) VALUES (:a, :u, '[\"contact_created\"]', 's', 0, :n, :n)"
                    ),
                    {"a": created.account_id, "u": url, "n": now},
                )
                contact_id = (
                    await uow.conn.execute(
                        sa.text(
                            "INSERT INTO contacts (account_id, name, created_at, updated_at)"
                            " VALUES (:a, 'N', :n, :n) RETURNING id"
                        ),
                        {"a": created.account_id, "n": now},
                    )
                ).scalar_one()
                uow.emit(
                    Event(
                        name="contact.created",
                        account_id=created.account_id,
                        occurred_at=now,
                        subject={"contact_id": contact_id},
                    )
                )
        finally:
            await db.dispose()

    asyncio.run(run())
    return 1
