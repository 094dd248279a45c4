"""The interactive API docs at /docs in a real Chromium: every operation of /openapi.json is shown, under a
Content-Security-Policy that allows no inline script, and the browser reports no violation of it."""

from __future__ import annotations

from typing import Any

from tests.dashboard.conftest import shot
from tests.fixtures.server import RunningServer


def test_the_docs_page_renders_every_operation_under_its_csp(page: Any, dashboard_server: RunningServer) -> None:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    document = page.request.get(dashboard_server.base_url + "/openapi.json").json()
    operations = sum(
        1
        for item in document["paths"].values()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )
    response = page.goto(dashboard_server.base_url + "/docs")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for(timeout=20_000)
    shot(page, "api-docs")
    assert page.locator(".opblock").count() == operations
    # The browser's only complaint may be the favicon it asks for on its own.
    assert [problem for problem in problems if "404" not in problem] == [], problems
    assert not any("Content Security Policy" in problem for problem in problems), problems
