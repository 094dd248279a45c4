"""Conversation events as the services raise them: subjects carry ids, ``data`` the changed attributes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from frontdesk.db import UnitOfWork
from frontdesk.events.dispatcher import Event
from frontdesk.kit.time import iso, utc_now

# Chatwoot dispatches conversation.updated only when one of these changed (Conversation#list_of_keys).
UPDATE_KEYS = frozenset(
    {
        "team_id",
        "assignee_id",
        "status",
        "snoozed_until",
        "custom_attributes",
        "label_list",
        "waiting_since",
        "first_reply_created_at",
        "priority",
    }
)


def wire_value(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def changed_attributes(changes: dict[str, tuple[Any, Any]]) -> list[dict[str, Any]]:
    return [
        {name: {"previous_value": wire_value(before), "current_value": wire_value(after)}}
        for name, (before, after) in changes.items()
    ]


def emit_conversation_event(
    uow: UnitOfWork,
    name: str,
    conversation: Any,
    *,
    changes: dict[str, tuple[Any, Any]] | None = None,
    performer_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    data: dict[str, Any] = {}
    if changes is not None:
        data["changed_attributes"] = changed_attributes(changes)
    if performer_id is not None:
        data["performer_id"] = performer_id
    if extra:
        data.update(extra)
    uow.emit(
        Event(
            name=name,
            account_id=conversation.account_id,
            occurred_at=utc_now(),
            subject={"conversation_id": conversation.id, "inbox_id": conversation.inbox_id},
            data=data,
        )
    )


def emit_changes(
    uow: UnitOfWork, conversation: Any, changes: dict[str, tuple[Any, Any]], performer_id: int | None
) -> None:
    """What Chatwoot's after_update_commit raises for a set of changes: status_changed, assignee/team changed
    and conversation.updated (when a key it watches changed)."""
    changes = {key: value for key, value in changes.items() if value[0] != value[1]}
    if not changes:
        return
    if "status" in changes:
        emit_conversation_event(
            uow, "conversation.status_changed", conversation, changes=changes, performer_id=performer_id
        )
    if "assignee_id" in changes:
        emit_conversation_event(uow, "assignee.changed", conversation, changes=changes, performer_id=performer_id)
    if "team_id" in changes:
        emit_conversation_event(uow, "team.changed", conversation, changes=changes, performer_id=performer_id)
    if UPDATE_KEYS.intersection(changes):
        emit_conversation_event(uow, "conversation.updated", conversation, changes=changes, performer_id=performer_id)
