"""What every benchmark shares: databases to run on, a server in a subprocess, a bounded HTTP load
generator, percentiles, RSS, and the figure lines each benchmark prints.

Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = Path(os.environ.get("FRONTDESK_BENCH_DATA", str(BENCH_DIR / ".data")))
POSTGRES_ADMIN_URL = os.environ.get(
    "FRONTDESK_BENCH_POSTGRES_URL",
    os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
# Prefixed to PostgreSQL database names (the smoke test uses its own, so it never meets a full run's).
PG_PREFIX = os.environ.get("FRONTDESK_BENCH_PG_PREFIX", "frontdesk_bench_")
SECRET_KEY = "frontdesk-bench-secret-not-for-production"
PYTHON = sys.executable


# ---------------------------------------------------------------- databases


@dataclass(frozen=True)
class BenchDatabase:
    """A named benchmark database: a SQLite file under bench/.data or a PostgreSQL database."""

    kind: str
    name: str

    @property
    def url(self) -> str:
        """The async SQLAlchemy URL the server and the generator use."""
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{DATA_DIR / (self.name + '.db')}"
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{self.pg_name}"

    @property
    def dsn(self) -> str:
        """The driver-level address (a file path for SQLite, a libpq URL for PostgreSQL)."""
        if self.kind == "sqlite":
            return str(DATA_DIR / (self.name + ".db"))
        return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{self.pg_name}"

    @property
    def pg_name(self) -> str:
        return f"{PG_PREFIX}{self.name}"

    @property
    def marker(self) -> Path:
        """The generator's record of what the database holds (account, token, sizes)."""
        return DATA_DIR / f"{self.kind}-{self.name}.json"

    def exists(self) -> bool:
        if self.kind == "sqlite":
            return (DATA_DIR / (self.name + ".db")).exists()
        return asyncio.run(_pg_database_exists(self.pg_name))

    def drop(self) -> None:
        self.marker.unlink(missing_ok=True)
        if self.kind == "sqlite":
            for suffix in (".db", ".db-wal", ".db-shm"):
                (DATA_DIR / (self.name + suffix)).unlink(missing_ok=True)
        else:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))

    def create(self) -> None:
        """An empty database (schema comes from the migrations)."""
        self.drop()
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        if self.kind == "postgres":
            asyncio.run(_pg_admin(f'CREATE DATABASE "{self.pg_name}"'))

    def load_marker(self) -> dict[str, Any] | None:
        if not self.marker.exists() or not self.exists():
            return None
        loaded: dict[str, Any] = json.loads(self.marker.read_text())
        return loaded


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def drop_postgres_databases(prefix: str) -> None:
    """Drop every PostgreSQL database whose name starts with ``prefix`` (the smoke test's clean-up)."""

    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            names = await conn.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
            for row in names:
                name = row["datname"]
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())


async def _pg_database_exists(name: str) -> bool:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def test_database_kind() -> str:
    return os.environ.get("FRONTDESK_TEST_DATABASE", "sqlite").strip().lower()


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MiB (from /proc)."""
    return _proc_status_kb(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int) -> float:
    return _proc_status_kb(pid, "VmHWM") / 1024


def _proc_status_kb(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0


def wait_http(url: str, deadline: float, proc: subprocess.Popen[bytes] | None = None) -> float:
    """Poll ``url`` until it answers 200; returns the monotonic time it first did."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=1)
            conn.request("GET", parts.path or "/")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return time.monotonic()
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer in time")
        time.sleep(0.005)


@dataclass
class Server:
    """A server subprocess on a loopback port."""

    proc: subprocess.Popen[bytes]
    port: int
    started_at: float
    ready_at: float
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def startup_seconds(self) -> float:
        return self.ready_at - self.started_at

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def server_env(database_url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
    env.update(
        FRONTDESK_DATA_DIR=str(data_dir),
        FRONTDESK_PORT=str(port),
        FRONTDESK_HOST="127.0.0.1",
        FRONTDESK_SECRET_KEY=SECRET_KEY,
        FRONTDESK_LOG_LEVEL="warning",
        # The benchmarks measure the API, not the per-conversation flood guard…
        FRONTDESK_MESSAGE_FLOOD_LIMIT="100000000",
        # …nor the per-token / per-IP request limits (Chatwoot's 3 000 a minute): the limiter still runs.
        FRONTDESK_RATE_LIMIT_PER_TOKEN="100000000",
        FRONTDESK_RATE_LIMIT_PER_IP="100000000",
    )
    if database_url:
        env["FRONTDESK_DATABASE_URL"] = database_url
    if os.environ.get("FRONTDESK_BENCH_SRC"):
        # Serve another copy of the package (e.g. a tree with a proposed fix) against the same data.
        env["PYTHONPATH"] = os.environ["FRONTDESK_BENCH_SRC"]
    env.update(extra)
    return env


def start_process(
    argv: Sequence[str], env: dict[str, str], port: int, log: Path, *, health: str = "/health", timeout: float = 60
) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log, "wb")  # noqa: SIM115 - closed with the process
    started = time.monotonic()
    proc = subprocess.Popen(list(argv), env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=str(ROOT))
    try:
        ready = wait_http(f"http://127.0.0.1:{port}{health}", started + timeout, proc)
    except BaseException:
        with contextlib.suppress(Exception):
            proc.kill()
        handle.close()
        sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise
    return Server(proc, port, started, ready, log)


def start_frontdesk(database_url: str, data_dir: Path, *, log_name: str = "server", **extra: str) -> Server:
    """``frontdesk serve`` (the console script's module) on a fresh loopback port."""
    port = free_port()
    env = server_env(database_url, data_dir, port, **extra)
    return start_process([PYTHON, "-m", "frontdesk.cli", "serve"], env, port, DATA_DIR / "logs" / f"{log_name}.log")


@contextlib.contextmanager
def frontdesk(database_url: str, data_dir: Path, **extra: str) -> Iterator[Server]:
    server = start_frontdesk(database_url, data_dir, **extra)
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- load and figures


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass
class LoadResult:
    """What a bounded run of operations measured: latencies in seconds, over a wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0
    first_error: str = ""

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall > 0 else 0.0

    def ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000


async def run_load(
    operation: Callable[[int], Awaitable[None]], *, concurrency: int, duration: float, max_requests: int
) -> LoadResult:
    """``concurrency`` workers call ``operation(i)`` until ``duration`` seconds or ``max_requests`` calls."""
    result = LoadResult()
    issued = 0
    deadline = time.monotonic() + duration

    async def worker() -> None:
        nonlocal issued
        while issued < max_requests and time.monotonic() < deadline:
            number = issued
            issued += 1
            began = time.perf_counter()
            try:
                await operation(number)
            except Exception as error:  # counted, never fatal: a benchmark reports its errors
                result.errors += 1
                if not result.first_error:
                    result.first_error = f"{type(error).__name__}: {error}"[:300]
                continue
            result.latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.wall = time.perf_counter() - began
    return result


class HttpError(Exception):
    pass


def http_session(concurrency: int, token: str | None = None) -> Any:
    import aiohttp

    headers = {"api_access_token": token} if token else {}
    return aiohttp.ClientSession(
        headers=headers,
        connector=aiohttp.TCPConnector(limit=concurrency, force_close=False),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def expect_ok(response: Any) -> bytes:
    """Read the whole body (the full response is part of what is measured) and insist on a 200."""
    body: bytes = await response.read()
    if response.status != 200:
        raise HttpError(f"{response.method} {response.url.path} answered {response.status}: {body[:200]!r}")
    return body


def emit(benchmark: str, db: str, metric: str, value: float, unit: str, **extra: Any) -> None:
    """One figure, as a line people read and a JSON line machines read (``BENCH {...}``)."""
    shown = f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3f}"
    details = "  ".join(f"{key}={_fmt(val)}" for key, val in extra.items())
    print(f"{benchmark:<16} {db:<9} {metric:<42} {shown:>12} {unit:<6} {details}", flush=True)
    record = {"benchmark": benchmark, "db": db, "metric": metric, "value": round(value, 4), "unit": unit, **extra}
    print("BENCH " + json.dumps(record, default=str), flush=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def progress(label: str, done: int, total: int, started: float) -> None:
    """A one-line progress bar on stderr."""
    width = 30
    fraction = done / total if total else 1.0
    filled = int(width * fraction)
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    bar = "#" * filled + "-" * (width - filled)
    sys.stderr.write(f"\r{label:<22} [{bar}] {done:>9,}/{total:,} {rate:>10,.0f}/s {elapsed:6.1f}s")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()
