"""``GET /widget`` (the iframe's page) and the built files at Chatwoot's paths (plan contracts 1 and 2)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.widget.static_files import PACKAGE_STATIC_DIR, widget_entry
from tests.fixtures.api import Admin, make_admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase, serve
from tests.widget.conftest import FAKE_CSS, FAKE_ENTRY, FAKE_SDK, make_widget_inbox, write_fake_build

GLOBALS = re.compile(r"window\.(\w+) = (.*?);\n", re.S)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_build(tmp_path_factory.mktemp("widget-build"))


@pytest.fixture(scope="module")
def page_server(test_database: ThrowawayDatabase, built: Path) -> Iterator[RunningServer]:
    yield from serve(test_database, widget_static_dir=built)


@pytest.fixture
def owner(page_server: RunningServer) -> Admin:
    return make_admin(page_server)


def page_globals(text: str) -> dict[str, Any]:
    return {name: json.loads(value) for name, value in GLOBALS.findall(text)}


def open_page(server: RunningServer, **params: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/widget", params=params, timeout=30)


def test_the_page_boots_the_widget_for_a_new_visitor(page_server: RunningServer, owner: Admin) -> None:
    inbox = make_widget_inbox(owner, welcome_title="Hi there", welcome_tagline="We reply </script> fast")
    page = open_page(page_server, website_token=inbox.website_token)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert text.startswith('<!doctype html><html lang="en"><head>')
    assert '<meta name="viewport"' in text
    assert f'<link rel="stylesheet" href="/packs/widget/{FAKE_CSS}">' in text
    assert '<link rel="stylesheet" href="/packs/widget/assets/shared-1.css">' in text
    assert f'<script type="module" src="/packs/widget/{FAKE_ENTRY}"></script>' in text
    assert '<div id="app"' in text
    # The tagline's "</script>" cannot close the inline script.
    assert text.count("</script>") == 2
    found = page_globals(text)
    channel = found["chatwootWebChannel"]
    assert channel["websiteToken"] == inbox.website_token
    assert channel["welcomeTitle"] == "Hi there"
    assert channel["welcomeTagline"] == "We reply </script> fast"
    assert channel["widgetColor"] == "#1f93ff"
    assert channel["enabledFeatures"] == ["attachments", "emoji_picker", "end_conversation"]
    assert {"name": "English (en)", "iso_639_1_code": "en"} in channel["enabledLanguages"]
    assert {language["iso_639_1_code"] for language in channel["enabledLanguages"]} >= {"en", "es", "pt", "fr", "de"}
    assert channel["replyTime"] == "in_a_few_minutes"
    assert channel["preChatFormEnabled"] is False
    assert [field["name"] for field in channel["preChatFormOptions"]["pre_chat_fields"]] == [
        "emailAddress",
        "fullName",
        "phoneNumber",
    ]
    assert len(channel["workingHours"]) == 7
    assert channel["workingHours"][1] == {
        "day_of_week": 1,
        "closed_all_day": False,
        "open_hour": 9,
        "open_minutes": 0,
        "close_hour": 17,
        "close_minutes": 0,
        "open_all_day": False,
    }
    assert channel["utcOffset"] == "+00:00" and channel["timezone"] == "UTC"
    assert channel["portal"] is None and channel["hasAConnectedAgentBot"] == "" and channel["disableBranding"] is False
    assert found["globalConfig"]["BRAND_NAME"] == "Frontdesk"
    assert found["globalConfig"]["DIRECT_UPLOADS_ENABLED"] is True
    assert found["globalConfig"]["MAXIMUM_FILE_UPLOAD_SIZE"] == 40
    token = found["authToken"]
    pubsub = found["chatwootPubsubToken"]
    # The token is the visitor's: the API knows it, and the pubsub token is its contact inbox's.
    contact = httpx.get(
        f"{page_server.base_url}/api/v1/widget/contact",
        params={"website_token": inbox.website_token},
        headers={"X-Auth-Token": token},
    )
    assert contact.status_code == 200, contact.text
    config = httpx.post(
        f"{page_server.base_url}/api/v1/widget/config",
        params={"website_token": inbox.website_token},
        headers={"X-Auth-Token": token},
    ).json()
    assert config["contact"]["pubsub_token"] == pubsub
    assert config["contact"]["id"] == contact.json()["id"]


def test_the_page_keeps_the_visitor_of_a_valid_cw_conversation(page_server: RunningServer, owner: Admin) -> None:
    inbox = make_widget_inbox(owner)
    first = page_globals(open_page(page_server, website_token=inbox.website_token).text)
    again = page_globals(
        open_page(page_server, website_token=inbox.website_token, cw_conversation=first["authToken"], locale="fr").text
    )
    assert again["authToken"] == first["authToken"]
    assert again["chatwootPubsubToken"] == first["chatwootPubsubToken"]
    # A token of another inbox, or a forged one, is a new visitor.
    other = make_widget_inbox(owner, name="Other site")
    foreign = page_globals(
        open_page(page_server, website_token=other.website_token, cw_conversation=first["authToken"]).text
    )
    assert foreign["chatwootPubsubToken"] != first["chatwootPubsubToken"]
    assert foreign["authToken"] != first["authToken"]
    forged = first["authToken"][:-4] + "AAAA"
    fresh = page_globals(open_page(page_server, website_token=inbox.website_token, cw_conversation=forged).text)
    assert fresh["chatwootPubsubToken"] != first["chatwootPubsubToken"]


def test_the_page_language_follows_the_locale_asked_for(page_server: RunningServer, owner: Admin) -> None:
    inbox = make_widget_inbox(owner)
    assert '<html lang="pt-BR">' in open_page(page_server, website_token=inbox.website_token, locale="pt_BR").text
    assert '<html lang="en">' in open_page(page_server, website_token=inbox.website_token, locale="xx").text


def test_frame_ancestors_follow_allowed_domains_and_no_x_frame_options(
    page_server: RunningServer, owner: Admin
) -> None:
    open_inbox = make_widget_inbox(owner)
    page = open_page(page_server, website_token=open_inbox.website_token)
    csp = page.headers["content-security-policy"]
    assert csp.endswith("frame-ancestors *")
    assert "connect-src 'self' ws: wss:" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in page.text
    assert "x-frame-options" not in page.headers
    limited = make_widget_inbox(owner, name="Limited", allowed_domains="https://shop.example, *.shop.example")
    page = open_page(page_server, website_token=limited.website_token)
    assert page.headers["content-security-policy"].endswith("frame-ancestors https://shop.example *.shop.example")
    assert "x-frame-options" not in page.headers


def test_unknown_website_token_is_404_json(page_server: RunningServer, owner: Admin) -> None:
    for params in ({"website_token": "nope"}, {}):
        page = open_page(page_server, **params)
        assert page.status_code == 404
        assert page.json() == {"error": "web widget does not exist"}


def test_a_suspended_account_is_401(page_server: RunningServer, owner: Admin, test_database: ThrowawayDatabase) -> None:
    inbox = make_widget_inbox(owner)
    with test_database.sync_engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE accounts SET status = 1 WHERE id = {owner.account_id}")
    test_database.changed()
    page = open_page(page_server, website_token=inbox.website_token)
    assert page.status_code == 401
    assert page.json() == {"error": "Account is suspended"}
    config = httpx.post(f"{page_server.base_url}/api/v1/widget/config", params={"website_token": inbox.website_token})
    assert config.status_code == 401
    assert config.json() == {"error": "Account is suspended"}


def test_sdk_and_assets_are_served_at_chatwoots_paths(page_server: RunningServer) -> None:
    sdk = httpx.get(f"{page_server.base_url}/packs/js/sdk.js")
    assert sdk.status_code == 200
    assert sdk.content == FAKE_SDK
    assert sdk.headers["content-type"].startswith("text/javascript")
    assert sdk.headers["cache-control"] == "public, max-age=300"
    assert sdk.headers["access-control-allow-origin"] == "*"
    assert "x-frame-options" not in sdk.headers
    asset = httpx.get(f"{page_server.base_url}/packs/widget/{FAKE_ENTRY}")
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith("text/javascript")
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    css = httpx.get(f"{page_server.base_url}/packs/widget/{FAKE_CSS}")
    assert css.headers["content-type"].startswith("text/css")
    for missing in ("assets/nope.js", ".vite/manifest.json", "../sdk.js", "assets/../../etc/passwd"):
        assert httpx.get(f"{page_server.base_url}/packs/widget/{missing}").status_code == 404, missing


def test_the_real_build_or_503(server: RunningServer, admin: Admin) -> None:
    """On the default server (the package's own static dir): the real build once it is there, else 503."""
    inbox = make_widget_inbox(admin)
    page = open_page(server, website_token=inbox.website_token)
    entry = widget_entry(PACKAGE_STATIC_DIR)
    if entry is None:
        assert page.status_code == 503
        assert page.text == "The widget is not built"
        return
    assert page.status_code == 200
    assert f'<script type="module" src="/packs/widget/{entry.script}"></script>' in page.text
    assert httpx.get(f"{server.base_url}/packs/widget/{entry.script}").status_code == 200
    assert httpx.get(f"{server.base_url}/packs/js/sdk.js").status_code == 200
