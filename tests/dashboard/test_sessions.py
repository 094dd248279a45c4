"""Dashboard sign-in sessions: cookie, CSRF, rotation, sign-out, rate limit; tokens unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer, ThrowawayDatabase


@pytest.fixture(autouse=True)
def fresh_counters(server: RunningServer) -> Iterator[None]:
    server.run(server.app.state.rate_limiter.counters.reset)
    yield
    server.run(server.app.state.rate_limiter.counters.reset)


def email_of(test_database: ThrowawayDatabase, user_id: int) -> str:
    with test_database.sync_engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT email FROM users WHERE id = :id"), {"id": user_id}).scalar_one())


def browser(server: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30)


def sign_in(client: httpx.Client, email: str, password: str = "password123") -> httpx.Response:
    return client.post("/auth/sign_in", json={"email": email, "password": password})


def test_sign_in_sets_a_session_cookie_and_answers_profile_and_csrf(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    email = email_of(test_database, admin.user_id)
    with browser(server) as client:
        response = sign_in(client, email.upper())
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"]["id"] == admin.user_id
        assert body["data"]["email"] == email
        assert body["data"]["account_id"] == admin.account_id
        assert body["data"]["access_token"] == admin.token
        assert body["data"]["pubsub_token"]
        assert len(body["csrf_token"]) == 64
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("frontdesk_session=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        assert "Secure" not in cookie
        assert "Path=/" in cookie
        session_id = client.cookies["frontdesk_session"]
        # Only a digest is stored.
        with test_database.sync_engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT user_id, token_digest, expires_at FROM user_sessions")).all()
        assert len(rows) == 1
        assert rows[0].user_id == admin.user_id
        assert rows[0].token_digest != session_id
        assert len(rows[0].token_digest) == 64

        profile = client.get("/api/v1/profile")
        assert profile.status_code == 200
        assert profile.json()["id"] == admin.user_id
        again = client.get("/auth/session")
        assert again.status_code == 200
        assert again.json()["csrf_token"] == body["csrf_token"]
        assert again.json()["data"]["id"] == admin.user_id


def test_wrong_password_and_unknown_email_answer_401(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    email = email_of(test_database, admin.user_id)
    with browser(server) as client:
        wrong = sign_in(client, email, "nope-nope")
        assert wrong.status_code == 401
        assert wrong.json()["errors"] == ["Invalid login credentials. Please try again."]
        assert "set-cookie" not in wrong.headers
        unknown = sign_in(client, "nobody@example.com")
        assert unknown.status_code == 401
        assert client.get("/api/v1/profile").status_code == 401
        assert client.get("/auth/session").status_code == 401
        missing = client.post("/auth/sign_in", json={"email": email})
        assert missing.status_code == 422
        assert "password" in missing.text


def test_writes_with_the_cookie_need_the_csrf_token(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    with browser(server) as client:
        csrf = sign_in(client, email_of(test_database, admin.user_id)).json()["csrf_token"]
        path = admin.path("/labels")
        refused = client.post(path, json={"title": "vip"})
        assert refused.status_code == 403
        assert refused.json() == {"error": "Invalid or missing CSRF token"}
        forged = client.post(path, json={"title": "vip"}, headers={"X-CSRF-Token": "0" * 64})
        assert forged.status_code == 403
        assert admin.api.get(path).json()["payload"] == []
        accepted = client.post(path, json={"title": "vip"}, headers={"X-CSRF-Token": csrf})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["title"] == "vip"
        # Reads need none.
        assert client.get(path).status_code == 200


def test_token_requests_need_no_csrf_even_with_a_cookie(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    with browser(server) as client:
        sign_in(client, email_of(test_database, admin.user_id))
        response = client.post(
            admin.path("/labels"), json={"title": "urgent"}, headers={"api_access_token": admin.token}
        )
        assert response.status_code == 200, response.text
    assert admin.api.post(admin.path("/labels"), json={"title": "other"}).status_code == 200


def test_sign_in_rotates_the_session_and_sign_out_ends_it(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    email = email_of(test_database, admin.user_id)
    with browser(server) as client:
        sign_in(client, email)
        first = client.cookies["frontdesk_session"]
        second_answer = sign_in(client, email)
        second = client.cookies["frontdesk_session"]
        assert second != first
        with test_database.sync_engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM user_sessions")).scalar_one() == 1
        with browser(server) as stale:
            stale.cookies.set("frontdesk_session", first)
            assert stale.get("/api/v1/profile").status_code == 401

        csrf = second_answer.json()["csrf_token"]
        assert client.delete("/auth/sign_out").status_code == 403
        out = client.delete("/auth/sign_out", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 200
        assert out.json() == {"success": True}
        assert 'frontdesk_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
        with browser(server) as replay:
            replay.cookies.set("frontdesk_session", second)
            assert replay.get("/api/v1/profile").status_code == 401
        with test_database.sync_engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM user_sessions")).scalar_one() == 0


def test_expired_sessions_do_not_authenticate(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    with browser(server) as client:
        sign_in(client, email_of(test_database, admin.user_id))
        with test_database.sync_engine.begin() as conn:
            conn.execute(sa.text("UPDATE user_sessions SET expires_at = created_at"))
        assert client.get("/api/v1/profile").status_code == 401


def test_secure_cookie_over_https(server: RunningServer, admin: Admin, test_database: ThrowawayDatabase) -> None:
    # uvicorn believes X-Forwarded-Proto from loopback proxies (proxy_headers).
    with browser(server) as client:
        response = client.post(
            "/auth/sign_in",
            json={"email": email_of(test_database, admin.user_id), "password": "password123"},
            headers={"X-Forwarded-Proto": "https"},
        )
        assert response.status_code == 200
        assert "Secure" in response.headers["set-cookie"]


def test_sign_in_is_limited_to_five_attempts_per_five_minutes_per_ip(
    server: RunningServer, admin: Admin, test_database: ThrowawayDatabase
) -> None:
    email = email_of(test_database, admin.user_id)
    with browser(server) as client:
        statuses = [sign_in(client, email, "wrong-password").status_code for _ in range(5)]
        assert statuses == [401] * 5
        refused = sign_in(client, email)
        assert refused.status_code == 429
        assert refused.json() == {"error": "Retry later"}
        assert 1 <= int(refused.headers["retry-after"]) <= 300
        # The API with a token is not affected.
        assert admin.api.get("/api/v1/profile").status_code == 200
