"""Idempotency-Key on the Application API: replays, concurrent retries, reuse, scoping, 5xx, expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from frontdesk.contacts import service as contacts_service
from frontdesk.idempotency import store
from tests.fixtures.api import Admin, make_admin, make_agent, unique
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve


def count_contacts(test_database: ThrowawayDatabase, account_id: int) -> int:
    with test_database.sync_engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT count(*) FROM contacts WHERE account_id = :a"), {"a": account_id}).scalar_one()
        )


def key_rows(test_database: ThrowawayDatabase) -> list[Any]:
    with test_database.sync_engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT * FROM idempotency_keys ORDER BY id")))


def post_contact(admin: Admin, key: str | None, body: dict[str, Any]) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return admin.api.post(admin.path("/contacts"), json=body, headers=headers)


def test_a_retry_with_the_same_key_replays_the_first_answer(admin: Admin, test_database: ThrowawayDatabase) -> None:
    body = {"name": "Alice", "email": f"{unique('alice')}@example.com"}
    first = post_contact(admin, "key-1", body)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers

    second = post_contact(admin, "key-1", body)
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.content == first.content
    assert second.json()["payload"]["contact"]["id"] == first.json()["payload"]["contact"]["id"]
    assert count_contacts(test_database, admin.account_id) == 1

    rows = key_rows(test_database)
    assert len(rows) == 1
    assert rows[0].state == "completed"
    assert rows[0].response_status == 200
    assert rows[0].idempotency_key == "key-1"
    assert bytes(rows[0].response_body) == first.content


def test_without_a_key_every_request_runs(admin: Admin, test_database: ThrowawayDatabase) -> None:
    assert post_contact(admin, None, {"name": "Bob"}).status_code == 200
    assert post_contact(admin, None, {"name": "Bob"}).status_code == 200
    assert count_contacts(test_database, admin.account_id) == 2
    assert key_rows(test_database) == []


def test_concurrent_retries_run_once_and_answer_alike(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    body = {"name": "Carol", "email": f"{unique('carol')}@example.com"}
    attempts = 8
    barrier = threading.Barrier(attempts)

    def attempt(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, headers={"api_access_token": admin.token}, timeout=30) as client:
            barrier.wait()
            return client.post(admin.path("/contacts"), json=body, headers={"Idempotency-Key": "same-key"})

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        responses = list(pool.map(attempt, range(attempts)))

    assert [response.status_code for response in responses] == [200] * attempts
    assert len({response.content for response in responses}) == 1
    replayed = [response for response in responses if response.headers.get("idempotent-replayed") == "true"]
    assert len(replayed) == attempts - 1
    assert count_contacts(test_database, admin.account_id) == 1
    assert len(key_rows(test_database)) == 1


def test_the_same_key_with_another_body_is_refused(admin: Admin, test_database: ThrowawayDatabase) -> None:
    assert post_contact(admin, "key-2", {"name": "Dave"}).status_code == 200
    response = post_contact(admin, "key-2", {"name": "Eve"})
    assert response.status_code == 422
    assert response.json() == {"error": "Idempotency-Key reused with a different request body"}
    assert "idempotent-replayed" not in response.headers
    assert count_contacts(test_database, admin.account_id) == 1


def test_the_same_key_with_another_query_string_is_refused(admin: Admin) -> None:
    path = admin.path("/contacts")
    assert admin.api.post(path, json={"name": "Q"}, headers={"Idempotency-Key": "q"}).status_code == 200
    response = admin.api.post(path + "?x=1", json={"name": "Q"}, headers={"Idempotency-Key": "q"})
    assert response.status_code == 422
    assert response.json() == {"error": "Idempotency-Key reused with a different request body"}


def test_keys_are_scoped_to_the_caller(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    body = {"name": "Frank"}
    assert post_contact(admin, "shared-key", body).status_code == 200
    agent = make_agent(server, admin)
    response = agent.api.post(admin.path("/contacts"), json=body, headers={"Idempotency-Key": "shared-key"})
    assert response.status_code == 200, response.text
    assert "idempotent-replayed" not in response.headers
    assert count_contacts(test_database, admin.account_id) == 2

    other = make_admin(server, account_name="Other")
    response = other.api.post(other.path("/contacts"), json=body, headers={"Idempotency-Key": "shared-key"})
    assert response.status_code == 200
    assert "idempotent-replayed" not in response.headers
    assert count_contacts(test_database, other.account_id) == 1
    assert len(key_rows(test_database)) == 3


def test_keys_are_scoped_to_the_path_and_method(admin: Admin) -> None:
    assert post_contact(admin, "k", {"name": "Gina"}).status_code == 200
    response = admin.api.post(admin.path("/labels"), json={"title": "vip"}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 200, response.text
    assert "idempotent-replayed" not in response.headers


def test_client_errors_are_stored_and_replayed(admin: Admin, test_database: ThrowawayDatabase) -> None:
    body = {"name": "Bad", "email": "not-an-email"}
    first = post_contact(admin, "bad-1", body)
    assert first.status_code == 422
    second = post_contact(admin, "bad-1", body)
    assert second.status_code == 422
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert count_contacts(test_database, admin.account_id) == 0


def test_a_server_error_releases_the_key(
    admin: Admin, test_database: ThrowawayDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = contacts_service.create_contact
    calls = {"n": 0}

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return await real(*args, **kwargs)

    monkeypatch.setattr(contacts_service, "create_contact", failing_once)
    body = {"name": "Hank"}
    first = post_contact(admin, "five-hundred", body)
    assert first.status_code == 500
    assert key_rows(test_database) == []

    second = post_contact(admin, "five-hundred", body)
    assert second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    third = post_contact(admin, "five-hundred", body)
    assert third.headers["idempotent-replayed"] == "true"
    assert third.content == second.content
    assert count_contacts(test_database, admin.account_id) == 1


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_a_key_out_of_bounds_is_refused(admin: Admin, test_database: ThrowawayDatabase, key: str) -> None:
    response = post_contact(admin, key, {"name": "Ivy"})
    assert response.status_code == 422
    assert response.json() == {"error": "Idempotency-Key must be between 1 and 255 characters"}
    assert count_contacts(test_database, admin.account_id) == 0


def test_a_key_of_255_characters_is_accepted(admin: Admin) -> None:
    key = "k" * 255
    assert post_contact(admin, key, {"name": "Jo"}).status_code == 200
    assert post_contact(admin, key, {"name": "Jo"}).headers["idempotent-replayed"] == "true"


def test_reads_ignore_the_key(admin: Admin, test_database: ThrowawayDatabase) -> None:
    response = admin.api.get(admin.path("/contacts"), headers={"Idempotency-Key": "read"})
    assert response.status_code == 200
    assert key_rows(test_database) == []


def test_multipart_retries_match_whatever_the_boundary(admin: Admin, test_database: ThrowawayDatabase) -> None:
    path = admin.path("/contacts")
    for boundary in ("first-boundary", "second-boundary"):
        content = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nKim\r\n--{boundary}--\r\n'
        ).encode()
        response = admin.api.post(
            path,
            content=content,
            headers={"Idempotency-Key": "multi", "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 200, response.text
    assert response.headers["idempotent-replayed"] == "true"
    assert count_contacts(test_database, admin.account_id) == 1


def test_the_key_is_kept_at_least_the_default_day(admin: Admin, test_database: ThrowawayDatabase) -> None:
    assert post_contact(admin, "ttl", {"name": "Lee"}).status_code == 200
    row = key_rows(test_database)[0]
    created = row.created_at if not isinstance(row.created_at, str) else None
    expires = row.expires_at if not isinstance(row.expires_at, str) else None
    if created is not None and expires is not None:
        assert (expires - created).total_seconds() == pytest.approx(24 * 3600, abs=1)
    else:
        assert str(row.expires_at) > str(row.created_at)


@pytest.fixture
def short_lived(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    # Keys live 0.5 s on this server.
    yield from serve(test_database, idempotency_ttl_hours=0.5 / 3600)


def test_an_expired_key_runs_again_and_is_purged(short_lived: RunningServer, test_database: ThrowawayDatabase) -> None:
    admin = make_admin(short_lived)
    assert post_contact(admin, "old", {"name": "Max"}).status_code == 200
    time.sleep(0.7)
    again = post_contact(admin, "old", {"name": "Max"})
    assert again.status_code == 200
    assert "idempotent-replayed" not in again.headers
    assert count_contacts(test_database, admin.account_id) == 2

    time.sleep(0.7)
    purged = short_lived.run(lambda: store.purge_expired(short_lived.database))
    assert purged == 1
    assert key_rows(test_database) == []


@pytest.fixture
def impatient(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    # Retries wait at most 0.3 s for a first request still running.
    yield from serve(test_database, idempotency_wait_seconds=0.3)


def test_a_retry_that_outwaits_its_bound_is_told_to_come_back(
    impatient: RunningServer, test_database: ThrowawayDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_admin(impatient)
    real = contacts_service.create_contact

    async def slow(*args: Any, **kwargs: Any) -> Any:
        import asyncio

        await asyncio.sleep(1.2)
        return await real(*args, **kwargs)

    monkeypatch.setattr(contacts_service, "create_contact", slow)
    body = {"name": "Slow"}
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post_contact, admin, "slow", body)
        time.sleep(0.3)
        waiting = post_contact(admin, "slow", body)
        assert waiting.status_code == 409
        assert waiting.json() == {"error": "A request with this Idempotency-Key is still in progress"}
        assert waiting.headers["retry-after"] == "1"
        assert first.result().status_code == 200
    replay = post_contact(admin, "slow", body)
    assert replay.headers["idempotent-replayed"] == "true"
    assert count_contacts(test_database, admin.account_id) == 1
