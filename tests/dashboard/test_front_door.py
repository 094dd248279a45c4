"""The server's root in a real Chromium: it leads to the dashboard's sign-in, and on into the dashboard."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.dashboard.conftest import PASSWORD, shot
from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer


def test_the_root_url_leads_to_the_sign_in_page_and_the_dashboard(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    _, email = owner
    page.goto(dashboard_server.base_url + "/")
    page.wait_for_url("**/app/login**")
    shot(page, "front-door-sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app/conversations**")
    expect(page.get_by_role("tab", name="All")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
