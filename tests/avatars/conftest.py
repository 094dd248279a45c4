"""A server with a small avatar limit (cheap to cross) and no job worker (jobs stay as rows to check),
and a real HTTP server on loopback that avatar_url downloads are fetched from."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from tests.attachments.support import PNG_1x1
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve

MAX_AVATAR_BYTES = 64 * 1024
GIF = bytes.fromhex("4749463839610100010080000000000000ffffff21f90401000000002c00000000010001000002024401003b")


@pytest.fixture(scope="module")
def avatar_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(test_database, max_avatar_bytes=MAX_AVATAR_BYTES, webhook_allow_private_network=True)


@pytest.fixture
def owner(avatar_server: RunningServer) -> Admin:
    return make_admin(avatar_server)


class ImageHost:
    """aiohttp on its own loop in a thread: ``/a.png``, ``/b.gif``, ``/page.html``, ``/big.png`` (past the
    limit), ``/moved`` (a redirect to ``/a.png``), ``/broken`` (500)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        answers: dict[str, Any] = {
            "/a.png": (200, PNG_1x1, "image/png"),
            "/b.gif": (200, GIF, "image/gif"),
            "/page.html": (200, b"<html><script>alert(1)</script></html>", "text/html"),
            "/big.png": (200, PNG_1x1 + b"\0" * MAX_AVATAR_BYTES, "image/png"),
            "/broken": (500, b"oops", "text/plain"),
        }
        if request.path == "/moved":
            raise web.HTTPFound("/a.png")
        status, body, content_type = answers.get(request.path, (404, b"", "text/plain"))
        return web.Response(status=status, body=body, content_type=content_type)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._sock.close()


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    host = ImageHost()
    host.start()
    try:
        yield host
    finally:
        host.stop()
