"""The template jobs: each reloads the conversation by id and writes, in one unit of work, the template
messages its rules still call for, so a retried job writes nothing twice."""

from __future__ import annotations

from typing import Any

from frontdesk.jobs.registry import JobContext, handler
from frontdesk.message_templates.listeners import AFTER_INCOMING_KIND, CSAT_KIND
from frontdesk.message_templates.service import send_csat_survey, send_templates_after_incoming


def _id(payload: dict[str, Any], key: str) -> int | None:
    value = payload.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@handler(AFTER_INCOMING_KIND)
async def run_after_incoming(context: JobContext, payload: dict[str, Any]) -> None:
    conversation_id, message_id = _id(payload, "conversation_id"), _id(payload, "message_id")
    if conversation_id is None or message_id is None:
        return
    async with context.database.unit_of_work() as uow:
        await send_templates_after_incoming(
            uow, conversation_id, message_id, flood_limit=context.settings.message_flood_limit
        )


@handler(CSAT_KIND)
async def run_csat(context: JobContext, payload: dict[str, Any]) -> None:
    conversation_id = _id(payload, "conversation_id")
    if conversation_id is None:
        return
    async with context.database.unit_of_work() as uow:
        await send_csat_survey(uow, conversation_id, flood_limit=context.settings.message_flood_limit)
