"""Team payloads shared by every domain."""

from __future__ import annotations

from typing import Any

from frontdesk.teams.schemas import TeamPayload, TeamPushData


def present_team(row: Any, is_member: bool) -> TeamPayload:
    """The ``_team`` partial; ``is_member`` says whether the requesting user belongs to the team."""
    return TeamPayload(
        id=row.id,
        name=row.name,
        description=row.description,
        allow_auto_assign=row.allow_auto_assign,
        account_id=row.account_id,
        is_member=is_member,
    )


def team_push_data(row: Any) -> TeamPushData:
    """``Team#push_event_data``: ``{"id", "name"}``."""
    return TeamPushData(id=row.id, name=row.name)
