"""The per-process cache never serves what another process (or this one) has changed.

Two servers on one PostgreSQL database are two caches, each with its own listening connection: a change
made through one is seen by the other on the very next request, with no wait in between. On SQLite one
server serves: its own changes empty its cache at commit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.conversations.helpers import create_conversation, post_message, setup
from tests.fixtures.api import Admin, Api, make_admin, make_agent
from tests.fixtures.server import RunningServer, ThrowawayDatabase, database_kind, serve

postgres_only = pytest.mark.skipif(database_kind() != "postgres", reason="several processes need PostgreSQL")


@pytest.fixture(scope="module")
def other(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    """A second server on the same database: another process's cache and listening connection."""
    yield from serve(test_database, webhook_allow_private_network=True)


@pytest.fixture(scope="module")
def hooks(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, webhook_allow_private_network=True)


def _on(server: RunningServer, admin: Admin) -> Admin:
    """The same administrator, talking to another server."""
    return Admin(admin.account_id, admin.user_id, admin.token, Api(server, admin.token))


def _deliveries(database: ThrowawayDatabase, message_id: int) -> list[str]:
    """The URLs the message's message_created deliveries go to."""
    with database.sync_engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT url, payload FROM webhook_deliveries WHERE event = 'message_created' ORDER BY id")
        )
        return [row.url for row in rows if json.loads(row.payload)["id"] == message_id]


def _wait_feed(server: RunningServer) -> None:
    deadline = time.monotonic() + 10
    while not server.database.cache.enabled:
        assert time.monotonic() < deadline, "the cache's invalidation feed did not connect"
        time.sleep(0.02)


def test_a_reset_token_is_refused_at_once_by_the_server_that_cached_it(
    server: RunningServer, hooks: RunningServer
) -> None:
    admin = make_admin(hooks)
    assert admin.api.get(admin.path()).status_code == 200  # cached now
    reset = admin.api.post("/api/v1/profile/reset_access_token")
    assert reset.status_code == 200, reset.text
    assert admin.api.get(admin.path()).status_code == 401
    fresh = Api(hooks, reset.json()["access_token"])
    assert fresh.get(admin.path()).status_code == 200


@postgres_only
def test_a_token_reset_on_one_process_is_refused_by_the_other_at_once(
    server: RunningServer, other: RunningServer
) -> None:
    _wait_feed(other)
    admin = make_admin(server)
    there = _on(other, admin)
    assert there.api.get(admin.path()).status_code == 200  # the other process cached the token
    assert other.database.cache.regions["auth"].entries
    reset = admin.api.post("/api/v1/profile/reset_access_token")
    assert reset.status_code == 200, reset.text
    assert there.api.get(admin.path()).status_code == 401
    assert Api(other, reset.json()["access_token"]).get(admin.path()).status_code == 200


@postgres_only
def test_an_agent_removed_on_one_process_is_refused_by_the_other_at_once(
    server: RunningServer, other: RunningServer
) -> None:
    _wait_feed(other)
    admin = make_admin(server)
    agent = make_agent(server, admin)
    there = Api(other, agent.token)
    assert there.get(admin.path("/conversations")).status_code == 200
    removed = admin.api.delete(admin.path(f"/agents/{agent.user_id}"))
    assert removed.status_code == 200, removed.text
    assert there.get(admin.path("/conversations")).status_code == 401


@postgres_only
def test_webhook_targets_changed_on_one_process_are_used_by_the_other_at_once(
    hooks: RunningServer, other: RunningServer, test_database: ThrowawayDatabase
) -> None:
    _wait_feed(other)
    admin = make_admin(hooks)
    base = setup(admin)
    conversation = create_conversation(admin, base.source_id)
    hook = admin.api.post(
        admin.path("/webhooks"), json={"url": "http://127.0.0.1:9/first", "subscriptions": ["message_created"]}
    )
    assert hook.status_code == 200, hook.text
    there = _on(other, admin)
    first = post_message(there, conversation["id"], content="cached", message_type="incoming")
    assert _deliveries(test_database, first["id"]) == ["http://127.0.0.1:9/first"]

    # The account webhook goes, the API inbox's webhook_url comes, both through the first process.
    assert admin.api.delete(admin.path(f"/webhooks/{hook.json()['payload']['webhook']['id']}")).status_code == 200
    changed = admin.api.patch(
        admin.path(f"/inboxes/{base.inbox['id']}"), json={"channel": {"webhook_url": "http://127.0.0.1:9/inbox"}}
    )
    assert changed.status_code == 200, changed.text
    after = post_message(there, conversation["id"], content="after", message_type="incoming")
    assert _deliveries(test_database, after["id"]) == ["http://127.0.0.1:9/inbox"]


@postgres_only
def test_without_its_listening_connection_a_process_reads_the_database(
    server: RunningServer, other: RunningServer, test_database: ThrowawayDatabase
) -> None:
    _wait_feed(other)
    admin = make_admin(server)
    there = _on(other, admin)
    assert there.api.get(admin.path()).status_code == 200
    with test_database.sync_engine.begin() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN \"frontdesk_cache\"%'"
            )
        )
    deadline = time.monotonic() + 10
    while other.database.cache.enabled and time.monotonic() < deadline:
        time.sleep(0.02)
    # Off (or already back, and emptied): either way the reset below is seen.
    reset = admin.api.post("/api/v1/profile/reset_access_token")
    assert reset.status_code == 200
    assert there.api.get(admin.path()).status_code == 401
    _wait_feed(other)
