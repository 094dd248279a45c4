"""The sockets of this process, their RoomChannel subscriptions, and fan-out.

An event's ``message`` is encoded once; each subscriber's frame is that text wrapped with its
identifier (one concatenation per distinct identifier). Every socket has a bounded queue drained by
its own writer task, so a slow socket never holds up the others; one that falls too far behind is
told to reconnect and closed (it resumes from its cursor).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from frontdesk.agents.presenters import AVAILABILITY_NAMES
from frontdesk.config import Settings
from frontdesk.db import Database
from frontdesk.events.dispatcher import Event
from frontdesk.events.rows import FILE_URLS_KEY, RowCache
from frontdesk.models import account_users, contact_inboxes, contacts, users
from frontdesk.realtime import payloads
from frontdesk.realtime.bus import Bus, CursorKey, MemoryBus, RedisBus, parse_cursor, with_cursor
from frontdesk.realtime.presence import CONTACT, USER, MemoryPresence, Presence, RedisPresence

logger = logging.getLogger(__name__)

SUBPROTOCOL = "actioncable-v1-json"
WELCOME = '{"type":"welcome"}'
SLOW_CONSUMER = '{"type":"disconnect","reason":"slow_consumer","reconnect":true}'
SHUTDOWN = '{"type":"disconnect","reason":"server_restart","reconnect":true}'
RECENT_KEYS = 1024
# Events built and published together (their rows read in a few statements for the whole batch).
BATCH_EVENTS = 200
# Commits whose frames may wait to be built before a request waits for room.
MAX_PENDING_COMMITS = 5000
PING_SLOTS = 30


class Command(msgspec.Struct):
    command: str
    identifier: str = ""
    data: str | None = None


class Identifier(msgspec.Struct):
    channel: str = ""
    pubsub_token: str | None = None
    account_id: int | str | None = None
    user_id: int | str | None = None


class Action(msgspec.Struct):
    action: str = ""
    cursor: str | None = None


_command_decoder = msgspec.json.Decoder(Command)
_identifier_decoder = msgspec.json.Decoder(Identifier)
_action_decoder = msgspec.json.Decoder(Action)


def _as_int(value: int | str | None) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


class Connection:
    """One websocket: its send queue, its writer task and its subscriptions by identifier."""

    def __init__(self, hub: Hub, socket: Any, max_queue: int) -> None:
        self.hub = hub
        self.socket = socket
        self.max_queue = max_queue
        self.queue: deque[str] = deque()
        self.wake = asyncio.Event()
        self.subscriptions: dict[str, Subscription] = {}
        self.closed = False
        self.done = asyncio.Event()
        self.writer: asyncio.Task[None] | None = None
        hub.opened += 1
        self.slot = hub.opened % PING_SLOTS

    def push(self, frame: str) -> None:
        if self.closed:
            return
        if len(self.queue) >= self.max_queue:
            self.drop(SLOW_CONSUMER, 1013)
            return
        self.queue.append(frame)
        self.wake.set()

    async def write(self) -> None:
        send = self.socket.send
        queue = self.queue
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while queue:
                    await send({"type": "websocket.send", "text": queue.popleft()})
        except asyncio.CancelledError:
            raise
        except Exception:
            # The peer went away mid-send: the reader sees the disconnect and cleans up.
            self.closed = True
            self.done.set()

    def drop(self, frame: str, code: int) -> None:
        """Stop sending, tell the client why (if it still listens) and close."""
        if self.closed:
            return
        self.closed = True
        self.queue.clear()
        if self.writer is not None:
            self.writer.cancel()
        self.hub.spawn(self._close(frame, code))

    async def _close(self, frame: str, code: int) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.socket.send({"type": "websocket.send", "text": frame}), timeout=1.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.socket.close(code=code), timeout=1.0)
        self.done.set()


class Subscription:
    def __init__(
        self,
        connection: Connection,
        identifier: str,
        account_id: int,
        kind: str,
        subject_id: int,
        streams: tuple[str, ...],
    ) -> None:
        self.connection = connection
        self.identifier = identifier
        self.prefix = '{"identifier":' + msgspec.json.encode(identifier).decode() + ',"message":'
        self.account_id = account_id
        self.kind = kind
        self.subject_id = subject_id
        self.streams = streams
        # The highest cursor sent, and the recent ones: a resume never repeats what the socket already got.
        self.last: CursorKey | None = None
        self.recent: deque[CursorKey] = deque()
        self.recent_keys: set[CursorKey] = set()
        self.resuming = 0
        self.pending: list[tuple[CursorKey, str]] = []
        self.lock = asyncio.Lock()

    def frame(self, message: str) -> str:
        return self.prefix + message + "}"

    def record(self, key: CursorKey) -> None:
        if self.last is None or key > self.last:
            self.last = key
        self.recent.append(key)
        self.recent_keys.add(key)
        if len(self.recent) > RECENT_KEYS:
            self.recent_keys.discard(self.recent.popleft())

    def send(self, key: CursorKey, message: str) -> None:
        if key in self.recent_keys:
            return
        self.record(key)
        self.connection.push(self.frame(message))


class Hub:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.bus: Bus
        self.presence: Presence
        if settings.redis_url:
            redis_bus = RedisBus(
                settings.redis_url,
                settings.realtime_redis_prefix,
                settings.realtime_buffer_size,
                settings.realtime_window_seconds,
            )
            redis_bus.on_gap = self.resync
            self.bus = redis_bus
            self.presence = RedisPresence(
                redis_bus.redis,
                settings.realtime_redis_prefix,
                settings.presence_duration,
                settings.contact_presence_duration,
            )
        else:
            self.bus = MemoryBus(settings.realtime_buffer_size, settings.realtime_window_seconds)
            self.presence = MemoryPresence(settings.presence_duration, settings.contact_presence_duration)
        self.connections: set[Connection] = set()
        self.opened = 0
        self.streams: dict[str, set[Subscription]] = {}
        self.events: asyncio.Queue[tuple[list[Event], RowCache]] = asyncio.Queue(maxsize=MAX_PENDING_COMMITS)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._workers: list[asyncio.Task[None]] = []
        self.started = False

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.bus.start(self.deliver)
        self._workers = [
            asyncio.create_task(self._broadcast_events(), name="frontdesk-realtime-events"),
            asyncio.create_task(self._ping(), name="frontdesk-realtime-ping"),
        ]
        self.started = True

    async def stop(self) -> None:
        self.started = False
        for connection in list(self.connections):
            connection.drop(SHUTDOWN, 1012)
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # Requests waiting for room in a full queue go on (their frames are not built any more).
        while not self.events.empty():
            self.events.get_nowait()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        await self.bus.stop()

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ping(self) -> None:
        """Every socket gets a ping every ``realtime_ping_interval`` seconds, spread over the interval in
        ``PING_SLOTS`` ticks (a slice of the sockets per tick) rather than all at once, so a ping round
        never holds up events behind a thousand sends."""
        tick = self.settings.realtime_ping_interval / PING_SLOTS
        slot = 0
        while True:
            await asyncio.sleep(tick)
            slot = (slot + 1) % PING_SLOTS
            due = [connection for connection in self.connections if connection.slot == slot]
            if due:
                frame = '{"type":"ping","message":' + str(int(time.time())) + "}"
                for connection in due:
                    connection.push(frame)

    # -- events → frames ---------------------------------------------------------------------------

    async def after_commit(self, events: list[Event], rows: RowCache) -> None:
        """The dispatcher's after-commit listener: queue, never build in the request. When the frames fall
        ``MAX_PENDING_COMMITS`` commits behind, the request waits for room (memory stays bounded)."""
        if not self.started:
            return
        wanted = [event for event in events if payloads.handles(event)]
        if wanted:
            await self.events.put((wanted, rows))

    async def _broadcast_events(self) -> None:
        while True:
            batch = [await self.events.get()]
            count = len(batch[0][0])
            while not self.events.empty() and count < BATCH_EVENTS:
                batch.append(self.events.get_nowait())
                count += len(batch[-1][0])
            try:
                await self.broadcast(batch)
            except Exception:
                logger.exception("realtime: broadcasting %d events failed", count)

    async def broadcast(self, commits: Sequence[tuple[Sequence[Event], RowCache | None]]) -> None:
        """Build and publish the frames of several commits' events, in commit order.

        Each commit's events see that commit's rows (what its webhook payloads read); what those lack is
        read now, shared by the batch, with the rows the events name read in a few statements up front."""
        built: list[payloads.Broadcast] = []
        async with self.database.unit_of_work(write=False) as uow:
            fresh = RowCache(uow.conn, {FILE_URLS_KEY: self.database.files}, shared=self.database.cache)
            await payloads.prefetch(fresh, [(event, known) for events, known in commits for event in events])
            for events, known in commits:
                rows = known.over(fresh) if known is not None else fresh
                for event in events:
                    try:
                        item = await payloads.build_broadcast(rows, event)
                    except Exception:
                        logger.exception("realtime: building %s failed", event.name)
                        continue
                    if item is not None:
                        built.append(item)
        for item in built:
            try:
                await self.bus.publish(item.account_id, item.streams, msgspec.json.encode(item.message))
            except Exception:
                # Redis unreachable: the event is lost for live sockets; their next resume answers reload
                # if the log lost it too.
                logger.exception("realtime: publishing %s failed", item.message.get("event"))

    def deliver(self, account_id: int, cursor: str, key: CursorKey, streams: Sequence[str], body: bytes) -> None:
        """Fan one logged event out to this process's subscribers (called in log order)."""
        found: set[Subscription] | None = None
        for name in streams:
            subscribers = self.streams.get(name)
            if subscribers:
                if found is None:
                    found = set(subscribers)
                else:
                    found.update(subscribers)
        if not found:
            return
        message = with_cursor(body, cursor)
        frames: dict[str, str] = {}
        for subscription in found:
            if subscription.resuming:
                subscription.pending.append((key, message))
                continue
            # The live order is the log order: anything at or below the last cursor sent was replayed.
            if subscription.last is not None and key <= subscription.last:
                continue
            subscription.record(key)
            frame = frames.get(subscription.prefix)
            if frame is None:
                frame = frames[subscription.prefix] = subscription.frame(message)
            subscription.connection.push(frame)

    # -- sockets -----------------------------------------------------------------------------------

    async def serve(self, socket: Any) -> None:
        requested = socket.scope.get("subprotocols") or []
        await socket.accept(subprotocols=SUBPROTOCOL if SUBPROTOCOL in requested else None)
        connection = Connection(self, socket, self.settings.realtime_send_queue)
        self.connections.add(connection)
        connection.writer = asyncio.create_task(connection.write())
        connection.push(WELCOME)
        reader = asyncio.create_task(self._read(connection))
        done_waiter = asyncio.create_task(connection.done.wait())
        try:
            await asyncio.wait({reader, done_waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, done_waiter):
                task.cancel()
            connection.closed = True
            if connection.writer is not None:
                connection.writer.cancel()
            for subscription in list(connection.subscriptions.values()):
                self._remove(subscription)
            connection.subscriptions.clear()
            self.connections.discard(connection)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await connection.writer

    async def _read(self, connection: Connection) -> None:
        receive = connection.socket.receive
        while True:
            message = await receive()
            kind = message.get("type")
            if kind == "websocket.disconnect":
                return
            if kind != "websocket.receive":
                continue
            raw = message.get("text")
            if raw is None:
                data = message.get("bytes")
                raw = data.decode(errors="replace") if data else ""
            try:
                command = _command_decoder.decode(raw)
            except msgspec.DecodeError:
                logger.debug("realtime: unreadable command %r", raw[:200])
                continue
            try:
                await self._command(connection, command)
            except Exception:
                logger.exception("realtime: command %s failed", command.command)

    async def _command(self, connection: Connection, command: Command) -> None:
        if command.command == "subscribe":
            await self._subscribe(connection, command.identifier)
        elif command.command == "unsubscribe":
            subscription = connection.subscriptions.pop(command.identifier, None)
            if subscription is not None:
                self._remove(subscription)
        elif command.command == "message":
            subscription = connection.subscriptions.get(command.identifier)
            if subscription is None:
                return
            try:
                action = _action_decoder.decode(command.data or "{}")
            except msgspec.DecodeError:
                return
            if action.action == "update_presence":
                await self.presence.update(subscription.account_id, subscription.kind, subscription.subject_id)
                await self._send_presence(subscription)
            elif action.action == "resume":
                await self.resume(subscription, action.cursor)

    def _reject(self, connection: Connection, identifier: str) -> None:
        connection.push('{"identifier":' + msgspec.json.encode(identifier).decode() + ',"type":"reject_subscription"}')

    async def _subscribe(self, connection: Connection, identifier: str) -> None:
        if identifier in connection.subscriptions:
            return
        try:
            params = _identifier_decoder.decode(identifier)
        except msgspec.DecodeError:
            self._reject(connection, identifier)
            return
        token = params.pubsub_token
        if params.channel != "RoomChannel" or not isinstance(token, str) or not token:
            self._reject(connection, identifier)
            return
        user_id = _as_int(params.user_id)
        async with self.database.unit_of_work(write=False) as uow:
            if params.user_id not in (None, ""):
                account_id = _as_int(params.account_id)
                row = None
                if user_id is not None and account_id is not None:
                    row = (
                        await uow.conn.execute(
                            select(users.c.id)
                            .join(
                                account_users,
                                and_(account_users.c.user_id == users.c.id, account_users.c.account_id == account_id),
                            )
                            .where(users.c.pubsub_token == token, users.c.id == user_id)
                        )
                    ).first()
                if row is None or account_id is None:
                    self._reject(connection, identifier)
                    return
                kind, subject_id = USER, row.id
                streams: tuple[str, ...] = (payloads.stream(account_id, token), payloads.account_stream(account_id))
            else:
                found = (
                    await uow.conn.execute(
                        select(contact_inboxes.c.contact_id, contacts.c.account_id)
                        .join(contacts, contacts.c.id == contact_inboxes.c.contact_id)
                        .where(contact_inboxes.c.pubsub_token == token)
                    )
                ).first()
                if found is None:
                    self._reject(connection, identifier)
                    return
                account_id = found.account_id
                kind, subject_id = CONTACT, found.contact_id
                streams = (payloads.stream(account_id, token),)
        if connection.closed or identifier in connection.subscriptions:
            return
        subscription = Subscription(connection, identifier, account_id, kind, subject_id, streams)
        connection.subscriptions[identifier] = subscription
        for name in streams:
            self.streams.setdefault(name, set()).add(subscription)
        connection.push('{"identifier":' + msgspec.json.encode(identifier).decode() + ',"type":"confirm_subscription"}')
        await self.presence.update(account_id, kind, subject_id)
        await self._send_presence(subscription)

    def _remove(self, subscription: Subscription) -> None:
        for name in subscription.streams:
            subscribers = self.streams.get(name)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self.streams[name]

    # -- presence ------------------------------------------------------------------------------------

    async def presence_data(self, account_id: int, *, with_contacts: bool) -> dict[str, Any]:
        present = await self.presence.present(account_id, USER)
        async with self.database.unit_of_work(write=False) as uow:
            condition: ColumnElement[bool] = account_users.c.auto_offline.is_(False)
            if present:
                condition = or_(condition, account_users.c.user_id.in_(present))
            result = await uow.conn.execute(
                select(account_users.c.user_id, account_users.c.availability)
                .where(account_users.c.account_id == account_id, condition)
                .order_by(account_users.c.user_id)
            )
            statuses = {str(row.user_id): AVAILABILITY_NAMES.get(row.availability, "online") for row in result}
        data: dict[str, Any] = {"account_id": account_id, "users": statuses}
        if with_contacts:
            data["contacts"] = {
                str(contact_id): "online" for contact_id in await self.presence.present(account_id, CONTACT)
            }
        return data

    async def _send_presence(self, subscription: Subscription) -> None:
        data = await self.presence_data(subscription.account_id, with_contacts=subscription.kind == USER)
        head = await self.bus.head(subscription.account_id)
        message = msgspec.json.encode({"event": "presence.update", "data": data})
        subscription.connection.push(subscription.frame(with_cursor(message, head)))

    # -- resume --------------------------------------------------------------------------------------

    async def resume(self, subscription: Subscription, cursor: str | None) -> None:
        """Replay what the subscription's streams got after ``cursor``, or answer ``reload``."""
        async with subscription.lock:
            subscription.resuming += 1
            try:
                entries = await self.bus.replay(subscription.account_id, cursor) if cursor else None
                if entries is None:
                    head = await self.bus.head(subscription.account_id)
                    body = msgspec.json.encode(
                        {
                            "event": "reload",
                            "data": {"account_id": subscription.account_id, "reason": "cursor_expired"},
                        }
                    )
                    subscription.connection.push(subscription.frame(with_cursor(body, head)))
                    head_key = parse_cursor(head)
                    if head_key is not None and (subscription.last is None or head_key > subscription.last):
                        subscription.last = head_key
                else:
                    # Entries the socket already got live (between its subscribe and this resume) are not
                    # repeated; the rest follow in log order.
                    wanted = set(subscription.streams)
                    for entry in entries:
                        if wanted.intersection(entry.streams):
                            subscription.send(entry.key, with_cursor(entry.body, entry.cursor))
            finally:
                subscription.resuming -= 1
                pending, subscription.pending = subscription.pending, []
                for key, message in pending:
                    subscription.send(key, message)

    def resync(self) -> None:
        """The live channel was interrupted: every subscription catches up from its last cursor."""
        for connection in list(self.connections):
            for subscription in list(connection.subscriptions.values()):
                if subscription.last is not None:
                    cursor = f"{subscription.last[0]}-{subscription.last[1]}"
                    self.spawn(self.resume(subscription, cursor))
