"""The website widget end to end in a real Chromium: a shop page on another origin carries the embed
snippet exactly as the inbox payload gives it; a visitor chats through the bubble and the iframe while an
agent answers from the dashboard in a second browser context.

Screenshots go to test-artifacts/widget/ (beside the dashboard's)."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.dashboard.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from tests.fixtures.api import Admin, make_admin, unique
from tests.fixtures.server import RunningServer, ThrowawayDatabase, database_kind, serve
from tests.widget.conftest import WidgetInbox, make_widget_inbox

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "widget"
WIDGET_STATIC = Path(__file__).resolve().parents[2] / "src" / "frontdesk" / "widget" / "static"

PRE_CHAT = {
    "pre_chat_message": "Tell us who you are and we will be right with you.",
    "pre_chat_fields": [
        {
            "field_type": "standard",
            "label": "Email Id",
            "name": "emailAddress",
            "type": "email",
            "required": True,
            "enabled": True,
        },
        {
            "field_type": "standard",
            "label": "Full name",
            "name": "fullName",
            "type": "text",
            "required": True,
            "enabled": True,
        },
        {
            "field_type": "standard",
            "label": "Phone number",
            "name": "phoneNumber",
            "type": "text",
            "required": False,
            "enabled": False,
        },
    ],
}


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def widget_server(test_database: ThrowawayDatabase) -> Iterator[RunningServer]:
    if not (WIDGET_STATIC / "sdk.js").exists() or not (WIDGET_STATIC / ".vite" / "manifest.json").exists():
        pytest.skip("the widget is not built (cd frontend && npm run build)")
    yield from serve(test_database, embedded_worker=True, sign_in_rate_limit=0)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class HostSite:
    """The customer's website: another origin (``localhost`` and its own port, while Frontdesk is
    ``127.0.0.1``) serving pages we write."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="host-site", daemon=True)
        self.thread.start()

    def page(self, path: str, snippet: str, *, before: str = "", after: str = "", lang: str = "en") -> str:
        self.pages[path] = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme Shop</title></head>'
            "<body><h1>Acme Shop</h1><p>Hand-made lamps.</p>"
            "<script>window.__events = []; ['chatwoot:ready','chatwoot:on-message','chatwoot:error',"
            "'chatwoot:opened','chatwoot:closed','chatwoot:on-start-conversation'].forEach(function (name) {"
            "window.addEventListener(name, function (e) { window.__events.push({name: name, detail: e.detail}); });"
            "});</script>"
            f"{before}{snippet}{after}</body></html>"
        )
        return f"http://localhost:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[HostSite]:
    host = HostSite()
    try:
        yield host
    finally:
        host.close()


@pytest.fixture
def owner(widget_server: RunningServer) -> tuple[Admin, str]:
    email = f"{unique('owner')}@example.com"
    return make_admin(widget_server, account_name="Acme", email=email), email


@pytest.fixture
def contexts(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``new(**options)`` opens a browser context and a page in it; page errors fail the test."""
    opened: list[tuple[Any, Any]] = []
    errors: list[str] = []

    def new(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 860})
        context = browser.new_context(**options)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        opened.append((context, page))
        return page

    try:
        yield new
    finally:
        for index, (context, page) in enumerate(opened):
            shot(page, f"{request.node.name}-end-{index}")
            context.close()
    assert errors == [], errors


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{database_kind()}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


# -- helpers ----------------------------------------------------------------------------------------------


def frame(page: Any) -> Any:
    return page.frame_locator("#chatwoot_live_chat_widget")


def wait_ready(page: Any) -> None:
    page.wait_for_function("window.$chatwoot && window.$chatwoot.hasLoaded === true")


def open_widget(page: Any) -> Any:
    wait_ready(page)
    page.locator(".woot-widget-bubble").click()
    page.locator("#cw-widget-holder:not(.woot--hide)").wait_for()
    return frame(page)


def events(page: Any, name: str) -> list[Any]:
    found: list[Any] = page.evaluate(f"window.__events.filter(e => e.name === {name!r}).map(e => e.detail ?? null)")
    return found


def sign_in(page: Any, server: RunningServer, email: str) -> None:
    page.goto(server.base_url + "/app/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app/conversations**")
    page.locator(".live-dot.connected").wait_for(state="attached")


def conversations_of(admin: Admin, inbox_id: int) -> list[dict[str, Any]]:
    response = admin.api.get(admin.path("/conversations"), params={"inbox_id": inbox_id, "status": "all"})
    assert response.status_code == 200, response.text
    payload: list[dict[str, Any]] = response.json()["data"]["payload"]
    return payload


def wait_until(check: Any, timeout: float = 10.0, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


def website(admin: Admin, **channel: Any) -> WidgetInbox:
    return make_widget_inbox(
        admin,
        name="Acme website",
        widget_color="#0b7a5a",
        welcome_title="Hi there!",
        welcome_tagline="We make lamps and answer questions.",
        **channel,
    )


# -- tests ---------------------------------------------------------------------------------------------


def test_visitor_chats_with_an_agent_live_and_keeps_the_conversation_across_reloads(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, email = owner
    inbox = website(admin, pre_chat_form_enabled=True, pre_chat_form_options=PRE_CHAT)
    snippet = inbox.payload["web_widget_script"]
    assert "/packs/js/sdk.js" in snippet
    url = site.page("/shop", snippet)

    visitor = contexts()
    visitor.goto(url)
    # The SDK never blocks the page: it is loaded async, the bubble comes, the iframe follows when idle.
    bubble = visitor.locator(".woot-widget-bubble")
    bubble.wait_for()
    assert bubble.get_attribute("aria-expanded") == "false"
    wait_ready(visitor)
    assert len(events(visitor, "chatwoot:ready")) == 1
    assert visitor.locator("#cw-widget-holder #chatwoot_live_chat_widget").count() == 1
    assert "cw_conversation" in {c["name"] for c in visitor.context.cookies(url)}
    shot(visitor, "closed-bubble")

    widget = open_widget(visitor)
    assert bubble.get_attribute("aria-expanded") == "true"
    widget.get_by_role("heading", name="Hi there!").wait_for()
    widget.get_by_text("We make lamps and answer questions.").wait_for()
    shot(visitor, "home")
    widget.get_by_role("button", name="Start conversation").click()

    # The pre-chat form checks its fields before sending, and says what is wrong.
    widget.get_by_text("Tell us who you are").wait_for()
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_role("alert").filter(has_text="Please fix the highlighted fields.").wait_for()
    email_box = widget.get_by_label("Email")
    assert email_box.get_attribute("aria-invalid") == "true"
    assert email_box.evaluate("el => el === document.activeElement")
    widget.get_by_text("Email is required").wait_for()
    email_box.fill("ada@example")
    widget.get_by_label("Full name").fill("Ada Lovelace")
    widget.get_by_label("Message").fill("Do you ship lamps to Lisbon?")
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_text("Enter a valid email address").wait_for()
    shot(visitor, "prechat-errors")
    email_box.fill("ada@example.com")
    widget.get_by_role("button", name="Start conversation").click()

    widget.locator(".message.mine", has_text="Do you ship lamps to Lisbon?").wait_for()
    conversation = wait_until(lambda: conversations_of(admin, inbox.id), message="the conversation")[0]
    assert conversation["meta"]["sender"]["email"] == "ada@example.com"
    assert conversation["meta"]["sender"]["name"] == "Ada Lovelace"
    wait_until(lambda: events(visitor, "chatwoot:on-start-conversation"), message="on-start-conversation")
    visitor.evaluate("window.__noReload = true")

    # The agent's dashboard shows it, and their typing and reply reach the visitor live.
    agent = contexts()
    sign_in(agent, widget_server, email)
    row = agent.locator(f'[data-conversation-id="{conversation["id"]}"]')
    row.wait_for()
    row.click()
    agent.locator(".message", has_text="Do you ship lamps to Lisbon?").wait_for()
    box = agent.get_by_label("Reply", exact=True)
    box.type("Yes we do")
    widget.locator(".typing").wait_for(timeout=5000)
    shot(visitor, "agent-typing")
    box.type(", in 3 days.")
    box.press("Enter")
    reply = widget.locator(".message.theirs", has_text="Yes we do, in 3 days.")
    reply.wait_for(timeout=5000)
    widget.locator(".typing").wait_for(state="detached", timeout=5000)
    assert visitor.evaluate("window.__noReload") is True
    wait_until(
        lambda: any(d and d.get("content") == "Yes we do, in 3 days." for d in events(visitor, "chatwoot:on-message")),
        message="chatwoot:on-message",
    )
    shot(visitor, "agent-reply")

    # The visitor answers from the reply box; the agent sees it without reload.
    reply_box = widget.get_by_label("Type your message…")
    reply_box.fill("Great, thanks!")
    reply_box.press("Enter")
    agent.locator(".message", has_text="Great, thanks!").wait_for(timeout=5000)

    # Closed, the bubble counts what the agent says next.
    visitor.keyboard.press("Escape")
    visitor.locator("#cw-widget-holder.woot--hide").wait_for(state="attached")
    box.type("You are welcome.")
    box.press("Enter")
    badge = visitor.locator(".woot--notification")
    badge.wait_for(timeout=5000)
    assert badge.inner_text() == "1"
    shot(visitor, "unread-badge")

    # A reload (or another page of the site) finds the same conversation.
    visitor.reload()
    widget = open_widget(visitor)
    widget.locator(".message.theirs", has_text="Yes we do, in 3 days.").wait_for()
    widget.locator(".message.mine", has_text="Do you ship lamps to Lisbon?").wait_for()
    other = site.page("/shop/lamps", snippet)
    visitor.goto(other)
    widget = open_widget(visitor)
    widget.locator(".message.theirs", has_text="You are welcome.").wait_for()
    assert len(conversations_of(admin, inbox.id)) == 1
    shot(visitor, "after-reload")


def test_set_user_links_the_contact_when_the_hash_is_valid_and_is_refused_when_not(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, _ = owner
    inbox = website(admin)
    response = admin.api.patch(admin.path(f"/inboxes/{inbox.id}"), json={"channel": {"hmac_mandatory": True}})
    assert response.status_code == 200, response.text
    assert response.json()["hmac_mandatory"] is True
    snippet = inbox.payload["web_widget_script"]
    good = hmac.new(inbox.hmac_token.encode(), b"customer-42", hashlib.sha256).hexdigest()

    def page_with(identifier: str, identifier_hash: str, name: str) -> str:
        return site.page(
            f"/account-{identifier}",
            snippet,
            after=(
                "<script>window.addEventListener('chatwoot:ready', function () {"
                f"  window.$chatwoot.setUser({identifier!r}, {{name: {name!r}, email: {identifier + '@example.com'!r},"
                f"  identifier_hash: {identifier_hash!r}}});"
                "});</script>"
            ),
        )

    visitor = contexts()
    visitor.goto(page_with("customer-42", good, "Grace Hopper"))
    wait_ready(visitor)
    contact = wait_until(
        lambda: [
            c
            for c in admin.api.get(admin.path("/contacts/search"), params={"q": "customer-42"}).json()["payload"]
            if c.get("identifier") == "customer-42"
        ],
        message="the identified contact",
    )[0]
    assert contact["name"] == "Grace Hopper"
    assert events(visitor, "chatwoot:error") == []
    # The widget's own visitor is that contact: what they write lands on it.
    widget = open_widget(visitor)
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_label("Type your message…").fill("Signed in and asking")
    widget.get_by_label("Type your message…").press("Enter")
    widget.locator(".message.mine:not(.pending)", has_text="Signed in and asking").wait_for()
    conversation = wait_until(lambda: conversations_of(admin, inbox.id), message="the conversation")[0]
    assert conversation["meta"]["sender"]["id"] == contact["id"]

    # A wrong hash is refused: chatwoot:error on the page, no contact with that identifier.
    stranger = contexts()
    stranger.goto(page_with("customer-43", "0" * 64, "Mallory"))
    wait_ready(stranger)
    errors = wait_until(lambda: events(stranger, "chatwoot:error"), message="chatwoot:error")
    assert "HMAC" in str(errors[0])
    found = admin.api.get(admin.path("/contacts/search"), params={"q": "customer-43"}).json()["payload"]
    assert [c for c in found if c.get("identifier") == "customer-43"] == []
    # A refused setUser is not remembered as done: its cookie is cleared, so the next load tries again.
    names = {c["name"] for c in stranger.context.cookies()}
    assert f"cw_user_{inbox.website_token}" not in names


def test_phone_sized_screen_gets_a_full_screen_widget_with_its_own_close_button(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, _ = owner
    inbox = website(admin)
    url = site.page("/m", inbox.payload["web_widget_script"])
    phone = contexts(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone.goto(url)
    widget = open_widget(phone)
    widget.get_by_role("heading", name="Hi there!").wait_for()
    # The whole screen, once the opening animation is over.
    phone.wait_for_function(
        "(() => { const r = document.querySelector('#cw-widget-holder').getBoundingClientRect();"
        " return r.x === 0 && r.y === 0 && r.width === 390 && Math.round(r.height) === 844; })()"
    )
    assert not phone.locator(".woot-widget-bubble").is_visible()
    shot(phone, "phone-home")
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_label("Type your message…").fill("Hello from my phone")
    widget.get_by_role("button", name="Send message").click()
    widget.locator(".message.mine:not(.pending)", has_text="Hello from my phone").wait_for()
    shot(phone, "phone-chat")
    widget.get_by_role("button", name="Close chat").click()
    phone.locator("#cw-widget-holder.woot--hide").wait_for(state="attached")
    phone.locator(".woot-widget-bubble").wait_for()
    assert [name for name in ("chatwoot:opened", "chatwoot:closed") if events(phone, name)] == [
        "chatwoot:opened",
        "chatwoot:closed",
    ]


def test_settings_choose_language_position_and_dark_mode(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, _ = owner
    inbox = website(admin)
    settings = (
        "<script>window.chatwootSettings = {locale: 'de', position: 'left', darkMode: 'dark', "
        "type: 'expanded_bubble', launcherTitle: 'Fragen?'};</script>"
    )
    url = site.page("/de", inbox.payload["web_widget_script"], before=settings, lang="de")
    visitor = contexts()
    visitor.goto(url)
    wait_ready(visitor)
    bubble = visitor.locator(".woot-widget-bubble")
    assert bubble.inner_text().strip() == "Fragen?"
    assert bubble.bounding_box()["x"] < 100
    widget = open_widget(visitor)
    widget.get_by_role("button", name="Unterhaltung beginnen").wait_for()
    assert widget.locator("html").get_attribute("lang") == "de"
    assert "dark" in (widget.locator("html").get_attribute("class") or "")
    shot(visitor, "german-dark")
    # setLocale switches the language live.
    visitor.evaluate("window.$chatwoot.setLocale('fr')")
    widget.get_by_role("button", name="Démarrer la conversation").wait_for()
    visitor.evaluate("window.$chatwoot.setColorScheme('light')")
    widget.locator("html:not(.dark)").wait_for(state="attached")


def test_out_of_working_hours_the_visitor_is_told_and_gets_the_out_of_office_reply(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, _ = owner
    inbox = website(admin)
    # Closed today (in UTC) all day, open the other days: "we will be back" names a later day.
    today = (time.gmtime().tm_wday + 1) % 7  # Python's Monday = 0; Chatwoot's Sunday = 0
    week = [
        {
            "day_of_week": day,
            "closed_all_day": day == today,
            "open_all_day": False,
            "open_hour": None if day == today else 9,
            "open_minutes": None if day == today else 0,
            "close_hour": None if day == today else 17,
            "close_minutes": None if day == today else 0,
        }
        for day in range(7)
    ]
    response = admin.api.patch(
        admin.path(f"/inboxes/{inbox.id}"),
        json={
            "working_hours_enabled": True,
            "out_of_office_message": "We are closed today, we will answer tomorrow.",
            "timezone": "UTC",
            "working_hours": week,
        },
    )
    assert response.status_code == 200, response.text
    # What the widget will be told (working hours are stored by `whours`; until then the default week).
    config = httpx.post(
        widget_server.base_url + "/api/v1/widget/config", params={"website_token": inbox.website_token}
    ).json()["website_channel_config"]
    told = {d["day_of_week"]: d for d in config["working_hours"]}
    if not (config["working_hours_enabled"] and told.get(today, {}).get("closed_all_day")):
        pytest.skip("the widget is not given the stored working hours yet (whours)")
    url = site.page("/closed", inbox.payload["web_widget_script"])
    visitor = contexts()
    visitor.goto(url)
    widget = open_widget(visitor)
    widget.get_by_text("We will be back online").first.wait_for()
    widget.get_by_text("We are closed today, we will answer tomorrow.").wait_for()
    shot(visitor, "out-of-office-home")
    if importlib.util.find_spec("frontdesk.message_templates.listeners") is None:
        pytest.skip("the out-of-office reply is not sent by this backend yet (whours)")
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_label("Type your message…").fill("Anyone there?")
    widget.get_by_label("Type your message…").press("Enter")
    widget.locator(".message.mine:not(.pending)", has_text="Anyone there?").wait_for()
    widget.locator(".message.theirs", has_text="We are closed today, we will answer tomorrow.").wait_for(timeout=8000)
    shot(visitor, "out-of-office")


def test_visitor_sends_a_file_answers_the_email_question_and_rates_the_conversation(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any, tmp_path: Path
) -> None:
    admin, _ = owner
    inbox = website(admin)
    visitor = contexts()
    visitor.goto(site.page("/help", inbox.payload["web_widget_script"]))
    widget = open_widget(visitor)
    widget.get_by_role("button", name="Start conversation").click()

    # A picture goes with the text as one multipart message (message[attachments][]).
    picture = tmp_path / "lamp.png"
    picture.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
            "0000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
        )
    )
    widget.locator("#reply-file").set_input_files(str(picture))
    widget.get_by_role("button", name="Remove lamp.png").wait_for()
    widget.get_by_label("Type your message…").fill("This one is broken")
    widget.get_by_role("button", name="Send message").click()
    sent = widget.locator(".message.mine:not(.pending)", has_text="This one is broken")
    sent.wait_for()
    sent.locator(".attachments img").wait_for()
    conversation = wait_until(lambda: conversations_of(admin, inbox.id), message="the conversation")[0]
    messages_path = admin.path(f"/conversations/{conversation['id']}/messages")
    stored = [m for m in admin.api.get(messages_path).json()["payload"] if m["content"] == "This one is broken"]
    assert stored and stored[0]["attachments"][0]["file_type"] == "image"

    # The email question (input_email) is answered in place.
    ask = admin.api.post(
        messages_path,
        json={"content": "Where can we reach you?", "content_type": "input_email", "message_type": "template"},
    )
    assert ask.status_code == 200, ask.text
    question = widget.locator(f'[data-message-id="{ask.json()["id"]}"]')
    question.get_by_placeholder("Your email address").fill("not-an-email")
    question.get_by_role("button", name="Submit").click()
    question.get_by_role("alert").filter(has_text="Enter a valid email address").wait_for()
    question.get_by_placeholder("Your email address").fill("lin@example.com")
    question.get_by_role("button", name="Submit").click()
    question.get_by_text("We will reach you at lin@example.com").wait_for()
    contact_id = conversation["meta"]["sender"]["id"]
    wait_until(
        lambda: admin.api.get(admin.path(f"/contacts/{contact_id}")).json()["payload"]["email"] == "lin@example.com",
        message="the contact's email",
    )

    # The CSAT question: a rating (radio buttons) and an optional comment.
    survey = admin.api.post(
        messages_path,
        json={"content": "Please rate the conversation", "content_type": "input_csat", "message_type": "template"},
    )
    assert survey.status_code == 200, survey.text
    card = widget.locator(f'[data-message-id="{survey.json()["id"]}"]')
    card.get_by_role("radiogroup", name="How would you rate your conversation?").wait_for()
    card.locator("label", has_text="5 of 5: Great").click()
    assert card.get_by_label("5 of 5: Great").is_checked()
    card.get_by_placeholder("Tell us more (optional)").fill("Quick and kind")
    shot(visitor, "csat")
    card.get_by_role("button", name="Submit").click()
    card.get_by_text("Thank you for your feedback!").wait_for()

    def rated() -> Any:
        found = [m for m in admin.api.get(messages_path).json()["payload"] if m["id"] == survey.json()["id"]]
        values = found[0]["content_attributes"].get("submitted_values") if found else None
        return values

    values = wait_until(rated, message="the CSAT answer")
    assert values["csat_survey_response"] == {"rating": 5, "feedback_message": "Quick and kind"}
    shot(visitor, "csat-done")


def test_the_sdk_api_reaches_the_conversation_and_reset_starts_a_new_visitor(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, _ = owner
    inbox = website(admin)
    created = admin.api.post(admin.path("/labels"), json={"title": "vip", "description": "", "color": "#ff0000"})
    assert created.status_code == 200, created.text
    visitor = contexts()
    visitor.goto(site.page("/api", inbox.payload["web_widget_script"]))
    wait_ready(visitor)

    # Before any conversation: the conversation attributes wait for the first message.
    visitor.evaluate("window.$chatwoot.setCustomAttributes({plan: 'pro', seats: 12})")
    visitor.evaluate("window.$chatwoot.setConversationCustomAttributes({cart_value: 99})")
    with pytest.raises(Exception, match="non-empty object"):
        visitor.evaluate("window.$chatwoot.setCustomAttributes({})")
    visitor.evaluate("window.$chatwoot.toggle('open')")
    widget = frame(visitor)
    assert events(visitor, "chatwoot:opened") == [None]
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_label("Type your message…").fill("Hello from the API test")
    widget.get_by_label("Type your message…").press("Enter")
    widget.locator(".message.mine:not(.pending)", has_text="Hello from the API test").wait_for()
    conversation = wait_until(lambda: conversations_of(admin, inbox.id), message="the conversation")[0]
    assert conversation["custom_attributes"] == {"cart_value": 99}
    contact_id = conversation["meta"]["sender"]["id"]
    contact = admin.api.get(admin.path(f"/contacts/{contact_id}")).json()["payload"]
    assert contact["custom_attributes"] == {"plan": "pro", "seats": 12}

    visitor.evaluate("window.$chatwoot.setLabel('vip')")
    path = admin.path(f"/conversations/{conversation['id']}/labels")
    wait_until(lambda: admin.api.get(path).json()["payload"] == ["vip"], message="the label")
    visitor.evaluate("window.$chatwoot.removeLabel('vip')")
    wait_until(lambda: admin.api.get(path).json()["payload"] == [], message="the label removed")
    visitor.evaluate("window.$chatwoot.deleteCustomAttribute('seats')")
    wait_until(
        lambda: (
            admin.api.get(admin.path(f"/contacts/{contact_id}")).json()["payload"]["custom_attributes"]
            == {"plan": "pro"}
        ),
        message="the attribute removed",
    )

    # The bubble can be hidden and shown again by the site.
    visitor.evaluate("window.$chatwoot.toggle('close')")
    visitor.evaluate("window.$chatwoot.toggleBubbleVisibility('hide')")
    assert not visitor.locator(".woot-widget-bubble").is_visible()
    visitor.evaluate("window.$chatwoot.toggleBubbleVisibility('show')")
    visitor.locator(".woot-widget-bubble").wait_for()

    # reset(): a signed-out visitor starts over as a new, anonymous contact.
    old_cookie = {c["name"]: c["value"] for c in visitor.context.cookies()}["cw_conversation"]
    visitor.evaluate("window.$chatwoot.reset()")
    src = visitor.locator("#chatwoot_live_chat_widget").get_attribute("src")
    assert "cw_conversation" not in src

    def token_cookie() -> str | None:
        return {c["name"]: c["value"] for c in visitor.context.cookies()}.get("cw_conversation")

    wait_until(lambda: token_cookie() not in (None, old_cookie), message="a new widget token")
    widget = open_widget(visitor)
    widget.get_by_role("button", name="Start conversation").wait_for()
    assert widget.locator(".message").count() == 0
    assert len(events(visitor, "chatwoot:ready")) == 1  # reset() does not announce a second ready


def test_after_a_dropped_connection_the_widget_fetches_what_it_missed(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, _ = owner
    inbox = website(admin)
    visitor = contexts()
    visitor.goto(site.page("/drop", inbox.payload["web_widget_script"]))
    widget = open_widget(visitor)
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_label("Type your message…").fill("Still there?")
    widget.get_by_label("Type your message…").press("Enter")
    widget.locator(".message.mine:not(.pending)", has_text="Still there?").wait_for()
    conversation = wait_until(lambda: conversations_of(admin, inbox.id), message="the conversation")[0]
    messages_path = admin.path(f"/conversations/{conversation['id']}/messages")
    iframe = visitor.frame(url=re.compile(r"/widget\?"))
    assert iframe is not None
    iframe.evaluate("window.__widgetCable.close()")
    widget.get_by_text("Reconnecting…").wait_for()
    for text in ("Sorry for the wait", "Here is your answer"):
        reply = admin.api.post(messages_path, json={"content": text, "message_type": "outgoing"})
        assert reply.status_code == 200, reply.text
    time.sleep(0.5)
    assert widget.locator(".message.theirs", has_text="Here is your answer").count() == 0
    iframe.evaluate("window.__widgetCable.connect()")
    widget.locator(".message.theirs", has_text="Sorry for the wait").wait_for()
    widget.locator(".message.theirs", has_text="Here is your answer").wait_for()
    widget.get_by_text("Reconnecting…").wait_for(state="detached")
    # Live again afterwards.
    admin.api.post(messages_path, json={"content": "And live again", "message_type": "outgoing"})
    widget.locator(".message.theirs", has_text="And live again").wait_for(timeout=5000)
    assert widget.locator(".message.theirs").count() == 3


def test_the_visitor_ends_the_conversation_and_starts_a_new_one(
    widget_server: RunningServer, site: HostSite, owner: tuple[Admin, str], contexts: Any
) -> None:
    admin, _ = owner
    inbox = website(admin)
    response = admin.api.patch(admin.path(f"/inboxes/{inbox.id}"), json={"allow_messages_after_resolved": False})
    assert response.status_code == 200, response.text
    assert response.json()["allow_messages_after_resolved"] is False
    visitor = contexts()
    visitor.goto(site.page("/end", inbox.payload["web_widget_script"]))
    widget = open_widget(visitor)
    widget.get_by_role("button", name="Start conversation").click()
    widget.get_by_label("Type your message…").fill("Just one question")
    widget.get_by_label("Type your message…").press("Enter")
    widget.locator(".message.mine:not(.pending)", has_text="Just one question").wait_for()
    first = wait_until(lambda: conversations_of(admin, inbox.id), message="the conversation")[0]

    widget.get_by_role("button", name="End conversation").click()
    widget.get_by_role("button", name="Yes, end it").click()
    widget.get_by_text("This conversation has ended.").wait_for()
    assert widget.get_by_label("Type your message…").count() == 0
    wait_until(
        lambda: admin.api.get(admin.path(f"/conversations/{first['id']}")).json()["status"] == "resolved",
        message="the conversation resolved",
    )
    shot(visitor, "ended")

    widget.get_by_role("button", name="Start a new conversation").click()
    widget.get_by_label("Message").fill("Another question")
    widget.get_by_role("button", name="Start conversation").click()
    widget.locator(".message.mine", has_text="Another question").wait_for()
    assert widget.locator(".message.mine", has_text="Just one question").count() == 0
    conversations = wait_until(
        lambda: [c for c in conversations_of(admin, inbox.id) if c["id"] != first["id"]], message="a second one"
    )
    assert conversations[0]["status"] == "open"
