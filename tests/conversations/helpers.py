"""Helpers for the conversation and message tests: a ready inbox and contact, members, SQL and events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tests.fixtures.api import Admin, Agent, make_agent, make_api_inbox, make_contact
from tests.fixtures.server import RunningServer, ThrowawayDatabase


@dataclass
class Setup:
    """An API inbox and a contact with a session (source_id) on it."""

    inbox: dict[str, Any]
    contact: dict[str, Any]
    source_id: str

    @property
    def inbox_id(self) -> int:
        return int(self.inbox["id"])

    @property
    def contact_id(self) -> int:
        return int(self.contact["id"])


def setup(admin: Admin, **contact_fields: Any) -> Setup:
    inbox = make_api_inbox(admin)
    created = make_contact(admin, inbox["id"], **contact_fields)
    return Setup(inbox, created["contact"], created["contact_inbox"]["source_id"])


def new_source_id(admin: Admin, inbox_id: int, **contact_fields: Any) -> str:
    created = make_contact(admin, inbox_id, **contact_fields)
    source_id: str = created["contact_inbox"]["source_id"]
    return source_id


def create_conversation(admin: Admin, source_id: str, **fields: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path("/conversations"), json={"source_id": source_id, **fields})
    assert response.status_code == 200, response.text
    conversation: dict[str, Any] = response.json()
    return conversation


def post_message(admin: Admin, display_id: int, **fields: Any) -> dict[str, Any]:
    response = admin.api.post(admin.path(f"/conversations/{display_id}/messages"), json=fields)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()
    return message


def add_member(admin: Admin, inbox_id: int, user_ids: list[int]) -> None:
    response = admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox_id, "user_ids": user_ids})
    assert response.status_code == 200, response.text


def agent_in(server: RunningServer, admin: Admin, inbox_id: int | None = None, name: str = "Agent") -> Agent:
    agent = make_agent(server, admin, name=name)
    if inbox_id is not None:
        add_member(admin, inbox_id, [agent.user_id])
    return agent


def sql(test_database: ThrowawayDatabase, statement: str, **params: Any) -> list[Any]:
    with test_database.sync_engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return list(result) if result.returns_rows else []
