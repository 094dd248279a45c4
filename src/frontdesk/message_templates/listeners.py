"""The in-transaction listener that turns events into template jobs (``frontdesk.events.registry``).

It runs in every commit, the message create's hot path included, so it decides from what the commit
already holds: the new message row and its contact (known to the unit of work) and the inbox row (the
process cache, already read for the webhook outbox). An incoming message in an inbox where no template can apply —
an API inbox with nothing enabled — costs no statement; otherwise one job row, written in the same
transaction so a rolled-back message leaves none.
"""

from __future__ import annotations

from typing import Any

from frontdesk.db import UnitOfWork
from frontdesk.events.dispatcher import Event
from frontdesk.events.rows import RowCache
from frontdesk.inboxes.repository import CHANNEL_WEB_WIDGET
from frontdesk.jobs.queue import enqueue
from frontdesk.message_templates.service import may_send_after_incoming
from frontdesk.messages.enums import INCOMING, SENDER_CONTACT
from frontdesk.models import contacts, inboxes, messages

AFTER_INCOMING_KIND = "message_templates.run"
CSAT_KIND = "message_templates.csat"


def ordering_key(conversation_id: int) -> str:
    """One conversation's template jobs run one at a time, in order: two incoming messages in a row cannot
    both find the conversation without a greeting."""
    return f"message_templates:conversation:{conversation_id}"


def _resolved(event: Event) -> bool:
    for change in event.data.get("changed_attributes") or []:
        status = change.get("status") if isinstance(change, dict) else None
        if isinstance(status, dict) and status.get("current_value") == "resolved":
            return True
    return False


async def _inbox(rows: RowCache, event: Event) -> Any | None:
    inbox_id = event.subject.get("inbox_id")
    return await rows.row(inboxes, int(inbox_id)) if inbox_id is not None else None


async def enqueue_template_jobs(uow: UnitOfWork, events: list[Event], rows: RowCache) -> None:
    """In-transaction listener: ``message_templates.run`` after an incoming message where a template may
    apply, ``message_templates.csat`` when a conversation of an inbox with CSAT enabled is resolved."""
    for event in events:
        if event.name == "message.created":
            message_id = event.subject.get("message_id")
            conversation_id = event.subject.get("conversation_id")
            if message_id is None or conversation_id is None:
                continue
            message = await rows.row(messages, int(message_id))
            if message is None or message.message_type != INCOMING:
                continue
            inbox = await _inbox(rows, event)
            if inbox is None:
                continue
            email = None
            if inbox.channel_type == CHANNEL_WEB_WIDGET and message.sender_type == SENDER_CONTACT:
                # The contact's row as the message create returned it (known to the unit of work).
                contact = await rows.row(contacts, int(message.sender_id))
                email = contact.email if contact is not None else None
            if not may_send_after_incoming(inbox, email):
                continue
            await enqueue(
                uow,
                AFTER_INCOMING_KIND,
                {"conversation_id": int(conversation_id), "message_id": int(message_id)},
                account_id=event.account_id,
                ordering_key=ordering_key(int(conversation_id)),
            )
        elif event.name == "conversation.status_changed" and _resolved(event):
            conversation_id = event.subject.get("conversation_id")
            inbox = await _inbox(rows, event)
            if conversation_id is None or inbox is None or not inbox.csat_survey_enabled:
                continue
            await enqueue(
                uow,
                CSAT_KIND,
                {"conversation_id": int(conversation_id)},
                account_id=event.account_id,
                ordering_key=ordering_key(int(conversation_id)),
            )
