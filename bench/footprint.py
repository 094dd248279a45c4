"""Footprint and start-up of ``frontdesk serve``, beside a bare uvicorn "hello" app started the same way.

    .venv/bin/python -m bench.footprint --db sqlite
    .venv/bin/python -m bench.footprint --db postgres --quick

Start-up: from spawning ``python -m frontdesk.cli serve`` on a fresh data directory (on SQLite, the
embedded default, that includes creating and migrating the database and the secret key; on PostgreSQL
the fresh database is migrated first with ``frontdesk migrate``, not timed) until ``/health`` answers
200; the median of several starts. RSS idle: the server's resident memory after start-up and a few
requests. RSS under load: the peak resident memory (sampled every 50 ms, and the kernel's high-water
mark) while the message-create load of ``bench.message_create`` runs against it (an account made with
``frontdesk create-admin``, an API inbox, contacts and conversations made through the API).

The baseline is ``bench.hello_app`` — a bare ASGI app under ``uvicorn.run`` in its own Python process —
started, measured and loaded the same way (its load: the same number of clients POSTing a JSON body).
Targets: < 120 MB idle, < 256 MB under load, start-up < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    DATA_DIR,
    PYTHON,
    BenchDatabase,
    LoadResult,
    Server,
    emit,
    expect_ok,
    free_port,
    http_session,
    peak_rss_mb,
    ratio,
    rss_mb,
    run_load,
    server_env,
    start_process,
)
from bench.message_create import message_load

BENCHMARK = "footprint"


def _fresh(kind: str) -> tuple[Path, str]:
    """A fresh data directory, and the database URL to give the server ('' = the embedded default)."""
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-footprint-")) / "data"
    if kind == "sqlite":
        return data_dir, ""
    db = BenchDatabase("postgres", "footprint")
    db.create()
    env = server_env(db.url, data_dir, 0, FRONTDESK_SECRET_KEY="")
    subprocess.run([PYTHON, "-m", "frontdesk.cli", "migrate"], env=env, check=True, capture_output=True, timeout=120)
    return data_dir, db.url


def start_frontdesk_fresh(kind: str) -> tuple[Server, Path, str]:
    data_dir, url = _fresh(kind)
    port = free_port()
    # No FRONTDESK_SECRET_KEY: the embedded default makes one in the fresh data directory, as a new user's would.
    env = server_env(url, data_dir, port, FRONTDESK_SECRET_KEY="")
    server = start_process(
        [PYTHON, "-m", "frontdesk.cli", "serve"], env, port, DATA_DIR / "logs" / f"footprint-{kind}.log"
    )
    return server, data_dir, url


def start_hello() -> Server:
    port = free_port()
    return start_process(
        [PYTHON, "-m", "bench.hello_app", "--port", str(port)],
        server_env("", Path(tempfile.mkdtemp()), port),
        port,
        DATA_DIR / "logs" / "hello.log",
    )


class RssSampler:
    """Samples a process's RSS every 50 ms in a thread; ``peak`` is the largest sample."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def create_admin(data_dir: Path, url: str) -> dict[str, Any]:
    env = server_env(url, data_dir, 0, FRONTDESK_SECRET_KEY="")
    created = subprocess.run(
        [PYTHON, "-m", "frontdesk.cli", "create-admin", "--account", "Footprint", "--email",
         f"boss{time.time_ns()}@footprint.test", "--password", "footprint-pass", "--json"],
        env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(created.stdout)
    return result


async def seed_through_api(base_url: str, account_id: int, token: str, conversations: int) -> None:
    """An API inbox, then contacts and a conversation for each, the way an integration makes them."""
    prefix = f"{base_url}/api/v1/accounts/{account_id}"
    async with http_session(8, token) as session:
        async with session.post(f"{prefix}/inboxes", json={"name": "API", "channel": {"type": "api"}}) as response:
            inbox = json.loads(await expect_ok(response))

        async def one(number: int) -> None:
            async with session.post(
                f"{prefix}/contacts", json={"name": f"Customer {number}", "inbox_id": inbox["id"]}
            ) as response:
                contact = json.loads(await expect_ok(response))["payload"]
            source_id = contact["contact_inbox"]["source_id"]
            async with session.post(f"{prefix}/conversations", json={"source_id": source_id}) as response:
                await expect_ok(response)

        result = await run_load(one, concurrency=8, duration=120, max_requests=conversations)
        if result.errors:
            raise RuntimeError(f"seeding failed: {result.first_error}")


async def hello_load(base_url: str, concurrency: int, duration: float, limit: int) -> LoadResult:
    async with http_session(concurrency) as session:

        async def one(number: int) -> None:
            async with session.post(f"{base_url}/messages", json={"content": f"hello {number}"}) as response:
                await expect_ok(response)

        return await run_load(one, concurrency=concurrency, duration=duration, max_requests=limit)


def start_both(kind: str, starts: int) -> tuple[list[float], list[float], Server, Path, str, Server]:
    """Start frontdesk serve (a fresh data directory each time) and the hello app ``starts`` times each;
    the start-up times, and the last of each left running for the memory figures."""
    ours: list[float] = []
    theirs: list[float] = []
    for attempt in range(starts):
        server, data_dir, url = start_frontdesk_fresh(kind)
        ours.append(server.startup_seconds)
        hello = start_hello()
        theirs.append(hello.startup_seconds)
        if attempt < starts - 1:
            server.stop()
            hello.stop()
    return ours, theirs, server, data_dir, url, hello


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=None, help="seconds of load (default 15, quick 1.5)")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--starts", type=int, default=None, help="start-ups to take the median of (default 5)")
    args = parser.parse_args(argv)
    duration = args.duration or (1.5 if args.quick else 15.0)
    limit = args.requests or (300 if args.quick else 100_000)
    starts = args.starts or (1 if args.quick else 5)
    conversations = 20 if args.quick else 200

    ours, theirs, server, data_dir, url, hello = start_both(args.db, starts)
    ours_start, hello_start = statistics.median(ours), statistics.median(theirs)
    emit(BENCHMARK, args.db, "start-up: frontdesk serve to /health", ours_start, "s", starts=starts, target="<2s")
    emit(BENCHMARK, args.db, "start-up baseline: uvicorn hello", hello_start, "s")
    emit(BENCHMARK, args.db, "start-up ratio frontdesk/hello", ratio(ours_start, hello_start), "x")

    try:
        created = create_admin(data_dir, url)
        asyncio.run(seed_through_api(server.base_url, created["account_id"], created["access_token"], conversations))
        time.sleep(1.0)
        idle = rss_mb(server.proc.pid)
        hello_idle = rss_mb(hello.proc.pid)
        record = {
            "account_id": created["account_id"],
            "access_token": created["access_token"],
            "counts": {"conversations": conversations},
        }
        with RssSampler(server.proc.pid) as sampler:
            load = asyncio.run(
                message_load(server.base_url, record, concurrency=args.concurrency, duration=duration, limit=limit)
            )
        loaded = max(sampler.peak, peak_rss_mb(server.proc.pid))
        server.stop()
        with RssSampler(hello.proc.pid) as sampler:
            hello_result = asyncio.run(hello_load(hello.base_url, args.concurrency, duration, limit))
        hello_loaded = max(sampler.peak, peak_rss_mb(hello.proc.pid))
    finally:
        server.stop()
        hello.stop()

    emit(BENCHMARK, args.db, "RSS idle: frontdesk serve", idle, "MiB", target="<120MB")
    emit(BENCHMARK, args.db, "RSS idle baseline: uvicorn hello", hello_idle, "MiB")
    emit(BENCHMARK, args.db, "RSS idle ratio", ratio(idle, hello_idle), "x")
    emit(
        BENCHMARK,
        args.db,
        "RSS under message-create load: peak",
        loaded,
        "MiB",
        target="<256MB",
        req=load.count,
        rps=load.rps,
        errors=load.errors,
        concurrency=args.concurrency,
    )
    emit(
        BENCHMARK,
        args.db,
        "RSS under load baseline: uvicorn hello",
        hello_loaded,
        "MiB",
        req=hello_result.count,
        rps=hello_result.rps,
    )
    emit(BENCHMARK, args.db, "RSS under load ratio", ratio(loaded, hello_loaded), "x")
    if load.errors:
        print(f"first error: {load.first_error}", file=sys.stderr)
    return 1 if load.count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
