"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright).

Browsers are never downloaded: Chromium is /usr/bin/chromium (``apt-get install chromium``; scripts/test
installs it when it can). Without it, or without the ``playwright`` package, the browser tests skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.api import Admin, make_admin, unique
from tests.fixtures.receiver import Receiver, run_receiver
from tests.fixtures.server import RunningServer, ThrowawayDatabase, database_kind, serve

CHROMIUM = os.environ.get("FRONTDESK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
PASSWORD = "password123"


@pytest.fixture(scope="module")
def dashboard_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    """A server with a delivery worker (webhooks to loopback receivers allowed) and no sign-in limit
    (every test signs in from 127.0.0.1)."""
    yield from serve(
        test_database,
        embedded_worker=True,
        webhook_allow_private_network=True,
        webhook_poll_interval=0.05,
        webhook_retry_base_seconds=0.05,
        webhook_retry_max_seconds=0.4,
        webhook_timeout=1.0,
        sign_in_rate_limit=0,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        shot(page, request.node.name + "-end")
        context.close()
    assert errors == [], errors


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{database_kind()}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


@pytest.fixture
def owner(dashboard_server: RunningServer) -> tuple[Admin, str]:
    """An account and its administrator (with the email to sign in with)."""
    email = f"{unique('owner')}@example.com"
    return make_admin(dashboard_server, account_name="Acme", email=email), email


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from run_receiver()
