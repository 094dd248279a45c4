"""Profile payloads."""

from __future__ import annotations

from typing import Any

import msgspec

from frontdesk.accounts.presenters import ACCOUNT_STATUSES
from frontdesk.auth.dependencies import ROLE_NAMES
from frontdesk.kit.time import iso
from frontdesk.profile.schemas import ProfileAccount, ProfilePayload

AVAILABILITY_NAMES = {0: "online", 1: "offline", 2: "busy"}
ROLE_PERMISSIONS = {"administrator": ["administrator"], "agent": ["agent"]}


def present_profile(user: Any, memberships: list[Any], token: str) -> ProfilePayload:
    active = memberships[0] if memberships else None
    role = ROLE_NAMES.get(active.role) if active is not None else None
    return ProfilePayload(
        access_token=token,
        account_id=active.account_id if active is not None else None,
        available_name=user.display_name or user.name,
        avatar_url=user.avatar_url or "",
        confirmed=user.confirmed_at is not None,
        display_name=user.display_name,
        message_signature=user.message_signature,
        email=user.email,
        id=user.id,
        inviter_id=active.inviter_id if active is not None else None,
        name=user.name,
        provider="email",
        pubsub_token=user.pubsub_token,
        role=role,
        ui_settings=user.ui_settings or {},
        uid=user.email,
        type="User",
        accounts=[
            ProfileAccount(
                id=membership.account_id,
                name=membership.account_name,
                status=ACCOUNT_STATUSES.get(membership.account_status, "active"),
                active_at=iso(membership.active_at),
                role=ROLE_NAMES.get(membership.role, "agent"),
                permissions=ROLE_PERMISSIONS[ROLE_NAMES.get(membership.role, "agent")],
                availability=AVAILABILITY_NAMES.get(membership.availability, "online"),
                availability_status=AVAILABILITY_NAMES.get(membership.availability, "online"),
                auto_offline=membership.auto_offline,
            )
            for membership in memberships
        ],
        custom_attributes=user.custom_attributes or msgspec.UNSET,
    )
