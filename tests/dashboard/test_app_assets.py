"""The built dashboard is served at /app by Frontdesk itself."""

from __future__ import annotations

import httpx

from tests.fixtures.server import RunningServer


def test_the_app_is_served_at_app(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for path in ("/app", "/app/", "/app/conversations/12", "/app/settings/inboxes"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert '<div id="app">' in response.text
            assert "default-src 'self'" in response.headers["content-security-policy"]
        index = client.get("/app/").text
        assert "http://" not in index.replace("http://www.w3.org", "")
        asset = index.split('src="/app/', 1)[1].split('"', 1)[0]
        script = client.get("/app/" + asset)
        assert script.status_code == 200
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert "immutable" in script.headers["cache-control"]
        assert client.get("/app/assets/missing.js").status_code == 404
        assert client.get("/app/assets/../../app.py").status_code == 404
