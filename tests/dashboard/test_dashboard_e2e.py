"""The agents' dashboard end to end: a real server, a real Chromium, the API beside it."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.dashboard.conftest import PASSWORD, shot
from tests.fixtures.api import Admin, make_agent, make_api_inbox, make_conversation
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer


def sign_in(page: Any, server: RunningServer, email: str, password: str = PASSWORD) -> None:
    page.goto(server.base_url + "/app/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app/conversations**")


def wait_live(page: Any) -> None:
    page.locator(".live-dot.connected").wait_for(state="attached")


def open_conversation(page: Any, server: RunningServer, conversation_id: int) -> None:
    page.goto(f"{server.base_url}/app/conversations/{conversation_id}")
    page.locator(".thread-header h2").wait_for()
    wait_live(page)


def incoming(admin: Admin, conversation_id: int, content: str) -> dict[str, Any]:
    response = admin.api.post(
        admin.path(f"/conversations/{conversation_id}/messages"), json={"content": content, "message_type": "incoming"}
    )
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()
    return message


def test_sign_in_and_sign_out(page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]) -> None:
    admin, email = owner
    inbox = make_api_inbox(admin, name="Support")
    conversation = make_conversation(admin, inbox["id"])
    incoming(admin, conversation["id"], "Hello, my order is late")

    page.goto(dashboard_server.base_url + "/app/")
    page.wait_for_url("**/app/login**")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Invalid login credentials. Please try again."

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app/conversations")
    row = page.locator(f'[data-conversation-id="{conversation["id"]}"]')
    row.wait_for()
    assert "Hello, my order is late" in row.inner_text()
    # The inbox's name comes from the inbox directory, loaded beside the list (a row may show "Inbox 1" first).
    expect(row).to_contain_text("Support")
    assert page.get_by_role("tab", name="All").inner_text().split()[-1] == "1"
    assert page.get_by_role("tab", name="Unassigned").inner_text().split()[-1] == "1"
    assert page.get_by_role("tab", name="Mine").inner_text().split()[-1] == "0"
    assert row.locator(".badge").inner_text() == "1"
    wait_live(page)
    shot(page, "conversations-list")

    # The session cookie is HttpOnly: the page cannot read it.
    assert "frontdesk_session" not in page.evaluate("document.cookie")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/app/login**")
    page.goto(dashboard_server.base_url + "/app/contacts")
    page.wait_for_url("**/app/login**")


def test_api_message_appears_in_the_open_conversation_within_a_second(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    incoming(admin, conversation["id"], "First question")
    sign_in(page, dashboard_server, email)
    open_conversation(page, dashboard_server, conversation["id"])
    page.locator(".message", has_text="First question").wait_for()
    page.evaluate("window.__noReload = true")

    started = time.monotonic()
    incoming(admin, conversation["id"], "Are you there?")
    page.locator(".message.left", has_text="Are you there?").wait_for(timeout=1000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, elapsed
    assert page.evaluate("window.__noReload") is True
    # The list row follows too.
    row = page.locator(f'[data-conversation-id="{conversation["id"]}"]')
    row.filter(has_text="Are you there?").wait_for(timeout=1000)
    shot(page, "live-message")

    # A new conversation shows up in the list without reload.
    other = make_conversation(admin, inbox["id"])
    page.locator(f'[data-conversation-id="{other["id"]}"]').wait_for(timeout=2000)

    # Another agent typing shows, then goes.
    agent = make_agent(dashboard_server, admin, name="Grace")
    members = admin.api.post(admin.path("/inbox_members"), json={"inbox_id": inbox["id"], "user_ids": [agent.user_id]})
    assert members.status_code == 200, members.text
    typing = admin.path(f"/conversations/{conversation['id']}/toggle_typing_status")
    assert agent.api.post(typing, json={"typing_status": "on"}).status_code == 200
    page.get_by_text("Grace is typing…").wait_for(timeout=2000)
    assert agent.api.post(typing, json={"typing_status": "off"}).status_code == 200
    page.get_by_text("Grace is typing…").wait_for(state="detached", timeout=2000)
    assert page.evaluate("window.__noReload") is True


def test_reply_typed_in_the_dashboard_reaches_the_inbox_webhook(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str], receiver: Receiver
) -> None:
    admin, email = owner
    inbox = make_api_inbox(admin, name="Webhook inbox", webhook_url=receiver.url("/inbox"))
    conversation = make_conversation(admin, inbox["id"])
    incoming(admin, conversation["id"], "Can you help?")
    sign_in(page, dashboard_server, email)
    open_conversation(page, dashboard_server, conversation["id"])

    box = page.get_by_label("Reply", exact=True)
    box.fill("Sure, one moment")
    box.press("Shift+Enter")
    box.type("— Ada")
    box.press("Enter")
    page.locator(".message.right:not(.pending)", has_text="one moment").wait_for()
    assert box.input_value() == ""

    deadline = time.monotonic() + 15
    delivered: list[Any] = []
    while time.monotonic() < deadline and not delivered:
        delivered = [
            item
            for item in receiver.received("/inbox")
            if item.event == "message_created" and item.json.get("message_type") == "outgoing"
        ]
        time.sleep(0.05)
    assert delivered, [item.json for item in receiver.received()]
    body = delivered[0].json
    assert body["content"] == "Sure, one moment\n— Ada"
    assert body["private"] is False
    assert body["conversation"]["id"] == conversation["id"]

    # A private note is stored private and marked in the thread.
    page.get_by_role("button", name="Private note", exact=True).click()
    page.get_by_label("Private note", exact=True).fill("Customer is a VIP")
    page.get_by_label("Private note", exact=True).press("Enter")
    page.locator(".message.private:not(.pending)", has_text="Customer is a VIP").wait_for()
    messages = admin.api.get(admin.path(f"/conversations/{conversation['id']}/messages")).json()["payload"]
    note = [m for m in messages if m["content"] == "Customer is a VIP"]
    assert len(note) == 1
    assert note[0]["private"] is True
    replies = [m for m in messages if m["content"] == "Sure, one moment\n— Ada"]
    assert len(replies) == 1
    shot(page, "reply-and-note")


def test_resolve_and_assign_in_the_dashboard_show_through_the_api(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    inbox = make_api_inbox(admin)
    agent = make_agent(dashboard_server, admin, name="Grace Hopper")
    conversation = make_conversation(admin, inbox["id"])
    incoming(admin, conversation["id"], "Please close my ticket")
    sign_in(page, dashboard_server, email)
    open_conversation(page, dashboard_server, conversation["id"])

    page.get_by_label("Assigned agent").select_option(label="Grace Hopper")
    path = admin.path(f"/conversations/{conversation['id']}")
    deadline = time.monotonic() + 5
    while admin.api.get(path).json()["meta"].get("assignee") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert admin.api.get(path).json()["meta"]["assignee"]["id"] == agent.user_id

    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Resolve").click()
    page.get_by_role("button", name="Reopen").wait_for()
    shown = admin.api.get(path).json()
    assert shown["status"] == "resolved"
    assert shown["priority"] == "high"
    shot(page, "resolved-and-assigned")

    # And back: reopening through the API shows in the page.
    admin.api.post(admin.path(f"/conversations/{conversation['id']}/toggle_status"), json={"status": "open"})
    page.get_by_role("button", name="Resolve").wait_for(timeout=2000)


def test_profile_access_token_authenticates_the_api(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    sign_in(page, dashboard_server, email)
    page.get_by_role("link", name="Profile settings").click()
    page.get_by_role("heading", name="Access Token").wait_for()
    page.get_by_role("button", name="Show token").click()
    token = page.get_by_label("Access token", exact=True).input_value()
    assert token == admin.token
    shot(page, "profile-token")
    with httpx.Client(base_url=dashboard_server.base_url) as client:
        answer = client.get("/api/v1/profile", headers={"api_access_token": token})
        assert answer.status_code == 200
        assert answer.json()["email"] == email

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Reset").click()
        page.wait_for_function("old => document.querySelector('[data-testid=access-token]').value !== old", arg=token)
        fresh = page.get_by_label("Access token", exact=True).input_value()
        assert fresh != token
        assert client.get("/api/v1/profile", headers={"api_access_token": fresh}).status_code == 200
        assert client.get("/api/v1/profile", headers={"api_access_token": token}).status_code == 401


def test_the_page_catches_up_after_the_socket_is_cut(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    inbox = make_api_inbox(admin)
    conversation = make_conversation(admin, inbox["id"])
    incoming(admin, conversation["id"], "Before the cut")
    sign_in(page, dashboard_server, email)
    open_conversation(page, dashboard_server, conversation["id"])
    page.locator(".message", has_text="Before the cut").wait_for()
    page.evaluate("window.__noReload = true")

    # Drop the socket and stay away for two seconds; meanwhile the API writes.
    page.evaluate("window.frontdeskCable.cut(2000)")
    page.locator(".live-dot.connected").wait_for(state="detached")
    incoming(admin, conversation["id"], "Missed while away")
    admin.api.post(admin.path(f"/conversations/{conversation['id']}/toggle_priority"), json={"priority": "urgent"})
    other = make_conversation(admin, inbox["id"])
    time.sleep(0.3)
    assert page.locator(".message", has_text="Missed while away").count() == 0

    wait_live(page)
    page.locator(".message.left", has_text="Missed while away").wait_for(timeout=5000)
    page.locator(f'[data-conversation-id="{other["id"]}"]').wait_for(timeout=5000)
    assert page.get_by_label("Priority").input_value() == "urgent"
    assert page.evaluate("window.__noReload") is True
    assert page.locator(".message", has_text="Missed while away").count() == 1
    shot(page, "caught-up")
