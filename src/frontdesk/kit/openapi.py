"""Frontdesk's own OpenAPI document: Litestar's, generated from the handlers, plus the request
bodies that ``kit.body.body()`` dependencies declare (Litestar cannot see those by itself)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from frontdesk.kit.body import BodySpec

# Litestar route paths carry converters ("{account_id:int}"); the document does not.
_PATH_TYPE = re.compile(r":[a-z]+}")


def _body_spec(handler: HTTPRouteHandler) -> BodySpec | None:
    for provider in handler.resolve_dependencies().values():
        spec = getattr(provider.dependency, "body_spec", None)
        if isinstance(spec, BodySpec):
            return spec
    return None


_ERROR_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "Chatwoot's error body for 401, 403, 404 and non-field 422s.",
        "properties": {"error": {"type": "string"}},
        "required": ["error"],
    },
    "ValidationError": {
        "type": "object",
        "description": "Chatwoot's record-invalid body: a message and the fields it is about.",
        "properties": {"message": {"type": "string"}, "attributes": {"type": "array", "items": {"type": "string"}}},
        "required": ["message", "attributes"],
    },
}


def _error_response(description: str, *schemas: str) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in schemas]
    schema = refs[0] if len(refs) == 1 else {"oneOf": refs}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _document_idempotency(operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if any(parameter.get("name") == "Idempotency-Key" for parameter in parameters):
        return
    parameters.append(
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "A retry with the same key and body answers the first response (Idempotent-Replayed: true) "
            "and writes nothing; the same key with another body is a 422. Kept at least 24 h.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
    )
    operation["responses"]["409"] = _error_response("The first request with this key is still running", "Error")


WIDGET_PREFIX = "/api/v1/widget/"


def _document_widget_auth(operation: dict[str, Any]) -> None:
    """The Widget API's credentials: ``website_token`` (the query, or the body) and the visitor's widget token."""
    parameters = operation.setdefault("parameters", [])
    names = {parameter.get("name") for parameter in parameters}
    if "website_token" not in names:
        parameters.append(
            {
                "name": "website_token",
                "in": "query",
                "required": False,
                "description": "The website inbox's token (also accepted in a JSON or form body).",
                "schema": {"type": "string", "maxLength": 64},
            }
        )
    if "X-Auth-Token" not in names:
        parameters.append(
            {
                "name": "X-Auth-Token",
                "in": "header",
                "required": False,
                "description": "The visitor's widget token (from POST /api/v1/widget/config or the widget page); "
                "routes about the visitor answer 404 without a valid one for this inbox.",
                "schema": {"type": "string", "maxLength": 2048},
            }
        )
    operation["responses"]["401"] = _error_response("The inbox's account is suspended", "Error")
    operation["responses"]["404"] = _error_response(
        "Unknown website token, or no visitor of this inbox for the widget token", "Error"
    )


def _document_errors(document: dict[str, Any]) -> None:
    """Replace Litestar's generic 400 with the error bodies Frontdesk really answers."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.pop("400", None)
            if method in ("post", "put", "patch", "delete"):
                responses["400"] = _error_response("The body is not valid JSON", "Error")
                responses["422"] = _error_response(
                    "Invalid input; the body names the field", "ValidationError", "Error"
                )
            if path.startswith(("/api/", "/public/")):
                responses["429"] = _error_response("Rate limited; Retry-After says when to try again", "Error")
                if method in ("post", "put", "patch"):
                    _document_idempotency(operation)
            if path.startswith(WIDGET_PREFIX):
                _document_widget_auth(operation)
            elif path.startswith("/api/"):
                responses["401"] = _error_response("Missing or invalid access token, or not allowed", "Error")
                responses["404"] = _error_response("Not found in this account", "Error")
            elif path.startswith("/public/"):
                responses["404"] = _error_response("Not found for this inbox and contact", "Error")


def build_openapi(app: Litestar) -> dict[str, Any]:
    document: dict[str, Any] = app.openapi_schema.to_schema()
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(_ERROR_SCHEMAS)
    components.pop("ErrorResponse", None)
    _document_errors(document)
    document.setdefault("components", {}).setdefault("securitySchemes", {})["userApiKey"] = {
        "type": "apiKey",
        "in": "header",
        "name": "api_access_token",
        "description": "The user's access token, shown on the profile (Authorization: Bearer works too).",
    }
    document["security"] = [{"userApiKey": []}]
    structs: list[type[msgspec.Struct]] = []
    bodies: list[tuple[str, str, BodySpec]] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            spec = _body_spec(handler)
            if spec is None:
                continue
            bodies.extend((_PATH_TYPE.sub("}", route.path), str(verb).lower(), spec) for verb in handler.http_methods)
            structs.append(spec.struct)
    if not structs:
        return document
    (schemas, definitions) = msgspec.json.schema_components(structs, ref_template="#/components/schemas/{name}")
    for name, definition in definitions.items():
        components.setdefault(name, definition)
    refs = dict(zip(structs, schemas, strict=True))
    for path, method, spec in bodies:
        operation = document.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        schema = refs[spec.struct]
        description = (
            f'JSON, flat or wrapped as {{"{spec.wrap}": {{…}}}}; form-encoded and multipart are accepted too.'
            if spec.wrap
            else "JSON; form-encoded and multipart are accepted too."
        )
        multipart: dict[str, Any] = schema
        if spec.file_field:
            description += f" Files go in multipart `{spec.file_field}` parts."
            files: dict[str, Any] = {"type": "string", "format": "binary"}
            if spec.file_field.endswith("[]"):
                files = {"type": "array", "items": files}
            multipart = {"allOf": [schema, {"type": "object", "properties": {spec.file_field: files}}]}
        operation["requestBody"] = {
            "required": False,
            "description": description,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
                "multipart/form-data": {"schema": multipart},
            },
        }
    return document
