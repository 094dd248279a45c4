"""Every listener the dispatcher feeds, in one visible list."""

from __future__ import annotations

from frontdesk.config import Settings
from frontdesk.events.dispatcher import AfterCommitListener, Dispatcher


def register_listeners(
    dispatcher: Dispatcher, settings: Settings, *, realtime: AfterCommitListener | None = None
) -> None:
    """Hang webhooks, realtime pushes and the like on the dispatcher.

    In transaction (commits with the change): the webhook outbox rows; the template-message jobs
    (greeting, out of office, email collect, CSAT survey).
    After commit: waking this process's webhook delivery workers.
    """
    del settings
    from frontdesk.message_templates.listeners import enqueue_template_jobs
    from frontdesk.webhooks.outbox import enqueue_deliveries, wake_workers

    dispatcher.on_transaction(enqueue_deliveries)
    # After the outbox, which has read the inbox rows this listener decides from.
    dispatcher.on_transaction(enqueue_template_jobs)
    dispatcher.on_commit(wake_workers)
    # After commit: the realtime feed's frames (frontdesk.realtime; the hub lives in the app's lifespan).
    if realtime is not None:
        dispatcher.on_commit(realtime)
