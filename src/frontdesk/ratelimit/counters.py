"""Fixed-window hit counters: in this process, or in Redis so several processes share them.

A window of ``period`` seconds starts at a multiple of ``period`` since the epoch; a hit increments
the counter of (rule, who, window) and answers the count so far and the seconds until the window
ends (the ``Retry-After`` of a refusal).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    count: int
    # Seconds until the window this hit counted in ends.
    reset_after: float


def _window(period: float, now: float) -> tuple[int, float]:
    index = math.floor(now / period)
    return index, (index + 1) * period - now


class Counters(Protocol):
    async def hit(self, key: str, period: float) -> Hit | None:
        """Count one hit of ``key`` in the current window of ``period``; None when counting failed."""
        ...

    async def close(self) -> None: ...

    async def reset(self) -> None:
        """Forget every counter (tests)."""
        ...


class MemoryCounters:
    """Counters of this process only (the embedded default)."""

    # Expired windows are swept once this many counters exist.
    SWEEP_AT = 10_000

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int, float]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, period: float) -> Hit | None:
        now = time.time()
        index, reset_after = _window(period, now)
        async with self._lock:
            window, count, _ = self._counts.get(key, (index, 0, 0.0))
            count = count + 1 if window == index else 1
            self._counts[key] = (index, count, now + reset_after)
            if len(self._counts) > self.SWEEP_AT:
                self._sweep(now)
        return Hit(count, reset_after)

    def _sweep(self, now: float) -> None:
        for stale in [key for key, (_, _, ends) in self._counts.items() if ends <= now]:
            del self._counts[stale]

    async def close(self) -> None:
        return None

    async def reset(self) -> None:
        async with self._lock:
            self._counts.clear()


class RedisCounters:
    """Counters shared by every process using the same Redis: INCR, and PEXPIRE when the window's key is new."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix

    async def hit(self, key: str, period: float) -> Hit | None:
        index, reset_after = _window(period, time.time())
        redis_key = f"{self._prefix}:{key}:{index}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(redis_key)
                # The key outlives its window a little so that clock skew between processes cannot resurrect it.
                pipe.pexpire(redis_key, math.ceil(period * 1000) + 1000, nx=True)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            # Limits fail open: Redis trouble must not take the API down with it.
            logger.warning("rate-limit counters unavailable: %s", error)
            return None
        return Hit(int(count), reset_after)

    async def close(self) -> None:
        await self._redis.aclose()

    async def reset(self) -> None:
        cursor = 0
        while True:
            cursor, keys = await self._redis.scan(cursor, match=f"{self._prefix}:*", count=500)
            if keys:
                await self._redis.delete(*keys)
            if cursor == 0:
                return
