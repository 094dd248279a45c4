"""Attachment uploads through message create, against a bare file copy and a bare aiohttp receiver.

    .venv/bin/python -m bench.uploads --db sqlite
    .venv/bin/python -m bench.uploads --db postgres --quick

What is measured: ``POST /api/v1/accounts/{id}/conversations/{display_id}/messages`` as
``multipart/form-data`` with one ``attachments[]`` file of 10 MiB (random bytes generated once, sent as
``application/zip``: Chatwoot's list refuses ``application/octet-stream``), from 16 concurrent keep-alive
clients, each on its own conversation, each sending ``--rounds`` uploads one after the other (default 4,
quick 2), after one uncounted warm-up upload. Every client builds its multipart body once, in memory, and
sends that same body each round, so the client costs nothing but the socket writes. ``frontdesk serve``
runs in a subprocess on a fresh data directory (an account from ``frontdesk create-admin --json``, an API
inbox and 16 conversations made through the API); the files stream into ``FRONTDESK_DATA_DIR/storage``.
Every answer must be a 200 whose ``attachments[0].file_size`` is the file's size. Figures: total MiB/s
(bytes uploaded / wall time), per-upload latency p50/p95, and the server's peak RSS (sampled every 50 ms,
and the kernel's ``VmHWM`` at the end; target < 256 MB).

Baselines, in the same run, on the same volume (16 clients, rounds, 10 MiB each):

- **file copy**: 16 concurrent tasks writing the same bytes to files in a temporary directory on the
  data directory's filesystem, 256 KiB at a time through ``asyncio.to_thread`` — what storing the upload
  minimally costs;
- **bare HTTP receiver**: an aiohttp web server in its own process (``python -m bench.uploads
  --receiver``) that reads the same multipart requests streaming into a file (``request.multipart()``,
  ``part.read_chunk``) and answers the size, loaded by the same clients.

The three alternate ``--repeats`` times (default 2, quick 1; page-cache writeback and the other work on
the machine make them swing), the best of each kept; every measure starts after an ``os.sync()``.
Ratios: frontdesk MiB/s / each baseline's MiB/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
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
    free_port,
    http_session,
    peak_rss_mb,
    percentile,
    ratio,
    rss_mb,
    server_env,
    start_process,
)
from bench.footprint import RssSampler, create_admin, seed_through_api

BENCHMARK = "uploads"
FILE_BYTES = 10 * 1024 * 1024
CHUNK = 256 * 1024
MIB = 1024 * 1024


# ---------------------------------------------------------------- the payload


def multipart_body(data: bytes, number: int) -> tuple[bytes, str]:
    """One message-create form: a little text and one ``attachments[]`` file; (body, content type)."""
    boundary = f"frontdeskbench{uuid.uuid4().hex}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"\r\n\r\nUpload from client {number}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="message_type"\r\n\r\noutgoing\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments[]"; filename="bench-{number}.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + data + tail, f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------- the load


async def upload_load(
    url_of: Any, token: str | None, data: bytes, *, clients: int, rounds: int, size_of: Any
) -> LoadResult:
    """``clients`` tasks, each POSTing its prebuilt body ``rounds`` times to ``url_of(client)``; every answer
    must be a 200 whose ``size_of(json)`` is the file's size. Latencies per upload, wall over all."""
    result = LoadResult()
    bodies = [multipart_body(data, number) for number in range(clients)]
    async with http_session(clients, token) as session:

        async def post(client: int) -> None:
            body, content_type = bodies[client]
            async with session.post(url_of(client), data=body, headers={"Content-Type": content_type}) as response:
                raw = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"answered {response.status}: {raw[:300]!r}")
                size = size_of(json.loads(raw))
                if size != len(data):
                    raise RuntimeError(f"stored size {size} != {len(data)}: {raw[:300]!r}")

        async def client(number: int) -> None:
            for _ in range(rounds):
                began = time.perf_counter()
                try:
                    await post(number)
                except Exception as error:  # counted, reported
                    result.errors += 1
                    if not result.first_error:
                        result.first_error = f"{type(error).__name__}: {error}"[:400]
                    continue
                result.latencies.append(time.perf_counter() - began)

        await post(0)  # warm-up: one upload, not counted
        began = time.perf_counter()
        await asyncio.gather(*(client(number) for number in range(clients)))
        result.wall = time.perf_counter() - began
    return result


def mib_per_s(result: LoadResult) -> float:
    return result.count * FILE_BYTES / MIB / result.wall if result.wall > 0 else 0.0


# ---------------------------------------------------------------- baseline 1: a bare file copy


async def file_copy(directory: Path, data: bytes, *, clients: int, rounds: int) -> LoadResult:
    """What storing the same uploads minimally costs: the same bytes written 256 KiB at a time in threads."""
    result = LoadResult()
    view = memoryview(data)

    async def one(client: int, number: int) -> None:
        handle = await asyncio.to_thread(open, directory / f"copy-{client}-{number}.bin", "wb")
        try:
            for start in range(0, len(view), CHUNK):
                await asyncio.to_thread(handle.write, view[start : start + CHUNK])
        finally:
            await asyncio.to_thread(handle.close)

    async def client(number: int) -> None:
        for round_ in range(rounds):
            began = time.perf_counter()
            await one(number, round_)
            result.latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(clients)))
    result.wall = time.perf_counter() - began
    return result


def run_copy(work: Path, data: bytes, *, clients: int, rounds: int) -> LoadResult:
    """One file-copy measure in a fresh directory under ``work`` (after ``os.sync()``), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="copy-", dir=work))
    os.sync()
    try:
        return asyncio.run(file_copy(directory, data, clients=clients, rounds=rounds))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------- baseline 2: a bare aiohttp receiver


def receiver_main(port: int, directory: Path) -> None:
    """An aiohttp app that streams each multipart file part into a file and answers its size."""
    from aiohttp import web

    directory.mkdir(parents=True, exist_ok=True)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def upload(request: web.Request) -> web.Response:
        reader = await request.multipart()
        sizes: list[int] = []
        while (part := await reader.next()) is not None:
            if part.filename is None:  # type: ignore[union-attr]
                await part.read()  # type: ignore[union-attr]
                continue
            handle = await asyncio.to_thread(open, directory / uuid.uuid4().hex, "wb")
            size = 0
            try:
                while chunk := await part.read_chunk(CHUNK):  # type: ignore[union-attr]
                    size += len(chunk)
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
            sizes.append(size)
        return web.json_response({"attachments": [{"file_size": size} for size in sizes]})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_post("/upload", upload)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def start_receiver(directory: Path) -> Server:
    port = free_port()
    return start_process(
        [PYTHON, "-m", "bench.uploads", "--receiver", str(port), str(directory)],
        server_env("", directory, port),
        port,
        DATA_DIR / "logs" / "uploads-receiver.log",
    )


# ---------------------------------------------------------------- the application


def fresh_database(kind: str, data_dir: Path) -> str:
    """'' (the embedded SQLite default in the data directory) or a fresh, migrated PostgreSQL database."""
    if kind == "sqlite":
        return ""
    db = BenchDatabase("postgres", "uploads")
    db.create()
    env = server_env(db.url, data_dir, 0, FRONTDESK_SECRET_KEY="")
    subprocess.run([PYTHON, "-m", "frontdesk.cli", "migrate"], env=env, check=True, capture_output=True, timeout=120)
    return db.url


def start_server(kind: str, data_dir: Path, url: str) -> Server:
    port = free_port()
    # As bench.footprint: no FRONTDESK_SECRET_KEY, the data directory gets its own (create-admin uses it too).
    env = server_env(url, data_dir, port, FRONTDESK_SECRET_KEY="")
    return start_process(
        [PYTHON, "-m", "frontdesk.cli", "serve"], env, port, DATA_DIR / "logs" / f"{BENCHMARK}-{kind}.log"
    )


def storage_bytes(data_dir: Path) -> tuple[int, int]:
    """(files, bytes) under the data directory's storage."""
    files = total = 0
    for root, _, names in os.walk(data_dir / "storage"):
        for name in names:
            files += 1
            total += os.path.getsize(os.path.join(root, name))
    return files, total


def measured(server: Server, load: Any) -> tuple[LoadResult, float, float]:
    """Run ``load`` while sampling the server's RSS; (result, sampled peak MiB, VmHWM MiB)."""
    with RssSampler(server.proc.pid) as sampler:
        result = asyncio.run(load)
    return result, sampler.peak, peak_rss_mb(server.proc.pid)


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.uploads", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="2 rounds instead of 4")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=None, help="uploads per client (default 4, quick 2)")
    parser.add_argument("--repeats", type=int, default=None, help="alternations, best kept (default 2, quick 1)")
    parser.add_argument("--no-receiver", action="store_true", help="skip the bare aiohttp receiver baseline")
    parser.add_argument("--receiver", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receiver:
        receiver_main(int(args.receiver[0]), Path(args.receiver[1]))
        return 0
    rounds = args.rounds or (2 if args.quick else 4)
    repeats = args.repeats or (1 if args.quick else 2)
    clients = args.clients
    data = os.urandom(FILE_BYTES)
    work = Path(tempfile.mkdtemp(prefix="frontdesk-uploads-"))
    data_dir = work / "data"
    data_dir.mkdir()
    received_dir = work / "received"
    common = {"clients": clients, "rounds": rounds, "repeats": repeats, "file_mib": FILE_BYTES // MIB}
    size_of = lambda answer: answer["attachments"][0]["file_size"]  # noqa: E731
    copies: list[LoadResult] = []
    receivers: list[LoadResult] = []
    apps: list[LoadResult] = []
    rss_after: list[float] = []  # the server's RSS after each application measure (growth across repeats)
    receiver_peak = app_sampled = app_hwm = 0.0
    bare: Server | None = None
    server: Server | None = None
    try:
        database_url = fresh_database(args.db, data_dir)
        server = start_server(args.db, data_dir, database_url)
        created = create_admin(data_dir, database_url)
        account, token = created["account_id"], created["access_token"]
        asyncio.run(seed_through_api(server.base_url, account, token, clients))
        prefix = f"{server.base_url}/api/v1/accounts/{account}/conversations"
        if not args.no_receiver:
            bare = start_receiver(received_dir)
        time.sleep(0.5)
        idle = rss_mb(server.proc.pid)
        # Alternating measures, each after an os.sync() (no dirty pages pending): the file copy, the bare
        # receiver, the application; the best of each kept.
        for _ in range(repeats):
            copies.append(run_copy(work, data, clients=clients, rounds=rounds))
            if bare is not None:
                os.sync()
                url = f"{bare.base_url}/upload"
                url_of = lambda _, url=url: url  # noqa: E731
                result, sampled, hwm = measured(
                    bare, upload_load(url_of, None, data, clients=clients, rounds=rounds, size_of=size_of)
                )
                receivers.append(result)
                receiver_peak = max(receiver_peak, sampled, hwm)
                for stored in received_dir.iterdir():
                    stored.unlink()
            os.sync()
            result, sampled, hwm = measured(
                server,
                upload_load(
                    lambda client: f"{prefix}/{client + 1}/messages",
                    token,
                    data,
                    clients=clients,
                    rounds=rounds,
                    size_of=size_of,
                ),
            )
            apps.append(result)
            rss_after.append(rss_mb(server.proc.pid))
            app_sampled, app_hwm = max(app_sampled, sampled), max(app_hwm, hwm)
        stored_files, stored_bytes = storage_bytes(data_dir)
    finally:
        if bare is not None:
            bare.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    copy = max(copies, key=mib_per_s)
    receiver = max(receivers, key=mib_per_s) if receivers else None
    app = max(apps, key=mib_per_s)
    app_peak = max(app_sampled, app_hwm)
    sampled, hwm = app_sampled, app_hwm

    total_mib = clients * rounds * FILE_BYTES / MIB
    emit(
        BENCHMARK,
        args.db,
        "baseline: file copy MiB/s",
        mib_per_s(copy),
        "MiB/s",
        all=" ".join(f"{mib_per_s(one):.0f}" for one in copies),
        mib=total_mib,
        **common,
    )
    emit(BENCHMARK, args.db, "baseline: file copy per-file p50", copy.ms(0.5), "ms", p95=copy.ms(0.95))
    if receiver is not None:
        emit(
            BENCHMARK,
            args.db,
            "baseline: bare aiohttp receiver MiB/s",
            mib_per_s(receiver),
            "MiB/s",
            n=receiver.count,
            errors=sum(one.errors for one in receivers),
            all=" ".join(f"{mib_per_s(one):.0f}" for one in receivers),
        )
        emit(BENCHMARK, args.db, "baseline: receiver upload p50", receiver.ms(0.5), "ms", p95=receiver.ms(0.95))
        emit(BENCHMARK, args.db, "baseline: receiver peak RSS", receiver_peak or 0.0, "MiB")
    errors = sum(one.errors for one in apps)
    all_apps = " ".join(f"{mib_per_s(one):.0f}" for one in apps)
    emit(BENCHMARK, args.db, "app: upload MiB/s", mib_per_s(app), "MiB/s", n=app.count, errors=errors, all=all_apps)
    emit(
        BENCHMARK,
        args.db,
        "app: upload p50",
        app.ms(0.5),
        "ms",
        p95=app.ms(0.95),
        max=percentile(app.latencies, 1.0) * 1000,
    )
    emit(
        BENCHMARK,
        args.db,
        "app: peak RSS",
        app_peak,
        "MiB",
        sampled=sampled,
        vmhwm=hwm,
        idle=idle,
        after=" ".join(f"{value:.1f}" for value in rss_after),
        target="<256MB",
    )
    emit(BENCHMARK, args.db, "app: stored", stored_bytes / MIB, "MiB", files=stored_files)
    emit(BENCHMARK, args.db, "ratio app/file copy (MiB/s)", ratio(mib_per_s(app), mib_per_s(copy)), "x")
    if receiver is not None:
        emit(BENCHMARK, args.db, "ratio app/bare receiver (MiB/s)", ratio(mib_per_s(app), mib_per_s(receiver)), "x")

    verdict = "under" if app_peak < 256 else "OVER"
    print(
        f"\n{args.db}: {sum(one.count for one in apps)}/{clients * rounds * repeats} uploads of 10 MiB ok "
        f"({errors} errors), "
        f"{mib_per_s(app):.1f} MiB/s = {ratio(mib_per_s(app), mib_per_s(copy)):.3f}x the file copy "
        f"({mib_per_s(copy):.1f} MiB/s)"
        + (
            f", {ratio(mib_per_s(app), mib_per_s(receiver)):.3f}x the bare receiver ({mib_per_s(receiver):.1f} MiB/s)"
            if receiver is not None
            else ""
        )
        + f"; p50 {app.ms(0.5):.0f} ms, p95 {app.ms(0.95):.0f} ms; peak RSS {app_peak:.1f} MiB ({verdict} 256 MB)",
        flush=True,
    )
    for label, results in (("app", apps), ("receiver", receivers)):
        for one in results:
            if one.errors:
                print(f"{label}: first error: {one.first_error}", file=sys.stderr)
                break
    return 1 if app.count == 0 or errors else 0


if __name__ == "__main__":
    sys.exit(main())
