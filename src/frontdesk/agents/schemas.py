"""Wire shapes of agents (Chatwoot's ``api/v1/accounts/agents`` bodies; responses are ``AgentPayload``)."""

from __future__ import annotations

from typing import Literal

from msgspec import UNSET, UnsetType

from frontdesk.kit.schema import Schema, ShortStr

RoleName = Literal["agent", "administrator"]
AvailabilityName = Literal["online", "offline", "busy"]


class AgentCreate(Schema):
    email: ShortStr
    name: ShortStr | None = None
    role: RoleName | None = None
    availability: AvailabilityName | None = None
    auto_offline: bool | None = None


class AgentUpdate(Schema):
    name: ShortStr | None | UnsetType = UNSET
    role: RoleName | None | UnsetType = UNSET
    availability: AvailabilityName | None | UnsetType = UNSET
    auto_offline: bool | None | UnsetType = UNSET
