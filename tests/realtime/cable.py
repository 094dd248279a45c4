"""A plain ActionCable client over the ``websockets`` package, for the realtime tests."""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa
from websockets.sync.client import ClientConnection, connect

from tests.fixtures.server import RunningServer, ThrowawayDatabase

SUBPROTOCOL = "actioncable-v1-json"


def identifier(pubsub_token: str, account_id: int | None = None, user_id: int | None = None) -> str:
    params: dict[str, Any] = {"channel": "RoomChannel", "pubsub_token": pubsub_token}
    if account_id is not None:
        params["account_id"] = account_id
    if user_id is not None:
        params["user_id"] = user_id
    return json.dumps(params)


class Cable:
    """One websocket to ``/cable``: frames as dicts, pings recorded and skipped unless asked for."""

    def __init__(self, server: RunningServer | str) -> None:
        base = server if isinstance(server, str) else server.base_url
        self.url = base.replace("http://", "ws://") + "/cable"
        opened = connect(self.url, subprotocols=[SUBPROTOCOL], open_timeout=10)  # type: ignore[list-item]
        self.ws: ClientConnection = opened.__enter__()
        self.pings: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        # Frames read ahead (while looking for another one) that the next reads return first.
        self.held: list[dict[str, Any]] = []
        self.welcome = self.recv(timeout=5)

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Cable:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, command: str, ident: str, data: dict[str, Any] | None = None) -> None:
        frame: dict[str, Any] = {"command": command, "identifier": ident}
        if data is not None:
            frame["data"] = json.dumps(data)
        self.ws.send(json.dumps(frame))

    def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        self.frames.append(frame)
        return frame

    def next(self, timeout: float = 5.0, *, pings: bool = False) -> dict[str, Any]:
        if self.held:
            return self.held.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if frame.get("type") == "ping" and not pings:
                self.pings.append(frame)
                continue
            return frame

    def subscribe(self, ident: str) -> dict[str, Any]:
        """Subscribe; answers the confirm/reject frame (the presence.update after a confirm is read too).

        Events delivered live between the confirm and the presence.update are kept for the next reads."""
        self.send("subscribe", ident)
        answer = self.next()
        if answer.get("type") == "confirm_subscription":
            early: list[dict[str, Any]] = []
            while True:
                frame = self.next()
                message = frame.get("message")
                if isinstance(message, dict) and message.get("event") == "presence.update":
                    self.presence = message
                    break
                early.append(frame)
            self.held = early + self.held
        return answer

    def event(self, name: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The next event frame's ``message`` (of that name, skipping others)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next(timeout=max(0.01, deadline - time.monotonic()))
            message = frame.get("message")
            if isinstance(message, dict) and (name is None or message.get("event") == name):
                return message

    def events(self, quiet: float = 0.5) -> list[dict[str, Any]]:
        """Every event message until nothing arrives for ``quiet`` seconds."""
        out: list[dict[str, Any]] = []
        while True:
            try:
                frame = self.next(timeout=quiet)
            except TimeoutError:
                return out
            message = frame.get("message")
            if isinstance(message, dict):
                out.append(message)


def user_pubsub_token(database: ThrowawayDatabase, user_id: int) -> str:
    with database.sync_engine.connect() as conn:
        token = conn.execute(sa.text("SELECT pubsub_token FROM users WHERE id = :id"), {"id": user_id}).scalar_one()
    return str(token)


def contact_inbox_pubsub_token(database: ThrowawayDatabase, source_id: str) -> str:
    with database.sync_engine.connect() as conn:
        token = conn.execute(
            sa.text("SELECT pubsub_token FROM contact_inboxes WHERE source_id = :s"), {"s": source_id}
        ).scalar_one()
    return str(token)
