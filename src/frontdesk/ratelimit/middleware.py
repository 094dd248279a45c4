"""The rate-limit layer: counts each request and answers 429 ``{"error": "Retry later"}`` with
``Retry-After`` (seconds) once a limit is exceeded, before anything else runs."""

from __future__ import annotations

import logging

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from frontdesk.ratelimit.limiter import RateLimiter, normalized_ip

logger = logging.getLogger(__name__)

RETRY_LATER = msgspec.json.encode({"error": "Retry later"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def token_of(scope: Scope) -> str | None:
    token = _header(scope, b"api_access_token") or _header(scope, b"api-access-token")
    if not token:
        authorization = _header(scope, b"authorization") or ""
        if authorization.lower().startswith("bearer "):
            token = authorization[7:]
    return token.strip() or None if token else None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = getattr(scope["app"].state, "rate_limiter", None)
        if scope["type"] != ScopeType.HTTP or limiter is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = normalized_ip(client[0] if client else "")
        path: str = scope.get("path", "")
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        refusal = await limiter.check(str(scope.get("method", "GET")), path, ip, token_of(scope), query)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        logger.warning("rate limit %s exceeded by %s on %s %s", refusal.rule, ip, scope.get("method"), path)
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(RETRY_LATER)).encode()),
                    (b"retry-after", str(refusal.retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": RETRY_LATER, "more_body": False})
