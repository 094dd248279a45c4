"""Many processes: two servers sharing Redis deliver across, resume from the Redis log, share presence."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator

import pytest

from frontdesk.realtime.bus import redis_reachable
from tests.conversations.helpers import create_conversation, post_message, setup
from tests.fixtures.api import make_admin, make_agent
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.realtime.cable import Cable, identifier, user_pubsub_token

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_url() -> str:
    if not asyncio.run(redis_reachable(REDIS_URL)):
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set FRONTDESK_TEST_REDIS_URL)")
    return REDIS_URL


@pytest.fixture
def pair(test_database: ThrowawayDatabase, redis_url: str) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two server processes' worth of app (each its own hub, loop and Redis connections) on one database."""
    prefix = f"frontdesk-test:{uuid.uuid4().hex[:10]}"
    first = serve(test_database, redis_url=redis_url, realtime_redis_prefix=prefix, realtime_buffer_size=20)
    second = serve(test_database, redis_url=redis_url, realtime_redis_prefix=prefix, realtime_buffer_size=20)
    a = next(first)
    b = next(second)
    try:
        yield a, b
    finally:
        for generator in (first, second):
            with pytest.raises(StopIteration):
                next(generator)
        asyncio.run(_forget(redis_url, prefix))


async def _forget(url: str, prefix: str) -> None:
    """Drop the run's streams and presence sets."""
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def test_event_committed_on_one_server_reaches_sockets_on_both(
    pair: tuple[RunningServer, RunningServer], test_database: ThrowawayDatabase
) -> None:
    a, b = pair
    admin = make_admin(a)
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
    with Cable(a) as on_a, Cable(b) as on_b:
        assert on_a.subscribe(ident)["type"] == "confirm_subscription"
        assert on_b.subscribe(ident)["type"] == "confirm_subscription"
        # The log is shared: both servers answer the same cursor.
        assert on_a.presence["cursor"] == on_b.presence["cursor"]
        created = post_message(admin, conversation["id"], content="through Redis")
        got_a = on_a.event("message.created")
        got_b = on_b.event("message.created")
    assert got_a == got_b
    assert got_b["data"]["id"] == created["id"]
    assert got_b["data"]["content"] == "through Redis"
    assert got_b["data"]["account_id"] == admin.account_id


def test_resume_on_another_server_and_reload_past_the_window(
    pair: tuple[RunningServer, RunningServer], test_database: ThrowawayDatabase
) -> None:
    a, b = pair
    admin = make_admin(a)
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
    with Cable(a) as cable:
        assert cable.subscribe(ident)["type"] == "confirm_subscription"
        cable.events(quiet=0.5)
        cursor = [f["message"]["cursor"] for f in cable.frames if isinstance(f.get("message"), dict)][-1]
    missed = [post_message(admin, conversation["id"], content=f"missed {n}")["id"] for n in range(2)]
    # Frames are broadcast after the response: let them be logged before the socket comes back, or they
    # would reach it live instead of through the resume.
    time.sleep(1.0)
    # The socket comes back on the other server.
    with Cable(b) as cable:
        assert cable.subscribe(ident)["type"] == "confirm_subscription"
        cable.send("message", ident, {"action": "resume", "cursor": cursor})
        replayed = cable.events(quiet=0.8)
        assert [m["data"]["id"] for m in replayed if m["event"] == "message.created"] == missed
    # More events than the twenty kept: the old cursor is past the window.
    for n in range(21):
        post_message(admin, conversation["id"], content=f"flood {n}")
    time.sleep(0.5)  # Frames are broadcast after the response: let them all be logged first.
    with Cable(b) as cable:
        assert cable.subscribe(ident)["type"] == "confirm_subscription"
        cable.send("message", ident, {"action": "resume", "cursor": cursor})
        answer = cable.events(quiet=0.8)
        assert [m["event"] for m in answer] == ["reload"]
        assert answer[0]["data"] == {"account_id": admin.account_id, "reason": "cursor_expired"}
        assert answer[0]["cursor"] == cable.presence["cursor"]


def test_presence_is_shared(pair: tuple[RunningServer, RunningServer], test_database: ThrowawayDatabase) -> None:
    a, b = pair
    admin = make_admin(a)
    agent = make_agent(a, admin)
    with Cable(a) as on_a, Cable(b) as on_b:
        ident_admin = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
        ident_agent = identifier(user_pubsub_token(test_database, agent.user_id), admin.account_id, agent.user_id)
        assert on_a.subscribe(ident_admin)["type"] == "confirm_subscription"
        assert on_b.subscribe(ident_agent)["type"] == "confirm_subscription"
        assert on_b.presence["data"]["users"] == {str(admin.user_id): "online", str(agent.user_id): "online"}
