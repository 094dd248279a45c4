"""Security headers on every kind of response, and which proxies' forwarded headers are believed."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer, database_kind
from tests.public.conftest import public_inbox
from tests.test_cli import FRONTDESK, _env, _free_port

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def assert_everywhere(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in response.headers


def assert_api(response: httpx.Response) -> None:
    assert_everywhere(response)
    assert response.headers["content-security-policy"] == API_CSP
    assert response.headers["x-frame-options"] == "DENY"


def test_api_responses(server: RunningServer, admin: Admin) -> None:
    inbox = public_inbox(admin)
    ok = admin.api.get(admin.path("/labels"))
    assert ok.status_code == 200
    missing = admin.api.get(admin.path("/labels/999999"))
    assert missing.status_code == 404
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        unauthorized = anonymous.get(admin.path("/labels"))
        assert unauthorized.status_code == 401
        openapi = anonymous.get("/openapi.json")
        health = anonymous.get("/health")
        client_api = anonymous.get(f"/public/api/v1/inboxes/{inbox.identifier}")
        assert client_api.status_code == 200
        # No route at all: answered by the router, outside the per-route middlewares.
        unrouted = anonymous.get("/no/such/route")
        assert unrouted.status_code == 404
        wrong_method = anonymous.delete("/health")
        assert wrong_method.status_code in (404, 405)
    for response in (ok, missing, unauthorized, openapi, health, client_api, unrouted, wrong_method):
        assert_api(response)


def test_docs_and_dashboard(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        docs = anonymous.get("/docs")
        app = anonymous.get("/app")
    assert docs.status_code == 200
    assert_everywhere(docs)
    csp = docs.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "img-src 'self' data:" in csp
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert app.headers["x-content-type-options"] == "nosniff"
    # The dashboard's own policies (referrer: same-origin) are kept, not replaced.
    assert app.headers["referrer-policy"] == "same-origin"
    assert app.headers["content-security-policy"] != API_CSP
    assert "frame-ancestors 'none'" in app.headers["content-security-policy"]


@contextmanager
def frontdesk_serve(tmp_path: Path, trust_proxy: str | None) -> Iterator[str]:
    env = _env(tmp_path / "data")
    env["FRONTDESK_RATE_LIMIT_PER_IP"] = "2"
    if trust_proxy is not None:
        env["FRONTDESK_TRUST_PROXY"] = trust_proxy
    port = _free_port()
    server = subprocess.Popen(
        [*FRONTDESK, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "frontdesk serve did not answer"
            time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def forwarded(base: str, number: int) -> httpx.Response:
    headers = {"x-forwarded-for": f"203.0.113.{number}", "x-forwarded-proto": "https"}
    return httpx.get(f"{base}/api/v1/profile", headers=headers, timeout=10)


@pytest.mark.skipif(database_kind() != "sqlite", reason="the embedded default is SQLite")
def test_forwarded_headers_are_ignored_without_a_trusted_proxy(tmp_path: Path) -> None:
    with frontdesk_serve(tmp_path, None) as base:
        answers = [forwarded(base, number) for number in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert all("strict-transport-security" not in answer.headers for answer in answers)


@pytest.mark.skipif(database_kind() != "sqlite", reason="the embedded default is SQLite")
def test_a_trusted_proxy_names_the_client_and_the_scheme(tmp_path: Path) -> None:
    with frontdesk_serve(tmp_path, "127.0.0.1") as base:
        answers = [forwarded(base, number) for number in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert all(answer.headers["strict-transport-security"] == "max-age=31536000" for answer in answers)
