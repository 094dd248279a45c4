"""``frontdesk serve --workers N``: refused where the processes would diverge, N processes where they share."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import database_kind
from tests.scaleout.processes import (
    FRONTDESK,
    base_environment,
    deployment,
    free_port,
    require_postgres_and_redis,
    wait_for_health,
)


def _refusal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FRONTDESK, "serve", *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(database_kind() != "sqlite", reason="the embedded default is SQLite")
def test_several_processes_on_sqlite_are_refused(tmp_path: Path) -> None:
    env = base_environment(tmp_path / "data")
    refused = _refusal(env, "--workers", "2", "--port", str(free_port()))
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "error: --workers 2 needs PostgreSQL (FRONTDESK_DATABASE_URL): the embedded SQLite database has one writer, "
        "so run one process"
    ]
    env["FRONTDESK_WORKERS"] = "3"
    assert "--workers 3 needs PostgreSQL" in _refusal(env, "--port", str(free_port())).stderr


def test_several_processes_without_redis_or_with_redis_unreachable_are_refused(tmp_path: Path) -> None:
    require_postgres_and_redis()
    for running in deployment(tmp_path):
        env = dict(running.env)
        del env["FRONTDESK_REDIS_URL"]
        refused = _refusal(env, "--workers", "2", "--port", str(free_port()))
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            "error: --workers 2 needs FRONTDESK_REDIS_URL: the realtime feed, presence and rate-limit counters "
            "must be shared by the processes"
        ]
        with socket_nobody_listens_on() as port:
            env["FRONTDESK_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            refused = _refusal(env, "--workers", "2", "--port", str(free_port()))
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            f"error: Redis is not reachable at redis://127.0.0.1:{port}/0 (FRONTDESK_REDIS_URL)"
        ]


@contextlib.contextmanager
def socket_nobody_listens_on() -> Iterator[int]:
    """A port bound (so nothing else takes it) but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The server processes uvicorn spawned (not multiprocessing's resource tracker)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(proc.name))
    return found


def test_two_processes_with_redis_serve_one_port(tmp_path: Path) -> None:
    require_postgres_and_redis()
    for running in deployment(tmp_path):
        port = free_port()
        # The CLI's --port reaches the processes: FRONTDESK_PORT says otherwise.
        env = {**running.env, "FRONTDESK_PORT": str(free_port())}
        server = subprocess.Popen(
            [*FRONTDESK, "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_health(port, server)
            deadline = time.monotonic() + 30
            while len(_children(server.pid)) < 2:
                assert time.monotonic() < deadline, f"children: {_children(server.pid)}"
                time.sleep(0.1)
            assert len(_children(server.pid)) == 2
            # Both processes answer with the same settings: a token made by the CLI works on every connection.
            admin = ["--account", "A", "--email", "a@example.com", "--password", "pw-12345678", "--json"]
            created = subprocess.run(
                [*FRONTDESK, "create-admin", *admin], env=running.env, capture_output=True, text=True, check=True
            )
            token = json.loads(created.stdout)["access_token"]
            for _ in range(20):
                with httpx.Client(timeout=10) as fresh:
                    profile = fresh.get(f"http://127.0.0.1:{port}/api/v1/profile", headers={"api_access_token": token})
                    assert profile.status_code == 200
        finally:
            server.send_signal(signal.SIGINT)
            output, _ = server.communicate(timeout=60)
        assert server.returncode == 0, output
        assert "2 processes" in output
