"""The website inbox in the browser: created from Settings, its widget set up with a live preview,
saved and read back (through the screen after a reload, and through the API), its snippet copied."""

from __future__ import annotations

import re
from typing import Any

from tests.dashboard.conftest import shot
from tests.dashboard.test_dashboard_e2e import sign_in
from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer


def _inbox(admin: Admin, inbox_id: int) -> dict[str, Any]:
    response = admin.api.get(admin.path(f"/inboxes/{inbox_id}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _day(inbox: dict[str, Any], day: int) -> dict[str, Any]:
    found: dict[str, Any] = next(h for h in inbox["working_hours"] if h["day_of_week"] == day)
    return found


def test_admin_sets_up_a_website_inbox_with_live_preview(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    sign_in(page, dashboard_server, email)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url("**/app/settings/inboxes")

    # Create the inbox.
    page.get_by_label("Website", exact=True).check()
    page.get_by_label("Website name").fill("Acme shop")
    page.get_by_label("Website URL").fill("https://shop.example.com")
    page.get_by_label("Welcome heading").fill("Hi from Acme")
    page.get_by_label("Welcome tagline").fill("Ask us anything")
    page.get_by_role("button", name="Create website inbox").click()
    page.wait_for_url(re.compile(r".*/app/settings/inboxes/\d+$"))
    inbox_id = int(page.url.rsplit("/", 1)[1])
    created = _inbox(admin, inbox_id)
    assert created["channel_type"] == "Channel::WebWidget"
    assert created["name"] == "Acme shop"
    assert created["website_url"] == "https://shop.example.com"
    assert created["welcome_title"] == "Hi from Acme"

    preview = page.get_by_test_id("widget-preview")
    header = page.get_by_test_id("widget-preview-header")
    assert page.get_by_test_id("preview-title").inner_text() == "Hi from Acme"
    assert page.get_by_test_id("preview-tagline").inner_text() == "Ask us anything"

    # The preview follows the form before anything is saved.
    page.get_by_label("Widget color hex").fill("#e0115f")
    page.get_by_label("Welcome heading").fill("Welcome to Acme")
    page.get_by_label("Reply time").select_option("in_a_few_hours")
    page.get_by_test_id("preview-title").filter(has_text="Welcome to Acme").wait_for()
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(224, 17, 95)"
    assert page.get_by_test_id("widget-preview-bubble").evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(224, 17, 95)"
    )
    assert page.get_by_test_id("preview-reply-time").inner_text() == "Typically replies in a few hours"
    assert page.get_by_label("Widget color", exact=True).input_value() == "#e0115f"
    page.get_by_text("Unsaved changes", exact=True).wait_for()
    assert _inbox(admin, inbox_id)["welcome_title"] == "Hi from Acme"  # nothing saved yet

    # Features: the emoji picker off, and the preview's composer loses it.
    assert preview.get_by_test_id("preview-emoji").count() == 1
    page.get_by_label("Emoji picker").uncheck()
    assert preview.get_by_test_id("preview-emoji").count() == 0
    page.get_by_label("Greet new conversations").check()
    page.get_by_label("Greeting message").fill("Hello! We answer within the hour.")
    page.get_by_label("CSAT survey when a conversation is resolved").check()

    # The pre-chat form, shown in the preview as it is edited.
    page.get_by_label("Ask for details before a conversation starts").check()
    page.get_by_label("Pre-chat message").fill("Tell us who you are")
    page.get_by_label("Full name: show").check()
    page.get_by_label("Full name: required").check()
    page.get_by_label("Full name: placeholder").fill("Jane Doe")
    page.get_by_label("Email address: show").check()
    page.get_by_label("Email address: label").fill("Work email")
    assert page.get_by_test_id("preview-prechat-message").inner_text() == "Tell us who you are"
    fields = page.get_by_test_id("preview-field")
    assert fields.count() == 2
    assert "Work email *" in fields.nth(0).inner_text()
    assert "Jane Doe" in fields.nth(1).inner_text()

    # Business hours: a week that cannot be saved is refused in the screen, then fixed.
    page.get_by_label("Enable business hours").check()
    page.get_by_label("Timezone").select_option("Europe/Berlin")
    page.get_by_label("Out-of-office message").fill("We are closed; back tomorrow.")
    page.get_by_label("Monday opens", exact=True).fill("08:30")
    page.get_by_label("Monday closes", exact=True).fill("18:00")
    page.get_by_label("Sunday hours", exact=True).select_option("all_day")
    page.get_by_label("Friday hours", exact=True).select_option("closed")
    page.get_by_label("Wednesday closes", exact=True).fill("07:00")
    problems = page.get_by_test_id("form-problems")
    problems.get_by_text("Wednesday: the closing time must be after the opening time").wait_for()
    save = page.get_by_role("button", name="Save changes")
    assert save.is_disabled()
    page.get_by_label("Wednesday closes", exact=True).fill("16:00")
    assert page.get_by_test_id("form-problems").count() == 0

    # Identity validation and allowed domains.
    page.get_by_label("Enforce identity validation").check()
    page.get_by_label("Sites that may embed the widget").fill("shop.example.com, *.acme.test")

    shot(page, "website-inbox-unsaved")
    save.click()
    page.get_by_role("status").filter(has_text="Settings saved.").wait_for()

    saved = _inbox(admin, inbox_id)
    assert saved["widget_color"] == "#e0115f"
    assert saved["welcome_title"] == "Welcome to Acme"
    assert saved["welcome_tagline"] == "Ask us anything"
    assert saved["reply_time"] == "in_a_few_hours"
    assert saved["selected_feature_flags"] == ["attachments", "end_conversation"]
    assert saved["greeting_enabled"] is True
    assert saved["greeting_message"] == "Hello! We answer within the hour."
    assert saved["csat_survey_enabled"] is True
    assert saved["hmac_mandatory"] is True
    assert saved["allowed_domains"] == "shop.example.com,*.acme.test"
    assert saved["pre_chat_form_enabled"] is True
    options = saved["pre_chat_form_options"]
    assert options["pre_chat_message"] == "Tell us who you are"
    by_name = {f["name"]: f for f in options["pre_chat_fields"]}
    assert by_name["fullName"]["enabled"] is True
    assert by_name["fullName"]["required"] is True
    assert by_name["fullName"]["placeholder"] == "Jane Doe"
    assert by_name["emailAddress"]["label"] == "Work email"
    assert by_name["emailAddress"]["enabled"] is True
    assert by_name["phoneNumber"]["enabled"] is False
    assert saved["working_hours_enabled"] is True
    assert saved["timezone"] == "Europe/Berlin"
    assert saved["out_of_office_message"] == "We are closed; back tomorrow."
    assert _day(saved, 1) == {
        "day_of_week": 1,
        "closed_all_day": False,
        "open_hour": 8,
        "open_minutes": 30,
        "close_hour": 18,
        "close_minutes": 0,
        "open_all_day": False,
    }
    assert _day(saved, 0)["open_all_day"] is True
    assert _day(saved, 5)["closed_all_day"] is True
    assert (_day(saved, 3)["close_hour"], _day(saved, 3)["close_minutes"]) == (16, 0)
    assert _day(saved, 6)["closed_all_day"] is True

    # A reload shows what was stored.
    page.reload()
    page.get_by_label("Widget color hex").wait_for()
    assert page.get_by_label("Widget color hex").input_value() == "#e0115f"
    assert page.get_by_label("Welcome heading").input_value() == "Welcome to Acme"
    assert page.get_by_label("Reply time").input_value() == "in_a_few_hours"
    assert page.get_by_test_id("preview-title").inner_text() == "Welcome to Acme"
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(224, 17, 95)"
    assert page.get_by_label("Emoji picker").is_checked() is False
    assert page.get_by_label("Attachments").is_checked() is True
    assert page.get_by_label("Full name: placeholder").input_value() == "Jane Doe"
    assert page.get_by_label("Full name: required").is_checked()
    assert page.get_by_label("Timezone").input_value() == "Europe/Berlin"
    assert page.get_by_label("Monday opens", exact=True).input_value() == "08:30"
    assert page.get_by_label("Sunday hours", exact=True).input_value() == "all_day"
    assert page.get_by_label("Friday hours", exact=True).input_value() == "closed"
    assert page.get_by_label("Enforce identity validation").is_checked()
    assert page.get_by_label("Sites that may embed the widget").input_value() == "shop.example.com, *.acme.test"
    assert page.get_by_text("Unsaved changes", exact=True).count() == 0

    # The HMAC token and the embed snippet, copied to the clipboard.
    assert page.get_by_label("HMAC token", exact=True).input_value() == saved["hmac_token"]
    snippet = page.get_by_test_id("widget-snippet").inner_text()
    assert saved["website_token"] in snippet
    assert "/packs/js/sdk.js" in snippet
    assert f'"{dashboard_server.base_url}"' in snippet
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dashboard_server.base_url)
    page.get_by_role("button", name="Copy the snippet").click()
    page.get_by_role("status").filter(has_text="Copied to the clipboard.").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == saved["web_widget_script"]
    page.get_by_role("button", name="Copy the HMAC token").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == saved["hmac_token"]
    shot(page, "website-inbox-settings")


def test_snippet_copy_falls_back_without_the_clipboard_api(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str]
) -> None:
    admin, email = owner
    created = admin.api.post(
        admin.path("/inboxes"),
        json={"name": "Docs site", "channel": {"type": "web_widget", "website_url": "https://docs.example.com"}},
    )
    assert created.status_code == 200, created.text
    inbox = created.json()
    # The page's Clipboard API refuses (as on an insecure origin or a denied permission); the textarea way
    # is used, and the copied text is what execCommand("copy") saw selected.
    page.add_init_script(
        """
        const refusing = { writeText: () => Promise.reject(new Error('denied')) };
        Object.defineProperty(navigator, 'clipboard', { value: refusing });
        window.__copied = [];
        document.execCommand = (command) => {
          window.__copied.push([command, document.activeElement && document.activeElement.value]);
          return true;
        };
        """
    )
    sign_in(page, dashboard_server, email)
    page.goto(f"{dashboard_server.base_url}/app/settings/inboxes/{inbox['id']}")
    page.get_by_role("button", name="Copy the snippet").click()
    page.get_by_role("status").filter(has_text="Copied to the clipboard.").wait_for()
    assert page.evaluate("() => window.__copied") == [["copy", inbox["web_widget_script"]]]
