"""The session server's hub outlives each test's database reset: forget who was online after a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontdesk.realtime.presence import MemoryPresence


@pytest.fixture(autouse=True)
def forget_presence(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        presence = getattr(request.getfixturevalue("server").app.state.realtime, "presence", None)
        if isinstance(presence, MemoryPresence):
            presence.seen.clear()
