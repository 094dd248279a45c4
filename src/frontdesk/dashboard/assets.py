"""``/app``: the built single-page app (``static/``, built from ``frontend/``), served by Frontdesk itself.

Files under ``static/assets/`` carry a content hash in their names and are cached for a year; every
other path under ``/app`` answers ``index.html`` (the app routes in the browser).
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect

STATIC_DIR = Path(__file__).parent / "static"

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{files}; "
    "media-src 'self' blob:{files}; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP.format(files=""),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@lru_cache(maxsize=256)
def _read(relative: str) -> bytes | None:
    path = (STATIC_DIR / relative).resolve()
    if STATIC_DIR.resolve() not in path.parents or not path.is_file():
        return None
    return path.read_bytes()


def _media_type(relative: str) -> str:
    # Litestar adds "; charset=utf-8" to text types itself.
    guessed, _ = mimetypes.guess_type(relative)
    if relative.endswith(".js"):
        return "text/javascript"
    if relative.endswith(".css"):
        return "text/css"
    return guessed or "application/octet-stream"


def files_origin(storage: Any) -> str:
    """Where attachment URLs point when not at this server (an S3 endpoint), for the page's CSP."""
    if storage is None:
        return ""
    sample = storage.signed_url("x", filename="x", content_type="image/png", disposition="inline", expires_in=60)
    if not sample:
        return ""
    parts = urlsplit(sample)
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


@get("/app", include_in_schema=False, sync_to_thread=False)
def dashboard_index(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _serve("", request)


@get("/app/{path:path}", include_in_schema=False, sync_to_thread=False)
def dashboard_app(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
    return _serve(path.lstrip("/"), request)


def _serve(relative: str, request: Request[Any, Any, Any]) -> Response[bytes]:
    if relative.startswith("assets/") or relative in {"favicon.svg", "robots.txt"}:
        content = _read(relative)
        if content is None:
            return Response(b'{"error":"Resource could not be found"}', status_code=404, media_type="application/json")
        return Response(
            content,
            media_type=_media_type(relative),
            headers={"Cache-Control": "public, max-age=31536000, immutable", **_SECURITY_HEADERS},
        )
    index = _read("index.html")
    if index is None:
        return Response(
            b"The dashboard is not built: run scripts/ci_dashboard.sh", status_code=503, media_type="text/plain"
        )
    database = getattr(request.app.state, "database", None)
    origin = files_origin(getattr(database, "storage", None))
    headers = {**_SECURITY_HEADERS, "Content-Security-Policy": _CSP.format(files=origin)}
    return Response(index, media_type="text/html", headers={"Cache-Control": "no-cache", **headers})


@get("/", include_in_schema=False, sync_to_thread=False)
def front_door() -> Redirect:
    """A browser at the server's root goes to the dashboard (Chatwoot's root redirects to its app too)."""
    return Redirect(path="/app", status_code=302)
