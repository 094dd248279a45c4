from __future__ import annotations

from tests.fixtures.api import Admin, make_admin, make_agent
from tests.fixtures.server import RunningServer


def test_show_account_has_chatwoot_fields(admin: Admin) -> None:
    response = admin.api.get(admin.path())
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == admin.account_id
    assert body["name"] == "Acme"
    assert body["locale"] == "en"
    assert body["status"] == "active"
    assert body["settings"] == {}
    assert body["custom_attributes"] == {}
    assert isinstance(body["features"], dict)


def test_update_account_flat_and_wrapped(admin: Admin) -> None:
    response = admin.api.patch(admin.path(), json={"name": "Acme Inc", "support_email": "help@acme.io"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Acme Inc"
    response = admin.api.patch(admin.path(), json={"account": {"locale": "fr", "settings": {"a": 1}}})
    assert response.status_code == 200
    assert response.json()["locale"] == "fr"
    assert response.json()["support_email"] == "help@acme.io"
    response = admin.api.patch(admin.path(), json={"settings": {"b": 2}})
    assert response.json()["settings"] == {"a": 1, "b": 2}


def test_update_account_rejects_bad_types_naming_the_field(admin: Admin) -> None:
    response = admin.api.patch(admin.path(), json={"name": 12})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["name"]
    response = admin.api.patch(admin.path(), json={"name": "x" * 300})
    assert response.status_code == 422
    assert response.json()["attributes"] == ["name"]
    response = admin.api.patch(admin.path(), content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "error" in response.json()


def test_update_account_accepts_form_bodies(admin: Admin) -> None:
    response = admin.api.patch(admin.path(), data={"name": "Form Co", "settings[tone]": "calm"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Form Co"
    assert response.json()["settings"] == {"tone": "calm"}


def test_agents_cannot_update_the_account(server: RunningServer, admin: Admin) -> None:
    agent = make_agent(server, admin)
    assert agent.api.get(admin.path()).status_code == 200
    response = agent.api.patch(admin.path(), json={"name": "Mine now"})
    assert response.status_code == 401
    assert response.json() == {"error": "You are not authorized to do this action"}


def test_authorization_matrix(server: RunningServer, admin: Admin) -> None:
    anonymous = admin.api.client.get(admin.path(), headers={"api_access_token": ""})
    assert anonymous.status_code == 401
    assert "error" in anonymous.json()
    bad = admin.api.client.get(admin.path(), headers={"api_access_token": "not-a-token"})
    assert bad.status_code == 401
    assert bad.json() == {"error": "Invalid Access Token"}
    other = make_admin(server, account_name="Other")
    response = other.api.get(admin.path())
    assert response.status_code == 401
    assert response.json() == {"error": "You are not authorized to access this account"}
    missing = admin.api.get("/api/v1/accounts/999999")
    assert missing.status_code == 401
    bearer = admin.api.client.get(
        admin.path(), headers={"api_access_token": "", "Authorization": f"Bearer {admin.token}"}
    )
    assert bearer.status_code == 200
