"""Website-widget fan-out: 1 000 visitors on ``/cable``, an agent's reply reaching its one visitor, against a
bare websocket fan-out in the same run; and the widget's bundle sizes.

    .venv/bin/python -m bench.widget_fanout --db sqlite            # 1 000 visitors, 2 rounds of 400 replies
    .venv/bin/python -m bench.widget_fanout --db postgres
    .venv/bin/python -m bench.widget_fanout --quick                # 100 visitors, 2 rounds of 40 (seconds)
    .venv/bin/python -m bench.widget_fanout --bundles-only         # the bundle sizes alone

What runs, in order:

1. **Frontdesk**: ``frontdesk serve`` in a subprocess on a fresh data directory (the embedded SQLite
   default, or a fresh PostgreSQL database); an account from ``frontdesk create-admin --json``, ``--agents``
   agents added through the agents API (their tokens revealed from the database with the bench's secret
   key, as the tests do), a website inbox (``channel.type = web_widget``) with the agents as members.
   Then ``--visitors`` visitors, each as the widget makes one: ``POST /api/v1/widget/config?website_token=…``
   (no token: a new contact, its ``contact.pubsub_token`` and the widget token ``auth_token``), ``POST
   /api/v1/widget/messages`` with ``X-Auth-Token`` (creates the visitor's conversation), ``GET
   /api/v1/widget/conversations`` (its display id). ``--visitors-via client-api`` makes them through the
   Client API on an API inbox instead (contact sessions carry a pubsub_token and subscribe the same way).
2. One client process (``websockets`` on uvloop) opens a socket per visitor to ``/cable`` (subprotocol
   ``actioncable-v1-json``) and subscribes ``{"channel":"RoomChannel","pubsub_token":…}``, as the widget
   does; every subscription must be confirmed.
3. The agents reply: ``--rounds`` rounds (default 2) of ``--replies``
   ``POST /api/v1/accounts/{id}/conversations/{display_id}/messages``, open-loop at ``--rate`` a second
   (each request starts on its own schedule, whatever the others take), round-robin over the agents, to
   the visitors in a shuffled order (every visitor once before any twice). Each reply's content carries a
   mark; the client records when (``time.time()``) and on which socket each marked ``message.created``
   frame arrives. A frame on any other socket than its visitor's is counted as misdelivered.
4. **Baseline**: a bare ASGI app under the same uvicorn (same settings as ``frontdesk serve``: no
   permessage-deflate), no framework, no database: it confirms the same subscriptions, keeps a dict
   pubsub_token → socket, and ``POST /publish?token=…`` sends the body (a frame of the size Frontdesk
   sent, copied from one it sent) to that one socket, then answers. Same client process code, same number
   of sockets, same schedule, same measure. Both servers hold their sockets for the whole run and the rounds
   alternate (Frontdesk, bare, Frontdesk, bare, …); the best round of each side is reported (noise on a
   shared machine only ever adds), every round's p99 beside it.

Latency per reply, three ways (all on this machine's one clock):

* **from created_at** (the headline): the frame's arrival - the message row's ``created_at``, read from the
  database after the run (microseconds; set by the service just before the insert, so *before* the commit):
  an upper bound on commit → frame. The baseline's counterpart is the moment its handler started.
* **from the answer**: arrival - the moment the POST returned. The commit is done by then, so this is a
  lower bound on commit → frame (it can be negative: the hub may push the frame before the HTTP answer
  reaches the driver). The baseline's counterpart: the moment its POST returned.
* **from the request**: arrival - the moment the POST was sent (what a person would see).

Printed: p50 / p95 / p99 / max of each, and the ratios p99 Frontdesk / p99 baseline (the target: within 2x),
then the bundle sizes: ``sdk.js`` and the widget's first load (the manifest's entry with its CSS and its
statically imported chunks, recursively), raw, gzip -9 and brotli (quality 11, when the ``brotli`` module or
command is there). Every figure is also a ``BENCH {json}`` line; ``--json FILE`` writes them all to a file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import multiprocessing
import os
import random
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from bench.common import (
    DATA_DIR,
    PYTHON,
    ROOT,
    SECRET_KEY,
    BenchDatabase,
    Server,
    emit,
    free_port,
    http_session,
    percentile,
    ratio,
    server_env,
    start_process,
)

BENCHMARK = "widget_fanout"
SUBPROTOCOL = "actioncable-v1-json"
MARK = re.compile(r"wfan-(\d+)-x")
EVENT = re.compile(r'"event":\s*"([a-z_.]+)"')
STATIC_DIR = ROOT / "src" / "frontdesk" / "widget" / "static"
FIGURES: list[dict[str, Any]] = []


def figure(db: str, metric: str, value: float, unit: str, **extra: Any) -> None:
    """``emit`` (the line people read and the ``BENCH`` line), kept for ``--json``."""
    emit(BENCHMARK, db, metric, value, unit, **extra)
    FIGURES.append({"benchmark": BENCHMARK, "db": db, "metric": metric, "value": value, "unit": unit, **extra})


def raise_nofile(wanted: int) -> int:
    """Lift RLIMIT_NOFILE's soft limit towards ``wanted`` (capped by the hard limit); the new soft limit.

    Set before the servers and the client process start, so they inherit it: 1 000 sockets are 1 000
    descriptors on each side of the loopback, plus the database and the HTTP clients."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------- the baseline server


def bare_app() -> Any:
    """A bare ASGI app: ActionCable's welcome and subscription confirm, a dict token → socket, and
    ``POST /publish?token=…`` sending the body to that one socket. Answers ``{"stamp": <handler start>}``."""
    sockets: dict[str, Any] = {}

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
            mine: list[str] = []
            try:
                while True:
                    message = await receive()
                    if message["type"] == "websocket.disconnect":
                        return
                    command = json.loads(message.get("text") or "{}")
                    if command.get("command") == "subscribe":
                        token = str(json.loads(command["identifier"]).get("pubsub_token", ""))
                        sockets[token] = send
                        mine.append(token)
                        frame = json.dumps({"identifier": command["identifier"], "type": "confirm_subscription"})
                        await send({"type": "websocket.send", "text": frame})
            finally:
                for token in mine:
                    sockets.pop(token, None)
        if scope["type"] == "http":
            stamp = time.time()
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            status = 200
            if scope["path"] == "/publish":
                query = dict(part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part)
                target = sockets.get(query.get("token", ""))
                if target is None:
                    status = 404
                else:
                    await target({"type": "websocket.send", "text": body.decode()})
            answer = json.dumps({"stamp": stamp}).encode()
            await send(
                {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": answer})

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(
        bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False, ws_per_message_deflate=False
    )


# ---------------------------------------------------------------- the visitors' sockets (their own process)


@dataclass
class Arrivals:
    """What the client process saw: per mark, the first (socket index, time) it arrived at."""

    first: dict[int, tuple[int, float]] = field(default_factory=dict)
    duplicates: int = 0  # message.created frames of a mark already seen
    events: dict[str, int] = field(default_factory=dict)  # marked frames by event name, first or not
    sample_frame: str = ""


async def _hold_sockets(url: str, tokens: list[str], pipe: Connection) -> None:
    from websockets.asyncio.client import connect

    arrivals = Arrivals()
    confirmed = 0
    all_confirmed = asyncio.Event()
    failed: list[str] = []
    stop = asyncio.Event()
    arrived = asyncio.Event()  # set on every new mark

    async def one(index: int, token: str) -> None:
        nonlocal confirmed
        ident = json.dumps({"channel": "RoomChannel", "pubsub_token": token})
        try:
            async with connect(
                url,
                subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                open_timeout=60,
                ping_interval=None,
                max_queue=None,
                compression=None,
            ) as ws:
                await ws.recv()  # welcome
                await ws.send(json.dumps({"command": "subscribe", "identifier": ident}))
                while True:
                    frame = str(await ws.recv())
                    if "confirm_subscription" in frame:
                        break
                    if "reject_subscription" in frame:
                        raise RuntimeError(f"subscription rejected for visitor {index}")
                confirmed += 1
                if confirmed == len(tokens):
                    all_confirmed.set()
                while not stop.is_set():
                    frame = str(await ws.recv())
                    now = time.time()
                    match = MARK.search(frame)
                    if match is None:
                        continue
                    mark = int(match.group(1))
                    named = EVENT.search(frame)
                    event = named.group(1) if named else "?"
                    arrivals.events[event] = arrivals.events.get(event, 0) + 1
                    if event != "message.created":
                        continue  # what the visitor's widget shows the reply from
                    if mark in arrivals.first:
                        arrivals.duplicates += 1
                    else:
                        arrivals.first[mark] = (index, now)
                        arrived.set()
                        if not arrivals.sample_frame:
                            arrivals.sample_frame = frame
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not stop.is_set():
                failed.append(f"visitor {index}: {type(error).__name__}: {error}"[:300])
                all_confirmed.set()

    began = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for index, token in enumerate(tokens):
        tasks.append(asyncio.create_task(one(index, token)))
        if index % 100 == 99:  # in batches, so the listen backlog is not overrun
            await asyncio.sleep(0.1)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_confirmed.wait(), timeout=180)
    pipe.send({"confirmed": confirmed, "failed": failed[:5], "seconds": time.monotonic() - began})
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        if command == ("sample",):
            pipe.send(arrivals.sample_frame)
            continue
        # ("wait", expected, timeout): answer once that many marks arrived (or at the timeout).
        _, expected, timeout = command
        deadline = time.monotonic() + timeout
        while len(arrivals.first) < expected and time.monotonic() < deadline:
            arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), timeout=max(0.0, deadline - time.monotonic()))
        pipe.send(len(arrivals.first))
    stop.set()
    pipe.send(arrivals)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def client_main(url: str, tokens: list[str], pipe: Connection) -> None:
    raise_nofile(len(tokens) + 1024)
    import uvloop

    uvloop.run(_hold_sockets(url, tokens, pipe))


class SocketHolder:
    """The client process: ``open()`` connects and subscribes every token; ``finish()`` collects."""

    def __init__(self, url: str, tokens: list[str]) -> None:
        self.url, self.tokens = url, tokens
        self.pipe, child = multiprocessing.Pipe()
        self.proc = multiprocessing.get_context("spawn").Process(target=client_main, args=(url, tokens, child))

    def open(self) -> float:
        self.proc.start()
        if not self.pipe.poll(240):
            self.proc.kill()
            raise RuntimeError("the visitors' sockets did not connect in time")
        status = self.pipe.recv()
        if status["confirmed"] != len(self.tokens):
            self.proc.kill()
            raise RuntimeError(
                f"{status['confirmed']} of {len(self.tokens)} subscriptions confirmed: {status['failed']}"
            )
        seconds: float = status["seconds"]
        return seconds

    def wait_for(self, expected: int, timeout: float) -> int:
        self.pipe.send(("wait", expected, timeout))
        got: int = self.pipe.recv()
        return got

    def finish(self) -> Arrivals:
        self.pipe.send("stop")
        arrivals: Arrivals = self.pipe.recv() if self.pipe.poll(60) else Arrivals()
        self.proc.join(timeout=15)
        if self.proc.is_alive():
            self.proc.kill()
        return arrivals


# ---------------------------------------------------------------- visitors: the widget API or the Client API


@dataclass(frozen=True)
class Visitor:
    pubsub_token: str
    display_id: int  # the conversation's per-account id, what the agents' API addresses


class VisitorSource(Protocol):
    """Makes visitors the way a client of Frontdesk does, each with its conversation."""

    async def visitor(self, session: Any, number: int) -> Visitor: ...


async def _json(response: Any, what: str) -> Any:
    body = await response.read()
    if response.status != 200:
        raise RuntimeError(f"{what} answered {response.status}: {body[:300]!r}")
    return json.loads(body)


@dataclass
class WidgetVisitors:
    """The website widget's own calls: config (a new contact and token), a first message, the conversation."""

    base_url: str
    website_token: str

    async def visitor(self, session: Any, number: int) -> Visitor:
        query = {"website_token": self.website_token}
        widget = f"{self.base_url}/api/v1/widget"
        async with session.post(f"{widget}/config", params=query, json={}) as response:
            config = await _json(response, "POST /api/v1/widget/config")
        token = config["website_channel_config"]["auth_token"]
        pubsub_token = config["contact"]["pubsub_token"]
        headers = {"X-Auth-Token": token}
        message = {"message": {"content": f"Hello from visitor {number}", "timestamp": str(time.time())}}
        async with session.post(f"{widget}/messages", params=query, json=message, headers=headers) as response:
            await _json(response, "POST /api/v1/widget/messages")
        async with session.get(f"{widget}/conversations", params=query, headers=headers) as response:
            conversation = await _json(response, "GET /api/v1/widget/conversations")
        return Visitor(pubsub_token, int(conversation["id"]))


@dataclass
class ClientApiVisitors:
    """The Client API on an API inbox: a contact session (its pubsub_token), a conversation, a first message."""

    base_url: str
    inbox_identifier: str

    async def visitor(self, session: Any, number: int) -> Visitor:
        public = f"{self.base_url}/public/api/v1/inboxes/{self.inbox_identifier}"
        async with session.post(f"{public}/contacts", json={"name": f"Visitor {number}"}) as response:
            contact = await _json(response, "POST /public/…/contacts")
        session_path = f"{public}/contacts/{contact['source_id']}"
        async with session.post(f"{session_path}/conversations", json={}) as response:
            conversation = await _json(response, "POST /public/…/conversations")
        async with session.post(
            f"{session_path}/conversations/{conversation['id']}/messages",
            json={"content": f"Hello from visitor {number}"},
        ) as response:
            await _json(response, "POST /public/…/messages")
        return Visitor(contact["pubsub_token"], int(conversation["id"]))


async def make_visitors(source: VisitorSource, count: int, concurrency: int) -> list[Visitor]:
    import aiohttp

    made: list[Visitor | None] = [None] * count
    numbers = iter(range(count))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def worker() -> None:
            for number in numbers:
                made[number] = await source.visitor(session, number)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [visitor for visitor in made if visitor is not None]


# ---------------------------------------------------------------- the replies


@dataclass
class Sent:
    """One reply: its mark, its target socket, when its request was sent and answered, its server-side stamp."""

    mark: int
    target: int
    sent: float = 0.0
    answered: float = 0.0
    stamp: float = 0.0  # Frontdesk: the message's created_at (filled in after the run); bare: handler start
    message_id: int = 0
    error: str = ""


def reply_order(visitors: int, replies: int, seed: int) -> list[int]:
    """Visitor indexes in a shuffled order, every one once before any twice."""
    rng = random.Random(seed)
    order: list[int] = []
    while len(order) < replies:
        lap = list(range(visitors))
        rng.shuffle(lap)
        order.extend(lap)
    return order[:replies]


async def fire(first_mark: int, targets: list[int], rate: float, post: Any) -> list[Sent]:
    """Open loop: reply ``i`` starts at ``start + i / rate``, whatever the earlier ones take."""
    records = [Sent(first_mark + index, target) for index, target in enumerate(targets)]
    start = time.monotonic() + 0.2

    async def one(index: int) -> None:
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        record = records[index]
        record.sent = time.time()
        try:
            await post(record)
        except Exception as error:
            record.error = f"{type(error).__name__}: {error}"[:300]
        record.answered = time.time()

    await asyncio.gather(*(one(index) for index in range(len(records))))
    return records


@dataclass
class Measured:
    """A side's figures, in seconds per delivered reply."""

    from_stamp: list[float]
    from_answer: list[float]
    from_request: list[float]
    delivered: int
    missing: int
    misdelivered: int
    errors: int
    first_error: str
    api_p50: float


def measure(records: list[Sent], arrivals: Arrivals) -> Measured:
    stamp: list[float] = []
    answer: list[float] = []
    request: list[float] = []
    missing = misdelivered = 0
    for record in records:
        if record.error:
            continue
        seen = arrivals.first.get(record.mark)
        if seen is None:
            missing += 1
            continue
        socket, at = seen
        if socket != record.target:
            misdelivered += 1
            continue
        if record.stamp:
            stamp.append(at - record.stamp)
        answer.append(at - record.answered)
        request.append(at - record.sent)
    errors = [record.error for record in records if record.error]
    return Measured(
        stamp,
        answer,
        request,
        len(request),
        missing,
        misdelivered,
        len(errors),
        errors[0] if errors else "",
        percentile([r.answered - r.sent for r in records if not r.error], 0.5),
    )


class Side:
    """One server with its visitors' sockets open; ``round()`` sends a round of replies, ``close()`` measures."""

    name = ""
    holder: SocketHolder
    connect_seconds = 0.0

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.records: list[list[Sent]] = []  # per round
        self.arrivals = Arrivals()

    def round(self, number: int) -> None:
        """Replies ``number * replies …``: every visitor once before any twice, in a shuffled order."""
        targets = reply_order(self.visitors, self.args.replies, self.args.seed + number)
        records = asyncio.run(self.fire(number * self.args.replies, targets))
        self.records.append(records)
        expected = sum(len(batch) for batch in self.records) - sum(1 for b in self.records for r in b if r.error)
        self.holder.wait_for(expected, timeout=15)

    @property
    def visitors(self) -> int:
        return len(self.holder.tokens)

    async def fire(self, first_mark: int, targets: list[int]) -> list[Sent]:
        raise NotImplementedError

    def collect(self) -> None:
        self.arrivals = self.holder.finish()

    def rounds(self) -> list[Measured]:
        return [measure(records, self.arrivals) for records in self.records]

    def pooled(self) -> Measured:
        return measure([record for records in self.records for record in records], self.arrivals)


# ---------------------------------------------------------------- Frontdesk


def fresh_database(kind: str, data_dir: Path) -> tuple[str, BenchDatabase | None]:
    """(the URL the server and the bench use, the PostgreSQL database to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}", None
    db = BenchDatabase("postgres", f"widget_fanout_{secrets.token_hex(3)}")
    db.create()
    env = server_env(db.url, data_dir, 0)
    subprocess.run([PYTHON, "-m", "frontdesk.cli", "migrate"], env=env, check=True, capture_output=True, timeout=180)
    return db.url, db


def create_admin(data_dir: Path, url: str) -> dict[str, Any]:
    env = server_env(url, data_dir, 0)
    created = subprocess.run(
        [PYTHON, "-m", "frontdesk.cli", "create-admin", "--account", "Widget bench", "--email",
         f"admin{time.time_ns()}@widget-bench.test", "--password", "widget-bench-pass", "--json"],
        env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(created.stdout)
    return result


async def reveal_tokens(url: str, user_ids: Sequence[int]) -> list[str]:
    """The agents' API tokens, from the database (encrypted at rest with the bench's secret key)."""
    from frontdesk.auth.tokens import reveal_access_token
    from frontdesk.db import Database
    from frontdesk.kit.tokens import TokenVault

    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            return [await reveal_access_token(uow, TokenVault(SECRET_KEY), "User", user_id) for user_id in user_ids]
    finally:
        await database.dispose()


async def created_at_of(url: str, message_ids: Sequence[int]) -> dict[int, float]:
    """Each message's ``created_at`` as a unix time (set just before the insert, so before the commit)."""
    from sqlalchemy import select

    from frontdesk.db import Database
    from frontdesk.models import messages

    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            rows = await uow.conn.execute(
                select(messages.c.id, messages.c.created_at).where(messages.c.id.in_(list(message_ids)))
            )
            return {row.id: row.created_at.timestamp() for row in rows}
    finally:
        await database.dispose()


async def setup_account(base_url: str, account_id: int, token: str, agents: int, via: str) -> dict[str, Any]:
    """Agents, the inbox (website or API) with them as members; what the visitor source needs."""
    prefix = f"{base_url}/api/v1/accounts/{account_id}"
    async with http_session(4, token) as session:
        agent_ids: list[int] = []
        for number in range(agents):
            body = {"name": f"Agent {number}", "email": f"agent{number}-{secrets.token_hex(3)}@widget-bench.test"}
            async with session.post(f"{prefix}/agents", json=body) as response:
                agent_ids.append(int((await _json(response, "POST …/agents"))["id"]))
        if via == "widget":
            channel = {"type": "web_widget", "website_url": "https://shop.example", "widget_color": "#1f93ff"}
        else:
            channel = {"type": "api"}
        async with session.post(f"{prefix}/inboxes", json={"name": "Website", "channel": channel}) as response:
            inbox = await _json(response, "POST …/inboxes")
        async with session.post(
            f"{prefix}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": agent_ids}
        ) as response:
            await _json(response, "POST …/inbox_members")
    return {"agent_ids": agent_ids, "inbox": inbox}


def inbox_identifier(inbox: dict[str, Any]) -> str:
    """An API inbox's public identifier (the Client API's ``inbox_identifier``)."""
    found = inbox.get("inbox_identifier") or (inbox.get("channel") or {}).get("identifier")
    if not found:
        raise RuntimeError(f"the API inbox has no inbox_identifier: {inbox}")
    return str(found)


def widget_limits_off() -> dict[str, str]:
    """Chatwoot's per-IP throttles on minting visitors (6 conversations per 12 hours per IP, …) raised: every
    visitor here comes from 127.0.0.1. The limiter still runs, as ``server_env`` does for the global limits."""
    high = "100000000"
    return {
        "FRONTDESK_RATE_LIMIT_PUBLIC_CONVERSATIONS": high,
        "FRONTDESK_RATE_LIMIT_PUBLIC_CONTACT_UPDATES": high,
        "FRONTDESK_RATE_LIMIT_WIDGET_CONVERSATIONS": high,
        "FRONTDESK_RATE_LIMIT_WIDGET_PAGE": high,
    }


class FrontdeskSide(Side):
    """``frontdesk serve`` with an account, agents, a website inbox and its visitors, all on ``/cable``."""

    name = "frontdesk"

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        super().__init__(args)
        self.data_dir = work / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server: Server | None = None
        self.pg: BenchDatabase | None = None
        self.sample_frame = ""
        self.visitors_seconds = 0.0

    def start(self) -> None:
        args = self.args
        self.url, self.pg = fresh_database(args.db, self.data_dir)
        port = free_port()
        env = server_env(self.url, self.data_dir, port, FRONTDESK_EMBEDDED_WORKER="false", **widget_limits_off())
        self.server = start_process(
            [PYTHON, "-m", "frontdesk.cli", "serve"], env, port, DATA_DIR / "logs" / f"{BENCHMARK}-{args.db}.log"
        )
        base_url = self.server.base_url
        created = create_admin(self.data_dir, self.url)
        self.account_id = created["account_id"]
        made = asyncio.run(setup_account(base_url, self.account_id, created["access_token"], args.agents, args.via))
        self.agent_tokens = asyncio.run(reveal_tokens(self.url, made["agent_ids"]))
        inbox = made["inbox"]
        source: VisitorSource
        if args.via == "widget":
            website_token = inbox.get("website_token") or ""
            if not website_token:
                raise RuntimeError(f"the website inbox has no website_token: {inbox}")
            source = WidgetVisitors(base_url, website_token)
        else:
            source = ClientApiVisitors(base_url, inbox_identifier(inbox))
        began = time.monotonic()
        self.visitor_list = asyncio.run(make_visitors(source, args.visitors, concurrency=8))
        self.visitors_seconds = time.monotonic() - began
        print(f"  {len(self.visitor_list)} visitors made ({args.via}) in {self.visitors_seconds:.1f} s", flush=True)
        self.holder = SocketHolder(
            base_url.replace("http", "ws") + "/cable", [v.pubsub_token for v in self.visitor_list]
        )
        self.connect_seconds = self.holder.open()
        print(f"  {self.visitors} Frontdesk sockets subscribed in {self.connect_seconds:.1f} s", flush=True)
        time.sleep(1.0)  # the presence.update frames of the subscriptions settle

    async def fire(self, first_mark: int, targets: list[int]) -> list[Sent]:
        import aiohttp

        assert self.server is not None
        prefix = f"{self.server.base_url}/api/v1/accounts/{self.account_id}/conversations"
        sessions = [
            aiohttp.ClientSession(
                headers={"api_access_token": token},
                connector=aiohttp.TCPConnector(limit=16),
                timeout=aiohttp.ClientTimeout(total=60),
            )
            for token in self.agent_tokens
        ]
        try:

            async def post(record: Sent) -> None:
                session = sessions[record.mark % len(sessions)]
                body = {"content": f"Agent reply wfan-{record.mark}-x", "message_type": "outgoing"}
                path = f"{prefix}/{self.visitor_list[record.target].display_id}/messages"
                async with session.post(path, json=body) as response:
                    record.message_id = int((await _json(response, "POST …/messages"))["id"])

            return await fire(first_mark, targets, self.args.rate, post)
        finally:
            for session in sessions:
                await session.close()

    def collect(self) -> None:
        super().collect()
        self.sample_frame = self.arrivals.sample_frame
        ids = [record.message_id for records in self.records for record in records if record.message_id]
        stamps = asyncio.run(created_at_of(self.url, ids))
        for records in self.records:
            for record in records:
                record.stamp = stamps.get(record.message_id, 0.0)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.holder.proc.is_alive():
                self.holder.proc.kill()
        if self.server is not None:
            self.server.stop()
        if self.pg is not None:
            self.pg.drop()


# ---------------------------------------------------------------- the baseline


class BareSide(Side):
    """The bare ASGI fan-out (``bare_app``) under uvicorn, with as many sockets as Frontdesk's visitors."""

    name = "bare"

    def __init__(self, args: argparse.Namespace, visitors: int) -> None:
        super().__init__(args)
        self.count = visitors
        self.frame = ""
        self.server: Server | None = None

    def start(self) -> None:
        port = free_port()
        env = dict(os.environ)
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'src'}"
        self.server = start_process(
            [PYTHON, "-c", f"from bench.widget_fanout import serve_bare; serve_bare({port})"],
            env,
            port,
            DATA_DIR / "logs" / f"{BENCHMARK}-bare.log",
        )
        self.tokens = [f"bare-{n}-{secrets.token_hex(6)}" for n in range(self.count)]
        self.holder = SocketHolder(self.server.base_url.replace("http", "ws") + "/cable", self.tokens)
        self.connect_seconds = self.holder.open()
        print(f"  {self.visitors} bare sockets subscribed in {self.connect_seconds:.1f} s", flush=True)
        time.sleep(1.0)

    async def fire(self, first_mark: int, targets: list[int]) -> list[Sent]:
        import aiohttp

        assert self.server is not None
        publish = f"{self.server.base_url}/publish"
        template = self.frame or json.dumps({"identifier": "{}", "message": {"event": "message.created", "data": ""}})
        if not MARK.search(template):
            template = template + " wfan-0-x"
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=16), timeout=aiohttp.ClientTimeout(total=60)
        ) as session:

            async def post(record: Sent) -> None:
                body = MARK.sub(f"wfan-{record.mark}-x", template).encode()
                params = {"token": self.tokens[record.target]}
                async with session.post(publish, params=params, data=body) as response:
                    record.stamp = float((await _json(response, "POST /publish"))["stamp"])

            return await fire(first_mark, targets, self.args.rate, post)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.holder.proc.is_alive():
                self.holder.proc.kill()
        if self.server is not None:
            self.server.stop()


# ---------------------------------------------------------------- bundle sizes


NODE_BROTLI = (
    "const z=require('zlib');const b=require('fs').readFileSync(0);"
    "process.stdout.write(String(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,"
    "[z.constants.BROTLI_PARAM_SIZE_HINT]:b.length}}).length))"
)


def brotli_size(data: bytes) -> int | None:
    """Brotli (quality 11) size, through the ``brotli`` module, the ``brotli`` command or Node's zlib
    (``brotliCompressSync``); None when none of them is there."""
    try:
        import brotli  # type: ignore[import-not-found, unused-ignore]

        return len(brotli.compress(data, quality=11))
    except ImportError:
        pass
    command = shutil.which("brotli")
    if command is not None:
        done = subprocess.run([command, "-c", "-q", "11", "-"], input=data, capture_output=True, check=True)
        return len(done.stdout)
    node = shutil.which("node")
    if node is not None:
        done = subprocess.run([node, "-e", NODE_BROTLI], input=data, capture_output=True, check=True)
        return int(done.stdout)
    return None


@dataclass
class Sizes:
    files: list[str]
    raw: int
    gzip: int
    brotli: int | None


def sizes_of(paths: Sequence[Path], root: Path) -> Sizes:
    """Raw, gzip -9 and brotli sizes, each file compressed on its own (as a server sends them), summed."""
    raw = gz = 0
    br: int | None = 0
    for path in paths:
        data = path.read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, compresslevel=9, mtime=0))
        one = brotli_size(data)
        br = None if one is None or br is None else br + one
    return Sizes([str(path.relative_to(root)) for path in paths], raw, gz, br)


def first_load(static_dir: Path, manifest: dict[str, Any], entry: str | None = None) -> list[Path]:
    """The entry's JS and CSS and those of every chunk it imports statically (recursively); no dynamic imports.

    ``entry`` names the manifest key; by default the entry ending in ``main.ts`` (the widget's), else the first."""
    entries = [key for key, chunk in manifest.items() if chunk.get("isEntry")]
    if entry is not None:
        if entry not in manifest:
            raise ValueError(f"no {entry!r} in the manifest; its entries: {entries}")
        entries = [entry]
    if not entries:
        raise ValueError("the manifest has no entry")
    preferred = [key for key in entries if key.endswith("main.ts")] or entries
    seen: set[str] = set()
    files: list[str] = []

    def visit(key: str) -> None:
        if key in seen or key not in manifest:
            return
        seen.add(key)
        chunk = manifest[key]
        for name in [chunk.get("file", ""), *chunk.get("css", [])]:
            if name and name.endswith((".js", ".mjs", ".css")) and name not in files:
                files.append(name)
        for imported in chunk.get("imports", []):
            visit(imported)

    visit(preferred[0])
    return [static_dir / name for name in files]


def bundle_sizes(
    static_dir: Path, db: str, *, sdk: Path | None = None, manifest: Path | None = None, entry: str | None = None
) -> dict[str, Sizes]:
    """The SDK and the widget's first load from a built static directory; what is absent is said, not guessed.

    ``sdk`` (default ``static_dir/sdk.js``) and ``manifest`` (default ``static_dir/.vite/manifest.json``, whose
    files are relative to ``static_dir``) point elsewhere, e.g. at another product's build."""
    found: dict[str, Sizes] = {}
    sdk = sdk or static_dir / "sdk.js"
    if sdk.is_file():
        found["sdk.js"] = sizes_of([sdk], sdk.parent)
    else:
        print(f"bundle: {sdk} is not built", flush=True)
    manifest_path = manifest or static_dir / ".vite" / "manifest.json"
    if manifest_path.is_file():
        paths = first_load(static_dir, json.loads(manifest_path.read_text()), entry)
        found["widget first load"] = sizes_of(paths, static_dir)
        js = [path for path in paths if path.suffix != ".css"]
        css = [path for path in paths if path.suffix == ".css"]
        found["widget first load JS"] = sizes_of(js, static_dir)
        found["widget first load CSS"] = sizes_of(css, static_dir)
    else:
        print(f"bundle: {manifest_path} is not built", flush=True)
    limits = {"sdk.js": 10 * 1024, "widget first load": 80 * 1024}
    for name, sizes in found.items():
        extra: dict[str, Any] = {"raw": sizes.raw, "files": len(sizes.files)}
        if sizes.brotli is not None:
            extra["brotli"] = sizes.brotli
        if name in limits:
            extra["limit"] = limits[name]
            extra["within"] = max(sizes.gzip, sizes.brotli or 0) <= limits[name]
        figure(db, f"bundle: {name} gzip", float(sizes.gzip), "B", **extra)
    return found


# ---------------------------------------------------------------- report

BASES = (
    ("from created_at", "from_stamp", "created_at / handler start (headline)"),
    ("from answer", "from_answer", "the POST's answer (a lower bound)"),
    ("from request", "from_request", "the POST's request"),
)


def p99(values: list[float]) -> float:
    return percentile(values, 0.99)


def best_round(side: Side) -> Measured:
    """The round with the lowest headline p99 (the machine is shared: noise only ever adds)."""
    return min(side.rounds(), key=lambda m: p99(m.from_stamp) if m.from_stamp else float("inf"))


def report_side(db: str, side: Side) -> Measured:
    best = best_round(side)
    pooled = side.pooled()
    for basis, attribute, _ in BASES:
        values: list[float] = getattr(best, attribute)
        if not values:
            continue
        figure(
            db,
            f"{side.name}: reply→frame p99 {basis}",
            p99(values) * 1000,
            "ms",
            p50=percentile(values, 0.5) * 1000,
            p95=percentile(values, 0.95) * 1000,
            max=max(values) * 1000,
            n=len(values),
            rounds_p99=[round(p99(getattr(m, attribute)) * 1000, 2) for m in side.rounds()],
        )
    figure(
        db,
        f"{side.name}: replies delivered",
        float(pooled.delivered),
        "frames",
        missing=pooled.missing,
        misdelivered=pooled.misdelivered,
        duplicates=side.arrivals.duplicates,
        marked_frames=side.arrivals.events,
        errors=pooled.errors,
        api_p50_ms=pooled.api_p50 * 1000,
    )
    if pooled.first_error:
        print(f"  first error: {pooled.first_error}", flush=True)
    return best


def table(ours: Measured, bare: Measured) -> str:
    def cell(values: list[float]) -> str:
        if not values:
            return "—"
        return " / ".join(f"{percentile(values, q) * 1000:.1f}" for q in (0.5, 0.95, 0.99))

    lines = [
        "| measured from | Frontdesk p50 / p95 / p99 ms | bare fan-out p50 / p95 / p99 ms | ratio p99 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for basis, attribute, label in BASES:
        a, b = getattr(ours, attribute), getattr(bare, attribute)
        positive = bool(a and b) and basis != "from answer" and p99(b) > 0
        shown = f"{ratio(p99(a), p99(b)):.2f}x" if positive else "—"
        lines.append(f"| {label} | {cell(a)} | {cell(b)} | {shown} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def run_sides(args: argparse.Namespace) -> bool:
    """Both servers up with their sockets, then alternating rounds: Frontdesk, bare, Frontdesk, bare, …"""
    work = Path(tempfile.mkdtemp(prefix="frontdesk-widget-fanout-"))
    ours = FrontdeskSide(args, work)
    bare = BareSide(args, args.visitors)
    try:
        ours.start()
        bare.start()
        for number in range(args.rounds):
            ours.round(number)
            if number == 0:
                # The bare loop sends a frame of Frontdesk's size: one it sent, taken from the first round.
                ours.holder.pipe.send(("sample",))
                bare.frame = ours.holder.pipe.recv()
            bare.round(number)
        ours.collect()
        bare.collect()
    finally:
        ours.close()
        bare.close()
        shutil.rmtree(work, ignore_errors=True)
    db = args.db
    mine = report_side(db, ours)
    theirs = report_side(db, bare)
    common = {"visitors": args.visitors, "replies": args.replies, "rounds": args.rounds, "rate": args.rate}
    figure(db, "frontdesk: visitors made", ours.visitors_seconds, "s", via=args.via, **common)
    figure(db, "sockets subscribed", ours.connect_seconds, "s", bare=bare.connect_seconds)
    for basis, attribute, _ in BASES:
        a, b = getattr(mine, attribute), getattr(theirs, attribute)
        if basis != "from answer" and a and b and p99(b) > 0:
            figure(
                db,
                f"ratio p99 frontdesk/bare {basis}",
                ratio(p99(a), p99(b)),
                "x",
                p50_ratio=ratio(percentile(a, 0.5), percentile(b, 0.5)),
                target=2.0,
            )
    figure(db, "frame size", float(len(ours.sample_frame)), "B")
    print(f"\nbest of {args.rounds} alternating rounds, {args.replies} replies each:")
    print(table(mine, theirs))
    print()
    pooled = ours.pooled()
    return not (pooled.missing or pooled.misdelivered or pooled.errors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.widget_fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", "--database", dest="db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="100 visitors, 2 rounds of 40 replies")
    parser.add_argument("--visitors", type=int, default=None, help="visitors connected (default 1000, quick 100)")
    parser.add_argument("--replies", type=int, default=None, help="agent replies a round (default 400, quick 40)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per side, the best kept")
    parser.add_argument("--rate", type=float, default=25.0, help="replies started a second (open loop)")
    parser.add_argument("--agents", type=int, default=4, help="agents replying, round-robin")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--visitors-via",
        dest="via",
        choices=("widget", "client-api"),
        default="widget",
        help="make visitors through the widget API (default) or the Client API on an API inbox",
    )
    parser.add_argument("--static-dir", type=Path, default=STATIC_DIR, help="the widget's built static directory")
    parser.add_argument("--sdk", type=Path, default=None, help="the SDK file (default: STATIC_DIR/sdk.js)")
    parser.add_argument("--manifest", type=Path, default=None, help="default: STATIC_DIR/.vite/manifest.json")
    parser.add_argument("--entry", default=None, help="the manifest's entry key (default: the one in main.ts)")
    parser.add_argument("--bundles-only", action="store_true", help="only the bundle sizes")
    parser.add_argument("--no-bundles", action="store_true", help="skip the bundle sizes")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    args = parser.parse_args(argv)
    args.visitors = args.visitors or (100 if args.quick else 1000)
    args.replies = args.replies or (40 if args.quick else 400)
    if args.quick:
        args.rate = max(args.rate, 50.0)
    ok = True
    if not args.bundles_only:
        limit = raise_nofile(4 * args.visitors + 2048)
        print(
            f"widget fan-out: {args.visitors} visitors on /cable (made via the {args.via} API), {args.rounds} rounds "
            f"of {args.replies} agent replies at {args.rate:g}/s from {args.agents} agents, {args.db}; "
            f"RLIMIT_NOFILE {limit}",
            flush=True,
        )
        ok = run_sides(args)
    if not args.no_bundles:
        label = "static" if args.bundles_only else args.db
        bundle_sizes(args.static_dir, label, sdk=args.sdk, manifest=args.manifest, entry=args.entry)
    if args.json is not None:
        args.json.write_text(json.dumps(FIGURES, indent=2, default=str) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
