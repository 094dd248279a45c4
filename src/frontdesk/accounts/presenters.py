"""Account payloads."""

from __future__ import annotations

from typing import Any

from frontdesk.accounts.schemas import AccountPayload
from frontdesk.kit.time import iso

ACCOUNT_STATUSES = {0: "active", 1: "suspended"}


def present_account(row: Any) -> AccountPayload:
    return AccountPayload(
        id=row.id,
        name=row.name,
        locale=row.locale,
        domain=row.domain,
        support_email=row.support_email,
        status=ACCOUNT_STATUSES.get(row.status, "active"),
        settings=row.settings or {},
        custom_attributes=row.custom_attributes or {},
        features={},
        auto_resolve_duration=row.auto_resolve_duration,
        created_at=iso(row.created_at),
        cache_keys={},
        latest_chatwoot_version="4.15.1",
    )


def account_webhook_data(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name}
