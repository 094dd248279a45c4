"""Wire shapes of the profile (Chatwoot's ``api/v1/models/_user`` view)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from frontdesk.kit.schema import JsonObject, LongStr, Schema, ShortStr


class ProfileUpdate(Schema):
    name: ShortStr | None = None
    display_name: ShortStr | None = None
    email: ShortStr | None = None
    message_signature: LongStr | None = None
    ui_settings: JsonObject | None = None
    phone_number: ShortStr | None = None
    current_password: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    password: Annotated[str, msgspec.Meta(min_length=6, max_length=128)] | None = None
    password_confirmation: Annotated[str, msgspec.Meta(max_length=128)] | None = None


class AvailabilityUpdate(Schema):
    account_id: int
    availability: Literal["online", "offline", "busy"]


class ProfileAccount(msgspec.Struct):
    id: int
    name: str
    status: str
    active_at: str | None
    role: str
    permissions: list[str]
    availability: str
    availability_status: str
    auto_offline: bool


class ProfilePayload(msgspec.Struct):
    access_token: str
    account_id: int | None
    available_name: str
    avatar_url: str
    confirmed: bool
    display_name: str | None
    message_signature: str | None
    email: str
    id: int
    inviter_id: int | None
    name: str
    provider: str
    pubsub_token: str
    role: str | None
    ui_settings: dict[str, Any]
    uid: str
    type: str | None
    accounts: list[ProfileAccount]
    custom_attributes: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
