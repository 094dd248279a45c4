"""Fan-out mechanics without a server: one encoding per event, bounded queues, slow sockets dropped."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from frontdesk.config import Settings
from frontdesk.db import Database
from frontdesk.realtime.bus import MemoryBus, with_cursor
from frontdesk.realtime.hub import SLOW_CONSUMER, Connection, Hub, Subscription


class FakeSocket:
    """Records what is sent; ``stuck`` makes every text send wait forever, like a peer that stopped reading."""

    def __init__(self, *, stuck: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.stuck = stuck
        self.scope: dict[str, Any] = {}

    async def send(self, message: dict[str, Any]) -> None:
        if self.stuck and message["type"] == "websocket.send" and message["text"] != SLOW_CONSUMER:
            await asyncio.Event().wait()
        self.sent.append(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.sent.append({"type": "websocket.close", "code": code})


def _hub(tmp_path: Path, **overrides: Any) -> Hub:
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", secret_key="k", **overrides
    )
    return Hub(settings, Database(settings.database_url))


def test_one_event_is_encoded_once_and_wrapped_per_identifier(tmp_path: Path) -> None:
    async def scenario() -> None:
        hub = _hub(tmp_path)
        ident = json.dumps({"channel": "RoomChannel", "pubsub_token": "t", "account_id": 1, "user_id": 1})
        connections = [Connection(hub, FakeSocket(), 100) for _ in range(3)]
        for connection in connections:
            subscription = Subscription(connection, ident, 1, "User", 1, ("1:t", "1:account_1"))
            for name in subscription.streams:
                hub.streams.setdefault(name, set()).add(subscription)
        body = b'{"event":"message.created","data":{"id":7}}'
        # Sent to both of the subscriptions' streams: still one frame per socket.
        hub.deliver(1, "5-1", (5, 1), ["1:t", "1:account_1", "1:other"], body)
        frames = [connection.queue[0] for connection in connections]
        assert all(len(connection.queue) == 1 for connection in connections)
        # The very same string object for every socket with that identifier: built once.
        assert frames[0] is frames[1] is frames[2]
        assert json.loads(frames[0]) == {
            "identifier": ident,
            "message": {"event": "message.created", "data": {"id": 7}, "cursor": "5-1"},
        }
        # A repeat of the same cursor (a replay racing the live stream) is not sent twice.
        hub.deliver(1, "5-1", (5, 1), ["1:t"], body)
        assert all(len(connection.queue) == 1 for connection in connections)

    asyncio.run(scenario())


def test_a_socket_that_falls_behind_is_dropped_without_holding_others(tmp_path: Path) -> None:
    async def scenario() -> None:
        hub = _hub(tmp_path)
        slow_socket, fast_socket = FakeSocket(stuck=True), FakeSocket()
        slow, fast = Connection(hub, slow_socket, 5), Connection(hub, fast_socket, 5)
        for connection in (slow, fast):
            connection.writer = asyncio.create_task(connection.write())
        for n in range(50):
            slow.push(f"frame {n}")
            fast.push(f"frame {n}")
            await asyncio.sleep(0)
        await asyncio.wait_for(slow.done.wait(), timeout=5)
        assert slow.closed
        assert [m.get("text") for m in slow_socket.sent if m["type"] == "websocket.send"] == [SLOW_CONSUMER]
        assert {"type": "websocket.close", "code": 1013} in slow_socket.sent
        await asyncio.sleep(0.01)
        assert [m["text"] for m in fast_socket.sent] == [f"frame {n}" for n in range(50)]
        assert fast.writer is not None
        fast.writer.cancel()

    asyncio.run(scenario())


def test_memory_log_keeps_a_window_and_knows_what_it_dropped() -> None:
    async def scenario() -> None:
        bus = MemoryBus(size=3, window_seconds=600)
        delivered: list[str] = []
        await bus.start(lambda account, cursor, key, streams, body: delivered.append(cursor))
        start = await bus.head(1)
        for n in range(5):
            await bus.publish(1, [f"1:s{n}"], b'{"event":"x","data":{}}')
        assert len(delivered) == 5
        assert await bus.replay(1, start) is None  # two entries after it were dropped
        entries = await bus.replay(1, delivered[1])
        assert entries is not None
        assert [entry.cursor for entry in entries] == delivered[2:]
        assert await bus.replay(1, delivered[-1]) == []
        assert await bus.replay(2, await bus.head(2)) == []
        assert await bus.replay(1, "123-1") is None  # another process's (or a restarted one's) cursor
        assert with_cursor(b'{"a":1}', delivered[0]) == '{"a":1,"cursor":"' + delivered[0] + '"}'

    asyncio.run(scenario())
