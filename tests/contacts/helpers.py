"""Helpers for the contacts tests: direct SQL checks and event capture."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.fixtures.api import Admin
from tests.fixtures.server import ThrowawayDatabase

CONTACT_KEYS = [
    "additional_attributes",
    "availability_status",
    "email",
    "id",
    "name",
    "phone_number",
    "blocked",
    "identifier",
    "thumbnail",
    "custom_attributes",
    "created_at",
]


def count_rows(test_database: ThrowawayDatabase, table: str, where: str = "1=1", **params: Any) -> int:
    with test_database.sync_engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one())


def make_web_inbox(admin: Admin, name: str = "Website") -> dict[str, Any]:
    response = admin.api.post(
        admin.path("/inboxes"),
        json={"name": name, "channel": {"type": "web_widget", "website_url": "https://example.com"}},
    )
    assert response.status_code == 200, response.text
    inbox: dict[str, Any] = response.json()
    return inbox


def create(admin: Admin, **body: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path("/contacts"), json=body)
    assert response.status_code == 200, response.text
    contact: dict[str, Any] = response.json()["payload"]["contact"]
    return contact
