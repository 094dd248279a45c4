"""Client API fixtures: an API inbox and an anonymous client; rate-limit counters start empty per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.api import Admin, make_api_inbox
from tests.fixtures.server import RunningServer


@pytest.fixture(autouse=True)
def fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    # The session's server counts Client API conversations per IP (6 in 12 h): every test starts afresh.
    if "server" in request.fixturenames:
        server: RunningServer = request.getfixturevalue("server")
        server.run(lambda: server.app.state.rate_limiter.counters.reset())


@dataclass
class PublicInboxRef:
    """An API inbox as the Application API created it, and its Client API base path."""

    id: int
    identifier: str
    hmac_token: str
    payload: dict[str, Any]

    @property
    def base(self) -> str:
        return f"/public/api/v1/inboxes/{self.identifier}"

    def contact(self, source_id: str) -> str:
        return f"{self.base}/contacts/{source_id}"

    def conversations(self, source_id: str) -> str:
        return f"{self.contact(source_id)}/conversations"

    def conversation(self, source_id: str, conversation_id: int) -> str:
        return f"{self.conversations(source_id)}/{conversation_id}"


def public_inbox(admin: Admin, name: str = "Support API") -> PublicInboxRef:
    inbox = make_api_inbox(admin, name=name)
    return PublicInboxRef(inbox["id"], inbox["inbox_identifier"], inbox["hmac_token"], inbox)


@pytest.fixture
def inbox(admin: Admin) -> PublicInboxRef:
    return public_inbox(admin)


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    """No token at all: the end user's app."""
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        yield anonymous
