"""Attachments in the dashboard, end to end: a real server, a real Chromium, a real webhook receiver.

An agent attaches a file in the composer and sends it; the inbox's webhook carries it and its
``data_url`` serves the same bytes. An image posted through the API shows inline in the open
conversation live, opens in the large view, and is listed in the side panel's attachments.
"""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import expect

from tests.dashboard.conftest import shot
from tests.dashboard.test_dashboard_e2e import incoming, open_conversation, sign_in
from tests.fixtures.api import Admin, make_api_inbox, make_conversation
from tests.fixtures.receiver import Receiver
from tests.fixtures.server import RunningServer


def png(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def wait_for_delivery(receiver: Receiver, path: str, match: Any, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for item in receiver.received(path):
            if item.event == "message_created" and match(item.json):
                body: dict[str, Any] = item.json
                return body
        time.sleep(0.05)
    raise AssertionError([item.json for item in receiver.received()])


def test_attach_send_and_see_attachments_live(
    page: Any, dashboard_server: RunningServer, owner: tuple[Admin, str], receiver: Receiver
) -> None:
    admin, email = owner
    inbox = make_api_inbox(admin, name="Files inbox", webhook_url=receiver.url("/inbox"))
    conversation = make_conversation(admin, inbox["id"])
    incoming(admin, conversation["id"], "Here is my problem")
    errors = console_errors(page)
    sign_in(page, dashboard_server, email)
    open_conversation(page, dashboard_server, conversation["id"])
    page.locator(".message", has_text="Here is my problem").wait_for()

    # The client refuses more files than the server takes, before anything is sent.
    attach = page.get_by_test_id("attach-input")
    attach.set_input_files([{"name": f"n{i}.txt", "mimeType": "text/plain", "buffer": b"x"} for i in range(16)])
    expect(page.get_by_text("At most 15 files per message: 1 file was left out")).to_be_visible()
    chips = page.locator(".pending-file")
    expect(chips).to_have_count(15)
    for _ in range(15):
        chips.first.get_by_role("button").click()
    expect(chips).to_have_count(0)

    # A file chosen with the attach button shows as a chip with its name and size, and is sent.
    data = ("Order 1234\n" * 300).encode()
    attach.set_input_files([{"name": "order notes.txt", "mimeType": "text/plain", "buffer": data}])
    chip = page.locator('.pending-file[data-file-name="order notes.txt"]')
    expect(chip).to_contain_text("order notes.txt")
    expect(chip).to_contain_text("3.2 KB")
    page.get_by_label("Reply", exact=True).fill("The notes you asked for")
    page.get_by_role("button", name="Send").click()
    sent = page.locator(".message.right:not(.pending)", has_text="The notes you asked for")
    sent.locator("a.file-chip").wait_for()
    expect(sent.locator("a.file-chip")).to_contain_text("order notes.txt")
    expect(chips).to_have_count(0)
    assert page.get_by_label("Reply", exact=True).input_value() == ""

    body = wait_for_delivery(receiver, "/inbox", lambda b: b.get("message_type") == "outgoing" and b.get("attachments"))
    assert body["content"] == "The notes you asked for"
    assert body["private"] is False
    data_url = body["attachments"][0]["data_url"]
    assert data_url.startswith("http")
    downloaded = httpx.get(data_url, timeout=10)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == data
    # The chip in the thread links to a URL that serves the same file.
    href = sent.locator("a.file-chip").get_attribute("href")
    assert href
    assert httpx.get(href, timeout=10).content == data
    shot(page, "attachment-sent")

    # An image posted through the API (multipart) appears inline, live, and loads.
    image = png(64, 48, (200, 40, 40))
    response = admin.api.post(
        admin.path(f"/conversations/{conversation['id']}/messages"),
        data={"content": "A screenshot of the error", "message_type": "incoming"},
        files=[("attachments[]", ("error.png", image, "image/png"))],
    )
    assert response.status_code == 200, response.text
    assert response.json()["attachments"][0]["file_type"] == "image"
    shown = page.locator(".message.left", has_text="A screenshot of the error").locator("img.attachment-image")
    shown.wait_for(timeout=5000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=shown.element_handle(), timeout=5000)

    # A click opens the large view with the full image; Escape closes it, and so does a click.
    shown.click()
    large = page.get_by_test_id("lightbox").locator("img")
    large.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth === 64", arg=large.element_handle(), timeout=5000)
    shot(page, "attachment-lightbox")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("lightbox")).to_have_count(0)
    shown.click()
    page.get_by_test_id("lightbox").click(position={"x": 5, "y": 5})
    expect(page.get_by_test_id("lightbox")).to_have_count(0)

    # The side panel lists both files of the conversation, refreshed by the live message.
    panel = page.get_by_test_id("conversation-attachments")
    expect(panel.locator(".attachment-thumb img")).to_have_count(1)
    expect(panel.locator("a.file-chip")).to_contain_text("order notes.txt")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0",
        arg=panel.locator(".attachment-thumb img").element_handle(),
        timeout=5000,
    )

    # A screenshot pasted into the note box and a file dropped on the pane become chips; a private
    # note with only the image is sent and stays private.
    page.get_by_role("button", name="Private note", exact=True).click()
    page.evaluate(
        """async (bytes) => {
          const file = new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' })
          const paste = new DataTransfer()
          paste.items.add(file)
          document.querySelector('#composer-input').dispatchEvent(
            new ClipboardEvent('paste', { clipboardData: paste, bubbles: true, cancelable: true }))
          const drop = new DataTransfer()
          drop.items.add(new File(['dropped'], 'dropped.txt', { type: 'text/plain' }))
          const pane = document.querySelector('.thread-pane')
          for (const type of ['dragenter', 'dragover', 'drop'])
            pane.dispatchEvent(new DragEvent(type, { dataTransfer: drop, bubbles: true, cancelable: true }))
        }""",
        list(png(20, 20, (20, 120, 220))),
    )
    expect(chips).to_have_count(2)
    pasted = chips.filter(has_text="screenshot-")
    expect(pasted.locator("img.file-chip-preview")).to_have_count(1)
    chips.filter(has_text="dropped.txt").get_by_role("button").click()
    expect(chips).to_have_count(1)
    page.get_by_role("button", name="Add note").click()
    note = page.locator(".message.private:not(.pending) img.attachment-image")
    note.wait_for()
    messages = admin.api.get(admin.path(f"/conversations/{conversation['id']}/messages")).json()["payload"]
    notes = [m for m in messages if m["private"] and m.get("attachments")]
    assert len(notes) == 1
    assert notes[0]["attachments"][0]["file_type"] == "image"
    expect(panel.locator(".attachment-thumb img")).to_have_count(2)
    shot(page, "attachment-note")

    assert [e for e in errors if "Content Security Policy" in e] == [], errors
