"""Avatars with the job runner running: an avatar_url is downloaded by ``avatars.fetch``, and a replaced
avatar's bytes are removed by ``blobs.purge`` (its old URL then answers 404)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.attachments.support import PNG_1x1
from tests.avatars.conftest import GIF, ImageHost
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve


@pytest.fixture(scope="module")
def working_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    yield from serve(
        test_database,
        embedded_worker=True,
        webhook_allow_private_network=True,
        jobs_poll_interval=0.05,
        jobs_retry_base_seconds=0.05,
        jobs_retry_max_seconds=0.2,
    )


def _eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_the_runner_fetches_and_purges(working_server: RunningServer, image_host: ImageHost) -> None:
    owner: Admin = make_admin(working_server)
    url = image_host.url("/b.gif")
    created = owner.api.post(owner.path("/contacts"), json={"name": "Fetched", "avatar_url": url})
    contact = created.json()["payload"]["contact"]
    assert contact["thumbnail"] == url
    path = owner.path(f"/contacts/{contact['id']}")

    def stored_thumbnail() -> str | None:
        thumbnail: str = owner.api.get(path).json()["payload"]["thumbnail"]
        return thumbnail if "/avatars/" in thumbnail else None

    fetched = _eventually(stored_thumbnail)
    assert fetched, "avatars.fetch did not store the avatar"
    response = httpx.get(fetched, timeout=30)
    assert response.content == GIF
    assert response.headers["content-type"] == "image/gif"

    replaced = owner.api.put(path, files={"avatar": ("new.png", PNG_1x1, "image/png")})
    assert replaced.status_code == 200, replaced.text
    new_url = replaced.json()["payload"]["thumbnail"]
    assert _eventually(lambda: httpx.get(fetched, timeout=30).status_code == 404), "the old avatar was not purged"
    assert httpx.get(new_url, timeout=30).content == PNG_1x1
