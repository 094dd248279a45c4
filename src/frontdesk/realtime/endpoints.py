"""``/cable``: the ActionCable endpoint (the protocol is in frontdesk.realtime.hub)."""

from __future__ import annotations

from typing import Any

from litestar import Router, WebSocket, websocket

from frontdesk.realtime.hub import Hub


@websocket("/cable")
async def cable(socket: WebSocket[Any, Any, Any]) -> None:
    hub: Hub = socket.app.state.realtime
    await hub.serve(socket)


router = Router(path="/", route_handlers=[cable])
