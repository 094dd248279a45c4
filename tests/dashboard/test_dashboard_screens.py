"""Settings and contacts screens in the browser, checked through the API."""

from __future__ import annotations

from typing import Any

from tests.dashboard.conftest import shot
from tests.dashboard.test_dashboard_e2e import sign_in
from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer


def test_settings_create_an_api_inbox_agent_team_and_label(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    sign_in(page, dashboard_server, email)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url("**/app/settings/inboxes")

    page.get_by_label("Name").fill("Website API")
    page.get_by_label("Webhook URL").fill("https://hooks.example.com/frontdesk")
    page.get_by_role("button", name="Create inbox").click()
    details = page.get_by_test_id("inbox-details")
    details.get_by_role("heading", name="Website API").wait_for()
    inboxes = admin.api.get(admin.path("/inboxes")).json()["payload"]
    assert [i["name"] for i in inboxes] == ["Website API"]
    inbox = inboxes[0]
    text = details.inner_text()
    assert inbox["inbox_identifier"] in text
    assert inbox["hmac_token"] in text
    assert inbox["secret"] in text
    assert "https://hooks.example.com/frontdesk" in text

    page.get_by_role("link", name="Agents", exact=True).click()
    page.get_by_label("Name").fill("Linus Agent")
    page.get_by_label("Email").fill("linus@example.com")
    page.get_by_label("Role").select_option("agent")
    page.get_by_role("button", name="Add agent").click()
    page.get_by_role("cell", name="linus@example.com").wait_for()
    agents = {a["email"]: a for a in admin.api.get(admin.path("/agents")).json()}
    assert agents["linus@example.com"]["role"] == "agent"
    assert agents["linus@example.com"]["name"] == "Linus Agent"

    page.get_by_role("link", name="Inboxes", exact=True).click()
    page.get_by_role("button", name="Website API").click()
    page.get_by_label("Agent to add").select_option(label="Linus Agent")
    page.get_by_role("button", name="Add agent").click()
    page.get_by_test_id("inbox-details").get_by_text("linus@example.com").wait_for()
    members = admin.api.get(admin.path(f"/inbox_members/{inbox['id']}")).json()["payload"]
    assert [m["email"] for m in members] == ["linus@example.com"]
    shot(page, "settings-inbox")

    page.get_by_role("link", name="Teams", exact=True).click()
    page.get_by_label("Name").fill("Billing")
    page.get_by_role("button", name="Create team").click()
    page.get_by_role("status").filter(has_text="Team created.").wait_for()
    assert [t["name"] for t in admin.api.get(admin.path("/teams")).json()] == ["billing"]

    page.get_by_role("link", name="Labels", exact=True).click()
    page.get_by_label("Title").fill("vip")
    page.get_by_role("button", name="Create label").click()
    page.get_by_role("status").filter(has_text="Label created.").wait_for()
    assert [label["title"] for label in admin.api.get(admin.path("/labels")).json()["payload"]] == ["vip"]


def test_contacts_create_search_page_and_edit(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    for n in range(16):
        admin.api.post(admin.path("/contacts"), json={"name": f"Bulk {n:02d}", "email": f"bulk{n}@example.com"})
    sign_in(page, dashboard_server, email)
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_text("Page 1 of 2 · 16 contacts").wait_for()
    page.get_by_role("button", name="Next page").click()
    page.get_by_text("Page 2 of 2 · 16 contacts").wait_for()

    page.get_by_role("button", name="New contact").click()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Phone (E.164, e.g. +15551234567)").fill("+15551234567")
    page.get_by_label("Custom attributes (key=value per line)").fill("plan=pro")
    page.get_by_role("button", name="Create contact").click()
    page.get_by_role("heading", name="Ada Lovelace").wait_for()
    found = admin.api.get(admin.path("/contacts/search"), params={"q": "ada@example.com"}).json()["payload"]
    assert len(found) == 1
    assert found[0]["phone_number"] == "+15551234567"
    assert found[0]["custom_attributes"] == {"plan": "pro"}

    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Name").fill("Ada King")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Ada King").wait_for()
    assert admin.api.get(admin.path(f"/contacts/{found[0]['id']}")).json()["payload"]["name"] == "Ada King"
    shot(page, "contact-page")

    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_label("Search contacts").fill("Ada")
    page.get_by_role("link", name="AK Ada King").wait_for()
    assert page.get_by_text("1 contacts").count() == 1


def test_phone_layout_shows_one_pane_at_a_time(
    browser: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    from tests.fixtures.api import make_api_inbox, make_conversation

    admin, email = owner
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, dashboard_server, email)
        row = page.locator(f'[data-conversation-id="{conversation["id"]}"]')
        row.click()
        back = page.get_by_role("button", name="Back to the list")
        back.wait_for()
        assert not row.is_visible()
        page.get_by_label("Reply", exact=True).wait_for()
        shot(page, "phone-thread")
        back.click()
        row.wait_for()
    finally:
        context.close()


def test_older_messages_load_on_scroll(page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]) -> None:
    from tests.dashboard.test_dashboard_e2e import incoming, open_conversation
    from tests.fixtures.api import make_api_inbox, make_conversation

    admin, email = owner
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    for n in range(1, 31):
        incoming(admin, conversation["id"], f"Line {n:02d}")
    sign_in(page, dashboard_server, email)
    open_conversation(page, dashboard_server, conversation["id"])
    page.locator(".message", has_text="Line 30").wait_for()
    # The latest 20 first.
    assert page.locator(".message").count() == 20
    assert page.locator(".message", has_text="Line 01").count() == 0
    page.locator(".messages").evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')) }")
    page.locator(".message", has_text="Line 01").wait_for()
    assert page.locator(".message").count() == 30
    texts = page.locator(".message .content").all_inner_texts()
    assert texts == [f"Line {n:02d}" for n in range(1, 31)]


def test_labels_snooze_and_list_filters(page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]) -> None:
    from tests.dashboard.test_dashboard_e2e import incoming, open_conversation
    from tests.fixtures.api import make_api_inbox, make_conversation

    admin, email = owner
    assert admin.api.post(admin.path("/labels"), json={"title": "vip"}).status_code == 200
    inbox = make_api_inbox(admin)
    tagged = make_conversation(admin, inbox["id"])
    plain = make_conversation(admin, inbox["id"])
    incoming(admin, tagged["id"], "Tag me")
    incoming(admin, plain["id"], "Leave me")
    sign_in(page, dashboard_server, email)
    open_conversation(page, dashboard_server, tagged["id"])

    page.get_by_label("Add a label").select_option("vip")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Remove label vip").wait_for()
    labels = admin.api.get(admin.path(f"/conversations/{tagged['id']}/labels")).json()["payload"]
    assert labels == ["vip"]

    page.get_by_label("Label", exact=True).select_option("vip")
    page.locator(f'[data-conversation-id="{plain["id"]}"]').wait_for(state="detached")
    assert page.locator(f'[data-conversation-id="{tagged["id"]}"]').is_visible()
    assert page.get_by_role("tab", name="All").inner_text().split()[-1] == "1"

    page.get_by_label("Snooze").select_option("hour")
    page.locator(".status[data-status=snoozed]").wait_for()
    shown = admin.api.get(admin.path(f"/conversations/{tagged['id']}")).json()
    assert shown["status"] == "snoozed"
    assert shown["snoozed_until"] is not None
    # Snoozed leaves the open list; the status filter brings it back.
    page.locator(f'[data-conversation-id="{tagged["id"]}"]').wait_for(state="detached")
    page.get_by_label("Status").select_option("snoozed")
    page.locator(f'[data-conversation-id="{tagged["id"]}"]').wait_for()
