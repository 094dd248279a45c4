"""SIGKILL of one API process under load: nothing answered 200 is lost, nothing is written twice.

Eight clients post through two ``frontdesk serve`` processes, each request with an ``Idempotency-Key``,
failing over to the other process on a connection error, a 5xx or a 409 (the key still held by a request
of the killed process, until its lease runs out). The deliveries belong to two ``frontdesk worker``
processes, which keep running.

No key may be written twice: before the answer was stored in the request's own transaction, this test wrote
one key twice in 2 of 6 runs.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
import sqlalchemy as sa

from tests.conversations.helpers import create_conversation, new_source_id, setup
from tests.fixtures.receiver import Receiver
from tests.scaleout.processes import Deployment

CLIENTS = 8
MESSAGES_PER_CLIENT = 25
KILL_AFTER = 40


def test_sigkill_of_one_server_under_load_loses_and_duplicates_nothing(scaled: Deployment, receiver: Receiver) -> None:
    a, b = scaled.servers
    admin = scaled.create_admin(a)
    ready = setup(admin)
    changed = admin.api.patch(
        admin.path(f"/inboxes/{ready.inbox_id}"), json={"channel": {"webhook_url": receiver.url("/inbox")}}
    )
    assert changed.status_code == 200, changed.text
    conversations = [create_conversation(admin, new_source_id(admin, ready.inbox_id))["id"] for _ in range(CLIENTS)]
    answered: dict[str, int] = {}
    failures: list[str] = []
    retries = {"connection": 0, "5xx": 0, "409": 0}
    lock = threading.Lock()

    def client(index: int) -> None:
        urls = [a.base_url, b.base_url] if index % 2 == 0 else [b.base_url, a.base_url]
        with httpx.Client(headers={"api_access_token": admin.token}, timeout=30) as http:
            for _ in range(MESSAGES_PER_CLIENT):
                key = str(uuid.uuid4())
                deadline = time.monotonic() + 90
                while True:
                    if time.monotonic() > deadline:
                        with lock:
                            failures.append(f"{key}: no 200 in 90 s")
                        return
                    url = f"{urls[0]}{admin.path(f'/conversations/{conversations[index]}/messages')}"
                    try:
                        response = http.post(url, json={"content": key}, headers={"Idempotency-Key": key})
                    except httpx.TransportError:
                        kind = "connection"
                    else:
                        if response.status_code == 200:
                            with lock:
                                answered[key] = response.json()["id"]
                            break
                        if response.status_code == 409 or response.status_code >= 500:
                            kind = "409" if response.status_code == 409 else "5xx"
                        else:
                            with lock:
                                failures.append(f"{key}: {response.status_code} {response.text}")
                            return
                    with lock:
                        retries[kind] += 1
                    urls.reverse()
                    time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(answered) < KILL_AFTER:
        assert time.monotonic() < deadline, f"only {len(answered)} answers before the kill"
        time.sleep(0.005)
    a.popen.kill()
    a.popen.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=180)
    assert not failures, failures
    assert len(answered) == CLIENTS * MESSAGES_PER_CLIENT
    assert retries["connection"] > 0, "the kill interrupted no request: the test did not test anything"

    with scaled.database.sync_engine.connect() as conn:
        rows: list[Any] = list(
            conn.execute(
                sa.text(
                    "SELECT content, id, conversation_id FROM messages "
                    "WHERE account_id = :account AND content IS NOT NULL"
                ),
                {"account": admin.account_id},
            )
        )
    by_key: dict[str, list[int]] = {}
    conversation_of: dict[int, int] = {}
    for content, message_id, conversation_id in rows:
        by_key.setdefault(content, []).append(message_id)
        conversation_of[message_id] = conversation_id
    # Nothing answered 200 is lost: every answered id is a row of its key.
    missing = {key: message_id for key, message_id in answered.items() if message_id not in by_key.get(key, [])}
    assert not missing, f"answered but not stored: {missing}"
    duplicated = {key: ids for key, ids in by_key.items() if key in answered and len(ids) > 1}

    expected = {message_id for key, ids in by_key.items() if key in answered for message_id in ids}
    deadline = time.monotonic() + 90
    while True:
        delivered = [
            item for item in receiver.received("/inbox", accepted_only=True) if item.event == "message_created"
        ]
        if {item.json["id"] for item in delivered} >= expected:
            break
        assert time.monotonic() < deadline, f"{len(expected - {item.json['id'] for item in delivered})} not delivered"
        time.sleep(0.1)
    ids = [item.json["id"] for item in delivered]
    assert len(ids) == len(set(ids)) == len(expected), "a message was delivered more than once"
    per_conversation: dict[int, list[int]] = {}
    for item in delivered:
        per_conversation.setdefault(conversation_of[item.json["id"]], []).append(item.json["id"])
    assert all(ids == sorted(ids) for ids in per_conversation.values()), "out of order within a conversation"
    # The key's answer commits with the request's own changes (kit.transactions), so a process killed after
    # the commit leaves an answered key, which the retry replays.
    assert not duplicated, f"keys written more than once: {duplicated}"
