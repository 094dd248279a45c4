"""Frontdesk's own OpenAPI document: served, complete, and true to what the server answers."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer


@pytest.fixture
def document(server: RunningServer) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _schema_for(document: dict[str, Any], path: str, method: str, status: str = "200") -> dict[str, Any]:
    operation = document["paths"][path][method]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    # Resolve $refs against the document's own components.
    return {**schema, "components": document["components"]}


def assert_conforms(document: dict[str, Any], path: str, method: str, body: Any, status: str = "200") -> None:
    schema = _schema_for(document, path, method, status)
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_document_lists_every_api_route(server: RunningServer, document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    for route in server.app.routes:
        if not route.path.startswith("/api/") and not route.path.startswith("/public/"):
            continue
        for method in getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}:
            path = route.path.replace(":int", "").replace(":str", "")
            assert (path, method) in documented, f"{method} {path} is not in /openapi.json"


def test_write_operations_document_their_bodies_and_errors(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/v1/accounts/{account_id}"]["patch"]
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/AccountUpdate"}
    assert "name" in document["components"]["schemas"]["AccountUpdate"]["properties"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["oneOf"][0] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    assert document["components"]["securitySchemes"]["userApiKey"]["name"] == "api_access_token"
    header = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header and header[0]["in"] == "header"
    assert set(operation["responses"]) >= {"200", "401", "404", "409", "422", "429"}


def test_answers_conform_to_the_document(admin: Admin, document: dict[str, Any]) -> None:
    account = admin.api.get(admin.path())
    assert_conforms(document, "/api/v1/accounts/{account_id}", "get", account.json())
    profile = admin.api.get("/api/v1/profile")
    assert_conforms(document, "/api/v1/profile", "get", profile.json())
    invalid = admin.api.patch(admin.path(), json={"name": ["x"]})
    assert invalid.status_code == 422
    assert_conforms(document, "/api/v1/accounts/{account_id}", "patch", invalid.json(), "422")
    unauthorized = admin.api.client.get(admin.path(), headers={"api_access_token": "nope"})
    assert_conforms(document, "/api/v1/accounts/{account_id}", "get", unauthorized.json(), "401")


def test_docs_page_is_served_without_any_cdn(server: RunningServer) -> None:
    page = httpx.get(f"{server.base_url}/docs")
    assert page.status_code == 200
    assert '<script src="/docs/init.js"></script>' in page.text
    # The page's own script (a served file: the CSP forbids inline scripts) loads the document.
    script = httpx.get(f"{server.base_url}/docs/init.js")
    assert script.status_code == 200
    assert "/openapi.json" in script.text
    assert "https://" not in page.text + script.text
    asset = httpx.get(f"{server.base_url}/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


def test_health(server: RunningServer) -> None:
    response = httpx.get(f"{server.base_url}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "woot"
