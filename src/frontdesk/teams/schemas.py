"""Wire shapes of teams and team members (Chatwoot's ``api/v1/models/_team`` partial and the
``teams`` / ``team_members`` views)."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from frontdesk.kit.schema import Schema


class TeamFields(Schema):
    """The body of create and update; absent fields are left as they are (or defaulted on create)."""

    name: str | None | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    allow_auto_assign: bool | None | UnsetType = UNSET

    def given(self) -> dict[str, Any]:
        """The fields the client sent, by name."""
        return {key: value for key in self.__struct_fields__ if (value := getattr(self, key)) is not UNSET}


class TeamMemberIds(Schema):
    """``{"user_ids": [1, 2]}`` (form: ``user_ids[]=1&user_ids[]=2``)."""

    user_ids: list[int]


class TeamPayload(msgspec.Struct):
    """The ``_team`` partial; also a conversation's ``meta.team``."""

    id: int
    name: str
    description: str | None
    allow_auto_assign: bool
    account_id: int
    is_member: bool


class TeamPushData(msgspec.Struct):
    """``Team#push_event_data``."""

    id: int
    name: str
