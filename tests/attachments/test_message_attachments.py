"""Files on messages over real HTTP, on both storage backends: multipart and direct uploads on the
account and Client APIs, Chatwoot's attachment shapes in REST, webhooks and /cable, the limits
(each refusal writing nothing), cut-off uploads, idempotent retries, and serving files safely."""

from __future__ import annotations

import base64
import hashlib
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.attachments.support import PNG_1x1, count, multipart, stored_keys
from tests.fixtures.api import Admin, Api, make_admin, make_api_inbox, make_conversation
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.realtime.cable import Cable, identifier, user_pubsub_token

PDF = b"%PDF-1.4\n" + b"0" * 5000 + b"\n%%EOF"
ATTACHMENT_KEYS = {
    "id",
    "message_id",
    "file_type",
    "account_id",
    "extension",
    "content_type",
    "data_url",
    "thumb_url",
    "file_size",
    "width",
    "height",
}


def _conversation(owner: Admin, webhook_url: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    inbox = make_api_inbox(owner, webhook_url=webhook_url)
    return inbox, make_conversation(owner, inbox["id"])


def _messages_path(owner: Admin, conversation: dict[str, Any]) -> str:
    return owner.path(f"/conversations/{conversation['id']}/messages")


def _download(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def test_one_file_and_several_files_with_chatwoot_shapes(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    _, conversation = _conversation(owner)
    path = _messages_path(owner, conversation)
    one = owner.api.post(
        path, data={"content": "a screenshot"}, files=[("attachments[]", ("shot.png", PNG_1x1, "image/png"))]
    )
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["content"] == "a screenshot"
    (image,) = body["attachments"]
    assert set(image) == ATTACHMENT_KEYS
    assert image["file_type"] == "image"
    assert image["extension"] == "png"
    assert image["content_type"] == "image/png"
    assert image["message_id"] == body["id"]
    assert image["account_id"] == owner.account_id
    assert image["file_size"] == len(PNG_1x1)
    assert image["thumb_url"].startswith("http")
    assert _download(image["data_url"]).content == PNG_1x1

    several = owner.api.post(
        path,
        data={"content": "", "private": "true"},
        files=[
            ("attachments[]", ("report.pdf", PDF, "application/pdf")),
            ("attachments[]", ("voice.ogg", b"OggS" + b"\x00" * 300, "audio/ogg")),
            ("attachments[]", ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "video/mp4")),
        ],
    )
    assert several.status_code == 200, several.text
    assert several.json()["private"] is True
    kinds = [(item["file_type"], item["extension"], item["thumb_url"]) for item in several.json()["attachments"]]
    assert kinds == [("file", "pdf", ""), ("audio", "ogg", ""), ("video", "mp4", "")]
    assert several.json()["attachments"][1]["transcribed_text"] == ""
    for item, data in zip(several.json()["attachments"], [PDF, b"OggS" + b"\x00" * 300], strict=False):
        assert _download(item["data_url"]).content == data

    listed = owner.api.get(path).json()["payload"]
    assert [len(message.get("attachments", [])) for message in listed[-2:]] == [1, 3]
    assert listed[-2]["attachments"][0]["data_url"].split("?")[0] == image["data_url"].split("?")[0]
    plain = owner.api.post(path, json={"content": "no files"})
    assert plain.status_code == 200 and "attachments" not in plain.json()

    listing = owner.api.get(owner.path(f"/conversations/{conversation['id']}/attachments")).json()
    assert listing["meta"] == {"total_count": 4}
    assert [item["file_type"] for item in listing["payload"]] == ["video", "audio", "file", "image"]
    assert set(listing["payload"][0]) == {
        "id",
        "message_id",
        "thumb_url",
        "data_url",
        "file_size",
        "file_type",
        "extension",
        "width",
        "height",
        "created_at",
        "sender",
    }
    assert listing["payload"][0]["sender"]["id"] == owner.user_id
    contact_id = conversation["meta"]["sender"]["id"]
    by_contact = owner.api.get(owner.path(f"/contacts/{contact_id}/attachments")).json()
    assert by_contact["meta"] == {"total_count": 4}
    assert {item["conversation_id"] for item in by_contact["payload"]} == {conversation["id"]}
    assert count(test_database, "blobs") == 4


def test_chunked_upload_without_content_length(files_server: RunningServer, owner: Admin) -> None:
    _, conversation = _conversation(owner)
    data = bytes(range(256)) * 2000
    body, content_type = multipart({"content": "chunked"}, [("attachments[]", "data.csv", data, "text/csv")])

    def chunks() -> Any:
        for start in range(0, len(body), 7777):
            yield body[start : start + 7777]

    response = httpx.post(
        files_server.base_url + _messages_path(owner, conversation),
        content=chunks(),
        headers={"content-type": content_type, "api_access_token": owner.token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()["attachments"]
    assert item["file_size"] == len(data)
    assert _download(item["data_url"]).content == data


def test_client_api_message_with_files(files_server: RunningServer, owner: Admin) -> None:
    inbox = make_api_inbox(owner)
    public = Api(files_server)
    base = f"/public/api/v1/inboxes/{inbox['inbox_identifier']}"
    contact = public.post(base + "/contacts", json={"name": "Visitor"}).json()
    conversations = base + f"/contacts/{contact['source_id']}/conversations"
    conversation = public.post(conversations, json={}).json()
    created = public.post(
        conversations + f"/{conversation['id']}/messages",
        data={"content": "my invoice"},
        files=[
            ("attachments[]", ("invoice.pdf", PDF, "application/pdf")),
            ("attachments[]", ("p.png", PNG_1x1, "image/png")),
        ],
    )
    assert created.status_code == 200, created.text
    files = created.json()["attachments"]
    assert [item["file_type"] for item in files] == ["file", "image"]
    assert _download(files[0]["data_url"]).content == PDF
    listed = public.get(conversations + f"/{conversation['id']}/messages").json()
    assert [item["file_type"] for item in listed[-1]["attachments"]] == ["file", "image"]
    # A session that does not exist stores nothing.
    # (Thumbnails of the image above may land meanwhile: only uploads are compared.)
    before = [key for key in stored_keys(files_server) if not key.endswith(".thumb")]
    missing = public.post(
        base + "/contacts/no-such-contact/conversations/1/messages",
        files=[("attachments[]", ("x.pdf", PDF, "application/pdf"))],
    )
    assert missing.status_code == 404
    assert [key for key in stored_keys(files_server) if not key.endswith(".thumb")] == before


def test_direct_upload_then_message_with_its_signed_id(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    _, conversation = _conversation(owner)
    data = b"name,plan\nada,pro\n" * 100
    checksum = base64.b64encode(hashlib.md5(data).digest()).decode()
    started = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/direct_uploads"),
        json={
            "blob": {"filename": "export.csv", "byte_size": len(data), "checksum": checksum, "content_type": "text/csv"}
        },
    )
    assert started.status_code == 200, started.text
    blob = started.json()
    assert blob["byte_size"] == len(data) and blob["filename"] == "export.csv" and blob["signed_id"]
    upload = blob["direct_upload"]
    assert upload["headers"] == {"Content-Type": "text/csv", "Content-MD5": checksum}
    # A message cannot use the blob before its bytes are in.
    early = owner.api.post(
        _messages_path(owner, conversation), json={"content": "x", "attachments": [blob["signed_id"]]}
    )
    assert early.status_code == 422 and early.json()["attributes"] == ["attachments"]
    put = httpx.put(upload["url"], content=data, headers=upload["headers"])
    assert put.status_code == 204, put.text
    again = httpx.put(upload["url"], content=data, headers=upload["headers"])
    assert again.status_code == 409
    created = owner.api.post(
        _messages_path(owner, conversation), data={"content": "the export", "attachments[]": blob["signed_id"]}
    )
    assert created.status_code == 200, created.text
    (item,) = created.json()["attachments"]
    assert item["file_type"] == "file" and item["extension"] == "csv"
    assert _download(item["data_url"]).content == data
    # A forged or foreign signed id is refused.
    forged = owner.api.post(
        _messages_path(owner, conversation), json={"content": "x", "attachments": [blob["signed_id"][:-2] + "xx"]}
    )
    assert forged.status_code == 422
    stranger = make_admin(files_server, account_name="Other")
    _, theirs = _conversation(stranger)
    stolen = stranger.api.post(
        _messages_path(stranger, theirs), json={"content": "x", "attachments": [blob["signed_id"]]}
    )
    assert stolen.status_code == 422


def test_direct_upload_with_wrong_bytes_is_refused(files_server: RunningServer, owner: Admin) -> None:
    _, conversation = _conversation(owner)
    data = b"exactly these bytes"
    started = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/direct_uploads"),
        json={
            "blob": {
                "filename": "a.txt",
                "byte_size": len(data),
                "checksum": base64.b64encode(hashlib.md5(data).digest()).decode(),
                "content_type": "text/plain",
            }
        },
    ).json()
    wrong = httpx.put(started["direct_upload"]["url"], content=b"other bytes, same size", headers={})
    assert wrong.status_code == 422
    too_big = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/direct_uploads"),
        json={"blob": {"filename": "big.pdf", "byte_size": 50 * 1024 * 1024, "content_type": "application/pdf"}},
    )
    assert too_big.status_code == 422 and too_big.json()["attributes"] == ["blob.byte_size"]
    html = owner.api.post(
        owner.path(f"/conversations/{conversation['id']}/direct_uploads"),
        json={"blob": {"filename": "page.html", "byte_size": 10, "content_type": "text/html"}},
    )
    assert html.status_code == 422 and html.json()["attributes"] == ["blob.content_type"]


def test_webhook_carries_attachments_the_receiver_can_download(
    files_server: RunningServer, owner: Admin, receiver: Receiver
) -> None:
    _, conversation = _conversation(owner, webhook_url=receiver.url("/api-inbox"))
    receiver.clear()
    created = owner.api.post(
        _messages_path(owner, conversation),
        data={"content": "see attached"},
        files=[("attachments[]", ("report.pdf", PDF, "application/pdf"))],
    )
    assert created.status_code == 200, created.text
    deadline = time.monotonic() + 15
    events: list[Any] = []
    while time.monotonic() < deadline:
        events = [item.json for item in receiver.received("/api-inbox") if item.json.get("event") == "message_created"]
        if events:
            break
        time.sleep(0.05)
    assert events, "no message_created reached the receiver"
    (attachment,) = events[0]["attachments"]
    assert set(attachment) == ATTACHMENT_KEYS
    assert attachment["id"] == created.json()["attachments"][0]["id"]
    assert _download(attachment["data_url"]).content == PDF


def test_cable_frame_carries_attachments(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    _, conversation = _conversation(owner)
    with Cable(files_server) as cable:
        ident = identifier(user_pubsub_token(test_database, owner.user_id), owner.account_id, owner.user_id)
        assert cable.subscribe(ident)["type"] == "confirm_subscription"
        created = owner.api.post(
            _messages_path(owner, conversation),
            data={"content": "live"},
            files=[("attachments[]", ("p.png", PNG_1x1, "image/png"))],
        )
        assert created.status_code == 200, created.text
        frame = cable.event("message.created")
    (attachment,) = frame["data"]["attachments"]
    assert set(attachment) == ATTACHMENT_KEYS
    assert attachment["file_type"] == "image"
    assert _download(attachment["data_url"]).content == PNG_1x1


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ([("attachments[]", ("big.pdf", b"0" * (1024 * 1024 + 1), "application/pdf"))], "size is too big"),
        ([("attachments[]", (f"{n}.pdf", PDF, "application/pdf")) for n in range(4)], "exceeded maximum allowed"),
        ([("attachments[]", ("page.html", b"<script>alert(1)</script>", "text/html"))], "type not supported"),
        (
            [
                ("attachments[]", ("fine.pdf", PDF, "application/pdf")),
                ("attachments[]", ("app.exe", b"MZ" + b"\x00" * 100, "application/x-msdownload")),
            ],
            "type not supported",
        ),
    ],
    ids=["oversize", "too-many", "html", "second-file-refused"],
)
def test_refused_uploads_write_nothing(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase, files: Any, reason: str
) -> None:
    _, conversation = _conversation(owner)
    messages_before = count(test_database, "messages")
    keys_before = stored_keys(files_server)
    response = owner.api.post(_messages_path(owner, conversation), data={"content": "refused"}, files=files)
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]
    assert response.json()["attributes"] == ["attachments"]
    assert count(test_database, "messages") == messages_before
    assert count(test_database, "blobs") == 0
    assert _eventually(lambda: stored_keys(files_server) == keys_before)


def _eventually(check: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_an_upload_cut_off_mid_stream_leaves_nothing(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    _, conversation = _conversation(owner)
    body, content_type = multipart(
        {"content": "cut"}, [("attachments[]", "big.bin.pdf", b"x" * 600_000, "application/pdf")]
    )
    messages_before = count(test_database, "messages")
    keys_before = stored_keys(files_server)
    url = urlsplit(files_server.base_url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        head = (
            f"POST {_messages_path(owner, conversation)} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"api_access_token: {owner.token}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[: len(body) // 2])
        time.sleep(0.5)
    assert _eventually(lambda: stored_keys(files_server) == keys_before)
    assert count(test_database, "messages") == messages_before
    assert count(test_database, "blobs") == 0
    # The server is fine afterwards.
    assert owner.api.post(_messages_path(owner, conversation), json={"content": "still here"}).status_code == 200


def test_an_idempotent_retry_stores_the_file_once(
    files_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase
) -> None:
    _, conversation = _conversation(owner)
    keys_before = stored_keys(files_server)
    answers = [
        owner.api.post(
            _messages_path(owner, conversation),
            data={"content": "once"},
            files=[("attachments[]", ("big.pdf", PDF * 200, "application/pdf"))],
            headers={"Idempotency-Key": "upload-1"},
        )
        for _ in range(2)
    ]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[1].headers.get("idempotent-replayed") == "true"
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert count(test_database, "blobs") == 1
    assert count(test_database, "attachments") == 1
    assert len(stored_keys(files_server)) == len(keys_before) + 1


def test_files_are_served_safely(files_server: RunningServer, owner: Admin) -> None:
    _, conversation = _conversation(owner)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    created = owner.api.post(
        _messages_path(owner, conversation),
        files=[
            ("attachments[]", ("../../etc/pic.svg", svg, "image/svg+xml")),
            ("attachments[]", ('we"ird\r\nname.xml', b"<a/>", "text/xml")),
            ("attachments[]", ("p.png", PNG_1x1, "image/png")),
        ],
    )
    assert created.status_code == 200, created.text
    svg_item, xml_item, png_item = created.json()["attachments"]
    assert svg_item["file_type"] == "file"
    for item, expected_type in ((svg_item, "image/svg+xml"), (xml_item, "text/xml")):
        served = _download(item["data_url"])
        assert served.status_code == 200
        assert served.headers["content-type"].startswith(expected_type)
        disposition = served.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert "/" not in disposition.split("filename*=")[0] and "\r" not in disposition and "\n" not in disposition
    png = _download(png_item["data_url"])
    assert png.headers["content-disposition"].startswith("inline;")
    assert png.headers["content-type"] == "image/png"
    if files_server.settings.storage == "disk":
        for response in (png, _download(svg_item["data_url"])):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in response.headers["content-security-policy"]
            assert "default-src 'none'" in response.headers["content-security-policy"]


def test_signed_urls_refuse_expired_tampered_and_foreign_tokens(files_server: RunningServer, owner: Admin) -> None:
    _, conversation = _conversation(owner)
    created = owner.api.post(
        _messages_path(owner, conversation), files=[("attachments[]", ("p.png", PNG_1x1, "image/png"))]
    ).json()
    blob_id = _blob_id(files_server, created["attachments"][0]["id"])
    files = files_server.database.files
    base = files_server.base_url
    good = f"{base}/files/{files.token(owner.account_id, blob_id, 'o', int(time.time()) + 60)}/p.png"
    assert _download(good).content == PNG_1x1
    expired = f"{base}/files/{files.token(owner.account_id, blob_id, 'o', int(time.time()) - 1)}/p.png"
    assert _download(expired).status_code == 403
    tampered = (
        good[: good.rindex("/") - 3] + ("AAA" if not good[: good.rindex("/")].endswith("AAA") else "BBB") + "/p.png"
    )
    assert _download(tampered).status_code == 404
    other = make_admin(files_server, account_name="Other")
    foreign = f"{base}/files/{files.token(other.account_id, blob_id, 'o', int(time.time()) + 60)}/p.png"
    assert _download(foreign).status_code == 404
    another_blob = f"{base}/files/{files.token(owner.account_id, blob_id + 1000, 'o', int(time.time()) + 60)}/p.png"
    assert _download(another_blob).status_code == 404


def _blob_id(server: RunningServer, attachment_id: int) -> int:
    import sqlalchemy as sa

    async def load() -> int:
        async with server.database.unit_of_work(write=False) as uow:
            value = (
                await uow.conn.execute(sa.text("SELECT blob_id FROM attachments WHERE id = :id"), {"id": attachment_id})
            ).scalar_one()
            return int(value)

    return server.run(load)
