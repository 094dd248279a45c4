"""Where published events go: a per-account log (for resume) and live delivery to this process's hub.

``MemoryBus`` keeps the log in memory and delivers in-process. ``RedisBus`` appends to a Redis stream
per account and publishes on one pub/sub channel, in one atomic script (so the publish order is the
log order), and every server process's reader hands what it hears to its own hub.

An event is stored as its recipient stream names and its ``message`` JSON without the cursor; the
cursor (the log position) is spliced in on delivery (``with_cursor``), so nothing is encoded twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)

CursorKey = tuple[int, int]
# (account_id, cursor, cursor key, streams, message JSON without the cursor)
Deliver = Callable[[int, str, CursorKey, Sequence[str], bytes], None]


def parse_cursor(cursor: str | None) -> CursorKey | None:
    """``"<a>-<b>"`` → ``(a, b)``; anything else → ``None``."""
    if not cursor or not isinstance(cursor, str):
        return None
    first, sep, second = cursor.partition("-")
    if not sep:
        return None
    try:
        key = (int(first), int(second))
    except ValueError:
        return None
    if key[0] < 0 or key[1] < 0:
        return None
    return key


def format_cursor(key: CursorKey) -> str:
    return f"{key[0]}-{key[1]}"


def with_cursor(body: bytes, cursor: str) -> str:
    """``{"event":…,"data":…}`` → ``{"event":…,"data":…,"cursor":"…"}`` without re-encoding."""
    return body[:-1].decode() + ',"cursor":"' + cursor + '"}'


@dataclass(frozen=True)
class Entry:
    key: CursorKey
    cursor: str
    streams: tuple[str, ...]
    body: bytes


def encode_envelope(streams: Sequence[str], body: bytes) -> bytes:
    return ("\n".join(streams)).encode() + b"\n\n" + body


def decode_envelope(raw: bytes) -> tuple[tuple[str, ...], bytes]:
    head, _, body = raw.partition(b"\n\n")
    return tuple(head.decode().split("\n")), body


class Bus(Protocol):
    async def start(self, deliver: Deliver) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, account_id: int, streams: Sequence[str], body: bytes) -> None: ...

    async def replay(self, account_id: int, cursor: str) -> list[Entry] | None:
        """The entries after ``cursor``, oldest first; ``None`` when some of them are no longer kept."""
        ...

    async def head(self, account_id: int) -> str:
        """The account's latest cursor."""
        ...


@dataclass
class _Ring:
    entries: deque[tuple[float, Entry]] = field(default_factory=deque)
    last: int = 0
    # The highest sequence number dropped from the window: a cursor below it cannot be resumed.
    dropped: int = 0


class MemoryBus:
    """One process: cursors are ``<process epoch>-<sequence>``, so a restarted server answers reload."""

    def __init__(self, size: int, window_seconds: float) -> None:
        self.size = size
        self.window = window_seconds
        self.epoch = time.time_ns() // 1_000_000
        self.rings: dict[int, _Ring] = {}
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def stop(self) -> None:
        self._deliver = None

    async def publish(self, account_id: int, streams: Sequence[str], body: bytes) -> None:
        ring = self.rings.get(account_id)
        if ring is None:
            ring = self.rings[account_id] = _Ring()
        ring.last += 1
        key = (self.epoch, ring.last)
        entry = Entry(key, format_cursor(key), tuple(streams), body)
        now = time.monotonic()
        ring.entries.append((now, entry))
        horizon = now - self.window
        while ring.entries and (len(ring.entries) > self.size or ring.entries[0][0] < horizon):
            ring.dropped = ring.entries.popleft()[1].key[1]
        if self._deliver is not None:
            self._deliver(account_id, entry.cursor, key, entry.streams, body)

    async def replay(self, account_id: int, cursor: str) -> list[Entry] | None:
        key = parse_cursor(cursor)
        if key is None or key[0] != self.epoch:
            return None
        ring = self.rings.get(account_id) or _Ring()
        if key[1] < ring.dropped or key[1] > ring.last:
            return None
        return [entry for _, entry in ring.entries if entry.key[1] > key[1]]

    async def head(self, account_id: int) -> str:
        ring = self.rings.get(account_id)
        return format_cursor((self.epoch, ring.last if ring else 0))


# KEYS: stream, channel. ARGV: max length, envelope, window (ms), account id.
# XADD, trim by age, PUBLISH "<account> <id> <envelope>" — atomically, so channel order = stream order.
_PUBLISH_SCRIPT = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'e', ARGV[2])
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d', now_ms - tonumber(ARGV[3])))
redis.call('PUBLISH', KEYS[2], ARGV[4] .. ' ' .. id .. ' ' .. ARGV[2])
return id
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBus:
    """Many processes: a Redis stream per account (the resume log) and one pub/sub channel (live)."""

    def __init__(self, url: str, prefix: str, size: int, window_seconds: float) -> None:
        import redis.asyncio as redis_asyncio

        self.url = url
        self.prefix = prefix
        self.size = size
        self.window_ms = int(window_seconds * 1000)
        self.channel = f"{prefix}:live"
        self.redis: Any = redis_asyncio.Redis.from_url(url)
        self._script: Any = self.redis.register_script(_PUBLISH_SCRIPT)
        self._deliver: Deliver | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # Called after the live channel was lost and heard again: subscribers may have missed events.
        self.on_gap: Callable[[], None] | None = None

    def stream_key(self, account_id: int) -> str:
        return f"{self.prefix}:account:{account_id}"

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._reader = asyncio.create_task(self._read(), name="frontdesk-realtime-redis")
        # Subscribed before the first socket is served: nothing published after start is missed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self.redis.aclose()

    async def _read(self) -> None:
        lost = False
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._ready.set()
                if lost and self.on_gap is not None:
                    self.on_gap()
                lost = False
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is None or message.get("type") != "message":
                        continue
                    self._handle(message["data"])
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except Exception:
                logger.warning("realtime: Redis channel lost, reconnecting", exc_info=True)
                lost = True
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(0.5)

    def _handle(self, raw: bytes) -> None:
        account, _, rest = raw.partition(b" ")
        cursor_raw, _, envelope = rest.partition(b" ")
        cursor = cursor_raw.decode()
        key = parse_cursor(cursor)
        if key is None or self._deliver is None:
            return
        streams, body = decode_envelope(envelope)
        try:
            self._deliver(int(account), cursor, key, streams, body)
        except Exception:
            logger.exception("realtime: delivery failed")

    async def publish(self, account_id: int, streams: Sequence[str], body: bytes) -> None:
        await self._script(
            keys=[self.stream_key(account_id), self.channel],
            args=[self.size, encode_envelope(streams, body), self.window_ms, account_id],
        )

    async def _info(self, account_id: int) -> dict[str, str] | None:
        try:
            raw = await self.redis.execute_command("XINFO", "STREAM", self.stream_key(account_id))
        except Exception as error:  # no such key
            if "no such key" in str(error).lower():
                return None
            raise
        items = list(raw.items()) if isinstance(raw, dict) else list(zip(raw[::2], raw[1::2], strict=False))
        return {_text(name): value for name, value in items}

    async def replay(self, account_id: int, cursor: str) -> list[Entry] | None:
        key = parse_cursor(cursor)
        if key is None:
            return None
        # Read first, then check what was trimmed: if nothing after the cursor had been dropped by
        # the time of the check, the read was complete.
        rows = await self.redis.xrange(self.stream_key(account_id), min=f"({cursor}", max="+", count=self.size + 1)
        info = await self._info(account_id)
        if info is None:
            return [] if key == (0, 0) else None
        last = parse_cursor(_text(info.get("last-generated-id", "0-0"))) or (0, 0)
        if key > last:
            return None
        length = int(info.get("length") or 0)
        if int(info.get("entries-added") or 0) > length:
            # Entries were trimmed, all of them older than the first one kept: a cursor before that
            # one may have missed some (a cursor right before it is answered reload too: conservative).
            first = parse_cursor(_text(info.get("recorded-first-entry-id") or "0-0")) if length else None
            if key < (first if first is not None else last):
                return None
        entries: list[Entry] = []
        for entry_id, fields in rows:
            entry_cursor = _text(entry_id)
            entry_key = parse_cursor(entry_cursor)
            envelope = fields.get(b"e") if isinstance(fields, dict) else None
            if entry_key is None or envelope is None:
                continue
            streams, body = decode_envelope(envelope)
            entries.append(Entry(entry_key, entry_cursor, streams, body))
        return entries

    async def head(self, account_id: int) -> str:
        info = await self._info(account_id)
        if info is None:
            return "0-0"
        return _text(info.get("last-generated-id", "0-0"))


async def redis_reachable(url: str, wait_seconds: float = 1.0) -> bool:
    import redis.asyncio as redis_asyncio

    client: Any = redis_asyncio.Redis.from_url(url, socket_connect_timeout=wait_seconds, socket_timeout=wait_seconds)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()
