"""Security headers on every response, added by one pure-ASGI middleware from precomputed tuples.

Every response gets ``nosniff`` and a referrer policy; API answers (JSON, errors, /openapi.json, /health)
also a CSP that loads nothing and may be framed by no one; /docs a CSP fit for the offline Swagger UI
(its page has one inline script); the dashboard (/app) sets its own, and so do the website widget's
page (/widget, framed by other sites: never ``X-Frame-Options``) and its built files (/packs/…).
HSTS only over https. A header the response already set is kept."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_EVERYWHERE = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
_API = (
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
)
_DOCS = (
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
)
_HSTS = ((b"strict-transport-security", b"max-age=31536000"),)


def headers_for(path: str, scheme: str) -> tuple[tuple[bytes, bytes], ...]:
    if path == "/app" or path.startswith("/app/") or path == "/widget" or path.startswith("/packs/"):
        extra: tuple[tuple[bytes, bytes], ...] = ()
    elif path == "/docs" or path.startswith("/docs/"):
        extra = _DOCS
    else:
        extra = _API
    return _EVERYWHERE + extra + (_HSTS if scheme == "https" else ())


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        wanted = headers_for(scope.get("path", ""), scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in wanted if header[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
