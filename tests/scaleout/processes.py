"""A scale-out deployment as an operator starts it: ``frontdesk serve`` and ``frontdesk worker`` processes.

Every process is a real subprocess of the command line, on one throw-away PostgreSQL database and one
Redis under a key prefix of its own (deleted afterwards), configured only by environment variables.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from bench.scale_out import forget_redis

from frontdesk.realtime.bus import redis_reachable
from tests.fixtures.api import Admin, Api
from tests.fixtures.server import ThrowawayDatabase, database_kind, make_test_database

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_postgres_and_redis() -> None:
    if database_kind() != "postgres":
        pytest.skip("several processes need PostgreSQL (FRONTDESK_TEST_DATABASE=postgres)")
    if not asyncio.run(redis_reachable(REDIS_URL)):
        pytest.skip(f"several processes need Redis, not reachable at {REDIS_URL} (set FRONTDESK_TEST_REDIS_URL)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_health(port: int, process: subprocess.Popen[str] | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process on port {port} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing answered /health on port {port}")
        time.sleep(0.1)


def base_environment(data_dir: Path) -> dict[str, str]:
    """The test runner's environment without any FRONTDESK_* setting of its own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
    env["FRONTDESK_DATA_DIR"] = str(data_dir)
    return env


@dataclass
class Process:
    """Anything ``Api`` can talk to: a base URL (``Api`` only reads ``base_url``)."""

    port: int
    popen: subprocess.Popen[str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class Deployment:
    database: ThrowawayDatabase
    env: dict[str, str]
    redis_prefix: str
    servers: list[Process] = field(default_factory=list)
    workers: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.env["FRONTDESK_DATABASE_URL"]

    def serve(self) -> Process:
        port = free_port()
        popen = subprocess.Popen(
            [*FRONTDESK, "serve", "--port", str(port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        process = Process(port, popen)
        self.servers.append(process)
        wait_for_health(port, popen)
        return process

    def worker(self) -> subprocess.Popen[str]:
        popen = subprocess.Popen(
            [*FRONTDESK, "worker"], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.workers.append(popen)
        return popen

    def wait_for_workers(self, timeout: float = 60) -> None:
        """Until every worker printed its start-up line (it listens for new deliveries from then on)."""
        deadline = time.monotonic() + timeout
        for popen in self.workers:
            assert popen.stdout is not None
            while "webhook worker" not in popen.stdout.readline():
                assert popen.poll() is None, "a delivery worker exited"
                assert time.monotonic() < deadline, "a delivery worker did not start"

    def create_admin(self, on: Process) -> Admin:
        email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
        created = subprocess.run(
            [*FRONTDESK, "create-admin", "--account", "Acme", "--email", email, "--password", "s3cret-pass", "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        result = json.loads(created.stdout)
        token = result["access_token"]
        return Admin(result["account_id"], result["user_id"], token, Api(cast(Any, on), token))

    def as_admin_on(self, admin: Admin, on: Process, token: str | None = None) -> Admin:
        """The same administrator talking to another process (or with another token)."""
        token = token or admin.token
        return Admin(admin.account_id, admin.user_id, token, Api(cast(Any, on), token))

    def stop(self) -> None:
        for popen in [*(server.popen for server in self.servers), *self.workers]:
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
        for popen in [*(server.popen for server in self.servers), *self.workers]:
            try:
                popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=10)
            if popen.stdout is not None:
                popen.stdout.close()


async def forget_redis_keys(prefix: str) -> None:
    await forget_redis(prefix, REDIS_URL)


def deployment(tmp: Path, **settings: str) -> Iterator[Deployment]:
    """A database, a data directory and the environment every process of the deployment shares."""
    database = make_test_database(tmp)
    prefix = f"frontdesk-test:{uuid.uuid4().hex[:10]}"
    env = base_environment(tmp / "data")
    env.update(
        {
            "FRONTDESK_DATABASE_URL": database.async_url,
            "FRONTDESK_SECRET_KEY": f"scale-out-{uuid.uuid4().hex}",
            "FRONTDESK_REDIS_URL": REDIS_URL,
            "FRONTDESK_REALTIME_REDIS_PREFIX": f"{prefix}:realtime",
            "FRONTDESK_RATE_LIMIT_REDIS_PREFIX": f"{prefix}:ratelimit",
            # Deliveries belong to the `frontdesk worker` processes: an API process may be killed under load.
            "FRONTDESK_EMBEDDED_WORKER": "false",
            "FRONTDESK_WEBHOOK_ALLOW_PRIVATE_NETWORK": "true",
            "FRONTDESK_LOG_LEVEL": "warning",
            # Every test client is 127.0.0.1.
            "FRONTDESK_RATE_LIMIT_PER_IP": "0",
            "FRONTDESK_RATE_LIMIT_PER_TOKEN": "0",
        }
    )
    env.update(settings)
    running = Deployment(database, env, prefix)
    try:
        yield running
    finally:
        running.stop()
        asyncio.run(forget_redis_keys(prefix))
        database.close()
