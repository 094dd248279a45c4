"""Widget API fixtures: a website inbox, visitors (an httpx client carrying the website token and the
visitor's widget token), and a fake widget build for the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.realtime.presence import MemoryPresence
from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer

FAKE_ENTRY = "assets/main-Fake123.js"
FAKE_CSS = "assets/main-Fake123.css"
FAKE_SDK = b"window.chatwootSDK={run:function(){}};"


def write_fake_build(root: Path) -> Path:
    """A widget build as contract 1 lays it out: sdk.js, the Vite manifest and its hashed assets."""
    (root / ".vite").mkdir(parents=True, exist_ok=True)
    (root / "assets").mkdir(exist_ok=True)
    (root / "sdk.js").write_bytes(FAKE_SDK)
    manifest = {
        "widget/main.ts": {
            "file": FAKE_ENTRY,
            "src": "widget/main.ts",
            "isEntry": True,
            "css": [FAKE_CSS],
            "imports": ["_shared.js"],
        },
        "_shared.js": {"file": "assets/shared-1.js", "css": ["assets/shared-1.css"]},
    }
    (root / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    (root / FAKE_ENTRY).write_text("console.log('widget')")
    (root / FAKE_CSS).write_text("body{}")
    (root / "assets" / "shared-1.js").write_text("export {}")
    (root / "assets" / "shared-1.css").write_text("p{}")
    return root


@dataclass
class WidgetInbox:
    id: int
    website_token: str
    hmac_token: str
    payload: dict[str, Any]


def make_widget_inbox(admin: Admin, name: str = "Website", **channel: Any) -> WidgetInbox:
    body = {"name": name, "channel": {"type": "web_widget", "website_url": "https://shop.example", **channel}}
    response = admin.api.post(admin.path("/inboxes"), json=body)
    assert response.status_code == 200, response.text
    inbox = response.json()
    return WidgetInbox(inbox["id"], inbox["website_token"], inbox["hmac_token"], inbox)


@dataclass
class Visitor:
    """A browser's widget: every call carries ``?website_token=`` and ``X-Auth-Token``, as the widget app's."""

    server: RunningServer
    website_token: str
    token: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.server.base_url, timeout=30)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = {"website_token": self.website_token, **kwargs.pop("params", {})}
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers.setdefault("X-Auth-Token", self.token)
        return self.client.request(method, "/api/v1/widget" + path, params=params, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    @property
    def pubsub_token(self) -> str:
        token: str = self.config["contact"]["pubsub_token"]
        return token

    @property
    def contact_id(self) -> int:
        contact_id: int = self.config["contact"]["id"]
        return contact_id


def new_visitor(server: RunningServer, inbox: WidgetInbox) -> Visitor:
    """A visitor as the widget makes one: ``POST /config`` without a token, then its token on every call."""
    visitor = Visitor(server, inbox.website_token)
    response = visitor.post("/config")
    assert response.status_code == 200, response.text
    visitor.config = response.json()
    visitor.token = visitor.config["website_channel_config"]["auth_token"]
    _open.append(visitor)
    return visitor


_open: list[Visitor] = []


@pytest.fixture(autouse=True)
def close_visitors() -> Iterator[None]:
    yield
    while _open:
        _open.pop().client.close()


@pytest.fixture
def widget(admin: Admin) -> WidgetInbox:
    return make_widget_inbox(admin)


@pytest.fixture
def visitor(server: RunningServer, widget: WidgetInbox) -> Visitor:
    return new_visitor(server, widget)


@pytest.fixture(autouse=True)
def fresh_counters_and_presence(request: pytest.FixtureRequest) -> Iterator[None]:
    """The session server outlives each test's database reset: its rate-limit counters and who was
    online start afresh (the ids of the next test's users are the same again)."""
    if "server" in request.fixturenames:
        server: RunningServer = request.getfixturevalue("server")
        server.run(lambda: server.app.state.rate_limiter.counters.reset())
    yield
    if "server" in request.fixturenames:
        presence = getattr(request.getfixturevalue("server").app.state.realtime, "presence", None)
        if isinstance(presence, MemoryPresence):
            presence.seen.clear()
