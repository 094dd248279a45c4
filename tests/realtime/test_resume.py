"""Nothing missed: cursors, resume after a dropped socket, reload past the kept window."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conversations.helpers import create_conversation, post_message, setup
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.realtime.cable import Cable, identifier, user_pubsub_token


def _subscribe(server: RunningServer, ident: str) -> Cable:
    cable = Cable(server)
    assert cable.subscribe(ident)["type"] == "confirm_subscription"
    return cable


def _message_ids(messages: list[dict[str, Any]]) -> list[int]:
    return [m["data"]["id"] for m in messages if m["event"] == "message.created"]


def _last_cursor(cable: Cable) -> str:
    cursors = [frame["message"]["cursor"] for frame in cable.frames if isinstance(frame.get("message"), dict)]
    return str(cursors[-1])


def test_resume_after_disconnect_replays_missed_events_in_order(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
    with _subscribe(server, ident) as cable:
        seen = post_message(admin, conversation["id"], content="seen")
        message = cable.event("message.created")
        assert message["data"]["id"] == seen["id"]
        cable.events(quiet=0.5)
        cursor = _last_cursor(cable)
    missed = [post_message(admin, conversation["id"], content=f"missed {n}")["id"] for n in range(3)]
    with _subscribe(server, ident) as cable:
        cable.send("message", ident, {"action": "resume", "cursor": cursor})
        replayed = cable.events(quiet=0.7)
        assert _message_ids(replayed) == missed
        assert [m["data"]["content"] for m in replayed if m["event"] == "message.created"] == [
            "missed 0",
            "missed 1",
            "missed 2",
        ]
        replay_cursors = [m["cursor"] for m in replayed]
        assert len(set(replay_cursors)) == len(replay_cursors)
        # Live events continue after the replay, and resuming again from the last cursor replays nothing.
        live = post_message(admin, conversation["id"], content="live")
        assert cable.event("message.created")["data"]["id"] == live["id"]
        cable.send("message", ident, {"action": "resume", "cursor": _last_cursor(cable)})
        assert [m for m in cable.events(quiet=0.5) if m["event"] != "presence.update"] == []


def test_resume_from_the_subscribe_cursor_gets_everything_since(
    server: RunningServer, test_database: ThrowawayDatabase, admin: Admin
) -> None:
    """presence.update (sent on subscribe) carries the account's cursor: a client with no event yet resumes from it."""
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
    with _subscribe(server, ident) as cable:
        cursor = cable.presence["cursor"]
    missed = post_message(admin, conversation["id"], content="while away")
    with _subscribe(server, ident) as cable:
        cable.send("message", ident, {"action": "resume", "cursor": cursor})
        assert _message_ids(cable.events(quiet=0.7)) == [missed["id"]]


def test_unknown_cursor_answers_reload(server: RunningServer, test_database: ThrowawayDatabase, admin: Admin) -> None:
    ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
    with _subscribe(server, ident) as cable:
        for bad in ("garbage", "1-999999999", "0-5"):
            cable.send("message", ident, {"action": "resume", "cursor": bad})
            reload = cable.event("reload")
            assert reload["data"] == {"account_id": admin.account_id, "reason": "cursor_expired"}
            assert reload["cursor"] == cable.presence["cursor"]
            assert cable.frames[-1]["identifier"] == ident


@pytest.fixture
def small_window_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, realtime_buffer_size=3)


def test_cursor_older_than_the_window_answers_reload(
    small_window_server: RunningServer, test_database: ThrowawayDatabase
) -> None:
    server = small_window_server
    admin = make_admin(server)
    ready = setup(admin)
    conversation = create_conversation(admin, ready.source_id)
    ident = identifier(user_pubsub_token(test_database, admin.user_id), admin.account_id, admin.user_id)
    with _subscribe(server, ident) as cable:
        cursor = cable.presence["cursor"]
    for n in range(5):
        post_message(admin, conversation["id"], content=f"m{n}")
    time.sleep(0.3)  # Frames are broadcast after the response: let them all be logged first.
    with _subscribe(server, ident) as cable:
        cable.send("message", ident, {"action": "resume", "cursor": cursor})
        answer = cable.events(quiet=0.7)
        assert [m["event"] for m in answer] == ["reload"]
        head = answer[0]["cursor"]
        # From the reload's cursor on, nothing is missing.
        live = post_message(admin, conversation["id"], content="after reload")
        assert cable.event("message.created")["data"]["id"] == live["id"]
    with _subscribe(server, ident) as cable:
        cable.send("message", ident, {"action": "resume", "cursor": head})
        assert _message_ids(cable.events(quiet=0.7)) == [live["id"]]
