"""``/api/v1/accounts/{id}/webhooks``: Chatwoot's CRUD shapes, validation, permissions, SSRF refusal at save."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.api import Admin, make_admin, make_agent, make_api_inbox
from tests.fixtures.server import RunningServer

PUBLIC_URL = "https://hooks.example.com/frontdesk"


def _create(admin: Admin, body: Any) -> Any:
    return admin.api.post(admin.path("/webhooks"), json=body)


def test_create_list_update_delete(admin: Admin) -> None:
    inbox = make_api_inbox(admin, name="Support")
    response = _create(
        admin,
        {"webhook": {"url": PUBLIC_URL, "name": "CRM", "subscriptions": ["message_created"], "inbox_id": inbox["id"]}},
    )
    assert response.status_code == 200, response.text
    webhook = response.json()["payload"]["webhook"]
    assert list(webhook) == ["id", "name", "url", "account_id", "subscriptions", "secret", "inbox"]
    assert webhook["name"] == "CRM"
    assert webhook["url"] == PUBLIC_URL
    assert webhook["account_id"] == admin.account_id
    assert webhook["subscriptions"] == ["message_created"]
    assert isinstance(webhook["secret"], str) and len(webhook["secret"]) == 24
    assert webhook["inbox"] == {"id": inbox["id"], "name": "Support"}

    # Flat bodies work too; without an inbox there is no "inbox" key.
    response = _create(admin, {"url": PUBLIC_URL + "/2", "subscriptions": ["contact_created", "contact_updated"]})
    assert response.status_code == 200, response.text
    second = response.json()["payload"]["webhook"]
    assert "inbox" not in second
    assert second["name"] is None

    response = admin.api.get(admin.path("/webhooks"))
    assert response.status_code == 200
    assert response.json() == {"payload": {"webhooks": [webhook, second]}}

    response = admin.api.patch(
        admin.path(f"/webhooks/{second['id']}"), json={"webhook": {"subscriptions": ["conversation_created"]}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["webhook"] == {**second, "subscriptions": ["conversation_created"]}
    response = admin.api.put(admin.path(f"/webhooks/{second['id']}"), json={"name": "Renamed"})
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["webhook"]["name"] == "Renamed"

    response = admin.api.delete(admin.path(f"/webhooks/{second['id']}"))
    assert response.status_code == 200
    ids = [item["id"] for item in admin.api.get(admin.path("/webhooks")).json()["payload"]["webhooks"]]
    assert ids == [webhook["id"]]
    assert admin.api.delete(admin.path(f"/webhooks/{second['id']}")).status_code == 404


@pytest.mark.parametrize(
    "subscriptions",
    [[], ["message_created", "not_an_event"], "message_created", None],
)
def test_subscriptions_must_be_known_events(admin: Admin, subscriptions: Any) -> None:
    body: dict[str, Any] = {"url": PUBLIC_URL}
    if subscriptions is not None:
        body["subscriptions"] = subscriptions
    response = _create(admin, body)
    assert response.status_code == 422
    assert "subscriptions" in response.json()["attributes"]


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/x", "javascript:alert(1)", ""])
def test_url_must_be_http(admin: Admin, url: str) -> None:
    response = _create(admin, {"url": url, "subscriptions": ["message_created"]})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["url"]


def test_duplicate_url_in_an_account_is_refused(admin: Admin, server: RunningServer) -> None:
    assert _create(admin, {"url": PUBLIC_URL, "subscriptions": ["message_created"]}).status_code == 200
    response = _create(admin, {"url": PUBLIC_URL, "subscriptions": ["contact_created"]})
    assert response.status_code == 422
    assert response.json() == {"message": "Url has already been taken", "attributes": ["url"]}
    other = make_admin(server, account_name="Other")
    assert _create(other, {"url": PUBLIC_URL, "subscriptions": ["message_created"]}).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00:ec2::254]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_private_network_targets_are_refused_when_saved(admin: Admin, url: str) -> None:
    response = _create(admin, {"url": url, "subscriptions": ["message_created"]})
    assert response.status_code == 422, response.text
    assert response.json()["attributes"] == ["url"]
    created = _create(admin, {"url": PUBLIC_URL, "subscriptions": ["message_created"]}).json()["payload"]["webhook"]
    response = admin.api.patch(admin.path(f"/webhooks/{created['id']}"), json={"url": url})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["url"]


def test_agents_are_not_authorized(admin: Admin, server: RunningServer) -> None:
    agent = make_agent(server, admin)
    created = _create(admin, {"url": PUBLIC_URL, "subscriptions": ["message_created"]}).json()["payload"]["webhook"]
    unauthorized = {"error": "You are not authorized to do this action"}
    for method, path in [
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("PATCH", f"/webhooks/{created['id']}"),
        ("DELETE", f"/webhooks/{created['id']}"),
        ("POST", f"/webhooks/{created['id']}/reset_secret"),
        ("GET", f"/webhooks/{created['id']}/deliveries"),
    ]:
        response = agent.api.request(method, admin.path(path), json={"url": PUBLIC_URL + "/x"})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == unauthorized


def test_another_accounts_webhooks_are_not_found(admin: Admin, server: RunningServer) -> None:
    other = make_admin(server, account_name="Other")
    theirs = _create(other, {"url": PUBLIC_URL, "subscriptions": ["message_created"]}).json()["payload"]["webhook"]
    for method, path in [
        ("PATCH", f"/webhooks/{theirs['id']}"),
        ("DELETE", f"/webhooks/{theirs['id']}"),
        ("POST", f"/webhooks/{theirs['id']}/reset_secret"),
        ("GET", f"/webhooks/{theirs['id']}/deliveries"),
        ("POST", f"/webhooks/{theirs['id']}/replay"),
    ]:
        response = admin.api.request(method, admin.path(path), json={"name": "x", "since": 0})
        assert response.status_code == 404, (method, path, response.text)
    assert admin.api.get(admin.path("/webhooks")).json() == {"payload": {"webhooks": []}}


def test_inbox_id_must_belong_to_the_account(admin: Admin, server: RunningServer) -> None:
    other = make_admin(server, account_name="Other")
    their_inbox = make_api_inbox(other)
    response = _create(admin, {"url": PUBLIC_URL, "subscriptions": ["message_created"], "inbox_id": their_inbox["id"]})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["inbox_id"]


def test_reset_secret_answers_the_webhook_with_a_new_secret(admin: Admin) -> None:
    created = _create(admin, {"url": PUBLIC_URL, "subscriptions": ["message_created"]}).json()["payload"]["webhook"]
    response = admin.api.post(admin.path(f"/webhooks/{created['id']}/reset_secret"))
    assert response.status_code == 200
    webhook = response.json()["payload"]["webhook"]
    assert webhook == {**created, "secret": webhook["secret"]}
    assert webhook["secret"] != created["secret"]
