"""First start: `serve` and `worker` migrate an empty database themselves (once, however many start together),
refuse a schema that is behind or ahead when auto-migration is off, and answer a database they cannot use with
one line. Real processes, real databases."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from frontdesk.migrate import alembic_config
from tests.fixtures.server import POSTGRES_ADMIN_URL, RunningServer, database_kind

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
assert HEAD is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[tuple[str, sa.Engine]]:
    """A new, empty database of the kind under test: its FRONTDESK_DATABASE_URL and a sync engine on it."""
    if database_kind() != "postgres":
        path = tmp_path / "empty.db"
        engine = sa.create_engine(f"sqlite:///{path}")
        yield f"sqlite:///{path}", engine
        engine.dispose()
        return
    name = f"frontdesk_startup_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    engine = sa.create_engine(f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}")
    try:
        yield f"{base}/{name}", engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _env(data_dir: Path, database_url: str, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
    env["FRONTDESK_DATA_DIR"] = str(data_dir)
    env["FRONTDESK_DATABASE_URL"] = database_url
    env["FRONTDESK_SECRET_KEY"] = "startup-test-secret"
    env.update({f"FRONTDESK_{key.upper()}": value for key, value in settings.items()})
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([*FRONTDESK, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_healthy(process: subprocess.Popen[str], port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"exited {process.returncode}: {process.communicate()[0]}"
        assert time.monotonic() < deadline, f"no /health on port {port}"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output


def _versions(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]


def _one_line_failure(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode != 0
    assert "Traceback" not in completed.stdout + completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    return lines[0]


postgres_only = pytest.mark.skipif(database_kind() != "postgres", reason="the PostgreSQL first start")


@postgres_only
def test_serve_and_worker_start_on_an_empty_postgres_database(
    empty_database: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, engine = empty_database
    env = _env(tmp_path / "data", url)
    port = _free_port()
    server = _start(["serve", "--port", str(port)], env)
    worker = None
    try:
        _wait_healthy(server, port)
        assert _versions(engine) == [HEAD]
        worker = _start(["worker"], env)
        created = subprocess.run(
            [
                *FRONTDESK,
                "create-admin",
                "--account",
                "PG",
                "--email",
                "pg@acme.test",
                "--password",
                "pass-word1",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert created.returncode == 0, created.stderr
        token = json.loads(created.stdout)["access_token"]
        profile = httpx.get(f"http://127.0.0.1:{port}/api/v1/profile", headers={"api_access_token": token})
        assert profile.status_code == 200
        assert profile.json()["email"] == "pg@acme.test"
        time.sleep(1)  # a few polls of both workers
        assert worker.poll() is None
    finally:
        server_output = _stop(server)
        worker_output = _stop(worker) if worker is not None else ""
    assert "Traceback" not in server_output and "does not exist" not in server_output, server_output
    assert "Traceback" not in worker_output, worker_output
    assert "webhook worker" in worker_output
    assert "migrating" in server_output and "migrating" not in worker_output


@postgres_only
def test_a_worker_alone_migrates_an_empty_postgres_database(
    empty_database: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, engine = empty_database
    worker = _start(["worker"], _env(tmp_path / "data", url))
    try:
        deadline = time.monotonic() + 60
        while not worker.stdout or "webhook worker" not in (line := worker.stdout.readline()):
            assert worker.poll() is None and time.monotonic() < deadline
        assert line
        assert _versions(engine) == [HEAD]
    finally:
        output = _stop(worker)
    assert "Traceback" not in output, output


@postgres_only
def test_three_servers_starting_together_migrate_once(empty_database: tuple[str, sa.Engine], tmp_path: Path) -> None:
    url, engine = empty_database
    env = _env(tmp_path / "data", url)
    ports = [_free_port() for _ in range(3)]
    servers = [_start(["serve", "--port", str(port)], env) for port in ports]
    outputs: list[str] = []
    try:
        for server, port in zip(servers, ports, strict=True):
            _wait_healthy(server, port, timeout=120)
        assert _versions(engine) == [HEAD]
    finally:
        outputs = [_stop(server) for server in servers]
    joined = "\n".join(outputs)
    assert "Traceback" not in joined, joined
    assert sum(output.count("migrating the database") for output in outputs) == 1, joined


def test_auto_migrate_off_refuses_an_empty_database(empty_database: tuple[str, sa.Engine], tmp_path: Path) -> None:
    url, engine = empty_database
    env = _env(tmp_path / "data", url, auto_migrate="false")
    for command in (["serve", "--port", str(_free_port())], ["worker"]):
        line = _one_line_failure(subprocess.run([*FRONTDESK, *command], env=env, capture_output=True, text=True))
        assert "revision none" in line and f"head {HEAD}" in line and "`frontdesk migrate`" in line, line
    assert "alembic_version" not in sa.inspect(engine).get_table_names()


def test_auto_migrate_off_refuses_a_database_stamped_at_an_older_revision(
    empty_database: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, engine = empty_database
    env = _env(tmp_path / "data", url)
    migrated = subprocess.run([*FRONTDESK, "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0007'")
    env["FRONTDESK_AUTO_MIGRATE"] = "false"
    line = _one_line_failure(
        subprocess.run([*FRONTDESK, "serve", "--port", str(_free_port())], env=env, capture_output=True, text=True)
    )
    assert "revision 0007" in line and f"head {HEAD}" in line and "`frontdesk migrate`" in line, line


def test_a_revision_the_code_does_not_know_stops_start_up(
    empty_database: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, engine = empty_database
    env = _env(tmp_path / "data", url)
    migrated = subprocess.run([*FRONTDESK, "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_a_newer_release'")
    for auto_migrate in ("false", "true"):
        env["FRONTDESK_AUTO_MIGRATE"] = auto_migrate
        for command in (["serve", "--port", str(_free_port())], ["worker"], ["migrate"]):
            completed = subprocess.run([*FRONTDESK, *command], env=env, capture_output=True, text=True, timeout=60)
            line = _one_line_failure(completed)
            assert "9999_from_a_newer_release" in line and HEAD in line and "`frontdesk migrate`" in line, line
    assert _versions(engine) == ["9999_from_a_newer_release"]


@postgres_only
def test_create_admin_on_an_unmigrated_postgres_database_is_one_line(
    empty_database: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, _ = empty_database
    args = ["create-admin", "--account", "A", "--email", "a@acme.test", "--password", "s3cret-pass", "--json"]
    completed = subprocess.run([*FRONTDESK, *args], env=_env(tmp_path, url), capture_output=True, text=True)
    line = _one_line_failure(completed)
    assert "revision none" in line and "`frontdesk migrate`" in line, line
    assert completed.stdout == ""


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://postgres@127.0.0.1:{_free_port()}/frontdesk",
        POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/frontdesk_no_such_database",
    ],
    ids=["closed-port", "unknown-database"],
)
@pytest.mark.parametrize("command", ["create-admin", "migrate", "serve", "worker"])
def test_a_database_that_cannot_be_reached_is_one_line(url: str, command: str, tmp_path: Path) -> None:
    if "no_such_database" in url and database_kind() != "postgres":
        pytest.skip("needs the PostgreSQL server")
    args = {
        "create-admin": ["create-admin", "--account", "A", "--email", "a@acme.test", "--password", "s3cret-pass"],
        "serve": ["serve", "--port", str(_free_port())],
    }.get(command, [command])
    completed = subprocess.run([*FRONTDESK, *args], env=_env(tmp_path, url), capture_output=True, text=True, timeout=60)
    line = _one_line_failure(completed)
    assert line.startswith("frontdesk: cannot use the database at 127.0.0.1:"), line


def test_the_root_redirects_a_browser_to_the_dashboard(server: RunningServer) -> None:
    response = httpx.get(server.base_url + "/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/app"
    followed = httpx.get(server.base_url + "/", follow_redirects=True)
    assert followed.status_code == 200
    assert "text/html" in followed.headers["content-type"]
    assert "/" not in httpx.get(server.base_url + "/openapi.json").json()["paths"]
