"""What one process does, the other sees at once; what either commits is pushed and delivered once, in order.

The checks run right after the change's answer, without waiting: they guard per-process caches
(tokens, memberships, webhook targets, inboxes) that must be invalidated across processes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from frontdesk.auth.tokens import reveal_access_token
from frontdesk.db import Database
from frontdesk.kit.tokens import TokenVault
from tests.conversations.helpers import create_conversation, post_message, setup
from tests.fixtures.api import make_api_inbox, make_contact
from tests.fixtures.receiver import Receiver
from tests.realtime.cable import Cable, identifier, user_pubsub_token
from tests.scaleout.processes import Deployment


def _message_created(receiver: Receiver, path: str, count: int, timeout: float = 60) -> list[Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        items = [item for item in receiver.received(path, accepted_only=True) if item.event == "message_created"]
        if len(items) >= count:
            return items
        assert time.monotonic() < deadline, f"{path}: {len(items)} of {count} message_created deliveries"
        time.sleep(0.05)


def _agent_token(scaled: Deployment, user_id: int) -> str:
    async def reveal() -> str:
        database = Database(scaled.database_url)
        try:
            async with database.unit_of_work() as uow:
                return await reveal_access_token(uow, TokenVault(scaled.env["FRONTDESK_SECRET_KEY"]), "User", user_id)
        finally:
            await database.dispose()

    return asyncio.run(reveal())


def _scalar(scaled: Deployment, statement: str, **params: Any) -> Any:
    with scaled.database.sync_engine.connect() as conn:
        return conn.execute(sa.text(statement), params).scalar_one()


def test_messages_through_both_reach_a_socket_on_one_and_the_webhook_once_in_order(
    scaled: Deployment, receiver: Receiver
) -> None:
    a, b = scaled.servers
    on_a = scaled.create_admin(a)
    on_b = scaled.as_admin_on(on_a, b)
    inbox = make_api_inbox(on_a, webhook_url=receiver.url("/inbox"))
    contact = make_contact(on_a, inbox["id"])
    conversation = create_conversation(on_a, contact["contact_inbox"]["source_id"])
    ident = identifier(user_pubsub_token(scaled.database, on_a.user_id), on_a.account_id, on_a.user_id)
    posted: list[int] = []
    with Cable(b.base_url) as socket_on_b:
        assert socket_on_b.subscribe(ident)["type"] == "confirm_subscription"
        for n in range(40):
            through = on_a if n % 2 == 0 else on_b
            created = post_message(through, conversation["id"], content=f"message {n}", message_type="incoming")
            posted.append(created["id"])
            pushed = socket_on_b.event("message.created", timeout=10)
            assert pushed["data"]["id"] == created["id"], f"message {n} (through {'A' if n % 2 == 0 else 'B'})"
    delivered = _message_created(receiver, "/inbox", 40)
    assert [item.json["id"] for item in delivered] == posted
    deliveries = [item.delivery for item in receiver.received("/inbox")]
    assert len(deliveries) == len(set(deliveries)), "a delivery was sent twice"
    assert len(delivered) == 40


def test_a_reset_token_is_refused_by_the_other_process_at_once(scaled: Deployment) -> None:
    a, b = scaled.servers
    on_a = scaled.create_admin(a)
    on_b = scaled.as_admin_on(on_a, b)
    # B has used (and may have cached) the token.
    assert on_b.api.get("/api/v1/profile").status_code == 200
    reset = on_a.api.post("/api/v1/profile/reset_access_token")
    assert reset.status_code == 200, reset.text
    new_token = reset.json()["access_token"]
    assert new_token != on_a.token
    assert on_b.api.get("/api/v1/profile").status_code == 401
    assert on_b.api.get(on_b.path("/conversations")).status_code == 401
    assert scaled.as_admin_on(on_a, b, new_token).api.get("/api/v1/profile").status_code == 200


def test_an_inbox_webhook_url_changed_on_one_process_is_used_by_the_other_at_once(
    scaled: Deployment, receiver: Receiver
) -> None:
    a, b = scaled.servers
    on_a = scaled.create_admin(a)
    on_b = scaled.as_admin_on(on_a, b)
    ready = setup(on_a)
    changed = on_a.api.patch(
        on_a.path(f"/inboxes/{ready.inbox_id}"), json={"channel": {"webhook_url": receiver.url("/old")}}
    )
    assert changed.status_code == 200, changed.text
    conversation = create_conversation(on_b, ready.source_id)
    first = post_message(on_b, conversation["id"], content="to the old URL")
    changed = on_a.api.patch(
        on_a.path(f"/inboxes/{ready.inbox_id}"), json={"channel": {"webhook_url": receiver.url("/new")}}
    )
    assert changed.status_code == 200, changed.text
    second = post_message(on_b, conversation["id"], content="to the new URL")
    assert [item.json["id"] for item in _message_created(receiver, "/new", 1)] == [second["id"]]
    assert [item.json["id"] for item in _message_created(receiver, "/old", 1)] == [first["id"]]


def test_an_agent_removed_or_promoted_on_one_process_is_seen_by_the_other_at_once(scaled: Deployment) -> None:
    a, b = scaled.servers
    on_a = scaled.create_admin(a)
    added = on_a.api.post(on_a.path("/agents"), json={"name": "Agent", "email": "agent@example.com", "role": "agent"})
    assert added.status_code == 200, added.text
    agent_id = added.json()["id"]
    agent_on_b = scaled.as_admin_on(on_a, b, _agent_token(scaled, agent_id))
    # An agent may list the account's agents, not create an inbox.
    assert agent_on_b.api.get(agent_on_b.path("/agents")).status_code == 200
    new_inbox = {"name": "By the agent", "channel": {"type": "api"}}
    assert agent_on_b.api.post(agent_on_b.path("/inboxes"), json=new_inbox).status_code == 401

    promoted = on_a.api.patch(on_a.path(f"/agents/{agent_id}"), json={"role": "administrator"})
    assert promoted.status_code == 200, promoted.text
    assert agent_on_b.api.post(agent_on_b.path("/inboxes"), json=new_inbox).status_code == 200

    demoted = on_a.api.patch(on_a.path(f"/agents/{agent_id}"), json={"role": "agent"})
    assert demoted.status_code == 200, demoted.text
    assert agent_on_b.api.post(agent_on_b.path("/inboxes"), json=new_inbox).status_code == 401

    assert on_a.api.delete(on_a.path(f"/agents/{agent_id}")).status_code == 200
    assert agent_on_b.api.get(agent_on_b.path("/agents")).status_code == 401
    assert agent_on_b.api.get(agent_on_b.path("/conversations")).status_code == 401


def test_an_account_webhook_deleted_on_one_process_gets_nothing_from_the_other(
    scaled: Deployment, receiver: Receiver
) -> None:
    a, b = scaled.servers
    on_a = scaled.create_admin(a)
    on_b = scaled.as_admin_on(on_a, b)
    ready = setup(on_a)
    hook = on_a.api.post(
        on_a.path("/webhooks"), json={"url": receiver.url("/account"), "subscriptions": ["message_created"]}
    )
    assert hook.status_code == 200, hook.text
    hook_id = hook.json()["payload"]["webhook"]["id"]
    conversation = create_conversation(on_b, ready.source_id)
    first = post_message(on_b, conversation["id"], content="while the webhook exists")
    # Enqueued in the message's own transaction: the rows are there when the answer is.
    query = "SELECT count(*) FROM webhook_deliveries WHERE url = :url AND event = 'message_created'"
    assert _scalar(scaled, query, url=receiver.url("/account")) == 1

    assert [item.json["id"] for item in _message_created(receiver, "/account", 1)] == [first["id"]]

    # Deleting the webhook deletes its deliveries; a message enqueued to it afterwards would be refused by the
    # foreign key (a 4xx/5xx for the message) or, without one, show up here.
    assert on_a.api.delete(on_a.path(f"/webhooks/{hook_id}")).status_code == 200
    second = post_message(on_b, conversation["id"], content="after the webhook is gone")
    assert _scalar(scaled, query, url=receiver.url("/account")) == 0
    inbox_rows = "SELECT count(*) FROM webhook_deliveries WHERE webhook_id IS NOT NULL AND payload LIKE :content"
    assert _scalar(scaled, inbox_rows, content="%after the webhook is gone%") == 0
    assert second["content"] == "after the webhook is gone"
