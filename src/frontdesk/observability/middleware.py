"""The outermost ASGI layer: a request id for every request and response, and the HTTP metrics.

It wraps Litestar's router (not a route's middleware stack) so that it also sees requests no route
matched. The route label is the template Litestar's router leaves in the scope
(``scope["path_template"]``) once it has routed the request, never the raw path.
"""

from __future__ import annotations

from time import perf_counter

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.observability.context import REQUEST_ID_HEADER, current_request_id, request_id_from
from frontdesk.observability.metrics import UNMATCHED_ROUTE, count_request


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            if scope["type"] == ScopeType.WEBSOCKET:
                current_request_id.set(request_id_from(scope["headers"]))
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope["headers"])
        # Not reset afterwards: uvicorn runs each request in a task of its own (a copy of the context),
        # and its own "Exception in ASGI application" line, written after we return, carries the id too.
        current_request_id.set(request_id)
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        started = perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            count_request(
                scope.get("path_template", UNMATCHED_ROUTE), scope["method"], status, perf_counter() - started
            )
