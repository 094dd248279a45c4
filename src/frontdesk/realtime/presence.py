"""Who is online, as Chatwoot's OnlineStatusTracker: a subscriber is present for ``presence_duration``
seconds (users) or ``contact_presence_duration`` (contacts) after its last ``update_presence``.

In memory for one process; with Redis, sorted sets shared by every process (score = unix time).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

USER = "User"
CONTACT = "Contact"


class Presence(Protocol):
    async def update(self, account_id: int, kind: str, subject_id: int) -> None: ...

    async def present(self, account_id: int, kind: str) -> list[int]: ...


class MemoryPresence:
    def __init__(self, user_seconds: float, contact_seconds: float) -> None:
        self.durations = {USER: user_seconds, CONTACT: contact_seconds}
        self.seen: dict[tuple[int, str], dict[int, float]] = {}

    async def update(self, account_id: int, kind: str, subject_id: int) -> None:
        self.seen.setdefault((account_id, kind), {})[subject_id] = time.time()

    async def present(self, account_id: int, kind: str) -> list[int]:
        seen = self.seen.get((account_id, kind))
        if not seen:
            return []
        horizon = time.time() - self.durations[kind]
        for subject_id in [key for key, at in seen.items() if at < horizon]:
            del seen[subject_id]
        return sorted(seen)


class RedisPresence:
    def __init__(self, redis: Any, prefix: str, user_seconds: float, contact_seconds: float) -> None:
        self.redis = redis
        self.prefix = prefix
        self.durations = {USER: user_seconds, CONTACT: contact_seconds}

    def key(self, account_id: int, kind: str) -> str:
        return f"{self.prefix}:presence:{kind.lower()}s:{account_id}"

    async def update(self, account_id: int, kind: str, subject_id: int) -> None:
        await self.redis.zadd(self.key(account_id, kind), {str(subject_id): int(time.time())})

    async def present(self, account_id: int, kind: str) -> list[int]:
        key = self.key(account_id, kind)
        start = int(time.time() - self.durations[kind])
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, "-inf", f"({start}")
            pipe.zrangebyscore(key, start, "+inf")
            _, members = await pipe.execute()
        return sorted(int(member) for member in members)
