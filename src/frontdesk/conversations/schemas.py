"""Request and response shapes of conversations (Chatwoot's conversation views)."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.conversations.presenters import ConversationPayload
from frontdesk.kit.schema import Id, Schema, ShortStr
from frontdesk.messages.schemas import MessageCreate


class ConversationCreate(Schema):
    source_id: str | None = None
    inbox_id: Id | None = None
    contact_id: Id | None = None
    hmac_verified: bool = False
    status: str | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None
    # Unix seconds (number or string) or an ISO-8601 time.
    snoozed_until: int | str | None = None
    additional_attributes: dict[str, Any] | None = None
    custom_attributes: dict[str, Any] | None = None
    message: MessageCreate | None = None


class ToggleStatus(Schema):
    status: str | None = None
    snoozed_until: int | str | None = None


class PriorityChange(Schema):
    """``priority`` absent and ``null`` both clear it, as Chatwoot's ``priority.presence``."""

    priority: str | None = None


class AssignmentCreate(Schema):
    assignee_id: Id | None | msgspec.UnsetType = msgspec.UNSET
    assignee_type: str | None = None
    team_id: Id | None | msgspec.UnsetType = msgspec.UNSET


class LabelsUpdate(Schema):
    labels: list[ShortStr] | None = None


class CustomAttributesUpdate(Schema):
    custom_attributes: dict[str, Any] | None = None


class TypingStatus(Schema):
    typing_status: str | None = None
    is_private: bool = False


class CountsMeta(msgspec.Struct):
    mine_count: int
    assigned_count: int
    unassigned_count: int
    all_count: int


class ConversationListData(msgspec.Struct):
    meta: CountsMeta
    payload: list[ConversationPayload]


class ConversationList(msgspec.Struct):
    data: ConversationListData


class ConversationMetaOnly(msgspec.Struct):
    meta: CountsMeta


class ConversationPayloadList(msgspec.Struct):
    payload: list[ConversationPayload]


class ToggleStatusResult(msgspec.Struct):
    success: bool
    conversation_id: int
    current_status: str
    snoozed_until: str | None


class ToggleStatusResponse(msgspec.Struct):
    meta: dict[str, Any]
    payload: ToggleStatusResult


class LabelList(msgspec.Struct):
    payload: list[str]


class CustomAttributesResponse(msgspec.Struct):
    custom_attributes: dict[str, Any]


class TeamRecord(msgspec.Struct):
    """``render json: @team``: the teams row as Rails dumps it."""

    id: int
    name: str
    description: str | None
    allow_auto_assign: bool
    account_id: int
    created_at: str | None
    updated_at: str | None
