"""Contact payloads shared by every domain (the REST contact partial lives beside the contacts endpoints)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class ContactPushData(msgspec.Struct):
    """``Contact#push_event_data``: a conversation's ``meta.sender`` and an incoming message's sender."""

    additional_attributes: dict[str, Any]
    custom_attributes: dict[str, Any]
    email: str | None
    id: int
    identifier: str | None
    name: str
    phone_number: str | None
    thumbnail: str
    blocked: bool
    type: Literal["contact"] = "contact"


def contact_push_data(row: Any) -> ContactPushData:
    return ContactPushData(
        additional_attributes=row.additional_attributes or {},
        custom_attributes=row.custom_attributes or {},
        email=row.email,
        id=row.id,
        identifier=row.identifier,
        name=row.name,
        phone_number=row.phone_number,
        thumbnail=row.avatar_url or "",
        blocked=row.blocked,
    )


def contact_webhook_data(row: Any, account: dict[str, Any]) -> dict[str, Any]:
    """``Contact#webhook_data``; ``account`` is ``{"id", "name"}``."""
    return {
        "account": account,
        "additional_attributes": row.additional_attributes or {},
        "avatar": row.avatar_url or "",
        "custom_attributes": row.custom_attributes or {},
        "email": row.email,
        "id": row.id,
        "identifier": row.identifier,
        "name": row.name,
        "phone_number": row.phone_number,
        "thumbnail": row.avatar_url or "",
        "blocked": row.blocked,
    }
