"""Every operation of the served document that needs a user, swept: no credentials, a wrong token and another
account's token answer 401 before anything else is looked at (a malformed or invalid body included), and
hostile bodies (NUL characters, deep nesting) never answer 500."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.fixtures.api import Admin, Api, make_admin
from tests.fixtures.server import RunningServer

# Operations that need no user: the Client API (an inbox identifier), dashboard sign-in and session, and the
# Widget API (a website token and the visitor's widget token: swept by tests/widget/test_api_auth.py).
PUBLIC = re.compile(r"^/(public/|auth/|api/v1/widget/)")
BODIES: list[dict[str, Any]] = [
    {"content": b'{"name": '},  # malformed JSON
    {"json": {"name": 5, "channel": "x", "labels": 7, "assignee_id": "x", "email": []}},  # wrong types
    {"json": {}},  # missing fields
]


def _operations(server: RunningServer) -> list[tuple[str, str]]:
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    operations = []
    for path, item in document["paths"].items():
        if PUBLIC.match(path):
            continue
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                operations.append((method.upper(), path))
    return operations


def _concrete(path: str, account_id: int) -> str:
    path = path.replace("{account_id}", str(account_id))
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_operation_needs_a_valid_token_before_its_body_is_read(server: RunningServer, admin: Admin) -> None:
    other = make_admin(server, account_name="Other")
    callers = {
        "no credentials": Api(server),
        "a wrong token": Api(server, "not-a-token-of-anyone"),
        "another account's token": other.api,
    }
    operations = _operations(server)
    assert len(operations) >= 80, operations
    wrong = []
    for method, path in operations:
        concrete = _concrete(path, admin.account_id)
        for who, api in callers.items():
            if who == "another account's token" and "{account_id}" not in path:
                continue  # the profile is the caller's own
            for body in BODIES if method != "GET" else [{}]:
                response = api.request(method, concrete, **body)
                if response.status_code != 401:
                    wrong.append((who, method, concrete, response.status_code, response.text[:120]))
    assert not wrong, sorted({(method, path, status) for _, method, path, status, _ in wrong})


NUL = "a\x00b"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "/contacts", {"name": NUL}),
        ("POST", "/contacts", {"name": "x", "email": f"{NUL}@x.io"}),
        ("POST", "/contacts", {"name": "x", "additional_attributes": {NUL: NUL}}),
        ("POST", "/labels", {"title": "nul-label", "description": NUL}),
        ("POST", "/teams", {"name": NUL}),
        ("POST", "/inboxes", {"name": NUL, "channel": {"type": "api"}}),
        ("PATCH", "", {"name": NUL}),
        (
            "POST",
            "/contacts/filter",
            {"payload": [{"attribute_key": "name", "filter_operator": "equal_to", "values": [NUL]}]},
        ),
    ],
)
def test_nul_characters_never_answer_500(admin: Admin, method: str, suffix: str, body: dict[str, Any]) -> None:
    """PostgreSQL refuses NUL in text (SQLSTATE 22021): a 422, nothing written. SQLite stores it."""
    response = admin.api.request(method, admin.path(suffix), json=body)
    assert response.status_code in (200, 422), response.text[:200]


def test_nul_characters_in_public_and_sign_in_bodies_never_answer_500(server: RunningServer, admin: Admin) -> None:
    inbox = admin.api.post(admin.path("/inboxes"), json={"name": "Public", "channel": {"type": "api"}}).json()
    anonymous = Api(server)
    public = anonymous.post(f"/public/api/v1/inboxes/{inbox['inbox_identifier']}/contacts", json={"name": NUL})
    assert public.status_code in (200, 422), public.text[:200]
    sign_in = anonymous.post("/auth/sign_in", json={"email": f"{NUL}@x.io", "password": "password123"})
    assert sign_in.status_code in (401, 422), sign_in.text[:200]


def _nested(depth: int) -> bytes:
    return b'{"name": "deep", "custom_attributes": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


def test_deeply_nested_bodies_answer_400(server: RunningServer, admin: Admin) -> None:
    headers = {"content-type": "application/json"}
    for depth in (100, 1000, 10_000):
        response = admin.api.post(admin.path("/contacts"), content=_nested(depth), headers=headers)
        assert response.status_code == 400, (depth, response.text[:200])
        assert response.json() == {"error": "The request body is nested too deeply"}
    # A reasonable depth is fine.
    response = admin.api.post(admin.path("/contacts"), content=_nested(20), headers=headers)
    assert response.status_code == 200, response.text[:200]
    # Form bodies nest through bracket keys.
    key = "custom_attributes" + "[a]" * 3000
    response = admin.api.post(admin.path("/contacts"), data={"name": "deep", key: "1"})
    assert response.status_code == 400, response.text[:200]
    inbox = admin.api.post(admin.path("/inboxes"), json={"name": "Deep", "channel": {"type": "api"}}).json()
    anonymous = Api(server)
    response = anonymous.post(
        f"/public/api/v1/inboxes/{inbox['inbox_identifier']}/contacts", content=_nested(5000), headers=headers
    )
    assert response.status_code == 400, response.text[:200]
    # A string content_attributes is parsed as JSON too (a form's fields are strings).
    conversation_inbox = inbox["id"]
    contact = admin.api.post(admin.path("/contacts"), json={"name": "C", "inbox_id": conversation_inbox}).json()
    source_id = contact["payload"]["contact_inbox"]["source_id"]
    conversation = admin.api.post(admin.path("/conversations"), json={"source_id": source_id}).json()
    deep = "[" * 5000 + "]" * 5000
    response = admin.api.post(
        admin.path(f"/conversations/{conversation['id']}/messages"),
        json={"content": "x", "content_attributes": deep},
    )
    assert response.status_code < 500, response.text[:200]
