"""Chatwoot's widget throttles: 6 conversations in 12 hours and 5 anonymous widget pages an hour per IP,
answered 429 JSON with ``Retry-After``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.widget.conftest import make_widget_inbox, new_visitor, write_fake_build


@pytest.fixture(scope="module")
def limited(test_database: ThrowawayDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    build: Path = write_fake_build(tmp_path_factory.mktemp("widget-build"))
    yield from serve(
        test_database, widget_static_dir=build, rate_limit_widget_conversations=6, rate_limit_widget_page=5
    )


@pytest.fixture
def owner(limited: RunningServer) -> Admin:
    limited.run(lambda: limited.app.state.rate_limiter.counters.reset())
    return make_admin(limited)


def test_six_conversations_in_twelve_hours(limited: RunningServer, owner: Admin) -> None:
    inbox = make_widget_inbox(owner)
    visitor = new_visitor(limited, inbox)
    for number in range(6):
        response = visitor.post("/conversations", json={"message": {"content": f"#{number}"}})
        assert response.status_code == 200, (number, response.text)
    refused = visitor.post("/conversations", json={"message": {"content": "one too many"}})
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json() == {"error": "Retry later"}
    retry_after = int(refused.headers["retry-after"])
    assert 0 < retry_after <= 12 * 3600
    # Messages into the existing conversation are not that limit's business.
    assert visitor.post("/messages", json={"message": {"content": "still here"}}).status_code == 200


def test_five_anonymous_pages_an_hour(limited: RunningServer, owner: Admin) -> None:
    inbox = make_widget_inbox(owner)
    url = f"{limited.base_url}/widget"
    tokens = []
    for _ in range(5):
        page = httpx.get(url, params={"website_token": inbox.website_token})
        assert page.status_code == 200, page.text
        tokens.append(page.text.split('window.authToken = "')[1].split('"')[0])
    refused = httpx.get(url, params={"website_token": inbox.website_token})
    assert refused.status_code == 429
    assert refused.json() == {"error": "Retry later"}
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    # A returning visitor (cw_conversation) is not limited.
    again = httpx.get(url, params={"website_token": inbox.website_token, "cw_conversation": tokens[0]})
    assert again.status_code == 200
    blank = httpx.get(url, params={"website_token": inbox.website_token, "cw_conversation": ""})
    assert blank.status_code == 429
