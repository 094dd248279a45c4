"""The cache's regions, the tables each depends on, and which writes touch which tables."""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.sql.dml import Delete, Update, UpdateBase

from frontdesk.models import metadata

T = TypeVar("T")

# Region name → the tables its entries are read from.
REGIONS: dict[str, frozenset[str]] = {
    # Token digest (and the path's account) → the user row and the membership row.
    "auth": frozenset({"access_tokens", "users", "account_users", "accounts"}),
    # Account → its account webhooks (id, url, subscriptions).
    "webhooks": frozenset({"webhooks"}),
    # (table, id) → the row, for the rows payloads show and few requests change.
    "rows": frozenset({"accounts", "inboxes", "channel_api", "channel_web_widgets", "teams"}),
    # Client API inbox identifier → the API inbox with its channel's identifier and HMAC settings.
    "api_inboxes": frozenset({"inboxes", "channel_api"}),
    # Website token → the web widget inbox with its channel's columns and its account's status and locale.
    "widget_inboxes": frozenset({"inboxes", "channel_web_widgets", "accounts"}),
    # (account, user) → the user as an agent of the account (users + account_users).
    "agents": frozenset({"users", "account_users"}),
    # (account, inbox) → the pubsub tokens of the inbox's members and the account's administrators.
    "recipients": frozenset({"users", "account_users", "inbox_members"}),
}
CACHED_TABLES: frozenset[str] = frozenset().union(*REGIONS.values())
# Tables whose rows the "rows" region holds, by primary key.
ROW_TABLES: frozenset[str] = REGIONS["rows"]
# Columns whose update no cached value shows: a conversation create bumps the account's display-id counter.
_UNSHOWN_COLUMNS: dict[str, frozenset[str]] = {"accounts": frozenset({"last_conversation_display_id"})}
MAX_ENTRIES_PER_REGION = 20_000
# The invalidations are what keeps entries right; this bounds the harm of one lost on a connection that
# died without saying so (before the listener notices and switches the cache off).
MAX_AGE_SECONDS = 30.0
# Every cache of this process, so that a change written around Frontdesk can be announced to all of them.
_instances: weakref.WeakSet[ProcessCache] = weakref.WeakSet()


def clear_every_cache() -> None:
    """Empty every cache of this process (after rows were changed without a unit of work, e.g. by hand)."""
    for cache in list(_instances):
        cache.clear()


def _cascades() -> dict[str, frozenset[str]]:
    """Table → every table a DELETE of its rows also changes through ON DELETE CASCADE / SET NULL."""
    direct: dict[str, set[str]] = {}
    for table in metadata.tables.values():
        for key in table.foreign_keys:
            if key.ondelete and key.ondelete.upper() in ("CASCADE", "SET NULL"):
                direct.setdefault(key.column.table.name, set()).add(table.name)
    closure: dict[str, frozenset[str]] = {}
    for name in metadata.tables:
        seen: set[str] = set()
        pending = [name]
        while pending:
            for child in direct.get(pending.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    pending.append(child)
        closure[name] = frozenset(seen)
    return closure


_CASCADES = _cascades()


def written_tables(statement: UpdateBase) -> frozenset[str]:
    """The tables an INSERT, UPDATE or DELETE changes (cascades included); empty for an update the cache
    cannot see."""
    table = statement.table
    name = table.name if isinstance(table, Table) else str(getattr(table, "name", ""))
    if isinstance(statement, Update):
        unshown = _UNSHOWN_COLUMNS.get(name)
        values = getattr(statement, "_values", None) or {}
        if unshown and values and all(getattr(column, "key", column) in unshown for column in values):
            return frozenset()
    if isinstance(statement, Delete):
        return _CASCADES.get(name, frozenset()) | {name}
    return frozenset({name})


class Region:
    def __init__(self, name: str, tables: frozenset[str]) -> None:
        self.name = name
        self.tables = tables
        # key → (value, monotonic time it expires).
        self.entries: dict[Hashable, tuple[Any, float]] = {}
        # Moves on at every invalidation: a load that started before it does not store its result.
        self.generation = 0

    def clear(self) -> None:
        self.entries.clear()
        self.generation += 1


class ProcessCache:
    """The regions of one process. ``enabled`` is False while other processes' changes cannot be heard."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.regions = {name: Region(name, tables) for name, tables in REGIONS.items()}
        self._by_table: dict[str, list[Region]] = {}
        for region in self.regions.values():
            for table in region.tables:
                self._by_table.setdefault(table, []).append(region)
        _instances.add(self)

    async def get(self, name: str, key: Hashable, load: Callable[[], Awaitable[T]], written: Iterable[str] = ()) -> T:
        """The cached value of ``key`` in region ``name``, loaded on a miss. ``written``: the tables the
        caller's own transaction changed; a region depending on one of them is read around. ``None`` (no
        such row, an unknown token) is never kept, so what is created elsewhere is found at once."""
        region = self.regions[name]
        if not self.enabled or (written and not region.tables.isdisjoint(written)):
            return await load()
        entries = region.entries
        now = time.monotonic()
        held = entries.get(key)
        if held is not None and held[1] > now:
            value: T = held[0]
            return value
        generation = region.generation
        loaded = await load()
        if loaded is not None and self.enabled and region.generation == generation:
            if len(entries) >= MAX_ENTRIES_PER_REGION:
                entries.clear()
            entries[key] = (loaded, now + MAX_AGE_SECONDS)
        return loaded

    def invalidate(self, tables: Iterable[str]) -> None:
        for table in tables:
            for region in self._by_table.get(table, ()):
                region.clear()

    def clear(self) -> None:
        for region in self.regions.values():
            region.clear()

    def set_enabled(self, enabled: bool) -> None:
        """Switch caching on or off; either way, what was cached is dropped."""
        self.clear()
        self.enabled = enabled
