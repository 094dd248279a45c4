"""``GET /metrics``: the Prometheus text exposition.

Who may scrape: with ``FRONTDESK_METRICS_TOKEN`` set, a request carrying ``Authorization: Bearer
<token>``; without it, loopback clients only (a Prometheus beside the server, or behind a proxy
that forwards the client's address), so a server bound to a public interface does not publish its
internals to the world by default.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get

from frontdesk.observability.metrics import render

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def may_scrape(request: Request[Any, Any, Any], token: str | None) -> bool:
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
    client = request.client
    return client is not None and (client.host in _LOOPBACK or client.host.startswith("127."))


@get("/metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[Any]:
    state = request.app.state
    if not may_scrape(request, state.settings.metrics_token):
        return Response({"error": "Not allowed to read the metrics"}, status_code=403)
    body = await render(state.get("database"), state.get("realtime"))
    return Response(body, media_type=CONTENT_TYPE)
