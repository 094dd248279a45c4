"""Secrets and identifiers a client controls, made hostile: non-ASCII, lone surrogates, 100 000 characters.

Each is refused with a 4xx (or, where the value is merely odd, accepted); none may answer 500."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase
from tests.public.conftest import PublicInboxRef, public_inbox

LONG = "x" * 100_000
# As text in a JSON body: the escape is kept literally, so the body carries "\ud800" for the server to decode.
JSON_VALUES = {"e-acute": "é", "japanese": "日本", "lone-surrogate": "\\ud800", "long": LONG}
# As raw header bytes: the UTF-8 of non-ASCII text, and the three bytes a lone surrogate would encode to.
HEADER_VALUES = {
    "e-acute": "é".encode(),
    "japanese": "日本".encode(),
    "lone-surrogate": b"\xed\xa0\x80",
    "long": LONG.encode(),
}
# In a path, URL-encoded.
# httpx refuses URLs past 65 536 characters.
PATH_VALUES = {"e-acute": quote("é"), "japanese": quote("日本"), "lone-surrogate": "%ED%A0%80", "long": LONG[:60_000]}

# A header past the server's size limit may be refused before the app sees it (400/431), never with a 5xx.
REFUSED = {400, 401, 403, 404, 413, 422, 431}


def json_body(**fields: str) -> bytes:
    return ("{" + ",".join(f'"{name}":"{value}"' for name, value in fields.items()) + "}").encode()


def post_json(client: httpx.Client, path: str, body: bytes, **kwargs: object) -> httpx.Response:
    return client.post(path, content=body, headers={"content-type": "application/json"}, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def fresh_counters(server: RunningServer) -> Iterator[None]:
    server.run(server.app.state.rate_limiter.counters.reset)
    yield
    server.run(server.app.state.rate_limiter.counters.reset)


@pytest.fixture
def inbox(admin: Admin) -> PublicInboxRef:
    return public_inbox(admin)


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        yield anonymous


def contacts(test_database: ThrowawayDatabase) -> int:
    with test_database.sync_engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM contacts")).scalar_one())


@pytest.mark.parametrize("value", JSON_VALUES.values(), ids=JSON_VALUES.keys())
def test_identifier_hash(
    client: httpx.Client, inbox: PublicInboxRef, test_database: ThrowawayDatabase, value: str
) -> None:
    response = post_json(client, f"{inbox.base}/contacts", json_body(identifier="user-1", identifier_hash=value))
    # A lone surrogate is malformed JSON (400); past the column's 255 characters it is a 422.
    assert response.status_code in {400, 401, 422}, response.text
    assert contacts(test_database) == 0


@pytest.mark.parametrize("value", JSON_VALUES.values(), ids=JSON_VALUES.keys())
def test_identifier_with_a_wrong_hash(
    client: httpx.Client, inbox: PublicInboxRef, test_database: ThrowawayDatabase, value: str
) -> None:
    response = post_json(client, f"{inbox.base}/contacts", json_body(identifier=value, identifier_hash="0" * 64))
    # A lone surrogate is malformed JSON (400); past the column's 255 characters it is a 422.
    assert response.status_code in {400, 401, 422}, response.text
    assert contacts(test_database) == 0


@pytest.mark.parametrize("value", JSON_VALUES.values(), ids=JSON_VALUES.keys())
def test_identifier_without_a_hash(client: httpx.Client, inbox: PublicInboxRef, value: str) -> None:
    response = post_json(client, f"{inbox.base}/contacts", json_body(identifier=value))
    assert response.status_code in {200, 400, 422}, response.text


@pytest.mark.parametrize("value", HEADER_VALUES.values(), ids=HEADER_VALUES.keys())
def test_csrf_header_on_a_cookie_write(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase, value: bytes
) -> None:
    with test_database.sync_engine.connect() as conn:
        email = conn.execute(sa.text("SELECT email FROM users WHERE id = :id"), {"id": admin.user_id}).scalar_one()
    with httpx.Client(base_url=server.base_url, timeout=30) as browser:
        signed_in = browser.post("/auth/sign_in", json={"email": email, "password": "password123"})
        assert signed_in.status_code == 200, signed_in.text
        response = browser.post(admin.path("/labels"), json={"title": "vip"}, headers={"X-CSRF-Token": value})
    assert response.status_code in REFUSED - {401}, response.text
    assert admin.api.get(admin.path("/labels")).json()["payload"] == []


@pytest.mark.parametrize("value", HEADER_VALUES.values(), ids=HEADER_VALUES.keys())
@pytest.mark.parametrize("header", ["api_access_token", "authorization", "cookie"])
def test_credentials_in_headers(server: RunningServer, admin: Admin, header: str, value: bytes) -> None:
    sent = {"authorization": b"Bearer " + value, "cookie": b"frontdesk_session=" + value}.get(header, value)
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        read = anonymous.get(admin.path("/labels"), headers={header: sent})
        write = anonymous.post(admin.path("/labels"), json={"title": "vip"}, headers={header: sent})
    assert read.status_code in REFUSED - {403, 404, 422}, read.text
    assert write.status_code in REFUSED - {404, 422}, write.text


@pytest.mark.parametrize("value", HEADER_VALUES.values(), ids=HEADER_VALUES.keys())
def test_idempotency_key(admin: Admin, value: bytes) -> None:
    response = admin.api.post(admin.path("/labels"), json={"title": "vip"}, headers={"Idempotency-Key": value})
    # A key of any bytes is either used as given (latin-1 text) or refused as too long.
    assert response.status_code in {200} | REFUSED, response.text
    again = admin.api.post(admin.path("/labels"), json={"title": "vip"}, headers={"Idempotency-Key": value})
    assert again.status_code == response.status_code, again.text
    assert len(admin.api.get(admin.path("/labels")).json()["payload"]) == (1 if response.status_code == 200 else 0)


@pytest.mark.parametrize("value", PATH_VALUES.values(), ids=PATH_VALUES.keys())
def test_inbox_identifier_in_the_path(client: httpx.Client, value: str) -> None:
    base = f"/public/api/v1/inboxes/{value}"
    assert client.get(base).status_code in REFUSED - {401, 403}
    response = client.post(f"{base}/contacts", json={"name": "Val"})
    assert response.status_code in REFUSED - {401, 403}, response.text


@pytest.mark.parametrize("value", PATH_VALUES.values(), ids=PATH_VALUES.keys())
def test_source_id_in_the_path(client: httpx.Client, inbox: PublicInboxRef, value: str) -> None:
    for response in (
        client.get(inbox.contact(value)),
        client.patch(inbox.contact(value), json={"name": "Val"}),
        client.post(inbox.conversations(value), json={}),
        client.get(inbox.conversations(value)),
    ):
        assert response.status_code in REFUSED - {401, 403}, response.text


@pytest.mark.parametrize("value", ["²", "9" * 5000, "9" * 40], ids=["superscript", "5000-digits", "40-digits"])
def test_numbers_in_the_client_api(client: httpx.Client, inbox: PublicInboxRef, value: str) -> None:
    source_id = client.post(f"{inbox.base}/contacts", json={"name": "Val"}).json()["source_id"]
    conversation = client.post(inbox.conversations(source_id), json={}).json()
    listed = client.get(f"{inbox.conversation(source_id, conversation['id'])}/messages", params={"before": value})
    assert listed.status_code == 200, listed.text
    missing = client.get(f"{inbox.conversations(source_id)}/{value}")
    assert missing.status_code in {400, 404}, missing.text
