"""The Widget API in Frontdesk's OpenAPI document: every route, its credentials and bodies; answers
conform to it; and a sweep of the document's widget operations without credentials."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.fixtures.server import RunningServer
from tests.test_openapi import assert_conforms
from tests.widget.conftest import Visitor, WidgetInbox

# Routes that need the widget only, not a visitor.
NO_VISITOR = {
    ("POST", "/api/v1/widget/config"),
    ("GET", "/api/v1/widget/inbox_members"),
    ("GET", "/api/v1/widget/campaigns"),
}


@pytest.fixture
def document(server: RunningServer) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{server.base_url}/openapi.json").json()
    return body


def _widget_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/widget/")
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_widget_route_is_documented_with_its_credentials(document: dict[str, Any]) -> None:
    operations = _widget_operations(document)
    assert len(operations) == 23, operations
    for method, path in operations:
        operation = document["paths"][path][method.lower()]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"website_token", "X-Auth-Token"} <= names, (method, path)
        assert {"401", "404", "429"} <= set(operation["responses"]), (method, path)
        assert operation["security"] == [{}]
    created = document["paths"]["/api/v1/widget/conversations"]["post"]["requestBody"]["content"]
    assert created["application/json"]["schema"] == {"$ref": "#/components/schemas/WidgetConversationCreate"}
    message = document["paths"]["/api/v1/widget/messages"]["post"]["requestBody"]["content"]
    multipart = message["multipart/form-data"]["schema"]["allOf"][1]["properties"]
    assert multipart["message[attachments][]"]["type"] == "array"
    assert "before" in {p["name"] for p in document["paths"]["/api/v1/widget/messages"]["get"]["parameters"]}
    assert "402" in document["paths"]["/api/v1/widget/conversations/transcript"]["post"]["responses"]
    assert "403" in document["paths"]["/api/v1/widget/conversations/toggle_status"]["get"]["responses"]
    # The page and the built files are not API operations.
    assert "/widget" not in document["paths"] and not any(path.startswith("/packs/") for path in document["paths"])


def test_answers_conform_to_the_document(document: dict[str, Any], visitor: Visitor) -> None:
    assert_conforms(document, "/api/v1/widget/config", "post", visitor.config)
    assert_conforms(document, "/api/v1/widget/contact", "get", visitor.get("/contact").json())
    assert_conforms(document, "/api/v1/widget/conversations", "get", visitor.get("/conversations").json())
    created = visitor.post("/conversations", json={"message": {"content": "hi"}})
    assert_conforms(document, "/api/v1/widget/conversations", "post", created.json())
    sent = visitor.post("/messages", json={"message": {"content": "again"}})
    assert_conforms(document, "/api/v1/widget/messages", "post", sent.json())
    assert_conforms(document, "/api/v1/widget/messages", "get", visitor.get("/messages").json())
    assert_conforms(document, "/api/v1/widget/inbox_members", "get", visitor.get("/inbox_members").json())
    assert_conforms(document, "/api/v1/widget/campaigns", "get", visitor.get("/campaigns").json())
    invalid = visitor.patch("/contact", json={"name": 5})
    assert_conforms(document, "/api/v1/widget/contact", "patch", invalid.json(), "422")
    missing = httpx.get(f"{visitor.server.base_url}/api/v1/widget/contact")
    assert_conforms(document, "/api/v1/widget/contact", "get", missing.json(), "404")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_widget_operation_needs_its_credentials(
    server: RunningServer, document: dict[str, Any], widget: WidgetInbox
) -> None:
    """Without a website token: 404 everywhere. With one but without a visitor: 404 wherever a visitor
    is needed, before any body is read (a malformed body included)."""
    wrong = []
    for method, path in _widget_operations(document):
        url = f"{server.base_url}{_concrete(path)}"
        for body in ({"content": b'{"name": '}, {"json": {"name": 5, "message": "x", "labels": 7}}):
            bare = httpx.request(method, url, **body) if method != "GET" else httpx.get(url)
            if bare.status_code != 404 or bare.json() != {"error": "web widget does not exist"}:
                wrong.append(("no website token", method, path, bare.status_code))
            if (method, path) in NO_VISITOR:
                continue
            for token in (None, "forged.token.value"):
                headers = {"X-Auth-Token": token} if token else {}
                kwargs: dict[str, Any] = {"params": {"website_token": widget.website_token}, "headers": headers}
                answer = httpx.request(method, url, **kwargs, **(body if method != "GET" else {}))
                if answer.status_code != 404:
                    wrong.append((f"token {token}", method, path, answer.status_code))
    assert not wrong, wrong
