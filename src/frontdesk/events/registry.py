"""Every listener the dispatcher feeds, in one visible list."""

from __future__ import annotations

from frontdesk.config import Settings
from frontdesk.events.dispatcher import Dispatcher


def register_listeners(dispatcher: Dispatcher, settings: Settings) -> None:
    """Hang webhooks, realtime pushes and the like on the dispatcher.

    Nothing is registered yet: the webhook outbox and the realtime feed add themselves here.
    """
    del dispatcher, settings
