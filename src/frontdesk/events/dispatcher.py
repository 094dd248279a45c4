"""The one event dispatcher.

Services raise events on their unit of work (``uow.emit``); the dispatcher hands them to
listeners at two moments: *in transaction* (just before commit, for work that must commit with
the change, such as webhook outbox rows) and *after commit* (for pushes that must never announce
work that was rolled back, such as realtime frames). Both get the commit's :class:`RowCache`, so a
row that several payloads show is read once. Listeners are registered in one visible list,
``frontdesk.events.registry``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontdesk.db import UnitOfWork
    from frontdesk.events.rows import RowCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A domain event, named as Chatwoot names them internally (``message.created``)."""

    name: str
    account_id: int
    occurred_at: datetime
    # Ids of what the event is about (conversation_id, message_id, contact_id, inbox_id, …): jobs reload by id.
    subject: dict[str, Any] = field(default_factory=dict)
    # Event-specific extras: changed attributes, the performer, typing state, …
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def webhook_name(self) -> str:
        """``message.created`` → ``message_created``, the name webhooks carry."""
        return self.name.replace(".", "_")


InTransactionListener = Callable[["UnitOfWork", list[Event], "RowCache"], Awaitable[None]]
AfterCommitListener = Callable[[list[Event], "RowCache"], Awaitable[None]]


class Dispatcher:
    def __init__(self) -> None:
        self.in_transaction: list[InTransactionListener] = []
        self.after_commit_listeners: list[AfterCommitListener] = []

    def on_transaction(self, listener: InTransactionListener) -> None:
        self.in_transaction.append(listener)

    def on_commit(self, listener: AfterCommitListener) -> None:
        self.after_commit_listeners.append(listener)

    async def before_commit(self, uow: UnitOfWork) -> RowCache:
        """Run the in-transaction listeners; the rows they read are the state that commits."""
        from frontdesk.events.rows import FILE_URLS_KEY, RowCache

        rows = RowCache(uow.conn, dict(uow.known_rows), shared=uow.database.cache, written=uow.written)
        rows.entries[FILE_URLS_KEY] = uow.database.files
        # A failing in-transaction listener fails the whole unit of work: nothing half-written.
        for listener in self.in_transaction:
            await listener(uow, uow.events, rows)
        return rows

    async def after_commit(self, events: list[Event], rows: RowCache) -> None:
        """``rows``: what the in-transaction listeners read, detached from the (closed) connection."""
        # The change is committed; a failing push must not turn a success into an error.
        for listener in self.after_commit_listeners:
            try:
                await listener(events, rows)
            except Exception:
                logger.exception("after-commit listener %r failed", listener)
