"""Per-process caches of what rarely changes and is read on every request.

A :class:`ProcessCache` holds *regions* (the token → user and membership, an account's webhooks, inbox
and channel rows, agents, …), each declaring the tables its entries are read from. Any write to one of
those tables empties the region:

* in this process, when the unit of work that wrote commits (``frontdesk.db`` records the tables each
  statement writes, with the tables its foreign keys cascade to);
* in every other process, by a PostgreSQL ``NOTIFY`` sent in the writing transaction itself, so it is
  delivered exactly when (and only if) the change commits, before the writer answers its client
  (:mod:`frontdesk.cache.invalidation`).

A loader that read the database while an invalidation arrived does not store what it read (the region's
generation moved on), so a stale value never outlives the change that made it stale. A unit of work that
has itself written a region's tables reads around the region. While a process cannot hear other
processes' invalidations (its listening connection is down) the cache is switched off and emptied.
"""

from frontdesk.cache.regions import CACHED_TABLES, ProcessCache, Region

__all__ = ["CACHED_TABLES", "ProcessCache", "Region"]
