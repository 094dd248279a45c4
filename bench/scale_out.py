"""Message create with one and with two server processes (``frontdesk serve --workers N``) on PostgreSQL.

    .venv/bin/python -m bench.scale_out
    .venv/bin/python -m bench.scale_out --quick
    .venv/bin/python -m bench.scale_out --without-redis-too

The load is ``bench.message_create``'s (N concurrent keep-alive clients posting to the generated account's
API conversations, alternately incoming and outgoing, the whole response read), with both webhook targets
configured: an account webhook on ``message_created`` and every API inbox's ``webhook_url`` (never called:
the delivery worker is off, what is timed is the request and its outbox rows). Both variants run with
Redis (``FRONTDESK_REDIS_URL``, a key prefix of this run's, deleted afterwards), so the only difference is
the number of processes; ``--without-redis-too`` adds a third variant, one process without Redis (what
sharing costs). Rounds alternate 1, 2, 1, 2 … in one run; the best of each is kept.

Besides throughput, the CPU each party spent during a measure, from ``/proc/<pid>/stat`` (utime + stime)
before and after: the server processes (the uvicorn parent and its children), the PostgreSQL backends of
the benchmark database, and this process (the load generator). Per request, in milliseconds: that is
what shows where a second process can help on a machine of two cores, and where it cannot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    DATA_DIR,
    PYTHON,
    BenchDatabase,
    LoadResult,
    Server,
    emit,
    free_port,
    http_session,
    ratio,
    server_env,
    start_process,
)
from bench.generate import Sizes, ensure
from bench.message_create import QUICK_SIZES, SIZES, add_webhook, message_load

BENCHMARK = "scale_out"
REDIS_URL = os.environ.get("FRONTDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LABELS = {"1": "1 process", "2": "2 processes", "1-no-redis": "1 process, no Redis"}


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command: state is field 3, utime field 14, stime field 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def processes(match: Any) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if match(int(proc.name), ppid, cmdline):
            found.append(int(proc.name))
    return found


@dataclass
class Cpu:
    server: float
    postgres: float
    generator: float


def snapshot(server_pid: int, database_name: str) -> tuple[dict[int, float], dict[int, float], float]:
    servers = [server_pid, *processes(lambda pid, ppid, cmd: ppid == server_pid and b"spawn_main" in cmd)]
    backends = processes(lambda pid, ppid, cmd: cmd.startswith(b"postgres: ") and database_name.encode() in cmd)
    return (
        {pid: cpu_seconds(pid) for pid in servers},
        {pid: cpu_seconds(pid) for pid in backends},
        cpu_seconds(os.getpid()),
    )


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    # A process that appeared during the measure counts from 0; one that vanished counts what was seen.
    return sum(after.get(pid, before.get(pid, 0.0)) - before.get(pid, 0.0) for pid in set(before) | set(after))


def start_server(db: BenchDatabase, workers: int, prefix: str, *, redis: bool = True) -> Server:
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    shared = {
        "FRONTDESK_REDIS_URL": REDIS_URL,
        "FRONTDESK_REALTIME_REDIS_PREFIX": f"{prefix}:realtime",
        "FRONTDESK_RATE_LIMIT_REDIS_PREFIX": f"{prefix}:ratelimit",
    }
    env = server_env(
        db.url,
        data_dir,
        port,
        FRONTDESK_EMBEDDED_WORKER="0",
        FRONTDESK_WEBHOOK_ALLOW_PRIVATE_NETWORK="1",
        # uvicorn's start-up lines, to see every process ready (the access log stays off).
        FRONTDESK_LOG_LEVEL="info",
        **(shared if redis else {}),
    )
    argv = [PYTHON, "-m", "frontdesk.cli", "serve", "--workers", str(workers)]
    server = start_process(argv, env, port, DATA_DIR / "logs" / f"{BENCHMARK}-{workers}.log")
    if workers > 1:
        # /health answers as soon as one process listens; wait for all of them to have started.
        deadline = time.monotonic() + 60
        while server.log.read_text(errors="replace").count("Application startup complete") < workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{workers} processes did not start: see {server.log}")
            time.sleep(0.1)
    return server


async def add_inbox_webhook_urls(base_url: str, record: dict[str, Any]) -> int:
    """Every API inbox's ``webhook_url`` (never called: the worker is off)."""
    root = f"{base_url}/api/v1/accounts/{record['account_id']}/inboxes"
    changed = 0
    async with http_session(1, record["access_token"]) as session:
        async with session.get(root) as response:
            inboxes = (await response.json())["payload"]
        for inbox in inboxes:
            if inbox.get("channel_type") != "Channel::Api":
                continue
            body = {"channel": {"webhook_url": f"http://127.0.0.1:9/bench-inbox-{inbox['id']}"}}
            async with session.patch(f"{root}/{inbox['id']}", json=body) as response:
                await response.read()
                changed += response.status == 200
    return changed


def measure(
    db: BenchDatabase, record: dict[str, Any], variant: str, prefix: str, args: argparse.Namespace
) -> tuple[LoadResult, Cpu]:
    workers = 2 if variant == "2" else 1
    server = start_server(db, workers, prefix, redis=variant != "1-no-redis")
    try:
        servers_before, backends_before, generator_before = snapshot(server.proc.pid, db.pg_name)
        result = asyncio.run(
            message_load(
                server.base_url, record, concurrency=args.concurrency, duration=args.duration, limit=args.requests
            )
        )
        servers_after, backends_after, generator_after = snapshot(server.proc.pid, db.pg_name)
    finally:
        server.stop()
    cpu = Cpu(
        spent(servers_before, servers_after),
        spent(backends_before, backends_after),
        generator_after - generator_before,
    )
    return result, cpu


async def forget_redis(prefix: str, url: str = REDIS_URL) -> None:
    """Delete the Redis keys under ``prefix`` (a run's own, so that runs sharing one Redis stay apart)."""
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgres",), default="postgres", help="several processes: PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="small data, a couple of seconds per measure")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=None, help="seconds per measure (default 10, quick 2)")
    parser.add_argument("--requests", type=int, default=None, help="at most this many per measure")
    parser.add_argument("--rounds", type=int, default=None, help="alternate 1 and 2 processes this many times")
    parser.add_argument(
        "--without-redis-too",
        action="store_true",
        help="a third variant in each round: one process without Redis (in-process realtime and counters)",
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (2.0 if args.quick else 10.0)
    args.requests = args.requests or (1_000 if args.quick else 50_000)
    rounds = args.rounds or (1 if args.quick else 3)
    sizes: Sizes = QUICK_SIZES if args.quick else SIZES
    db = BenchDatabase("postgres", "scale_out_quick" if args.quick else "scale_out")
    # Afresh, as bench.message_create does: the webhook rows below are added to a clean account.
    record = ensure(db, sizes, fresh=True)
    prefix = f"frontdesk-bench:{uuid.uuid4().hex[:10]}"
    load_before = os.getloadavg()

    # The webhook targets are rows: configure them once, through a server.
    server = start_server(db, 1, prefix)
    try:
        webhook = asyncio.run(add_webhook(server.base_url, record))
        inbox_urls = asyncio.run(add_inbox_webhook_urls(server.base_url, record))
    finally:
        server.stop()

    variants = ["1", "2", *(["1-no-redis"] if args.without_redis_too else [])]
    measured: dict[str, list[tuple[LoadResult, Cpu]]] = {variant: [] for variant in variants}
    try:
        for _ in range(rounds):
            for variant in variants:
                result, cpu = measure(db, record, variant, prefix, args)
                measured[variant].append((result, cpu))
                print(
                    f"  {LABELS[variant]}: {result.rps:7.1f} req/s  p50 {result.ms(0.5):6.1f} ms  "
                    f"errors {result.errors}  cpu server {cpu.server:5.2f} s  postgres {cpu.postgres:5.2f} s  "
                    f"generator {cpu.generator:5.2f} s  load {os.getloadavg()[0]:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        asyncio.run(forget_redis(prefix))
    load_after = os.getloadavg()

    best = {variant: max(runs, key=lambda run: run[0].rps) for variant, runs in measured.items()}
    for variant, (result, cpu) in best.items():
        per_request = 1000 / result.count if result.count else float("nan")
        emit(
            BENCHMARK,
            "postgres",
            f"{LABELS[variant]}: POST message req/s",
            result.rps,
            "req/s",
            n=result.count,
            errors=result.errors,
            p50=result.ms(0.5),
            p99=result.ms(0.99),
            webhook=webhook,
            inbox_webhook_urls=inbox_urls,
            concurrency=args.concurrency,
            rounds=rounds,
        )
        emit(
            BENCHMARK,
            "postgres",
            f"{LABELS[variant]}: CPU ms per request",
            (cpu.server + cpu.postgres + cpu.generator) * per_request,
            "ms",
            server=cpu.server * per_request,
            postgres=cpu.postgres * per_request,
            generator=cpu.generator * per_request,
        )
    emit(
        BENCHMARK,
        "postgres",
        "ratio 2 processes / 1 (req/s)",
        ratio(best["2"][0].rps, best["1"][0].rps),
        "x",
        load_before=" ".join(f"{value:.2f}" for value in load_before),
        load_after=" ".join(f"{value:.2f}" for value in load_after),
        cores=os.cpu_count(),
    )
    failed = any(result.count == 0 for result, _ in best.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
