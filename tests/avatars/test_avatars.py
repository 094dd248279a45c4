"""Avatars of contacts, agents and inboxes over real HTTP: uploads, the never-expiring signed URLs
that serve them, refusals that write nothing, avatar_url downloads, removal, and the purge of the
bytes an avatar leaves behind."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from frontdesk.avatars.fetch import fetch_avatar
from tests.attachments.support import PNG_1x1, count
from tests.avatars.conftest import GIF, MAX_AVATAR_BYTES, ImageHost
from tests.fixtures.api import Admin, make_admin, make_api_inbox, make_contact
from tests.fixtures.server import RunningServer, ThrowawayDatabase


def _jobs(database: ThrowawayDatabase, kind: str) -> list[dict[str, Any]]:
    with database.sync_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT payload FROM jobs WHERE kind = :kind ORDER BY id"), {"kind": kind})
        return [json.loads(p) if isinstance(p, str) else p for (p,) in rows]


def _purged(database: ThrowawayDatabase) -> list[int]:
    return [blob_id for payload in _jobs(database, "blobs.purge") for blob_id in payload["blob_ids"]]


def _value(database: ThrowawayDatabase, table: str, row_id: int, column: str) -> Any:
    with database.sync_engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}).scalar_one()


def _fetched(server: RunningServer, url: str) -> httpx.Response:
    return httpx.get(url, timeout=30)


def _assert_serves(server: RunningServer, url: str, data: bytes, content_type: str) -> None:
    assert url.startswith(f"{server.base_url}/avatars/"), url
    response = _fetched(server, url)
    assert response.status_code == 200, response.text
    assert response.content == data
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def _contact_path(owner: Admin, contact_id: int) -> str:
    return owner.path(f"/contacts/{contact_id}")


def test_contact_avatar_on_create_and_update(
    avatar_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    created = owner.api.post(
        owner.path("/contacts"),
        data={"contact[name]": "Pic", "contact[email]": "pic@x.io"},
        files={"contact[avatar]": ("me.png", PNG_1x1, "image/png")},
    )
    assert created.status_code == 200, created.text
    contact = created.json()["payload"]["contact"]
    assert contact["name"] == "Pic"
    first_url = contact["thumbnail"]
    _assert_serves(avatar_server, first_url, PNG_1x1, "image/png")
    first_blob = _value(test_database, "contacts", contact["id"], "avatar_blob_id")
    assert first_blob is not None
    assert _value(test_database, "contacts", contact["id"], "avatar_url") == first_url
    # The same payload on a read; the URL does not change with time.
    shown = owner.api.get(_contact_path(owner, contact["id"])).json()["payload"]
    assert shown["thumbnail"] == first_url

    updated = owner.api.put(
        _contact_path(owner, contact["id"]),
        data={"name": "Pic 2"},
        files={"avatar": ("me.gif", GIF, "image/gif")},
    )
    assert updated.status_code == 200, updated.text
    payload = updated.json()["payload"]
    assert payload["name"] == "Pic 2"
    assert payload["thumbnail"] != first_url
    _assert_serves(avatar_server, payload["thumbnail"], GIF, "image/gif")
    # Replacing the avatar enqueues the purge of the old blob's bytes, in the same commit.
    assert _purged(test_database) == [first_blob]
    assert _value(test_database, "contacts", contact["id"], "avatar_blob_id") != first_blob
    # JSON updates behave as before and keep the avatar.
    again = owner.api.put(_contact_path(owner, contact["id"]), json={"name": "Pic 3"}).json()["payload"]
    assert again["name"] == "Pic 3"
    assert again["thumbnail"] == payload["thumbnail"]


def test_a_tampered_avatar_url_is_not_found(avatar_server: RunningServer, owner: Admin) -> None:
    created = owner.api.post(
        owner.path("/contacts"), data={"name": "T"}, files={"avatar": ("t.png", PNG_1x1, "image/png")}
    )
    url = created.json()["payload"]["contact"]["thumbnail"]
    assert _fetched(avatar_server, url).status_code == 200
    path = urlsplit(url).path
    _, _, token, filename = path.split("/")
    blob_id, signature = token.split(".")
    other = "A" if signature[0] != "A" else "B"
    tampered = [
        f"/avatars/{blob_id}.{other}{signature[1:]}/{filename}",
        f"/avatars/{int(blob_id) + 1}.{signature}/{filename}",
        f"/avatars/{blob_id}/{filename}",
        f"/avatars/{blob_id}.{signature}x/{filename}",
        f"/avatars/x.{signature}/{filename}",
    ]
    for candidate in tampered:
        assert _fetched(avatar_server, avatar_server.base_url + candidate).status_code == 404, candidate
    # A /files token is not an avatar token, nor the other way round.
    assert _fetched(avatar_server, f"{avatar_server.base_url}/files/{token}/{filename}").status_code == 404


def test_refused_avatars_write_nothing(
    avatar_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    contact = make_contact(owner, name="Before")["contact"]
    path = _contact_path(owner, contact["id"])
    blobs_before = count(test_database, "blobs")
    refused = [
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("vector.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
        ("big.png", PNG_1x1 + b"\0" * MAX_AVATAR_BYTES, "image/png"),
    ]
    for filename, data, content_type in refused:
        response = owner.api.put(path, data={"name": "After"}, files={"avatar": (filename, data, content_type)})
        assert response.status_code == 422, (filename, response.text)
        assert response.json()["attributes"] == ["avatar"]
        created = owner.api.post(
            owner.path("/contacts"), data={"name": "New"}, files={"avatar": (filename, data, content_type)}
        )
        assert created.status_code == 422, (filename, created.text)
        assert created.json()["attributes"] == ["avatar"]
    shown = owner.api.get(path).json()["payload"]
    assert shown["name"] == "Before"
    assert shown["thumbnail"] == ""
    assert count(test_database, "blobs") == blobs_before
    assert count(test_database, "contacts", "name = 'New'") == 0
    assert _value(test_database, "contacts", contact["id"], "avatar_blob_id") is None
    # Two avatar files are one too many.
    two = owner.api.put(
        path, files=[("avatar", ("a.png", PNG_1x1, "image/png")), ("avatar", ("b.gif", GIF, "image/gif"))]
    )
    assert two.status_code == 422
    assert two.json()["attributes"] == ["avatar"]


def _run_fetch(server: RunningServer, payload: dict[str, Any], *, allow_private: bool = True) -> None:
    database = server.database

    async def run() -> None:
        await fetch_avatar(
            database,
            database.storage,
            database.files,
            payload,
            allow_private=allow_private,
            fetch_seconds=5,
            max_bytes=MAX_AVATAR_BYTES,
        )

    server.run(run)


def test_avatar_url_is_downloaded_by_a_job(
    avatar_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase, image_host: ImageHost
) -> None:
    url = image_host.url("/a.png")
    contact = make_contact(owner, name="Remote", avatar_url=url)["contact"]
    # Shown at once as given (as before); nothing is fetched on the request path.
    assert contact["thumbnail"] == url
    assert image_host.hits == []
    (job,) = _jobs(test_database, "avatars.fetch")
    assert job == {"table": "contacts", "id": contact["id"], "account_id": owner.account_id, "url": url}

    # Refused on a private address when private networks are not allowed: nothing changes.
    _run_fetch(avatar_server, job, allow_private=False)
    assert image_host.hits == []
    assert _value(test_database, "contacts", contact["id"], "avatar_url") == url

    _run_fetch(avatar_server, job)
    assert image_host.hits == ["/a.png"]
    thumbnail = owner.api.get(_contact_path(owner, contact["id"])).json()["payload"]["thumbnail"]
    _assert_serves(avatar_server, thumbnail, PNG_1x1, "image/png")
    blob_id = _value(test_database, "contacts", contact["id"], "avatar_blob_id")
    assert blob_id is not None
    # Run again (a retried job): the row no longer asks for that URL, so nothing is fetched.
    _run_fetch(avatar_server, job)
    assert image_host.hits == ["/a.png"]

    # An update's avatar_url: a new job; the stored avatar is let go.
    moved = image_host.url("/moved")
    response = owner.api.put(_contact_path(owner, contact["id"]), json={"avatar_url": moved})
    assert response.json()["payload"]["thumbnail"] == moved
    assert blob_id in _purged(test_database)
    job = _jobs(test_database, "avatars.fetch")[-1]
    assert job["url"] == moved
    _run_fetch(avatar_server, job)
    assert image_host.hits[-2:] == ["/moved", "/a.png"]
    thumbnail = owner.api.get(_contact_path(owner, contact["id"])).json()["payload"]["thumbnail"]
    _assert_serves(avatar_server, thumbnail, PNG_1x1, "image/png")


def test_avatar_url_downloads_that_cannot_be_taken(
    avatar_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase, image_host: ImageHost
) -> None:
    blobs_before = count(test_database, "blobs")
    for path in ("/page.html", "/big.png", "/missing.png"):
        url = image_host.url(path)
        contact = make_contact(owner, avatar_url=url)["contact"]
        _run_fetch(avatar_server, _jobs(test_database, "avatars.fetch")[-1])
        assert _value(test_database, "contacts", contact["id"], "avatar_url") == url, path
        assert _value(test_database, "contacts", contact["id"], "avatar_blob_id") is None
    # A row that changed while the download ran keeps its change.
    url = image_host.url("/b.gif")
    contact = make_contact(owner, avatar_url=url)["contact"]
    job = _jobs(test_database, "avatars.fetch")[-1]
    owner.api.put(_contact_path(owner, contact["id"]), json={"avatar_url": image_host.url("/a.png")})
    _run_fetch(avatar_server, job)
    assert _value(test_database, "contacts", contact["id"], "avatar_url") == image_host.url("/a.png")
    assert count(test_database, "blobs") == blobs_before


def test_delete_contact_avatar(avatar_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase) -> None:
    created = owner.api.post(
        owner.path("/contacts"), data={"name": "D"}, files={"avatar": ("d.png", PNG_1x1, "image/png")}
    )
    contact = created.json()["payload"]["contact"]
    url = contact["thumbnail"]
    blob_id = _value(test_database, "contacts", contact["id"], "avatar_blob_id")
    removed = owner.api.delete(f"{_contact_path(owner, contact['id'])}/avatar")
    assert removed.status_code == 200, removed.text
    assert removed.json()["payload"]["thumbnail"] == ""
    assert removed.json()["payload"]["id"] == contact["id"]
    assert _value(test_database, "contacts", contact["id"], "avatar_blob_id") is None
    assert _value(test_database, "contacts", contact["id"], "avatar_url") is None
    assert _purged(test_database) == [blob_id]
    assert url  # the bytes go when the purge job runs (after commit), not on the request path

    # Deleting a contact purges its avatar too.
    other = owner.api.post(
        owner.path("/contacts"), data={"name": "E"}, files={"avatar": ("e.png", PNG_1x1, "image/png")}
    )
    other_id = other.json()["payload"]["contact"]["id"]
    other_blob = _value(test_database, "contacts", other_id, "avatar_blob_id")
    assert owner.api.delete(_contact_path(owner, other_id)).status_code == 200
    assert other_blob in _purged(test_database)


def test_profile_avatar(avatar_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase) -> None:
    response = owner.api.put(
        "/api/v1/profile",
        data={"profile[display_name]": "Face"},
        files={"profile[avatar]": ("face.png", PNG_1x1, "image/png")},
    )
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["display_name"] == "Face"
    first = profile["avatar_url"]
    _assert_serves(avatar_server, first, PNG_1x1, "image/png")
    assert owner.api.get("/api/v1/profile").json()["avatar_url"] == first
    (agent,) = owner.api.get(owner.path("/agents")).json()
    assert agent["thumbnail"] == first
    first_blob = _value(test_database, "users", owner.user_id, "avatar_blob_id")

    replaced = owner.api.put("/api/v1/profile", files={"avatar": ("face.gif", GIF, "image/gif")}).json()
    _assert_serves(avatar_server, replaced["avatar_url"], GIF, "image/gif")
    assert _purged(test_database) == [first_blob]

    refused = owner.api.put("/api/v1/profile", files={"avatar": ("x.svg", b"<svg/>", "image/svg+xml")})
    assert refused.status_code == 422
    assert refused.json()["attributes"] == ["avatar"]

    second_blob = _value(test_database, "users", owner.user_id, "avatar_blob_id")
    removed = owner.api.delete("/api/v1/profile/avatar")
    assert removed.status_code == 200, removed.text
    assert removed.json()["avatar_url"] == ""
    assert _value(test_database, "users", owner.user_id, "avatar_blob_id") is None
    assert _purged(test_database) == [first_blob, second_blob]
    # JSON profile updates are as they were.
    assert owner.api.put("/api/v1/profile", json={"profile": {"name": "Plain"}}).json()["name"] == "Plain"


def test_inbox_avatar(avatar_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase) -> None:
    created = owner.api.post(
        owner.path("/inboxes"),
        data={"name": "Support", "channel[type]": "api"},
        files={"avatar": ("inbox.png", PNG_1x1, "image/png")},
    )
    assert created.status_code == 200, created.text
    inbox = created.json()
    assert inbox["name"] == "Support"
    _assert_serves(avatar_server, inbox["avatar_url"], PNG_1x1, "image/png")
    first_blob = _value(test_database, "inboxes", inbox["id"], "avatar_blob_id")

    path = owner.path(f"/inboxes/{inbox['id']}")
    updated = owner.api.patch(path, data={"inbox[name]": "Help"}, files={"inbox[avatar]": ("i.gif", GIF, "image/gif")})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Help"
    _assert_serves(avatar_server, updated.json()["avatar_url"], GIF, "image/gif")
    assert _purged(test_database) == [first_blob]
    assert owner.api.get(path).json()["avatar_url"] == updated.json()["avatar_url"]

    wrong = owner.api.patch(path, files={"avatar": ("i.html", b"<html></html>", "text/html")})
    assert wrong.status_code == 422
    assert wrong.json()["attributes"] == ["avatar"]
    # JSON updates and channel errors read as before.
    assert owner.api.patch(path, json={"name": "Desk"}).json()["avatar_url"] == updated.json()["avatar_url"]

    second_blob = _value(test_database, "inboxes", inbox["id"], "avatar_blob_id")
    removed = owner.api.delete(f"{path}/avatar")
    assert removed.status_code == 200, removed.text
    assert owner.api.get(path).json()["avatar_url"] == ""
    assert _purged(test_database) == [first_blob, second_blob]

    # Deleting an inbox purges its avatar.
    other = make_api_inbox(owner, name="Other")
    with_avatar = owner.api.patch(
        owner.path(f"/inboxes/{other['id']}"), files={"avatar": ("o.png", PNG_1x1, "image/png")}
    )
    assert with_avatar.status_code == 200, with_avatar.text
    other_blob = _value(test_database, "inboxes", other["id"], "avatar_blob_id")
    assert owner.api.delete(owner.path(f"/inboxes/{other['id']}")).status_code == 200
    assert other_blob in _purged(test_database)


def test_avatar_urls_are_per_account(avatar_server: RunningServer, owner: Admin) -> None:
    """An avatar URL names its blob and account: another account's avatars are not reachable from it."""
    stranger = make_admin(avatar_server, account_name="Other")
    mine = owner.api.post(
        owner.path("/contacts"), data={"name": "M"}, files={"avatar": ("m.png", PNG_1x1, "image/png")}
    )
    theirs = stranger.api.post(
        stranger.path("/contacts"), data={"name": "T"}, files={"avatar": ("t.gif", GIF, "image/gif")}
    )
    my_url = mine.json()["payload"]["contact"]["thumbnail"]
    their_url = theirs.json()["payload"]["contact"]["thumbnail"]
    my_token = urlsplit(my_url).path.split("/")[2]
    their_token = urlsplit(their_url).path.split("/")[2]
    their_id = their_token.split(".")[0]
    crossed = f"{avatar_server.base_url}/avatars/{their_id}.{my_token.split('.')[1]}/t.gif"
    assert _fetched(avatar_server, crossed).status_code == 404
    assert _fetched(avatar_server, their_url).content == GIF
