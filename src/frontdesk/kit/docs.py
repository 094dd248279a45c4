"""The interactive API docs page: Swagger UI, served from the swagger-ui-bundle package (no CDN)."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from litestar import MediaType, Router, get
from litestar.static_files import create_static_files_router

_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Frontdesk API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""


# A file of its own, not an inline script, so that the page's CSP can forbid inline scripts. The bundled Swagger
# UI (4.x) refuses documents that say "openapi": "3.1.0", which /openapi.json is; the page hands it the same
# document labelled 3.0.3 (what differs between the two, nullable types, it renders as well).
_INIT = """fetch("/openapi.json")
  .then((response) => response.json())
  .then((spec) => {
    spec.openapi = "3.0.3";
    window.ui = SwaggerUIBundle({
      spec: spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  });
"""


@get(["/docs", "/docs/"], media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False)
def docs_page() -> str:
    return _PAGE


@get("/docs/init.js", media_type="text/javascript", include_in_schema=False, sync_to_thread=False)
def docs_script() -> str:
    return _INIT


docs_router = Router(
    path="/",
    route_handlers=[
        docs_page,
        docs_script,
        create_static_files_router(path="/docs/assets", directories=[_ASSETS], include_in_schema=False),
    ],
)
