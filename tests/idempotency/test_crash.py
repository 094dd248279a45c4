"""Idempotency-Key across a crash: the answer commits with the request's changes, never after them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.fixtures.api import Admin, make_api_inbox, make_conversation, unique
from tests.fixtures.server import RunningServer, ThrowawayDatabase

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]

# Messages whose key is not answered yet, in one statement (one snapshot on both databases).
UNANSWERED_MESSAGES = sa.text(
    "SELECT count(*) FROM messages m JOIN idempotency_keys k ON k.idempotency_key = m.content"
    " WHERE k.state <> 'completed' OR k.response_status IS NULL"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def messages_by_key(test_database: ThrowawayDatabase, prefix: str) -> dict[str, list[int]]:
    with test_database.sync_engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, content FROM messages WHERE content LIKE :p ORDER BY id"), {"p": prefix + "%"}
        )
        found: dict[str, list[int]] = {}
        for row in rows:
            found.setdefault(row.content, []).append(row.id)
        return found


def test_a_message_is_never_seen_committed_without_its_answer(admin: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_api_inbox(admin)
    path = admin.path(f"/conversations/{make_conversation(admin, inbox['id'])['id']}/messages")
    prefix = unique("atomic-")
    done = threading.Event()
    observations: list[int] = []

    def watch() -> None:
        with test_database.sync_engine.connect() as conn:
            while not done.is_set():
                observations.append(int(conn.execute(UNANSWERED_MESSAGES).scalar_one()))
                conn.rollback()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for index in range(40):
            key = f"{prefix}{index}"
            response = admin.api.post(path, json={"content": key}, headers={"Idempotency-Key": key})
            assert response.status_code == 200, response.text
    finally:
        done.set()
        watcher.join()
    assert observations
    assert max(observations) == 0, "a message was committed before its key's answer"
    assert all(len(ids) == 1 for ids in messages_by_key(test_database, prefix).values())


class _Serve:
    """A real ``frontdesk serve`` process on the test database."""

    def __init__(self, test_database: ThrowawayDatabase, server: RunningServer, data_dir: Path) -> None:
        self.port = _free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
        env.update(
            FRONTDESK_DATABASE_URL=test_database.async_url,
            FRONTDESK_DATA_DIR=str(data_dir),
            FRONTDESK_SECRET_KEY=server.settings.secret_key,
            FRONTDESK_HOST="127.0.0.1",
            FRONTDESK_PORT=str(self.port),
            FRONTDESK_LOG_LEVEL="warning",
            FRONTDESK_EMBEDDED_WORKER="false",
            FRONTDESK_RATE_LIMIT_PER_IP="0",
            FRONTDESK_RATE_LIMIT_PER_TOKEN="0",
            FRONTDESK_MESSAGE_FLOOD_LIMIT="100000000",
            # An orphaned claim is taken over quickly.
            FRONTDESK_IDEMPOTENCY_LEASE_SECONDS="1",
        )
        self.process = subprocess.Popen(
            [*FRONTDESK, "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "frontdesk serve exited"
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "frontdesk serve did not answer"
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def test_a_server_killed_mid_stream_never_runs_a_retry_twice(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase, tmp_path: Path
) -> None:
    inbox = make_api_inbox(admin)
    path = admin.path(f"/conversations/{make_conversation(admin, inbox['id'])['id']}/messages")
    prefix = unique("crash-")
    keys = [f"{prefix}{index}" for index in range(30)]
    headers = {"api_access_token": admin.token}
    answered: dict[str, httpx.Response] = {}
    first = _Serve(test_database, server, tmp_path / "first")
    try:

        def send_all() -> None:
            with httpx.Client(base_url=first.base_url, headers=headers, timeout=10) as client:
                for key in keys:
                    try:
                        response = client.post(path, json={"content": key}, headers={"Idempotency-Key": key})
                    except httpx.TransportError:
                        continue
                    if response.status_code == 200:
                        answered[key] = response

        sender = threading.Thread(target=send_all)
        sender.start()
        deadline = time.monotonic() + 60
        while len(answered) < 10 and sender.is_alive():
            assert time.monotonic() < deadline
            time.sleep(0.002)
        first.kill()
        sender.join()
    finally:
        first.stop()
    assert 10 <= len(answered) < len(keys), "the kill did not land mid-stream"
    committed_before = messages_by_key(test_database, prefix)

    second = _Serve(test_database, server, tmp_path / "second")
    try:
        with httpx.Client(base_url=second.base_url, headers=headers, timeout=30) as client:
            retries = {
                key: client.post(path, json={"content": key}, headers={"Idempotency-Key": key})
                for key in keys
                if key not in answered
            }
    finally:
        second.stop()

    for key, response in retries.items():
        assert response.status_code == 200, (key, response.text)
        if key in committed_before:
            # Its work committed before the kill: the retry replays that answer instead of running again.
            assert response.headers.get("idempotent-replayed") == "true", key
            assert response.json()["id"] == committed_before[key][0]
        else:
            assert "idempotent-replayed" not in response.headers, key
    after = messages_by_key(test_database, prefix)
    assert {key: len(after.get(key, [])) for key in keys} == dict.fromkeys(keys, 1)
    with test_database.sync_engine.connect() as conn:
        assert int(conn.execute(UNANSWERED_MESSAGES).scalar_one()) == 0
