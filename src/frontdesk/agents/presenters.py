"""Agent (user) payloads shared by every domain: the agent partial and the push/webhook senders."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.auth.dependencies import ROLE_NAMES

AVAILABILITY_NAMES = {0: "online", 1: "offline", 2: "busy"}


class AgentPayload(msgspec.Struct):
    """Chatwoot's ``api/v1/models/_agent`` partial (also a conversation's ``meta.assignee``)."""

    id: int
    account_id: int
    availability_status: str
    auto_offline: bool
    confirmed: bool
    email: str
    provider: str
    available_name: str
    name: str
    role: str
    thumbnail: str
    custom_attributes: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class UserPushData(msgspec.Struct, tag_field="type", tag="user"):
    """``User#push_event_data``: a message's sender when an agent wrote it (``"type": "user"``).

    Tagged, so a sender can be typed ``UserPushData | ContactPushData`` and still be documented."""

    id: int
    name: str
    available_name: str
    avatar_url: str
    availability_status: str
    thumbnail: str


def avatar_of(row: Any) -> str:
    """The user's avatar URL, or "" (Chatwoot's ``avatar_url`` when none is attached); rows selected
    without the column have none to show."""
    return getattr(row, "avatar_url", None) or ""


def present_agent(row: Any, account_id: int) -> AgentPayload:
    """``row`` carries the users columns plus ``role``, ``availability`` and ``auto_offline`` of account_users."""
    return AgentPayload(
        id=row.id,
        account_id=account_id,
        availability_status=AVAILABILITY_NAMES.get(row.availability, "offline"),
        auto_offline=row.auto_offline,
        confirmed=row.confirmed_at is not None,
        email=row.email,
        provider="email",
        available_name=row.display_name or row.name,
        name=row.name,
        role=ROLE_NAMES.get(row.role, "agent"),
        thumbnail=avatar_of(row),
        custom_attributes=row.custom_attributes or msgspec.UNSET,
    )


def user_push_data(row: Any, availability: int | None = None) -> UserPushData:
    return UserPushData(
        id=row.id,
        name=row.name,
        available_name=row.display_name or row.name,
        avatar_url=avatar_of(row),
        availability_status=AVAILABILITY_NAMES.get(availability if availability is not None else 1, "offline"),
        thumbnail=avatar_of(row),
    )


def user_webhook_data(row: Any) -> dict[str, Any]:
    """``User#webhook_data``."""
    return {"id": row.id, "name": row.name, "email": row.email, "type": "user"}
