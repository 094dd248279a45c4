"""Durable work on files: thumbnails made off the request path, and the bytes of deleted messages,
conversations and contacts removed after the commit — also when the removal is cut off half-way."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image

from frontdesk.attachments.jobs import purge_blob
from tests.attachments.support import count, stored_keys
from tests.fixtures.api import Admin, make_api_inbox, make_conversation
from tests.fixtures.server import RunningServer, ThrowawayDatabase

PDF = b"%PDF-1.4\n" + b"1" * 2000 + b"\n%%EOF"


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def _wait(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.05)


def _post_files(owner: Admin, conversation: dict[str, Any], count_files: int = 2) -> dict[str, Any]:
    files = [("attachments[]", (f"f{n}.pdf", PDF, "application/pdf")) for n in range(count_files)]
    response = owner.api.post(owner.path(f"/conversations/{conversation['id']}/messages"), files=files)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_image_gets_dimensions_and_a_thumbnail(files_server: RunningServer, owner: Admin) -> None:
    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    created = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"),
        files=[("attachments[]", ("wide.png", _png(1280, 720), "image/png"))],
    )
    assert created.status_code == 200, created.text
    listing = owner.path(f"/conversations/{conversation['id']}/attachments")
    _wait(lambda: owner.api.get(listing).json()["payload"][0]["width"] == 1280)
    item = owner.api.get(listing).json()["payload"][0]
    assert (item["width"], item["height"]) == (1280, 720)
    thumb = httpx.get(item["thumb_url"], timeout=10)
    assert thumb.status_code == 200
    assert Image.open(io.BytesIO(thumb.content)).size == (250, 141)
    full = httpx.get(item["data_url"], timeout=10)
    assert Image.open(io.BytesIO(full.content)).size == (1280, 720)


def test_a_corrupt_image_stays_a_plain_file(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    broken = _png(300, 300)[:200]
    created = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/messages"),
        files=[("attachments[]", ("broken.png", broken, "image/png"))],
    )
    assert created.status_code == 200
    _wait(lambda: count(test_database, "jobs", "kind = 'attachments.analyze' AND status = 'succeeded'") >= 1)
    item = owner.api.get(owner.path(f"/conversations/{conversation['id']}/attachments")).json()["payload"][0]
    assert item["width"] is None and item["height"] is None
    assert httpx.get(item["data_url"], timeout=10).content == broken


@pytest.mark.parametrize("what", ["message", "conversation", "contact", "inbox"])
def test_deleting_removes_the_files_after_the_commit(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase, what: str
) -> None:
    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    kept = make_conversation(owner, inbox["id"]) if what != "inbox" else None
    created = _post_files(owner, conversation)
    if kept is not None:
        _post_files(owner, kept, 1)
    before = stored_keys(files_server)
    assert count(test_database, "blobs") == (3 if kept is not None else 2)
    if what == "message":
        response = owner.api.delete(owner.path(f"/conversations/{conversation['id']}/messages/{created['id']}"))
    elif what == "conversation":
        response = owner.api.delete(owner.path(f"/conversations/{conversation['id']}"))
    elif what == "contact":
        response = owner.api.delete(owner.path(f"/contacts/{conversation['meta']['sender']['id']}"))
    else:
        response = owner.api.delete(owner.path(f"/inboxes/{inbox['id']}"))
    assert response.status_code == 200, response.text
    # The job was written with the deletion and runs after it.
    assert count(test_database, "jobs", "kind = 'blobs.purge'") == 1
    _wait(lambda: count(test_database, "blobs") == (1 if kept is not None else 0))
    remaining = stored_keys(files_server)
    assert len(remaining) == len(before) - 2
    if kept is not None:
        item = owner.api.get(owner.path(f"/conversations/{kept['id']}/attachments")).json()["payload"][0]
        assert httpx.get(item["data_url"], timeout=10).content == PDF


class _CrashAfterBytes:
    """Storage whose process 'dies' once the bytes are gone, before the row goes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)
        raise RuntimeError("killed")


def test_a_purge_cut_off_half_way_is_finished_by_the_retry(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    _post_files(owner, conversation, 1)
    (blob_id,) = [row[0] for row in test_database.sync_engine.connect().execute(sa.text("SELECT id FROM blobs"))]
    before = stored_keys(files_server)
    # The attachment goes (its message is deleted by hand), the purge starts and is cut off.
    with test_database.sync_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM attachments"))
    test_database.changed()
    storage = files_server.database.storage

    async def crash() -> None:
        await purge_blob(files_server.database, _CrashAfterBytes(storage), blob_id)

    with pytest.raises(RuntimeError):
        files_server.run(crash)
    assert len(stored_keys(files_server)) == len(before) - 1
    assert count(test_database, "blobs") == 1

    async def retry() -> bool:
        return await purge_blob(files_server.database, storage, blob_id)

    assert files_server.run(retry) is True
    assert count(test_database, "blobs") == 0


def test_the_orphan_sweep_removes_what_no_row_claims(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    from datetime import timedelta

    from frontdesk.attachments.jobs import sweep
    from frontdesk.storage.base import new_key

    inbox = make_api_inbox(owner)
    conversation = make_conversation(owner, inbox["id"])
    kept = _post_files(owner, conversation, 1)["attachments"][0]
    storage = files_server.database.storage
    stray_key = new_key()

    async def chunks() -> Any:
        yield b"bytes of an upload whose process died"

    files_server.run(lambda: storage.put(stray_key, chunks(), content_type="text/plain"))
    # A direct upload started and never used.
    started = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/direct_uploads"),
        json={"blob": {"filename": "never.txt", "byte_size": 5, "content_type": "text/plain"}},
    )
    assert started.status_code == 200
    assert count(test_database, "blobs") == 2
    # Within the grace period nothing goes.
    assert files_server.run(lambda: sweep(files_server.database, storage, timedelta(hours=6))) == (0, 0)
    assert stray_key in stored_keys(files_server)
    removed = files_server.run(lambda: sweep(files_server.database, storage, timedelta(seconds=-60)))
    assert removed[0] == 1 and removed[1] >= 1
    assert stray_key not in stored_keys(files_server)
    assert count(test_database, "blobs") == 1
    assert httpx.get(kept["data_url"], timeout=10).content == PDF
