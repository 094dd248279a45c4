"""A real ``frontdesk serve`` process: JSON logs with request ids, and a graceful stop under load."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.fixtures.receiver import Receiver
from tests.fixtures.server import ThrowawayDatabase

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]
PASSWORD = ["--password", "s3cret-pass", "--json"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(database: ThrowawayDatabase, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
    env.update(
        FRONTDESK_DATA_DIR=str(data_dir),
        FRONTDESK_DATABASE_URL=database.async_url,
        FRONTDESK_SECRET_KEY="process-test-secret",
        FRONTDESK_RATE_LIMIT_PER_IP="0",
        FRONTDESK_RATE_LIMIT_PER_TOKEN="0",
    )
    env.update(extra)
    return env


class Serve:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        admin = subprocess.run(
            [
                *FRONTDESK,
                "create-admin",
                "--account",
                "Acme",
                "--email",
                f"{uuid.uuid4().hex[:8]}@acme.test",
                *PASSWORD,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        self.admin: dict[str, Any] = json.loads(admin.stdout)
        self.process = subprocess.Popen(
            [*FRONTDESK, "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "frontdesk serve did not answer"
            time.sleep(0.1)
        self.headers = {"api_access_token": self.admin["access_token"]}
        self.base = f"{self.url}/api/v1/accounts/{self.admin['account_id']}"

    def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return httpx.post(self.base + path, json=body, headers={**self.headers, **headers}, timeout=30)

    def conversation(self, webhook_url: str | None = None) -> int:
        channel: dict[str, Any] = {"type": "api"}
        if webhook_url:
            channel["webhook_url"] = webhook_url
        inbox = self.post("/inboxes", {"name": "API", "channel": channel}).json()
        contact = self.post("/contacts", {"name": "Alice", "inbox_id": inbox["id"]}).json()["payload"]
        created = self.post("/conversations", {"source_id": contact["contact_inbox"]["source_id"]})
        assert created.status_code == 200, created.text
        conversation_id: int = created.json()["id"]
        return conversation_id

    def stop(self, timeout: float = 60) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_json_logs_carry_the_request_id(test_database: ThrowawayDatabase, data_dir: Path) -> None:
    env = _env(test_database, data_dir, FRONTDESK_LOG_FORMAT="json", FRONTDESK_RATE_LIMIT_PER_IP="3")
    server = Serve(env)
    try:
        headers = {**server.headers, "X-Request-Id": "client-id-42"}
        answers = [httpx.get(server.url + "/api/v1/profile", headers=headers) for _ in range(5)]
        assert all(answer.headers["x-request-id"] == "client-id-42" for answer in answers)
        assert answers[-1].status_code == 429  # the rate limiter logs a warning inside the request
        made = httpx.get(server.url + "/no/such/path", headers={"X-Request-Id": "bad id with spaces <script>"})
        assert made.status_code == 404
        assert uuid.UUID(hex=made.headers["x-request-id"]).version == 4
        assert uuid.UUID(hex=httpx.get(server.url + "/health").headers["x-request-id"]).version == 4
    finally:
        code, _, err = server.stop()
    assert code == 0
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert lines, "no log lines"
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
    limited = [line for line in lines if "rate limit" in line["message"]]
    assert limited and all(line["request_id"] == "client-id-42" for line in limited)
    assert any(line["logger"].startswith("uvicorn") for line in lines)


def test_sigterm_under_load_loses_nothing(test_database: ThrowawayDatabase, data_dir: Path, receiver: Receiver) -> None:
    grace = 10.0
    env = _env(
        test_database,
        data_dir,
        FRONTDESK_SHUTDOWN_GRACE_SECONDS=str(grace),
        FRONTDESK_WEBHOOK_ALLOW_PRIVATE_NETWORK="true",
        FRONTDESK_WEBHOOK_TIMEOUT="2",
        FRONTDESK_MESSAGE_FLOOD_LIMIT="1000000",
    )
    server = Serve(env)
    conversation_id = server.conversation(receiver.url())
    path = f"{server.base}/conversations/{conversation_id}/messages"
    results: list[tuple[str, str]] = []
    signalled = threading.Event()
    lock = threading.Lock()

    def client(number: int) -> None:
        sequence = 0
        while True:
            content = f"c{number}-{sequence}"
            sequence += 1
            try:
                # A fresh connection each time: after the signal, a new request must be refused at connect.
                answer = httpx.post(path, json={"content": content, "message_type": "incoming"}, headers=server.headers)
                outcome = str(answer.status_code)
            except httpx.ConnectError:
                outcome = "refused"
            except httpx.TransportError:
                outcome = "dropped"
            with lock:
                results.append((content, outcome))
            if outcome == "refused" and signalled.is_set():
                return

    threads = [threading.Thread(target=client, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    signalled.set()
    code = server.process.wait(timeout=grace + 10)
    stopped_in = time.monotonic() - started
    for thread in threads:
        thread.join(timeout=30)
    _, _, err = server.stop()
    assert code == 0, err
    assert stopped_in < grace + 5

    outcomes = {outcome for _, outcome in results}
    assert outcomes <= {"200", "refused", "dropped"}, outcomes
    answered = {content for content, outcome in results if outcome == "200"}
    assert len(answered) > 16
    with test_database.sync_engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, content, created_at FROM messages WHERE conversation_id = "
                "(SELECT id FROM conversations WHERE display_id = :d) AND content LIKE 'c%-%'"
            ),
            {"d": conversation_id},
        ).all()
        stored = {row.content for row in rows}
        assert answered <= stored, answered - stored
        unanswered = {content for content, outcome in results if outcome != "200"}
        assert stored - answered <= unanswered
        without_outbox = conn.execute(
            sa.text(
                "SELECT count(*) FROM messages m WHERE m.content LIKE 'c%-%' AND NOT EXISTS "
                "(SELECT 1 FROM webhook_deliveries d WHERE d.event = 'message_created' "
                "AND d.payload LIKE '%' || m.content || '%')"
            )
        ).scalar_one()
        assert without_outbox == 0
        in_flight = conn.execute(
            sa.text("SELECT count(*) FROM webhook_deliveries WHERE lease_owner IS NOT NULL AND status = 'pending'")
        ).scalar_one()
        assert in_flight == 0, "an attempt in flight was abandoned instead of recorded"
        last_activity = conn.execute(
            sa.text("SELECT last_activity_at FROM conversations WHERE display_id = :d"), {"d": conversation_id}
        ).scalar_one()
        assert last_activity is not None
    assert str(last_activity) >= str(max(row.created_at for row in rows))[:19]
