"""Frontdesk's own OpenAPI document: Litestar's, generated from the handlers, plus the request
bodies that ``kit.body.body()`` dependencies declare (Litestar cannot see those by itself)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from frontdesk.kit.body import BodySpec


def _body_spec(handler: HTTPRouteHandler) -> BodySpec | None:
    for provider in handler.resolve_dependencies().values():
        spec = getattr(provider.dependency, "body_spec", None)
        if isinstance(spec, BodySpec):
            return spec
    return None


def build_openapi(app: Litestar) -> dict[str, Any]:
    document: dict[str, Any] = app.openapi_schema.to_schema()
    components = document.setdefault("components", {}).setdefault("schemas", {})
    structs: list[type[msgspec.Struct]] = []
    bodies: list[tuple[str, str, BodySpec]] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            spec = _body_spec(handler)
            if spec is None:
                continue
            bodies.extend((route.path, str(verb).lower(), spec) for verb in handler.http_methods)
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
        operation["requestBody"] = {
            "required": False,
            "description": description,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
                "multipart/form-data": {"schema": schema},
            },
        }
    return document
