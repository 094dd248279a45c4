"""The command line as a new user runs it: create-admin, then serve, then the token works."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import database_kind

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
    env["FRONTDESK_DATA_DIR"] = str(data_dir)
    return env


@pytest.mark.skipif(database_kind() != "sqlite", reason="the embedded default is SQLite")
def test_create_admin_then_serve_on_the_embedded_default(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    created = subprocess.run(
        [
            *FRONTDESK,
            "create-admin",
            "--account",
            "Acme",
            "--email",
            "Boss@Acme.test",
            "--password",
            "s3cret-pass",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(created.stdout)
    assert set(result) == {"account_id", "user_id", "access_token"}
    assert len(result["access_token"]) == 24
    assert (tmp_path / "data" / "frontdesk.db").exists()
    assert (tmp_path / "data" / "secret_key").exists()

    port = _free_port()
    server = subprocess.Popen(
        [*FRONTDESK, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "frontdesk serve did not answer"
            time.sleep(0.1)
        profile = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/profile", headers={"api_access_token": result["access_token"]}
        )
        assert profile.status_code == 200
        assert profile.json()["email"] == "boss@acme.test"
        assert profile.json()["account_id"] == result["account_id"]
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert f"http://localhost:{port}" in output
    assert "/app" in output


@pytest.mark.skipif(database_kind() != "sqlite", reason="the embedded default is SQLite")
def test_create_admin_refuses_a_taken_email(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    args = [*FRONTDESK, "create-admin", "--account", "Acme", "--email", "a@acme.test", "--password", "s3cret-pass"]
    subprocess.run(args, env=env, capture_output=True, check=True, timeout=60)
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1
    assert "Email has already been taken" in again.stderr


@pytest.mark.skipif(database_kind() != "postgres", reason="the explicit migrate on PostgreSQL")
def test_migrate_then_create_admin_on_postgres(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from tests.fixtures.server import POSTGRES_ADMIN_URL

    name = f"frontdesk_cli_{os.getpid()}"
    admin = sa.create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        env = _env(tmp_path / "data")
        env["FRONTDESK_DATABASE_URL"] = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        env["FRONTDESK_SECRET_KEY"] = "cli-test-secret"
        migrated = subprocess.run([*FRONTDESK, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        created = subprocess.run(
            [
                *FRONTDESK,
                "create-admin",
                "--account",
                "PG",
                "--email",
                "pg@acme.test",
                "--password",
                "s3cret-pass",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert created.returncode == 0, created.stderr
        assert json.loads(created.stdout)["account_id"] == 1
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
