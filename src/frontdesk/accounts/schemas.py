"""Wire shapes of accounts (Chatwoot's ``api/v1/models/_account`` view)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from frontdesk.kit.schema import JsonObject, Schema, ShortStr


class AccountUpdate(Schema):
    name: ShortStr | None = None
    locale: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    domain: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    support_email: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    auto_resolve_duration: Annotated[int, msgspec.Meta(ge=1, le=999)] | None = None
    settings: JsonObject | None = None
    custom_attributes: JsonObject | None = None


class AccountPayload(msgspec.Struct):
    id: int
    name: str
    locale: str
    domain: str | None
    support_email: str | None
    status: str
    settings: dict[str, Any]
    custom_attributes: dict[str, Any]
    features: dict[str, bool]
    auto_resolve_duration: int | None
    created_at: str | None
    cache_keys: dict[str, Any]
    latest_chatwoot_version: str
