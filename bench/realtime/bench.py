"""Realtime feed benchmark: commit → websocket frame latency with 1 000 sockets open, beside a bare
websocket fan-out baseline measured in the same run on the same sockets' worth of clients.

    .venv/bin/python bench/realtime/bench.py             # 1 000 sockets, 100 events, SQLite
    .venv/bin/python bench/realtime/bench.py --quick     # 200 sockets, 20 events
    .venv/bin/python bench/realtime/bench.py --database postgres --redis

Two runs, each with its server in its own process and the sockets held by one client process:

1. *Frontdesk*: ``frontdesk serve`` on a fresh database with one API inbox, one conversation and N
   agents, every one a member of the inbox; each socket subscribes to RoomChannel with its own agent's
   pubsub_token. The driver creates messages through the API (``POST …/messages``, one at a time, one
   every ``--interval`` seconds); every socket gets ``message.created``. Latency per (event, socket)
   = the frame's arrival - the moment the API call was sent, so it *includes* the HTTP request and
   the commit (an upper bound on commit → frame).
2. *Baseline*: a trivial ASGI app under the same uvicorn: it accepts the sockets, and on
   ``POST /trigger`` sends the request body (a frame of the same size) to every socket in a plain
   loop. Same client, same driver, same measure.

Printed: p50/p99/max for both, and the ratio Frontdesk / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import secrets
import shutil
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    DATA_DIR,
    POSTGRES_ADMIN_URL,
    PYTHON,
    SECRET_KEY,
    free_port,
    percentile,
    server_env,
    start_process,
)

MARK = re.compile(r"bench-(\d+)-x")
# What the client offers: None (no permessage-deflate) by default; "deflate" with --deflate.
COMPRESSION: str | None = os.environ.get("FRONTDESK_BENCH_WS_COMPRESSION") or None
SUBPROTOCOL = "actioncable-v1-json"


# ---------------------------------------------------------------- the baseline server


def baseline_app() -> Any:
    """A bare ASGI app: websockets that get a welcome, and a POST that fans its body out in a loop."""
    sockets: set[Any] = set()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})
            await send({"type": "websocket.send", "text": '{"type":"welcome"}'})
            try:
                while True:
                    message = await receive()
                    if message["type"] == "websocket.disconnect":
                        return
                    command = json.loads(message.get("text") or "{}")
                    if command.get("command") == "subscribe":
                        frame = json.dumps({"identifier": command["identifier"], "type": "confirm_subscription"})
                        await send({"type": "websocket.send", "text": frame})
                        # Like the inbox's members: only these sockets get the events.
                        if json.loads(command["identifier"]).get("pubsub_token", "").startswith("m"):
                            sockets.add(send)
            finally:
                sockets.discard(send)
        if scope["type"] == "http":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            if scope["path"] == "/trigger":
                frame = body.decode()
                for target in list(sockets):
                    try:
                        await target({"type": "websocket.send", "text": frame})
                    except Exception:
                        sockets.discard(target)
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"ok"})

    return app


def serve_baseline(port: int) -> None:
    import uvicorn

    uvicorn.run(baseline_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---------------------------------------------------------------- the clients


async def _client(
    url: str, idents: list[str], receivers: int, events: int, ready: asyncio.Event, arrivals: list[list[float]]
) -> None:
    from websockets.asyncio.client import connect

    finished = asyncio.Event()

    async def one(index: int, ident: str, sink: list[float]) -> None:
        async with connect(
            url,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            open_timeout=60,
            max_queue=None,
            compression=COMPRESSION,
        ) as ws:
            await ws.recv()  # welcome
            await ws.send(json.dumps({"command": "subscribe", "identifier": ident}))
            while True:
                frame = await ws.recv()
                if isinstance(frame, str) and "confirm_subscription" in frame:
                    break
                if isinstance(frame, str) and "reject_subscription" in frame:
                    raise RuntimeError(f"subscription rejected: {ident}")
            confirmed[0] += 1
            if confirmed[0] == len(idents):
                ready.set()
            if index >= receivers:
                # Open, subscribed, and not a recipient: held until the receivers are done.
                await finished.wait()
                return
            got = 0
            while got < events:
                frame = await ws.recv()
                now = time.time()
                match = MARK.search(frame if isinstance(frame, str) else frame.decode())
                if match is not None:
                    sink[int(match.group(1))] = now
                    got += 1
            done[0] += 1
            if done[0] == receivers:
                finished.set()

    confirmed = [0]
    done = [0]
    # Open in batches so the listen backlog is not overrun.
    tasks: list[asyncio.Task[None]] = []
    for index, ident in enumerate(idents):
        tasks.append(asyncio.create_task(one(index, ident, arrivals[index] if index < receivers else [])))
        if index % 100 == 99:
            await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)


def client_process(url: str, idents: list[str], receivers: int, events: int, pipe: Connection) -> None:
    arrivals = [[0.0] * events for _ in idents[:receivers]]

    async def main() -> None:
        ready = asyncio.Event()
        runner = asyncio.create_task(_client(url, idents, receivers, events, ready, arrivals))
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            runner.result()
        pipe.send("ready")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runner, timeout=events * 2 + 60)

    try:
        import uvloop

        uvloop.run(main())
    finally:
        pipe.send(arrivals)


# ---------------------------------------------------------------- the driver


def _latencies(sent: list[float], arrivals: list[list[float]]) -> tuple[list[float], int]:
    values: list[float] = []
    missing = 0
    for per_socket in arrivals:
        for index, at in enumerate(per_socket):
            if at == 0.0:
                missing += 1
            else:
                values.append(at - sent[index])
    return values, missing


Fired = tuple[list[float], list[float]]  # when each trigger was sent, when it was answered


def run_clients(
    url: str, idents: list[str], receivers: int, fire: Any, events: int, interval: float
) -> tuple[Fired, list[list[float]]]:
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(
        target=client_process, args=(url, idents, receivers, events, child)
    )
    proc.start()
    if not parent.poll(180):
        proc.kill()
        raise RuntimeError("the clients did not connect in time")
    status = parent.recv()
    if status != "ready":
        raise RuntimeError("the clients failed before they were ready (see the traceback above)")
    time.sleep(0.5)
    fired = fire(events, interval)
    arrivals = parent.recv() if parent.poll(events * 2 + 120) else [[0.0] * events for _ in idents[:receivers]]
    proc.join(timeout=10)
    return fired, arrivals


def summary(name: str, values: list[float], missing: int) -> dict[str, float]:
    figures = {
        "p50_ms": percentile(values, 0.5) * 1000,
        "p99_ms": percentile(values, 0.99) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
        "frames": float(len(values)),
        "missing": float(missing),
    }
    print(
        f"{name:<10} frames={len(values):>7} missing={missing:<5} "
        f"p50={figures['p50_ms']:7.1f} ms  p99={figures['p99_ms']:7.1f} ms  max={figures['max_ms']:7.1f} ms",
        flush=True,
    )
    return figures


async def _seed(database_url: str, sockets: int) -> dict[str, Any]:
    """An account, its administrator (token), N-1 agents, all members of the inbox the driver creates."""
    from sqlalchemy import insert

    from frontdesk.accounts.service import create_account_with_admin
    from frontdesk.db import Database
    from frontdesk.kit.time import utc_now
    from frontdesk.kit.tokens import TokenVault
    from frontdesk.models import account_users, users

    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            created = await create_account_with_admin(
                uow,
                TokenVault(SECRET_KEY),
                account_name="Bench",
                email=f"admin-{secrets.token_hex(4)}@bench.example",
                password="password123",
                user_name="Admin",
            )
            now = utc_now()
            rows = [
                {
                    "name": f"Agent {n}",
                    "email": f"agent{n}-{secrets.token_hex(4)}@bench.example",
                    "pubsub_token": secrets.token_urlsafe(18),
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(sockets - 1)
            ]
            agents = []
            if rows:
                result = await uow.conn.execute(insert(users).returning(users.c.id, users.c.pubsub_token), rows)
                agents = [(row.id, row.pubsub_token) for row in result]
                await uow.conn.execute(
                    insert(account_users),
                    [
                        {
                            "account_id": created.account_id,
                            "user_id": user_id,
                            "role": 0,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for user_id, _ in agents
                    ],
                )
            from sqlalchemy import select

            admin_token = (
                await uow.conn.execute(select(users.c.pubsub_token).where(users.c.id == created.user_id))
            ).scalar_one()
        return {
            "account_id": created.account_id,
            "admin_id": created.user_id,
            "access_token": created.access_token,
            "users": [(created.user_id, admin_token), *agents],
        }
    finally:
        await database.dispose()


def run_frontdesk(args: argparse.Namespace, sample_frame: list[str]) -> tuple[Fired, list[list[float]]]:
    import httpx

    from frontdesk.migrate import migrate_sync

    run_dir = DATA_DIR / "realtime"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    pg_name = None
    if args.database == "postgres":
        import asyncpg

        pg_name = f"frontdesk_bench_realtime_{secrets.token_hex(3)}"

        async def admin_sql(sql: str) -> None:
            conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin_sql(f'CREATE DATABASE "{pg_name}"'))
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        database_url = f"{base}/{pg_name}"
    else:
        database_url = f"sqlite+aiosqlite:///{run_dir / 'frontdesk.db'}"
    try:
        migrate_sync(database_url)
        seeded = asyncio.run(_seed(database_url, args.sockets))
        port = free_port()
        extra = {
            "FRONTDESK_EMBEDDED_WORKER": "false",
            "FRONTDESK_RATE_LIMIT_PER_IP": "0",
            "FRONTDESK_RATE_LIMIT_PER_TOKEN": "0",
        }
        if args.redis:
            extra["FRONTDESK_REDIS_URL"] = args.redis_url
            extra["FRONTDESK_REALTIME_REDIS_PREFIX"] = f"frontdesk-bench:{secrets.token_hex(4)}"
        env = server_env(database_url, run_dir, port, **extra)
        argv = [PYTHON, "-m", "frontdesk.cli", "serve"]
        if os.environ.get("FRONTDESK_BENCH_PROFILE"):
            argv = [
                PYTHON,
                "-m",
                "cProfile",
                "-o",
                os.environ["FRONTDESK_BENCH_PROFILE"],
                "-m",
                "frontdesk.cli",
                "serve",
            ]
        server = start_process(argv, env, port, run_dir / "server.log")
        try:
            base = f"http://127.0.0.1:{port}"
            api = httpx.Client(base_url=base, headers={"api_access_token": seeded["access_token"]}, timeout=30)
            prefix = f"/api/v1/accounts/{seeded['account_id']}"
            inbox = api.post(prefix + "/inboxes", json={"name": "Bench", "channel": {"type": "api"}}).json()
            # The administrator and receivers-1 agents get every event; the other agents are not members.
            member_ids = [user_id for user_id, _ in seeded["users"][1 : args.receivers]]
            if member_ids:
                response = api.post(prefix + "/inbox_members", json={"inbox_id": inbox["id"], "user_ids": member_ids})
                assert response.status_code == 200, response.text
            contact = api.post(prefix + "/contacts", json={"name": "Bench contact", "inbox_id": inbox["id"]}).json()
            source_id = contact["payload"]["contact_inbox"]["source_id"]
            conversation = api.post(prefix + "/conversations", json={"source_id": source_id}).json()
            # Warm up (first reply and the like), so every measured event is a plain message.created.
            for _ in range(3):
                api.post(prefix + f"/conversations/{conversation['id']}/messages", json={"content": "warm up"})
            idents = [
                json.dumps(
                    {
                        "channel": "RoomChannel",
                        "pubsub_token": token,
                        "account_id": seeded["account_id"],
                        "user_id": user_id,
                    }
                )
                for user_id, token in seeded["users"]
            ]

            def fire(events: int, interval: float) -> Fired:
                sent: list[float] = []
                answered: list[float] = []
                for index in range(events):
                    sent.append(time.time())
                    response = api.post(
                        prefix + f"/conversations/{conversation['id']}/messages",
                        json={"content": f"bench-{index}-x", "message_type": "outgoing"},
                    )
                    answered.append(time.time())
                    assert response.status_code == 200, response.text
                    time.sleep(interval)
                return sent, answered

            latencies = run_clients(
                base.replace("http", "ws") + "/cable", idents, args.receivers, fire, args.events, args.interval
            )
            # One frame as the sockets saw it, to size the baseline's frame alike.
            from websockets.sync.client import connect

            with connect(base.replace("http", "ws") + "/cable", subprotocols=[SUBPROTOCOL]) as ws:  # type: ignore[list-item]
                ws.recv()
                ws.send(json.dumps({"command": "subscribe", "identifier": idents[0]}))
                ws.recv()
                ws.recv()
                api.post(prefix + f"/conversations/{conversation['id']}/messages", json={"content": "bench-0-x"})
                while True:
                    frame = str(ws.recv(timeout=10))
                    if "message.created" in frame:
                        sample_frame.append(frame)
                        break
            api.close()
            return latencies
        finally:
            server.stop()
    finally:
        if pg_name is not None:
            asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def run_baseline(args: argparse.Namespace, frame: str) -> tuple[Fired, list[list[float]]]:
    import httpx

    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{ROOT}:{ROOT / 'src'}"
    server = start_process(
        [PYTHON, "-c", f"from bench.realtime.bench import serve_baseline; serve_baseline({port})"],
        env,
        port,
        DATA_DIR / "realtime" / "baseline.log",
        health="/health",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=base, timeout=30)
        idents = [
            json.dumps({"channel": "RoomChannel", "pubsub_token": f"{'m' if n < args.receivers else 'o'}{n}"})
            for n in range(args.sockets)
        ]

        def fire(events: int, interval: float) -> Fired:
            sent: list[float] = []
            answered: list[float] = []
            for index in range(events):
                sent.append(time.time())
                client.post("/trigger", content=re.sub(r"bench-\d+-x", f"bench-{index}-x", frame).encode())
                answered.append(time.time())
                time.sleep(interval)
            return sent, answered

        try:
            return run_clients(
                base.replace("http", "ws") + "/cable", idents, args.receivers, fire, args.events, args.interval
            )
        finally:
            client.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 sockets, 20 events")
    parser.add_argument("--sockets", type=int, default=1000, help="sockets open")
    parser.add_argument("--receivers", type=int, default=0, help="sockets that get each event (default: all)")
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between two events")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--redis", action="store_true", help="run Frontdesk with FRONTDESK_REDIS_URL")
    parser.add_argument("--deflate", action="store_true", help="clients offer permessage-deflate (as browsers do)")
    parser.add_argument("--redis-url", default=os.environ.get("FRONTDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.events = 200, 20
    args.receivers = min(args.receivers or args.sockets, args.sockets)
    if args.deflate:
        os.environ["FRONTDESK_BENCH_WS_COMPRESSION"] = "deflate"
        global COMPRESSION
        COMPRESSION = "deflate"
    mode = f"{args.database}{' + Redis' if args.redis else ''}"
    deflate = "permessage-deflate" if COMPRESSION else "no compression"
    print(
        f"realtime fan-out: {args.sockets} sockets open, {args.receivers} receive each of {args.events} events, "
        f"one every {args.interval}s, {mode}, {deflate}",
        flush=True,
    )
    sample: list[str] = []
    (sent, answered), arrivals = run_frontdesk(args, sample)
    ours = summary("frontdesk", *_latencies(sent, arrivals))
    after = summary("  answered", *_latencies(answered, arrivals))
    api_ms = percentile([b - a for a, b in zip(sent, answered, strict=True)], 0.5) * 1000
    frame = sample[0] if sample else json.dumps({"identifier": "{}", "message": {"event": "x", "data": "bench-0-x"}})
    (sent, _), arrivals = run_baseline(args, frame)
    bare = summary("baseline", *_latencies(sent, arrivals))
    print(
        f"frame size {len(frame)} bytes; API call p50 {api_ms:.1f} ms; ratio frontdesk/baseline: "
        f"p50 {ours['p50_ms'] / bare['p50_ms']:.2f}x, p99 {ours['p99_ms'] / bare['p99_ms']:.2f}x",
        flush=True,
    )
    del after


if __name__ == "__main__":
    main()
