from __future__ import annotations

from tests.fixtures.api import Admin, Api
from tests.fixtures.server import RunningServer


def test_profile_shows_the_access_token_that_authenticates(server: RunningServer, admin: Admin) -> None:
    response = admin.api.get("/api/v1/profile")
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"] == admin.token
    assert body["id"] == admin.user_id
    assert body["account_id"] == admin.account_id
    assert body["role"] == "administrator"
    assert body["accounts"][0]["id"] == admin.account_id
    assert body["accounts"][0]["role"] == "administrator"
    assert isinstance(body["pubsub_token"], str) and body["pubsub_token"]
    assert body["ui_settings"] == {}
    assert body["provider"] == "email"


def test_profile_update_and_password_change(admin: Admin) -> None:
    response = admin.api.put("/api/v1/profile", json={"profile": {"name": "Ada", "display_name": "ada"}})
    assert response.status_code == 200
    assert response.json()["name"] == "Ada"
    assert response.json()["available_name"] == "ada"
    wrong = admin.api.put("/api/v1/profile", json={"profile": {"password": "newpass123", "current_password": "nope"}})
    assert wrong.status_code == 422
    assert wrong.json() == {"error": "Invalid current password"}
    before = admin.api.get("/api/v1/profile").json()["pubsub_token"]
    right = admin.api.put(
        "/api/v1/profile",
        json={
            "profile": {
                "password": "newpass123",
                "password_confirmation": "newpass123",
                "current_password": "password123",
            }
        },
    )
    assert right.status_code == 200
    assert right.json()["pubsub_token"] != before


def test_reset_access_token_invalidates_the_old_one(server: RunningServer, admin: Admin) -> None:
    response = admin.api.post("/api/v1/profile/reset_access_token")
    assert response.status_code == 200
    new_token = response.json()["access_token"]
    assert new_token != admin.token
    assert admin.api.get("/api/v1/profile").status_code == 401
    assert Api(server, new_token).get("/api/v1/profile").status_code == 200


def test_tokens_are_not_stored_in_clear(server: RunningServer, admin: Admin, test_database) -> None:  # type: ignore[no-untyped-def]
    with test_database.sync_engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT token_digest, token_ciphertext FROM access_tokens").all()
    assert rows
    for digest, ciphertext in rows:
        assert admin.token not in digest
        assert admin.token not in ciphertext
